package app

import "time"

// The subjects (CloudEvents types) of the events the tender service
// publishes; every one has its schema in api/events/<subject>.json.
const (
	SubjectTenderPublished        = "tender.tender.published"
	SubjectTenderAmended          = "tender.tender.amended"
	SubjectTenderCancelled        = "tender.tender.cancelled"
	SubjectTenderFailed           = "tender.tender.failed"
	SubjectTenderTenderingStarted = "tender.tender.tendering_started"
	SubjectTenderBiddingClosed    = "tender.tender.bidding_closed"
	SubjectBidSubmitted           = "tender.bid.submitted"
	SubjectBidWithdrawn           = "tender.bid.withdrawn"
	SubjectBidSecurityRequested   = "tender.bid_security.requested"
	SubjectBidsOpened             = "tender.bids.opened"
	SubjectAwardProposed          = "tender.award.proposed"
	SubjectAwardFinalised         = "tender.award.finalised"
	SubjectObjectionFiled         = "tender.objection.filed"
	SubjectObjectionAnswered      = "tender.objection.answered"
	SubjectContractSigned         = "tender.contract.signed"
)

// Subjects lists every subject the service publishes.
func Subjects() []string {
	return []string{SubjectTenderPublished, SubjectTenderAmended, SubjectTenderCancelled, SubjectTenderFailed,
		SubjectTenderTenderingStarted, SubjectTenderBiddingClosed, SubjectBidSubmitted, SubjectBidWithdrawn,
		SubjectBidSecurityRequested, SubjectBidsOpened, SubjectAwardProposed, SubjectAwardFinalised,
		SubjectObjectionFiled, SubjectObjectionAnswered, SubjectContractSigned}
}

// Event is the data of one event the service publishes; its type names its
// subject.
type Event interface{ Subject() string }

// Money is an amount of whole rupiah, as events carry it.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func idr(amount int64) Money { return Money{Amount: amount, Currency: "IDR"} }

// TenderPublished is the data of tender.tender.published (the HPS only
// when public).
type TenderPublished struct {
	TenderID         string     `json:"tender_id"`
	Number           string     `json:"number"`
	Title            string     `json:"title"`
	BuyerAgency      string     `json:"buyer_agency"`
	Category         string     `json:"category"`
	KBLI             string     `json:"kbli"`
	EvaluationMethod string     `json:"evaluation_method"`
	BidPeriodStart   time.Time  `json:"bid_period_start"`
	BidDeadline      time.Time  `json:"bid_deadline"`
	BidSecurity      Money      `json:"bid_security"`
	HPS              *Money     `json:"hps,omitempty"`
	PublishedAt      *time.Time `json:"published_at"`
}

// TenderAmended is the data of tender.tender.amended.
type TenderAmended struct {
	TenderID             string    `json:"tender_id"`
	Amendment            int       `json:"amendment"`
	BidDeadline          time.Time `json:"bid_deadline"`
	DeadlineExtended     bool      `json:"deadline_extended"`
	BidsNeedConfirmation bool      `json:"bids_need_confirmation"`
	AmendedAt            time.Time `json:"amended_at"`
}

// TenderCancelled is the data of tender.tender.cancelled.
type TenderCancelled struct {
	TenderID    string    `json:"tender_id"`
	Reason      string    `json:"reason"`
	CancelledAt time.Time `json:"cancelled_at"`
}

// TenderFailed is the data of tender.tender.failed.
type TenderFailed struct {
	TenderID string    `json:"tender_id"`
	Reason   string    `json:"reason"`
	FailedAt time.Time `json:"failed_at"`
}

// TenderingStarted is the data of tender.tender.tendering_started.
type TenderingStarted struct {
	TenderID    string    `json:"tender_id"`
	BidDeadline time.Time `json:"bid_deadline"`
	StartedAt   time.Time `json:"started_at"`
}

// BiddingClosed is the data of tender.tender.bidding_closed.
type BiddingClosed struct {
	TenderID string    `json:"tender_id"`
	Bids     int       `json:"bids"`
	ClosedAt time.Time `json:"closed_at"`
}

// BidSubmitted is the data of tender.bid.submitted (never the price).
type BidSubmitted struct {
	BidID        string    `json:"bid_id"`
	TenderID     string    `json:"tender_id"`
	Vendor       string    `json:"vendor"`
	Version      int       `json:"version"`
	SealedSHA256 string    `json:"sealed_sha256"`
	SubmittedAt  time.Time `json:"submitted_at"`
	Replaced     bool      `json:"replaced"`
}

// BidWithdrawn is the data of tender.bid.withdrawn.
type BidWithdrawn struct {
	BidID       string    `json:"bid_id"`
	TenderID    string    `json:"tender_id"`
	Vendor      string    `json:"vendor"`
	WithdrawnAt time.Time `json:"withdrawn_at"`
}

// BidSecurityRequested is the data of tender.bid_security.requested: the
// payment service makes an invoice of it, with the security's id as the
// reference it echoes in payment.invoice.paid.
type BidSecurityRequested struct {
	BidSecurityID string    `json:"bid_security_id"`
	TenderID      string    `json:"tender_id"`
	Vendor        string    `json:"vendor"`
	Amount        Money     `json:"amount"`
	Reference     string    `json:"reference"`
	RequestedAt   time.Time `json:"requested_at"`
	PayBefore     time.Time `json:"pay_before"`
}

// BidsOpened is the data of tender.bids.opened; Bids is left out beyond
// maxBidsInOpenedEvent (readers then fetch the opening record).
type BidsOpened struct {
	TenderID  string       `json:"tender_id"`
	OpenedAt  time.Time    `json:"opened_at"`
	ValidBids int          `json:"valid_bids"`
	BidsTotal int          `json:"bids_total"`
	Bids      []OpenedInfo `json:"bids,omitempty"`
}

// OpenedInfo is one bid in tender.bids.opened.
type OpenedInfo struct {
	BidID        string `json:"bid_id"`
	Vendor       string `json:"vendor"`
	Price        *Money `json:"price"`
	Disqualified string `json:"disqualified"`
}

// AwardProposed is the data of tender.award.proposed.
type AwardProposed struct {
	TenderID        string     `json:"tender_id"`
	BidID           string     `json:"bid_id"`
	Vendor          string     `json:"vendor"`
	Value           Money      `json:"value"`
	AnnouncedAt     time.Time  `json:"announced_at"`
	ObjectionEndsAt *time.Time `json:"objection_ends_at"`
}

// AwardFinalised is the data of tender.award.finalised: the winner, or no
// vendor when the tender ended without an award (payment then releases
// every bid security of the tender).
type AwardFinalised struct {
	TenderID    string    `json:"tender_id"`
	BidID       string    `json:"bid_id,omitempty"`
	Vendor      string    `json:"vendor"`
	Value       *Money    `json:"value,omitempty"`
	Outcome     string    `json:"outcome"`
	FinalisedAt time.Time `json:"finalised_at"`
}

// ObjectionFiled is the data of tender.objection.filed.
type ObjectionFiled struct {
	ObjectionID string    `json:"objection_id"`
	TenderID    string    `json:"tender_id"`
	Vendor      string    `json:"vendor"`
	FiledAt     time.Time `json:"filed_at"`
}

// ObjectionAnswered is the data of tender.objection.answered.
type ObjectionAnswered struct {
	ObjectionID string    `json:"objection_id"`
	TenderID    string    `json:"tender_id"`
	Outcome     string    `json:"outcome"`
	AnsweredAt  time.Time `json:"answered_at"`
}

// ContractSigned is the data of tender.contract.signed.
type ContractSigned struct {
	ContractID string    `json:"contract_id"`
	TenderID   string    `json:"tender_id"`
	Number     string    `json:"number"`
	Vendor     string    `json:"vendor"`
	Value      Money     `json:"value"`
	SignedAt   time.Time `json:"signed_at"`
}

func (TenderPublished) Subject() string      { return SubjectTenderPublished }
func (TenderAmended) Subject() string        { return SubjectTenderAmended }
func (TenderCancelled) Subject() string      { return SubjectTenderCancelled }
func (TenderFailed) Subject() string         { return SubjectTenderFailed }
func (TenderingStarted) Subject() string     { return SubjectTenderTenderingStarted }
func (BiddingClosed) Subject() string        { return SubjectTenderBiddingClosed }
func (BidSubmitted) Subject() string         { return SubjectBidSubmitted }
func (BidWithdrawn) Subject() string         { return SubjectBidWithdrawn }
func (BidSecurityRequested) Subject() string { return SubjectBidSecurityRequested }
func (BidsOpened) Subject() string           { return SubjectBidsOpened }
func (AwardProposed) Subject() string        { return SubjectAwardProposed }
func (AwardFinalised) Subject() string       { return SubjectAwardFinalised }
func (ObjectionFiled) Subject() string       { return SubjectObjectionFiled }
func (ObjectionAnswered) Subject() string    { return SubjectObjectionAnswered }
func (ContractSigned) Subject() string       { return SubjectContractSigned }
