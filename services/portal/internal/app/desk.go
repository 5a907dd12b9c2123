package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/domain"
)

// The business's application and the officer's review, done in the portal
// as the signed-in person: every call carries that person's token, and
// licensing and payment decide what the person may see and do.

// LicensingDesk is what the application and review pages ask of licensing.
// Failures are apperr errors: Invalid with the fields at fault, NotFound,
// Conflict, PreconditionFailed (a stale version), TooLarge and Unsupported
// (an upload), Unprocessable (with missing_requirements), and Unavailable
// wrapping an *Outage.
type LicensingDesk interface {
	MyBusinesses(ctx context.Context, token string) ([]domain.Business, error)
	Business(ctx context.Context, token, id string) (domain.Business, error)
	Requirements(ctx context.Context, kbli, scale string, size int64) (domain.Requirements, error)
	// CreateApplication takes an idempotency key: the same key again gets
	// the same draft, not a second one. renewalOf names the license a
	// renewal renews ("" for a first license).
	CreateApplication(ctx context.Context, token, key, businessID, kbli string, size int64, renewalOf string) (domain.ApplicationDetail, error)
	ApplicationPage(ctx context.Context, token string, limit int, cursor string) (domain.ApplicationPage, error)
	Application(ctx context.Context, token, id string) (domain.ApplicationDetail, error)
	Documents(ctx context.Context, token, id string) ([]domain.Document, error)
	Upload(ctx context.Context, token, id, requirement, filename string, content []byte) (domain.Document, error)
	// DocumentContent is the file's bytes and its sniffed content type.
	DocumentContent(ctx context.Context, token, id, documentID string) (string, []byte, error)
	// History is every step of the application, oldest first.
	History(ctx context.Context, token, id string) ([]domain.HistoryStep, error)
	// Move takes an application through action (submit, resubmit, withdraw,
	// start-review, approve, reject, request-revision) from version, with
	// what the action carries.
	Move(ctx context.Context, token, id, action string, version int, in MoveInput) (domain.ApplicationDetail, error)
	QueuePage(ctx context.Context, token string, limit int, cursor string) (domain.ApplicationPage, error)
	ApplicationLicense(ctx context.Context, token, id string) (domain.IssuedLicense, error)
	// LicenseFile is the certificate or the signed JSON of application
	// id's license, with its content type, as licensing makes it.
	LicenseFile(ctx context.Context, token, id string, form LicenseForm) (string, []byte, error)
	// ChangeLicense is suspend, reinstate or revoke, with a reason.
	ChangeLicense(ctx context.Context, token, id, action, reason string) (domain.IssuedLicense, error)
}

// MoveInput is what a move carries: a rejection's reason, a resubmission's
// note to the officer, a revision request's documents with their comments.
type MoveInput struct {
	Reason    string
	Note      string
	Revisions []domain.Revision
}

// Fees is what the fee page asks of payment, as the payer.
type Fees interface {
	// Invoices are the payer's invoices, newest first.
	Invoices(ctx context.Context, token string, limit int, cursor string) ([]domain.Invoice, string, error)
	Invoice(ctx context.Context, token, id string) (domain.Invoice, error)
	// SandboxPay pays billingCode at the sandbox gateway, as a bank would;
	// NotFound when payment runs without its sandbox.
	SandboxPay(ctx context.Context, token, billingCode string) error
}

// Moves an application can make, as licensing names them.
const (
	MoveSubmit          = "submit"
	MoveResubmit        = "resubmit"
	MoveWithdraw        = "withdraw"
	MoveStartReview     = "start-review"
	MoveApprove         = "approve"
	MoveReject          = "reject"
	MoveRequestRevision = "request-revision"
)

// LicenseForm is a form in which a license is handed to its holder.
type LicenseForm string

// The forms of a license: the certificate to print, the signed JSON for
// machines (Ed25519, its key id in the header).
const (
	Certificate   LicenseForm = "certificate"
	SignedLicense LicenseForm = "signed"
)

// LicenseActions are what an officer may do to a license.
var LicenseActions = []string{"suspend", "reinstate", "revoke"}

// ApplicationFile is an application with what its pages show around it:
// the business, the requirements (frozen at submission; the catalogue's
// for a draft) and the newest document of each.
type ApplicationFile struct {
	App          domain.ApplicationDetail
	Business     domain.Business
	LicenseName  string
	Risk         string
	Fee          domain.Money
	SLADays      int
	Requirements []domain.RequiredDocument
	Documents    map[string]domain.Document // newest per requirement
	Uploads      []domain.Document          // every upload, oldest first
	Trail        []domain.HistoryStep       // every step, oldest first
}

// Missing are the requirements without a document.
func (f ApplicationFile) Missing() []string { return domain.Missing(f.Requirements, f.Documents) }

// Requirement is the requirement code, if the application has it.
func (f ApplicationFile) Requirement(code string) (domain.RequiredDocument, bool) {
	i := slices.IndexFunc(f.Requirements, func(r domain.RequiredDocument) bool { return r.Code == code })
	if i < 0 {
		return domain.RequiredDocument{}, false
	}
	return f.Requirements[i], true
}

// OpenApplication reads application id with its business, requirements,
// documents and history, as the person with token: the application
// first (it names the business and the terms), the rest at once.
func OpenApplication(ctx context.Context, desk LicensingDesk, token, id string) (ApplicationFile, error) {
	a, err := desk.Application(ctx, token, id)
	if err != nil {
		return ApplicationFile{}, err
	}
	f := ApplicationFile{App: a}
	terms := a.Terms
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if f.Business, err = desk.Business(gctx, token, a.BusinessID); err != nil {
			return fmt.Errorf("business of application %s: %w", id, err)
		}
		return nil
	})
	if terms == nil { // a draft: the rules in force now, until it is submitted
		g.Go(func() error {
			needs, err := desk.Requirements(gctx, a.KBLI, a.Scale, a.Size)
			if err != nil {
				return fmt.Errorf("requirements of application %s: %w", id, err)
			}
			terms = &needs.LicenseType
			return nil
		})
	}
	g.Go(func() (err error) {
		if f.Uploads, err = desk.Documents(gctx, token, id); err != nil {
			return fmt.Errorf("documents of application %s: %w", id, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		if f.Trail, err = desk.History(gctx, token, id); err != nil {
			return fmt.Errorf("history of application %s: %w", id, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return ApplicationFile{}, err
	}
	f.LicenseName, f.Risk, f.Fee, f.SLADays, f.Requirements = terms.Name, terms.Risk, terms.Fee, terms.SLADays, terms.Documents
	f.Documents = domain.LatestDocuments(f.Uploads)
	return f, nil
}

// invoicesScanned bounds how many of a payer's invoices the fee page reads
// to find the one of an application: a business has few.
const invoicesScanned = 500

// FeeInvoice is the invoice payment issued for application id, newest
// first; NotFound while payment has not issued it yet.
func FeeInvoice(ctx context.Context, fees Fees, token, id string) (domain.Invoice, error) {
	cursor := ""
	for read := 0; read < invoicesScanned; {
		items, next, err := fees.Invoices(ctx, token, 100, cursor)
		if err != nil {
			return domain.Invoice{}, err
		}
		for _, inv := range items {
			if inv.Reference == id {
				return inv, nil
			}
		}
		read += len(items)
		if next == "" || len(items) == 0 {
			break
		}
		cursor = next
	}
	return domain.Invoice{}, apperr.New(apperr.NotFound, "no invoice for application %s yet", id)
}

// QueueFilter narrows the officers' queue.
type QueueFilter struct {
	State   domain.ApplicationState // "" for every state of the queue
	KBLI    string
	DueDays int  // > 0: due within this many working days
	Overdue bool // only those past their deadline
}

// QueuePage is a page of the filtered queue.
type QueuePage struct {
	Items      []domain.ApplicationDetail
	NextCursor string
	DueToday   int // applications of the whole queue due today (WIB), overdue ones not counted
	Overdue    int
}

// queueScanned bounds how many queue entries one page reads while looking
// for those that match a filter, so that a filter matching few of many
// applications answers quickly; the page then offers the rest.
const queueScanned = 1000

// ReviewQueue reads the queue as licensing sorts it (soonest due first,
// those paused for a revision last) and keeps those matching f, in pages
// of at most limit. The cursor is licensing's, so that paging is keyset
// paging whatever the filter: a page may hold fewer than limit when the
// filter skips entries, never lose one. now tells overdue and due today.
func ReviewQueue(ctx context.Context, desk LicensingDesk, token string, f QueueFilter, limit int, cursor string, now time.Time) (QueuePage, error) {
	var out QueuePage
	var err error
	if out.DueToday, out.Overdue, err = countDue(ctx, desk, token, now); err != nil {
		return QueuePage{}, err
	}
	dueBy := time.Time{}
	if f.DueDays > 0 {
		dueBy = domain.AddWorkingDays(now, f.DueDays)
	}
	for scanned := 0; scanned < queueScanned; {
		page, err := desk.QueuePage(ctx, token, limit, cursor)
		if err != nil {
			return QueuePage{}, err
		}
		scanned += len(page.Items)
		beyond := false // the queue is sorted by due date: past dueBy (or now) nothing more matches
		for _, a := range page.Items {
			if (f.Overdue || !dueBy.IsZero()) && (a.SLA.DueAt == nil || f.Overdue && !a.Overdue(now) || !dueBy.IsZero() && a.SLA.DueAt.After(dueBy)) {
				beyond = true
				break
			}
			if f.State != "" && a.State != f.State || f.KBLI != "" && a.KBLI != f.KBLI {
				continue
			}
			out.Items = append(out.Items, a)
		}
		if beyond || page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
		if len(out.Items) > 0 {
			break
		}
	}
	out.NextCursor = cursor
	return out, nil
}

// countDue counts the queue's applications overdue and due today (WIB):
// the queue is sorted by due date, so it reads only up to the end of today.
func countDue(ctx context.Context, desk LicensingDesk, token string, now time.Time) (today, overdue int, err error) {
	end := domain.EndOfDay(now)
	cursor := ""
	for scanned := 0; scanned < queueScanned; {
		page, err := desk.QueuePage(ctx, token, 100, cursor)
		if err != nil {
			return 0, 0, err
		}
		scanned += len(page.Items)
		for _, a := range page.Items {
			if !a.SLA.Running || a.SLA.DueAt == nil || a.SLA.DueAt.After(end) {
				return today, overdue, nil
			}
			if a.Overdue(now) {
				overdue++
			} else {
				today++
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	return today, overdue, nil
}
