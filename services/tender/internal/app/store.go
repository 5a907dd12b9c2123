package app

import (
	"context"
	"time"

	"gerbang/services/tender/internal/domain"
)

// Store is what the use cases need of the tender service's database. Every
// method that changes state writes it, its events (Effect.Events) and its
// audit record in one transaction; the domain never sees the transaction.
type Store interface {
	Tender(ctx context.Context, id string) (*domain.Tender, error)
	NextTenderNumber(ctx context.Context, now time.Time) (string, error)
	CreateTender(ctx context.Context, t *domain.Tender, who Who, now time.Time) error
	// UpdateTender loads the tender FOR UPDATE, runs fn, and writes the
	// tender, what fn reports, its events and the audit record.
	// expectVersion > 0 refuses a stale version with PreconditionFailed.
	UpdateTender(ctx context.Context, id string, expectVersion int, who Who, now time.Time,
		fn func(t *domain.Tender, r Reader) (Change, error)) (*domain.Tender, error)
	// AdvanceDue claims one tender whose period of kind ended by now (FOR
	// UPDATE SKIP LOCKED), runs fn and writes the result; it reports
	// whether a tender was advanced.
	AdvanceDue(ctx context.Context, kind Due, now time.Time, who Who, fn func(t *domain.Tender, f Facts) (Change, error)) (bool, error)
	// PublishedTenders lists the published tenders search finds, newest
	// first, after the cursor.
	PublishedTenders(ctx context.Context, search domain.TenderSearch, limit int, after *TenderCursor) ([]*domain.Tender, error)
	// CommitteeTenders lists the tenders whose committee names member,
	// newest first (created_at, id), in state when it is set, after the
	// cursor when given, with what waits on each.
	CommitteeTenders(ctx context.Context, member string, state domain.State, limit int, after *CommitteeCursor) ([]CommitteeTender, error)
	// BidsToConfirm counts the live bids of a tender confirmed against an
	// amendment before amendment.
	BidsToConfirm(ctx context.Context, tenderID string, amendment int) (int, error)

	// BidTerms reads what a bid needs of its tender before its
	// transaction: state, bid period, public key, amendment and bid
	// security.
	BidTerms(ctx context.Context, tenderID string) (*domain.Tender, error)
	// InsertNewBid stores a new bid in one statement, when the tender still
	// has the terms it was rendered with and still takes it from this
	// vendor. stored is false when it stored nothing; the general
	// transaction (WriteBid) then says why, or stores it.
	InsertNewBid(ctx context.Context, in NewBidWrite) (stored bool, err error)
	// WriteBid runs the general bid transaction: the Idempotency-Key
	// claimed (when key is set; a stored answer is returned instead of
	// running fn), the tender locked FOR KEY SHARE, the vendor's licenses
	// for its KBLI and the current bid (FOR UPDATE) read, fn run, and the
	// bid, its receipt, the bid security request, events, audit record and
	// answer written.
	WriteBid(ctx context.Context, in BidWrite, fn func(t *domain.Tender, current *domain.Bid, licenses []domain.VendorLicense) (BidChange, error)) (answer []byte, err error)
	StoredBidAnswer(ctx context.Context, vendor string, key BidKey) ([]byte, error)
	PurgeBidRequests(ctx context.Context, before time.Time) (int64, error)
	VendorBid(ctx context.Context, tenderID, bidID, vendor string) (domain.Bid, []domain.Receipt, error)
	VendorBids(ctx context.Context, tenderID, vendor string) ([]domain.Bid, error)
	// VendorSecurity is the vendor's bid security on the tender;
	// domain.NoSuchSecurity when none was asked.
	VendorSecurity(ctx context.Context, tenderID, vendor string) (domain.BidSecurity, error)

	// OpenBids runs the opening in one transaction: the tender locked FOR
	// UPDATE, fn given the bids that count at the opening, then the
	// opening record (inserted in one statement), the tender and the
	// events written.
	OpenBids(ctx context.Context, tenderID string, who Who, now time.Time,
		fn func(t *domain.Tender, bids []SealedBid) ([]OpenedBid, Effect, error)) (*domain.Tender, Opening, error)
	OpeningRecord(ctx context.Context, tenderID string) (Opening, error)

	AskQuestion(ctx context.Context, tenderID, question string, who Who, now time.Time, check func(t *domain.Tender) error) (Clarification, error)
	AnswerQuestion(ctx context.Context, tenderID, questionID, answer string, who Who, now time.Time, check func(t *domain.Tender) error) (Clarification, error)
	Clarifications(ctx context.Context, tenderID string) ([]Clarification, error)

	SaveAssessment(ctx context.Context, tenderID string, who Who, now time.Time, check func(t *domain.Tender) error,
		assessments []domain.Assessment, scores []domain.MemberScore) error
	FileObjection(ctx context.Context, o Objection, who Who, check func(t *domain.Tender) error, event func(Objection) Event) (Objection, error)
	Objections(ctx context.Context, tenderID string) ([]Objection, error)
	Evaluation(ctx context.Context, tenderID string) (*domain.Result, error)

	// OpenData reads, for each tender, what the open-data feed publishes
	// besides the tender: addenda, opening, award and contract, in a fixed
	// number of queries whatever the number of tenders.
	OpenData(ctx context.Context, tenderIDs []string) (map[string]OpenData, error)
}

// Recorder is what the event consumers need of the database, inside the
// consumer's transaction (the inbox row is written in the same one).
type Recorder interface {
	// ApplyLicense updates the qualification read model; an event older
	// than what is stored for the license is ignored.
	ApplyLicense(ctx context.Context, l domain.VendorLicense, eventID string) error
	// MarkSecurityHeld records a paid bid security; false when the id
	// names none of this service's, or one not waiting for payment.
	MarkSecurityHeld(ctx context.Context, securityID, invoiceID string, paidAt time.Time, eventID string) (bool, error)
	// SettleSecurity records a held security released or forfeited.
	SettleSecurity(ctx context.Context, tenderID, vendor string, to domain.SecurityState, eventID string) error
}

// Who is the actor of a change, for the audit trail.
type Who struct {
	Subject   string // JWT sub, or "system:<job>"
	Roles     []string
	Org       string
	RequestID string
}

// Effect is what a change writes besides its state: the audit action, a
// reason, and its events.
type Effect struct {
	Action string
	Reason string
	Events []Event
}

// Change is what a tender update did, for the store to write beside the
// tender row.
type Change struct {
	Effect
	Addendum         *Addendum // an amendment's terms
	CommitteeChanged bool
	Evaluation       *domain.Result   // the evaluation's result, stored (replacing an earlier one)
	Award            *AwardFact       // the proposed winner, stored (replacing an earlier proposal)
	AwardAnnounced   bool             // the proposed award was announced
	ObjectionAnswer  *ObjectionAnswer // the committee's answer to one objection
	Contract         *Contract        // the contract record
}

// Addendum is one published amendment.
type Addendum struct {
	Number           int
	Terms            domain.Terms
	DeadlineExtended bool
}

// Reader reads, inside an UpdateTender transaction, what a use case needs
// beside the tender row.
type Reader interface {
	OpenedBids() ([]domain.OpenedBid, error)
	Assessments() ([]domain.Assessment, error)
	Scores() ([]domain.MemberScore, error)
	Award() (*AwardFact, error)
}

// Due is a kind of time-driven move.
type Due int

const (
	DueBidPeriodStart Due = iota // announced -> tendering
	DueBidDeadline               // tendering -> opening (or failed)
	DueObjectionEnd              // objection_period -> awarded
)

// Facts are what the scheduler's moves need beside the tender.
type Facts struct {
	LiveBids             int // bids that count at the opening
	UnansweredObjections int
	Award                *AwardFact // the proposed award, if any
}

// AwardFact is the award a tender proposed.
type AwardFact struct {
	BidID  string
	Vendor string
	Price  int64
}

// AwardRecord is an award with its dates.
type AwardRecord struct {
	AwardFact
	ProposedAt  time.Time
	AnnouncedAt *time.Time
	FinalisedAt *time.Time
}

// ObjectionAnswer is the committee's answer to one objection.
type ObjectionAnswer struct {
	ID      string
	Answer  string
	Outcome string // rejected, upheld_reevaluate, upheld_fail
}

// Objection is an objection (sanggah) against a proposed award.
type Objection struct {
	ID         string
	TenderID   string
	Vendor     string
	FiledBy    string
	Arguments  string
	Evidence   []string
	FiledAt    time.Time
	Answer     *string
	Outcome    *string
	AnsweredAt *time.Time
}

// Contract is the contract record of an awarded tender.
type Contract struct {
	ID       string
	TenderID string
	Number   string
	Vendor   string
	Value    int64
	SignedAt time.Time
}

// Clarification is a question and its public answer. The asker is kept
// for the committee's records and never shown publicly.
type Clarification struct {
	ID         string
	TenderID   string
	AskerOrg   string
	Asker      string
	Question   string
	AskedAt    time.Time
	Answer     *string
	AnsweredAt *time.Time
}

// TenderCursor is the position after which a page of published tenders
// starts (the keyset: publication time, id).
type TenderCursor struct {
	PublishedAt time.Time
	ID          string
}

// SealedBid is a bid that counts at the opening, still sealed.
type SealedBid struct {
	ID                 string
	Vendor             string
	VendorName         string // as licensing names the business; "" when it never did
	Sealed             []byte
	SubmittedAt        time.Time
	ConfirmedAmendment int
	SecurityRequired   bool
	SecurityHeld       bool
}

// OpenedBid is the opening's outcome for one bid: its price and technical
// offer, or why it could not be read, and a disqualification if any.
type OpenedBid struct {
	BidID          string
	Vendor         string
	VendorName     string
	SubmittedAt    time.Time
	Price          *int64
	TechnicalOffer *string
	DecryptError   *string
	Disqualified   string
	Documents      []domain.BidDocument // committee only
}

// Opening is the record of an opening.
type Opening struct {
	TenderID  string
	OpenedBy  string
	OpenedAt  time.Time
	ValidBids int
	Bids      []OpenedBid
}

// AddendumInfo is a published addendum, as the open data shows it.
type AddendumInfo struct {
	Number           int
	PublishedAt      time.Time
	DeadlineExtended bool
}

// OpenData is what the open-data feed publishes of a tender besides the
// tender row.
type OpenData struct {
	Addenda  []AddendumInfo
	Opening  *Opening // nil before the opening
	Award    *AwardRecord
	Contract *Contract
}

// BidKey is a bid request's Idempotency-Key and the keyed fingerprint of
// its request.
type BidKey struct {
	Key  string
	Hash []byte
}

// NewBidWrite is a new bid as the one-statement fast path stores it, with
// everything rendered beforehand from the tender's terms as read (Terms):
// the statement stores nothing unless the tender still has them.
type NewBidWrite struct {
	Bid       domain.Bid
	Sealed    []byte
	Receipt   domain.Receipt
	Terms     *domain.Tender
	Who       Who
	Key       *BidKey // nil without an Idempotency-Key
	Answer    []byte  // stored under Key
	Submitted BidSubmitted
	// Security is the request of the tender's bid security, written when
	// the tender asks for one and the vendor has none yet.
	Security *BidSecurityRequested
	After    any // the audit record's after
}

// BidWrite names the bid a general bid transaction works on (BidID empty
// for a new bid).
type BidWrite struct {
	TenderID string
	BidID    string
	Vendor   string
	Who      Who
	At       time.Time
	Key      *BidKey
}

// BidChange is what a general bid transaction writes.
type BidChange struct {
	Bid      domain.Bid
	Sealed   []byte          // the new sealed content; nil for a withdrawal
	Receipt  *domain.Receipt // the receipt of the new content
	Security *BidSecurityRequested
	Effect   Effect
	Before   any
	After    any
	Answer   []byte // stored under the Idempotency-Key, if any
}
