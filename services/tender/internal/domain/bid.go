package domain

import (
	"fmt"
	"slices"
	"time"

	"gerbang/pkg/apperr"
)

// BidState is where a bid stands. A bid that does not exist yet is BidNone.
type BidState string

const (
	BidNone      BidState = ""
	BidSubmitted BidState = "submitted" // live: counted at the opening if submitted by the deadline
	BidWithdrawn BidState = "withdrawn"
)

// BidStates lists every state of a stored bid, and BidNone first.
func BidStates() []BidState { return []BidState{BidNone, BidSubmitted, BidWithdrawn} }

// BidActor is who acts on a bid: the vendor that owns it, or anyone else
// (to whom the bid does not exist).
type BidActor string

const (
	BidActorOwner BidActor = "owner"
	BidActorOther BidActor = "other"
)

// BidAction is a move of the bid machine.
type BidAction string

const (
	BidActionSubmit   BidAction = "submit"   // owner: none -> submitted
	BidActionReplace  BidAction = "replace"  // owner: submitted -> submitted, a new version (also the confirmation after an addendum)
	BidActionWithdraw BidAction = "withdraw" // owner: submitted -> withdrawn
)

// BidTransition is one row of the bid machine.
type BidTransition struct {
	Action BidAction
	From   []BidState
	To     BidState
	Actor  BidActor
}

// BidTransitions returns the bid machine. Every move also needs the
// tender's bid window (Tender.AcceptsBids); a new bid also needs a
// qualified vendor (MayBid).
func BidTransitions() []BidTransition {
	return []BidTransition{
		{BidActionSubmit, []BidState{BidNone}, BidSubmitted, BidActorOwner},
		{BidActionReplace, []BidState{BidSubmitted}, BidSubmitted, BidActorOwner},
		{BidActionWithdraw, []BidState{BidSubmitted}, BidWithdrawn, BidActorOwner},
	}
}

// BidMove returns the row of action: the states it starts from and the one
// it leads to (the bid statements take them as parameters).
func BidMove(action BidAction) BidTransition {
	for _, t := range BidTransitions() {
		if t.Action == action {
			return t
		}
	}
	panic("unknown bid action " + string(action))
}

// NoSuchBid is how a bid the caller may not act on is answered.
func NoSuchBid() error {
	return apperr.New(apperr.NotFound, "no such live bid of yours on this tender")
}

// LiveBidExists is the refusal of a second live bid of one vendor on one
// tender.
func LiveBidExists() *apperr.Error {
	return apperr.New(apperr.Conflict, "you already have a bid on this tender; replace or withdraw it")
}

// NextBid returns the state action by actor leads to from current. Anyone
// but the owner is answered NoSuchBid (another vendor's bid is not shown to
// exist), and so is a replacement or withdrawal of a bid that is not live;
// a bid that exists cannot be submitted again (a Conflict).
func NextBid(current BidState, action BidAction, by BidActor) (BidState, error) {
	for _, t := range BidTransitions() {
		if t.Action != action {
			continue
		}
		switch {
		case by != t.Actor:
			return "", NoSuchBid()
		case slices.Contains(t.From, current):
			return t.To, nil
		case action == BidActionSubmit:
			return "", LiveBidExists().With("current_state", string(current))
		default:
			return "", NoSuchBid()
		}
	}
	return "", apperr.New(apperr.Invalid, "unknown bid action %q", action)
}

// Bid is a vendor's sealed bid on a tender, as its vendor sees it: never a
// price (the price is inside the seal).
type Bid struct {
	ID                 string
	TenderID           string
	Vendor             string // the business (JWT org)
	State              BidState
	Version            int // 1 for a new bid, +1 per replacement
	SealedSHA256       []byte
	SubmittedAt        time.Time
	ConfirmedAmendment int // the tender's amendment the bid was (re)submitted against
	WithdrawnAt        *time.Time
}

// NewBid is a vendor's first bid on t at now: the tender must take bids
// (AcceptsBids); the vendor's qualification is MayBid's.
func NewBid(t *Tender, id, vendor string, sealedSHA256 []byte, now time.Time) (Bid, error) {
	if err := t.AcceptsBids(now); err != nil {
		return Bid{}, err
	}
	to, err := NextBid(BidNone, BidActionSubmit, BidActorOwner)
	if err != nil {
		return Bid{}, err
	}
	return Bid{ID: id, TenderID: t.ID, Vendor: vendor, State: to, Version: 1, SealedSHA256: sealedSHA256,
		SubmittedAt: now, ConfirmedAmendment: t.Amendment}, nil
}

// Replace replaces the sealed content of a live bid before the deadline;
// it is then confirmed against the tender's latest amendment.
func (b *Bid) Replace(t *Tender, by BidActor, sealedSHA256 []byte, now time.Time) error {
	to, err := NextBid(b.State, BidActionReplace, by)
	if err != nil {
		return err
	}
	if err := t.AcceptsBids(now); err != nil {
		return err
	}
	b.State, b.SealedSHA256, b.SubmittedAt, b.ConfirmedAmendment = to, sealedSHA256, now, t.Amendment
	b.Version++
	return nil
}

// Withdraw withdraws a live bid before the deadline.
func (b *Bid) Withdraw(t *Tender, by BidActor, now time.Time) error {
	to, err := NextBid(b.State, BidActionWithdraw, by)
	if err != nil {
		return err
	}
	if err := t.AcceptsBids(now); err != nil {
		return err
	}
	b.State, b.WithdrawnAt = to, &now
	return nil
}

// BiddingState is the one state in which a tender takes bids.
const BiddingState = StateTendering

// AcceptsBids is the bid window: whether a bid (new, replaced or
// withdrawn) may be taken at now by the server clock. The bid period's
// start and the deadline instant itself are inside it; one second after
// the deadline is not.
func (t *Tender) AcceptsBids(now time.Time) error {
	if t.State != BiddingState {
		return apperr.New(apperr.Conflict, "this tender does not take bids in state %s", t.State).
			With("current_state", string(t.State))
	}
	if now.Before(t.BidPeriodStart) {
		return apperr.New(apperr.Conflict, "the bid period starts at %s", t.BidPeriodStart.Format(time.RFC3339)).
			With("current_state", string(t.State))
	}
	if now.After(t.BidDeadline) {
		return apperr.New(apperr.Conflict, "the bid deadline %s has passed", t.BidDeadline.Format(time.RFC3339)).
			With("current_state", string(t.State)).With("bid_deadline", t.BidDeadline.Format(time.RFC3339))
	}
	return nil
}

// CountsAtOpening says whether a bid is opened: live, and submitted by the
// deadline by the server clock.
func (b Bid) CountsAtOpening(deadline time.Time) bool {
	return b.State == LiveBidState && !b.SubmittedAt.After(deadline)
}

// LiveBidState is the state of a bid that counts at the opening.
const LiveBidState = BidSubmitted

// LicenseStatus is the status of a vendor's license, as licensing events
// report it.
type LicenseStatus string

const (
	LicenseActive    LicenseStatus = "active"
	LicenseSuspended LicenseStatus = "suspended"
	LicenseRevoked   LicenseStatus = "revoked"
	LicenseExpired   LicenseStatus = "expired"
)

// QualifyingLicenseStatus is the one status of a license that lets its
// holder bid.
const QualifyingLicenseStatus = LicenseActive

// VendorLicense is a license of a business, as the qualification read
// model keeps it from licensing events.
type VendorLicense struct {
	LicenseID  string
	Number     string
	BusinessID string
	HolderName string // the business's name, as licensing gives it
	KBLI       string
	Status     LicenseStatus
	ValidUntil *time.Time // nil: no end
	EventTime  time.Time  // of the event that last set it
}

// Qualifies is the qualification rule for one license: the tender's KBLI,
// in force (active, not suspended, revoked or expired) and not past its
// valid_until at the time of the bid.
func (l VendorLicense) Qualifies(kbli string, at time.Time) bool {
	return l.KBLI == kbli && l.Status == QualifyingLicenseStatus && (l.ValidUntil == nil || l.ValidUntil.After(at))
}

// Qualified reports whether any of a vendor's licenses qualifies it to bid
// for kbli at the time of the bid.
func Qualified(licenses []VendorLicense, kbli string, at time.Time) bool {
	return slices.ContainsFunc(licenses, func(l VendorLicense) bool { return l.Qualifies(kbli, at) })
}

// MayBid is the whole rule for a bid (new or replacement) of a vendor
// holding licenses on t at now: the bid window first, then the vendor's
// qualification for the tender's KBLI.
func MayBid(t *Tender, licenses []VendorLicense, now time.Time) error {
	if err := t.AcceptsBids(now); err != nil {
		return err
	}
	if !Qualified(licenses, t.KBLI, now) {
		return MissingLicense(t.KBLI)
	}
	return nil
}

// MissingLicense is the refusal of a bid from a vendor without an active
// license for the tender's KBLI; the problem names the missing license.
func MissingLicense(kbli string) error {
	return apperr.New(apperr.Forbidden,
		"your business holds no active license for KBLI %s, which this tender requires", kbli).
		With("missing_license", map[string]any{"kbli": kbli})
}

// SecurityState is where a vendor's bid security on a tender stands.
type SecurityState string

const (
	SecurityRequested SecurityState = "requested" // asked of payment, not paid yet
	SecurityHeld      SecurityState = "held"      // paid: the bid may be opened
	SecurityReleased  SecurityState = "released"
	SecurityForfeited SecurityState = "forfeited"
)

// BidSecurity is a vendor's bid security on a tender: asked of payment at
// the vendor's first bid (payment's invoice refers to its ID), held once
// paid, released or forfeited after the award.
type BidSecurity struct {
	ID, TenderID, Vendor string
	Amount               int64 // whole rupiah
	State                SecurityState
	RequestedAt          time.Time
	HeldAt               *time.Time
}

// NoSuchSecurity answers a vendor of whom no bid security was asked.
func NoSuchSecurity() error {
	return apperr.New(apperr.NotFound, "no bid security of yours on this tender: one is asked with your first bid, if the tender requires it")
}

// Reasons a bid is out at the opening.
const (
	ReasonUndecryptable  = "the sealed bid could not be decrypted"
	ReasonSecurityUnpaid = "bid security not paid by the opening"
)

// OpeningDisqualification says why an opened (decrypted) bid is out, or "" when it
// is valid: a bid security the tender asks for must be held, and a bid must
// be confirmed against the tender's latest amendment.
func (t *Tender) OpeningDisqualification(securityHeld bool, confirmedAmendment int) string {
	switch {
	case t.BidSecurityAmount > 0 && !securityHeld:
		return ReasonSecurityUnpaid
	case confirmedAmendment < t.Amendment:
		return fmt.Sprintf("not confirmed after addendum %d", t.Amendment)
	}
	return ""
}
