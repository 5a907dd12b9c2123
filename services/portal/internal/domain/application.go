package domain

import "time"

// What the business's application pages and the officers' review pages
// show, as licensing and payment answer it (api/licensing.yaml,
// api/payment.yaml). The portal owns none of it; these are its read views.

// ApplicationState is where an application stands in licensing.
type ApplicationState string

const (
	AppDraft             ApplicationState = "draft"
	AppSubmitted         ApplicationState = "submitted"
	AppInReview          ApplicationState = "in_review"
	AppRevisionRequested ApplicationState = "revision_requested"
	AppApproved          ApplicationState = "approved"
	AppAwaitingPayment   ApplicationState = "awaiting_payment"
	AppIssued            ApplicationState = "issued"
	AppRejected          ApplicationState = "rejected"
	AppWithdrawn         ApplicationState = "withdrawn"
	AppDeemedApproved    ApplicationState = "deemed_approved"
)

// ApplicationStates are every state, in the order an application goes
// through them (the queue's state filter lists them so).
var ApplicationStates = []ApplicationState{
	AppDraft, AppSubmitted, AppInReview, AppRevisionRequested, AppApproved,
	AppAwaitingPayment, AppIssued, AppRejected, AppWithdrawn, AppDeemedApproved,
}

// QueueStates are the states the officers' queue holds.
var QueueStates = []ApplicationState{AppSubmitted, AppInReview, AppRevisionRequested}

// Accepts are the file kinds the requirement takes, for the file input's
// accept attribute.
func (r RequiredDocument) Accepts() string {
	switch r.ContentType {
	case "pdf":
		return "application/pdf,.pdf"
	case "image":
		return "image/png,image/jpeg,.png,.jpg,.jpeg"
	}
	return "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"
}

// SLA is the review's clock in working days.
type SLA struct {
	Days        int
	UsedSeconds int64
	Running     bool       // false while paused (revision) or stopped (decided)
	DueAt       *time.Time // nil while not running
}

// ApplicationDetail is a license application as licensing answers it,
// every field the status and review pages show.
type ApplicationDetail struct {
	ID, BusinessID, KBLI, Scale string
	Size                        int64
	State                       ApplicationState
	Terms                       *LicenseType // frozen at submission; nil for a draft
	SLA                         SLA
	WhoseTurn                   string // applicant, officer, "" once closed
	TurnDueAt                   *time.Time
	Reason                      string // why it was rejected
	RevisionRequirement         string
	RevisionNote                string
	Revisions                   []Revision // while a revision is requested: each document to revise, with its comment
	RenewalOf                   string     // the license this application renews, if it does
	SubmittedAt, DecidedAt      *time.Time
	Version                     int
	CreatedAt, UpdatedAt        time.Time
}

// Revision is what the officer asks the applicant to change about one
// document.
type Revision struct {
	Requirement string // the requirement's code
	Note        string
}

// RevisionOf is the officer's comment on requirement code, while a
// revision is requested that names it.
func (a ApplicationDetail) RevisionOf(code string) (Revision, bool) {
	if a.State != AppRevisionRequested {
		return Revision{}, false
	}
	for _, r := range a.Revisions {
		if r.Requirement == code {
			return r, true
		}
	}
	if len(a.Revisions) == 0 && a.RevisionRequirement == code { // a request of before revisions were listed
		return Revision{Requirement: code, Note: a.RevisionNote}, true
	}
	return Revision{}, false
}

// HistoryStep is one step of an application, as licensing's audit trail
// tells it: officers by role, never by name.
type HistoryStep struct {
	At          time.Time
	Action      string // application.<action> or document.upload
	Actor       string // applicant, officer, system
	State       ApplicationState
	Note        string // the reason or note given
	Requirement string // an upload's requirement
	DocumentID  string
	Revisions   []Revision
}

// Open is whether the application still waits for someone.
func (a ApplicationDetail) Open() bool { return a.WhoseTurn != "" }

// Overdue is whether the officers' deadline has passed at now.
func (a ApplicationDetail) Overdue(now time.Time) bool {
	return a.SLA.Running && a.SLA.DueAt != nil && now.After(*a.SLA.DueAt)
}

// Paused is whether the SLA clock stands still for a revision.
func (a ApplicationDetail) Paused() bool { return a.State == AppRevisionRequested }

// ApplicationPage is a page of applications and the cursor of the next.
type ApplicationPage struct {
	Items      []ApplicationDetail
	NextCursor string
}

// Document is a file uploaded for a requirement.
type Document struct {
	ID, Requirement, Filename, ContentType string
	Size                                   int64
	SHA256                                 string
	UploadedAt                             time.Time
}

// Inline is whether a browser shows the document itself: a PDF or an image.
func (d Document) Inline() bool { return d.Image() || d.ContentType == "application/pdf" }

// Image is whether the document is a PNG or JPEG.
func (d Document) Image() bool { return d.ContentType == "image/png" || d.ContentType == "image/jpeg" }

// LatestDocuments are the newest document of each requirement (a revision
// adds a new version; the last one counts).
func LatestDocuments(docs []Document) map[string]Document {
	out := map[string]Document{}
	for _, d := range docs {
		if prev, ok := out[d.Requirement]; !ok || !d.UploadedAt.Before(prev.UploadedAt) {
			out[d.Requirement] = d
		}
	}
	return out
}

// Missing are the codes of the requirements that have no document yet.
func Missing(reqs []RequiredDocument, docs map[string]Document) []string {
	var out []string
	for _, r := range reqs {
		if _, ok := docs[r.Code]; !ok {
			out = append(out, r.Code)
		}
	}
	return out
}

// Invoice is a fee to pay, as payment answers it.
type Invoice struct {
	ID, BillingCode, Reference, Description, State string
	Amount                                         Money
	ExpiresAt, UpdatedAt                           time.Time
}

// Invoice states in payment.
const (
	InvoicePending = "pending"
	InvoicePaid    = "paid"
)

// IssuedLicense is a license as licensing answers it to its holder and
// officers.
type IssuedLicense struct {
	ID, Number, ApplicationID, BusinessID, Status, StatusReason string
	HolderName, NIB, KBLI, LicenseType, LicenseName, Risk       string
	IssuedAt, ValidFrom                                         time.Time
	ValidUntil                                                  *time.Time
}

// StatusAt is the status to show at now (LicenseVerification.StatusAt).
func (l IssuedLicense) StatusAt(now time.Time) LicenseStatus {
	return statusAt(LicenseStatus(l.Status), l.ValidUntil, now)
}

// RenewalLead is how long before its expiry a license can be renewed: a
// renewal is a new application, reviewed within its SLA, so it opens well
// before licensing's reminder (30 days) and the end of the license.
const RenewalLead = 90 * 24 * time.Hour

// Renewable is whether the holder may apply to renew the license at now:
// it has an end, is near it (or past it: an expired license is renewed
// the same way), and was neither suspended nor revoked.
func (l IssuedLicense) Renewable(now time.Time) bool {
	if l.ValidUntil == nil {
		return false
	}
	switch l.StatusAt(now) {
	case LicenseActive, LicenseExpired:
		return l.ValidUntil.Sub(now) <= RenewalLead
	}
	return false
}

// DaysLeft is how many working days the clock had left when it paused (or
// when its current run began), in tenths.
func (s SLA) DaysLeft() float64 {
	left := float64(s.Days) - float64(s.UsedSeconds)/(24*60*60)
	return max(float64(int(left*10))/10, 0)
}
