package domain

import (
	"fmt"
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

// TestEveryBidTransitionIsAllowedOrRefused walks every bid action from
// every state by every actor: the rows of the machine lead where they say;
// anyone but the owner, and a replacement or withdrawal of a bid that is
// not live, get NotFound; a second submission of a bid is a Conflict.
func TestEveryBidTransitionIsAllowedOrRefused(t *testing.T) {
	allowed := map[BidAction]map[BidState]BidState{
		BidActionSubmit:   {BidNone: BidSubmitted},
		BidActionReplace:  {BidSubmitted: BidSubmitted},
		BidActionWithdraw: {BidSubmitted: BidWithdrawn},
	}
	if len(allowed) != len(BidTransitions()) {
		t.Fatalf("the test knows %d actions, the machine has %d", len(allowed), len(BidTransitions()))
	}
	for action, edges := range allowed {
		for _, from := range BidStates() {
			for _, by := range []BidActor{BidActorOwner, BidActorOther} {
				t.Run(fmt.Sprintf("%s from %q by %s", action, from, by), func(t *testing.T) {
					to, err := NextBid(from, action, by)
					want, ok := edges[from]
					switch {
					case by != BidActorOwner:
						if !apperr.Is(err, apperr.NotFound) {
							t.Fatalf("got %q, %v; want NotFound", to, err)
						}
					case ok:
						if err != nil || to != want {
							t.Fatalf("got %q, %v; want %q", to, err, want)
						}
					case action == BidActionSubmit:
						if !apperr.Is(err, apperr.Conflict) {
							t.Fatalf("got %q, %v; want Conflict", to, err)
						}
					default:
						if !apperr.Is(err, apperr.NotFound) {
							t.Fatalf("got %q, %v; want NotFound", to, err)
						}
					}
				})
			}
		}
	}
	if _, err := NextBid(BidSubmitted, "amend", BidActorOwner); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("unknown action: %v", err)
	}
}

func tenderingTender(t *testing.T) *Tender {
	t.Helper()
	tn := publishedTender(t)
	if err := tn.StartTendering(tn.BidPeriodStart); err != nil {
		t.Fatal(err)
	}
	return tn
}

// TestBidWindowOpensAtTheBidPeriodAndClosesAfterTheDeadlineInstant is the
// bid window, for every move of a bid: the period's start and the deadline
// instant are inside; a second before the start and a second after the
// deadline are not; no other state of the tender takes bids.
func TestBidWindowOpensAtTheBidPeriodAndClosesAfterTheDeadlineInstant(t *testing.T) {
	tn := tenderingTender(t)
	cases := []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"a second before the bid period", tn.BidPeriodStart.Add(-time.Second), false},
		{"at the bid period's start", tn.BidPeriodStart, true},
		{"a second before the deadline", tn.BidDeadline.Add(-time.Second), true},
		{"at the deadline instant", tn.BidDeadline, true},
		{"a nanosecond late", tn.BidDeadline.Add(time.Nanosecond), false},
		{"a second late", tn.BidDeadline.Add(time.Second), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				if c.ok && err != nil {
					t.Fatalf("%s refused: %v", what, err)
				}
				if !c.ok && !apperr.Is(err, apperr.Conflict) {
					t.Fatalf("%s: %v, want Conflict", what, err)
				}
			}
			b, err := NewBid(tn, "b1", "v1", []byte{1}, c.at)
			check("new bid", err)
			live := Bid{ID: "b0", TenderID: tn.ID, Vendor: "v1", State: BidSubmitted, Version: 1, SubmittedAt: tn.BidPeriodStart}
			check("replacement", live.Replace(tn, BidActorOwner, []byte{2}, c.at))
			again := Bid{ID: "b0", TenderID: tn.ID, Vendor: "v1", State: BidSubmitted, Version: 1, SubmittedAt: tn.BidPeriodStart}
			check("withdrawal", again.Withdraw(tn, BidActorOwner, c.at))
			if c.ok && (b.State != BidSubmitted || b.Version != 1 || live.Version != 2 || again.State != BidWithdrawn) {
				t.Fatalf("new %+v, replaced %+v, withdrawn %+v", b, live, again)
			}
		})
	}
	for _, s := range AllStates() {
		if s == StateTendering {
			continue
		}
		other := *tn
		other.State = s
		if err := other.AcceptsBids(tn.BidPeriodStart.Add(time.Hour)); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("a tender in %s took a bid: %v", s, err)
		}
	}
}

func TestReplacedBidIsConfirmedAgainstTheLatestAmendment(t *testing.T) {
	tn := tenderingTender(t)
	b, err := NewBid(tn, "b1", "v1", []byte{1}, tn.BidPeriodStart)
	if err != nil || b.ConfirmedAmendment != 0 {
		t.Fatalf("%+v %v", b, err)
	}
	tn.Amendment = 2
	if err := b.Replace(tn, BidActorOwner, []byte{2}, tn.BidPeriodStart.Add(time.Hour)); err != nil || b.ConfirmedAmendment != 2 {
		t.Fatalf("%+v %v", b, err)
	}
}

// TestVendorQualification is the qualification rule: a license for the
// tender's KBLI, active, and not past valid_until at the time of the bid.
func TestVendorQualification(t *testing.T) {
	at := t0.Add(48 * time.Hour)
	before, same, after := at.Add(-time.Second), at, at.Add(time.Second)
	lic := func(kbli string, status LicenseStatus, until *time.Time) VendorLicense {
		return VendorLicense{LicenseID: "l", BusinessID: "v1", KBLI: kbli, Status: status, ValidUntil: until}
	}
	cases := []struct {
		name     string
		licenses []VendorLicense
		want     bool
	}{
		{"no license", nil, false},
		{"active without end", []VendorLicense{lic("46512", LicenseActive, nil)}, true},
		{"active, valid a second more", []VendorLicense{lic("46512", LicenseActive, &after)}, true},
		{"active, valid_until is the bid's time", []VendorLicense{lic("46512", LicenseActive, &same)}, false},
		{"active, expired a second ago by valid_until", []VendorLicense{lic("46512", LicenseActive, &before)}, false},
		{"only license suspended", []VendorLicense{lic("46512", LicenseSuspended, nil)}, false},
		{"revoked", []VendorLicense{lic("46512", LicenseRevoked, nil)}, false},
		{"expired by event", []VendorLicense{lic("46512", LicenseExpired, nil)}, false},
		{"active for another KBLI", []VendorLicense{lic("46511", LicenseActive, nil)}, false},
		{"suspended and another active one", []VendorLicense{lic("46512", LicenseSuspended, nil), lic("46512", LicenseActive, nil)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Qualified(c.licenses, "46512", at); got != c.want {
				t.Fatalf("Qualified = %v, want %v", got, c.want)
			}
		})
	}
}

// TestMayBidChecksTheWindowThenTheLicense: a late bid is a Conflict even
// from a qualified vendor; an unqualified vendor on time is Forbidden,
// naming the missing license.
func TestMayBidChecksTheWindowThenTheLicense(t *testing.T) {
	tn := tenderingTender(t)
	active := []VendorLicense{{KBLI: tn.KBLI, Status: LicenseActive}}
	suspended := []VendorLicense{{KBLI: tn.KBLI, Status: LicenseSuspended}}
	if err := MayBid(tn, active, tn.BidDeadline); err != nil {
		t.Fatal(err)
	}
	if err := MayBid(tn, active, tn.BidDeadline.Add(time.Second)); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("late: %v", err)
	}
	err := MayBid(tn, suspended, tn.BidDeadline)
	var e *apperr.Error
	if !apperrAs(err, &e) || e.Code != apperr.Forbidden || e.Extra["missing_license"] == nil {
		t.Fatalf("suspended: %v", err)
	}
	if err := MayBid(tn, suspended, tn.BidDeadline.Add(time.Second)); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("late and suspended: %v", err)
	}
}

func TestOnlyLiveBidsSubmittedByTheDeadlineAreOpened(t *testing.T) {
	deadline := t0
	for _, c := range []struct {
		state BidState
		at    time.Time
		want  bool
	}{
		{BidSubmitted, deadline, true},
		{BidSubmitted, deadline.Add(-time.Hour), true},
		{BidSubmitted, deadline.Add(time.Microsecond), false},
		{BidWithdrawn, deadline.Add(-time.Hour), false},
	} {
		if got := (Bid{State: c.state, SubmittedAt: c.at}).CountsAtOpening(deadline); got != c.want {
			t.Errorf("%s at %s: %v, want %v", c.state, c.at, got, c.want)
		}
	}
}

// TestADraftIsSeenOnlyByItsCommittee: to anyone else a draft does not
// exist; every published state is seen by everyone.
func TestADraftIsSeenOnlyByItsCommittee(t *testing.T) {
	for _, s := range AllStates() {
		for _, by := range AllActors() {
			err := (&Tender{State: s}).VisibleTo(by)
			if s == StateDraft && by != ActorCommittee {
				if !apperr.Is(err, apperr.NotFound) {
					t.Errorf("draft seen by %s: %v", by, err)
				}
			} else if err != nil {
				t.Errorf("%s hidden from %s: %v", s, by, err)
			}
		}
	}
}

func TestTheHPSIsShownToTheCommitteeAndOnlyWhenPublicToOthers(t *testing.T) {
	for _, public := range []bool{false, true} {
		for _, by := range AllActors() {
			want := public || by == ActorCommittee
			if got := (Terms{HPS: 1, HPSPublic: public}).HPSShownTo(by); got != want {
				t.Errorf("public %v, %s: %v, want %v", public, by, got, want)
			}
		}
	}
}

// TestTheOpeningStartsOnlyAfterTheDeadline is the opening's own deadline
// check, beside the state: a tender in opening whose deadline has not
// passed by the clock (the instant itself included) is not opened.
func TestTheOpeningStartsOnlyAfterTheDeadline(t *testing.T) {
	tn := tenderingTender(t)
	tn.State = StateOpening
	for _, c := range []struct {
		at time.Time
		ok bool
	}{
		{tn.BidDeadline.Add(-time.Second), false},
		{tn.BidDeadline, false},
		{tn.BidDeadline.Add(time.Second), true},
	} {
		o := *tn
		err := o.StartOpening(ActorCommittee, c.at)
		if c.ok && (err != nil || o.OpeningStartedAt == nil) {
			t.Errorf("at %s: %v", c.at, err)
		}
		if !c.ok && (!apperr.Is(err, apperr.Conflict) || o.OpeningStartedAt != nil) {
			t.Errorf("opened at %s: %v", c.at, err)
		}
	}
}
