package domain

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

// The machines of DESIGN.md, written out independently of the tables: for
// every action, each state it starts from, where it leads and the actor
// allowed to take it.
type move[S ~string] struct {
	to S
	by Actor
}

var wantInvoiceMoves = map[InvoiceAction]map[InvoiceState]move[InvoiceState]{
	ActPay: {InvoicePending: {InvoicePaid, ActorGateway}},
	ActHoldForReview: {
		InvoicePending: {InvoiceManualReview, ActorGateway}, InvoiceExpired: {InvoiceManualReview, ActorGateway},
		InvoiceCancelled: {InvoiceManualReview, ActorGateway},
	},
	ActReconcile:       {InvoicePaid: {InvoiceReconciled, ActorFinance}},
	ActExpire:          {InvoicePending: {InvoiceExpired, ActorSystem}},
	ActCancel:          {InvoicePending: {InvoiceCancelled, ActorFinance}},
	ActRequestRefund:   {InvoicePaid: {InvoiceRefundPending, ActorFinance}, InvoiceReconciled: {InvoiceRefundPending, ActorFinance}},
	ActReleaseSecurity: {InvoicePaid: {InvoiceRefundPending, ActorSystem}, InvoiceReconciled: {InvoiceRefundPending, ActorSystem}},
	ActCompleteRefund:  {InvoiceRefundPending: {InvoiceRefunded, ActorSystem}},
	ActAcceptReviewed:  {InvoiceManualReview: {InvoicePaid, ActorFinance}},
	ActRefundReviewed:  {InvoiceManualReview: {InvoiceRefundPending, ActorFinance}},
}

var wantRefundMoves = map[RefundAction]map[RefundState]move[RefundState]{
	RefundApprove:       {RefundRequested: {RefundApproved, ActorFinance}},
	RefundReject:        {RefundRequested: {RefundRejected, ActorFinance}},
	RefundApproveByRule: {RefundRequested: {RefundApproved, ActorSystem}},
	RefundComplete:      {RefundApproved: {RefundCompleted, ActorSystem}},
}

var wantSecurityMoves = map[SecurityAction]map[BidSecurityState]move[BidSecurityState]{
	SecurityHold:    {SecurityAwaitingPayment: {SecurityHeld, ActorGateway}},
	SecurityRelease: {SecurityHeld: {SecurityReleased, ActorSystem}},
	SecurityForfeit: {SecurityHeld: {SecurityForfeited, ActorSystem}},
}

// checkEveryMove walks every (action, state, actor) of a machine: allowed
// moves pass for their actor only and lead where the design says; an
// action that does not start from the state is a Conflict naming the
// current state; a move of another actor is Forbidden naming it too.
func checkEveryMove[S ~string, A ~string](t *testing.T, machine []Transition[S, A], want map[A]map[S]move[S],
	states []S, actions []A, next func(S, A, Actor) (S, error)) {
	t.Helper()
	for _, action := range actions {
		for _, from := range states {
			for _, by := range AllActors() {
				t.Run(fmt.Sprintf("%s from %s by %s", action, from, by), func(t *testing.T) {
					to, err := next(from, action, by)
					w, exists := want[action][from]
					var ae *apperr.Error
					switch {
					case exists && w.by == by:
						if err != nil || to != w.to {
							t.Fatalf("got %q, %v; want %q", to, err, w.to)
						}
					case !errors.As(err, &ae) || ae.Extra["current_state"] != string(from):
						t.Fatalf("got %q, %v; want a refusal naming %s", to, err, from)
					case exists && ae.Code != apperr.Forbidden:
						t.Fatalf("got %v, want forbidden", err)
					case !exists && ae.Code != apperr.Conflict:
						t.Fatalf("got %v, want conflict", err)
					}
				})
			}
		}
	}
	seen := map[A]bool{}
	for _, tr := range machine {
		seen[tr.Action] = true
	}
	if len(seen) != len(want) || len(actions) != len(want) {
		t.Fatalf("machine has %d actions, %d listed, the design %d", len(seen), len(actions), len(want))
	}
	if _, err := next(states[0], "launch", ActorFinance); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("unknown action: %v", err)
	}
}

func TestEveryInvoiceTransitionIsAllowedOnlyToItsActor(t *testing.T) {
	checkEveryMove(t, InvoiceTransitions(), wantInvoiceMoves, InvoiceStates(), InvoiceActions(), NextInvoiceState)
}

func TestEveryRefundTransitionIsAllowedOnlyToItsActor(t *testing.T) {
	checkEveryMove(t, RefundTransitions(), wantRefundMoves, RefundStates(), RefundActions(), NextRefundState)
}

func TestEveryBidSecurityTransitionIsAllowedOnlyToItsActor(t *testing.T) {
	checkEveryMove(t, SecurityTransitions(), wantSecurityMoves, BidSecurityStates(), SecurityActions(), NextSecurityState)
}

// TestApplyMovesTheInvoiceOrLeavesItAsItWas: an allowed move changes the
// state and the version once; a refused one changes nothing.
func TestApplyMovesTheInvoiceOrLeavesItAsItWas(t *testing.T) {
	for _, action := range InvoiceActions() {
		for _, from := range InvoiceStates() {
			for _, by := range AllActors() {
				inv := UnmarshalInvoiceFromDatabase(InvoiceRecord{State: from, Version: 3})
				err := inv.Apply(action, by, t0)
				w, ok := wantInvoiceMoves[action][from]
				if ok && w.by == by {
					if err != nil || inv.State() != w.to || inv.Version() != 4 {
						t.Errorf("%s from %s by %s: got %s v%d, %v; want %s v4", action, from, by, inv.State(), inv.Version(), err, w.to)
					}
				} else if err == nil || inv.State() != from || inv.Version() != 3 {
					t.Errorf("%s from %s by %s: refused move left %s v%d, %v", action, from, by, inv.State(), inv.Version(), err)
				}
			}
		}
	}
}

// TestTerminalStatesHaveNoWayOut: refunded, rejected, completed, released
// and forfeited end their machines; every other state has a move.
func TestTerminalStatesHaveNoWayOut(t *testing.T) {
	for _, s := range InvoiceStates() {
		if s.Terminal() != (s == InvoiceRefunded) {
			t.Errorf("invoice state %s: terminal %v", s, s.Terminal())
		}
	}
	for _, s := range RefundStates() {
		if terminal(RefundTransitions(), s) != (s == RefundRejected || s == RefundCompleted) {
			t.Errorf("refund state %s: terminal %v", s, terminal(RefundTransitions(), s))
		}
	}
	for _, s := range BidSecurityStates() {
		sec := BidSecurity{State: s}
		if sec.Settled() != (s == SecurityReleased || s == SecurityForfeited) {
			t.Errorf("bid security state %s: settled %v", s, sec.Settled())
		}
	}
}

// The states the database selects by are read from the machines.
func TestTheStatesPassedToTheDatabaseAreTheMachines(t *testing.T) {
	if got := ExpirableStates(); len(got) != 1 || got[0] != InvoicePending {
		t.Errorf("expirable states %v, want [pending]", got)
	}
	if got := PayableRefundStates(); len(got) != 1 || got[0] != RefundApproved {
		t.Errorf("payable refund states %v, want [approved]", got)
	}
}

// TestRefundSourceByPurposeAndState: a fee is refunded from revenue when
// paid or reconciled, from suspense when its payment is under review; a bid
// security only from suspense; every other state is a Conflict naming it.
func TestRefundSourceByPurposeAndState(t *testing.T) {
	for _, purpose := range []Purpose{PurposeLicenseFee, PurposeBidSecurity, PurposeOther} {
		for _, st := range InvoiceStates() {
			t.Run(string(purpose)+"/"+string(st), func(t *testing.T) {
				r := newTestInvoice(t, purpose, 100).Record()
				r.State = st
				inv := UnmarshalInvoiceFromDatabase(r)
				from, suspended, err := inv.RefundSource()
				var want Account
				switch {
				case st == InvoiceManualReview:
					want = AccountSuspense
				case purpose != PurposeBidSecurity && (st == InvoicePaid || st == InvoiceReconciled):
					want = AccountPNBPRevenue
				}
				if want == "" {
					var ae *apperr.Error
					if !errors.As(err, &ae) || ae.Code != apperr.Conflict || ae.Extra["current_state"] != string(st) {
						t.Fatalf("got %s, %v; want a conflict naming %s", from, err, st)
					}
					return
				}
				if err != nil || from != want || suspended != (want == AccountSuspense) {
					t.Fatalf("got %s (suspended %v), %v; want %s", from, suspended, err, want)
				}
				wantAction := ActRequestRefund
				if st == InvoiceManualReview {
					wantAction = ActRefundReviewed
				}
				if inv.RefundApproval() != wantAction {
					t.Fatalf("approval moves by %s, want %s", inv.RefundApproval(), wantAction)
				}
			})
		}
	}
}

// TestAcceptingAReviewedPaymentNeedsTheReviewAndTheAmount, and the account
// it pays.
func TestAcceptingAReviewedPaymentNeedsTheReviewAndTheAmount(t *testing.T) {
	for _, st := range InvoiceStates() {
		for _, suspended := range []int64{99, 100, 101} {
			r := newTestInvoice(t, PurposeLicenseFee, 100).Record()
			r.State = st
			err := UnmarshalInvoiceFromDatabase(r).CheckAcceptReview(suspended)
			ok := st == InvoiceManualReview && suspended == 100
			var ae *apperr.Error
			if ok != (err == nil) || (!ok && (!errors.As(err, &ae) || ae.Code != apperr.Conflict || ae.Extra["current_state"] != string(st))) {
				t.Errorf("%s, %d under review: %v", st, suspended, err)
			}
		}
	}
	cases := []struct {
		purpose Purpose
		booked  bool
		want    Account
	}{
		{PurposeLicenseFee, true, AccountReceivable("ORG-1")},
		{PurposeBidSecurity, true, AccountReceivable("ORG-1")},
		{PurposeLicenseFee, false, AccountPNBPRevenue},
		{PurposeOther, false, AccountPNBPRevenue},
		{PurposeBidSecurity, false, AccountEscrow("ORG-1")},
	}
	for _, tc := range cases {
		if got := newTestInvoice(t, tc.purpose, 100).AcceptedPaymentCredit(tc.booked); got != tc.want {
			t.Errorf("%s, issue booked %v: credit %s, want %s", tc.purpose, tc.booked, got, tc.want)
		}
	}
}

// TestAStatementLineReconcilesOnlyAPaidInvoiceByItsPayment.
func TestAStatementLineReconcilesOnlyAPaidInvoiceByItsPayment(t *testing.T) {
	for _, st := range InvoiceStates() {
		for _, outcome := range []PaymentOutcome{OutcomePaid, OutcomeManualReview} {
			r := newTestInvoice(t, PurposeLicenseFee, 100).Record()
			r.State = st
			want := st == InvoicePaid && outcome == OutcomePaid
			if got := UnmarshalInvoiceFromDatabase(r).ReconcilesBy(outcome); got != want {
				t.Errorf("%s by a payment %s: reconciles %v, want %v", st, outcome, got, want)
			}
		}
	}
}

// TestEveryInvoiceStateTakesAPaymentOneWay: for every invoice state, a
// payment of the right amount in time, a late one and one of the wrong
// amount each end one way (paid, held for review, or kept with the invoice
// unchanged), never dropped.
func TestEveryInvoiceStateTakesAPaymentOneWay(t *testing.T) {
	type payment struct {
		name   string
		amount int64
		paidAt time.Time
	}
	payments := []payment{{"right in time", 100, t0.Add(time.Hour)}, {"late", 100, t0.Add(25 * time.Hour)}, {"wrong amount", 99, t0.Add(time.Hour)}}
	for _, st := range InvoiceStates() {
		for _, p := range payments {
			t.Run(string(st)+"/"+p.name, func(t *testing.T) {
				r := newTestInvoice(t, PurposeLicenseFee, 100).Record()
				r.State = st
				inv := UnmarshalInvoiceFromDatabase(r)
				outcome, reason, err := inv.ReceivePayment(IDR(p.amount), p.paidAt, p.paidAt)
				wantOutcome, wantReason, wantState := OutcomeManualReview, ReviewAlreadyPaid, st
				switch {
				case st == InvoicePending && p.name == "right in time":
					wantOutcome, wantReason, wantState = OutcomePaid, ReviewNone, InvoicePaid
				case st == InvoicePending && p.name == "wrong amount":
					wantReason, wantState = ReviewWrongAmount, InvoiceManualReview
				case st == InvoicePending || st == InvoiceExpired || st == InvoiceCancelled:
					wantReason, wantState = ReviewLate, InvoiceManualReview
				}
				if err != nil || outcome != wantOutcome || reason != wantReason || inv.State() != wantState {
					t.Fatalf("got %s %s %s %v; want %s %s %s", outcome, reason, inv.State(), err, wantOutcome, wantReason, wantState)
				}
			})
		}
	}
}
