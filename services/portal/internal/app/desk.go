package app

import (
	"context"
	"fmt"
	"slices"

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
	// QueuePage is a page of at most limit of the officers' queue as f
	// narrows it, after cursor, with the counts of the whole queue:
	// licensing filters, pages and counts.
	QueuePage(ctx context.Context, token string, f QueueFilter, limit int, cursor string) (QueuePage, error)
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

// invoicesScanned bounds how many of a payer's invoices a page reads to
// find the one it shows: a business has few.
const invoicesScanned = 500

// InvoiceFor is the invoice payment issued for reference (an application's
// fee, a bid security), newest first; NotFound while payment has not
// issued it yet.
func InvoiceFor(ctx context.Context, fees Fees, token, reference string) (domain.Invoice, error) {
	cursor := ""
	for read := 0; read < invoicesScanned; {
		items, next, err := fees.Invoices(ctx, token, 100, cursor)
		if err != nil {
			return domain.Invoice{}, err
		}
		for _, inv := range items {
			if inv.Reference == reference {
				return inv, nil
			}
		}
		read += len(items)
		if next == "" || len(items) == 0 {
			break
		}
		cursor = next
	}
	return domain.Invoice{}, apperr.New(apperr.NotFound, "no invoice for %s yet", reference)
}

// QueueFilter narrows the officers' queue.
type QueueFilter struct {
	State   domain.ApplicationState // "" for every state of the queue
	KBLI    string
	DueDays int  // > 0: due by the end of the working day this many working days after today (licensing's calendar)
	Overdue bool // only those past their deadline
}

// QueuePage is a page of the filtered queue.
type QueuePage struct {
	Items      []domain.ApplicationDetail
	NextCursor string
	DueToday   int // applications of the whole queue due today (WIB), overdue ones not counted
	Overdue    int
}

// ReviewQueue is a page of the queue as licensing sorts it (soonest due
// first, those paused for a revision last), narrowed by f, with what of the
// whole queue is due today and overdue: one call, licensing filters and
// counts. The cursor is licensing's and goes with the same filter.
func ReviewQueue(ctx context.Context, desk LicensingDesk, token string, f QueueFilter, limit int, cursor string) (QueuePage, error) {
	return desk.QueuePage(ctx, token, f, limit, cursor)
}
