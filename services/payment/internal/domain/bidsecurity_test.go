package domain

import (
	"testing"
)

func TestBidSecurityIsReleasedOrForfeitedExactlyOnceWhateverTheOrder(t *testing.T) {
	type step string
	const (
		pay     step = "pay"
		release step = "release"
		forfeit step = "forfeit"
	)
	cases := []struct {
		steps     []step
		wantState BidSecurityState
		wantMoves int // decisions applied (money moved)
	}{
		{[]step{pay, release}, SecurityReleased, 1},
		{[]step{pay, forfeit}, SecurityForfeited, 1},
		{[]step{pay, release, forfeit}, SecurityReleased, 1},
		{[]step{pay, forfeit, release}, SecurityForfeited, 1},
		{[]step{pay, release, release, release}, SecurityReleased, 1},
		{[]step{release, pay}, SecurityReleased, 1},
		{[]step{forfeit, pay}, SecurityForfeited, 1},
		{[]step{release, forfeit, pay, forfeit}, SecurityReleased, 1},
		{[]step{forfeit, release, release, pay, pay}, SecurityForfeited, 1},
		{[]step{release}, SecurityAwaitingPayment, 0},
		{[]step{pay, pay}, SecurityHeld, 0},
	}
	for _, tc := range cases {
		t.Run(fmtSteps(tc.steps), func(t *testing.T) {
			inv := newTestInvoice(t, PurposeBidSecurity, 5000)
			s, err := NewBidSecurity(inv, "T-1", "ORG-1", t0)
			if err != nil {
				t.Fatal(err)
			}
			moves := 0
			for _, st := range tc.steps {
				var d SecurityDecision
				switch st {
				case pay:
					d = s.Hold(t0)
				case release:
					d = s.Decide(DecisionRelease, "", t0)
				case forfeit:
					d = s.Decide(DecisionForfeit, "withdrew after opening", t0)
				}
				if d != DecisionNone {
					moves++
				}
			}
			if s.State != tc.wantState || moves != tc.wantMoves {
				t.Fatalf("state %s after %d moves; want %s after %d", s.State, moves, tc.wantState, tc.wantMoves)
			}
		})
	}
}

func fmtSteps[T ~string](steps []T) string {
	out := ""
	for i, s := range steps {
		if i > 0 {
			out += ","
		}
		out += string(s)
	}
	return out
}
