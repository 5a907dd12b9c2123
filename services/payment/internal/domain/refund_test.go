package domain

import (
	"testing"

	"gerbang/pkg/apperr"
)

func TestRefundNeedsASecondOfficerAndMovesOnlyForward(t *testing.T) {
	inv := newTestInvoice(t, PurposeLicenseFee, 100)
	fresh := func() *Refund {
		r, err := NewRefund(inv, inv.Amount(), AccountPNBPRevenue, "fin-1", "paid twice", t0)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	type step struct {
		name string
		do   func(r *Refund) error
	}
	approve := func(by string) step {
		return step{"approve by " + by, func(r *Refund) error { return r.Approve(by, t0) }}
	}
	reject := func(by string) step {
		return step{"reject by " + by, func(r *Refund) error { return r.Reject(by, "no", t0) }}
	}
	complete := step{"complete", func(r *Refund) error { return r.Complete(t0) }}
	byRule := step{"approve by rule", func(r *Refund) error { return r.ApproveByRule(t0) }}
	cases := []struct {
		steps []step
		want  RefundState
		code  apperr.Code // of the last step; "" when it succeeds
	}{
		{[]step{approve("fin-2")}, RefundApproved, ""},
		{[]step{approve("fin-1")}, RefundRequested, apperr.Forbidden},
		{[]step{reject("fin-1")}, RefundRequested, apperr.Forbidden},
		{[]step{reject("fin-2")}, RefundRejected, ""},
		{[]step{approve("fin-2"), complete}, RefundCompleted, ""},
		{[]step{complete}, RefundRequested, apperr.Conflict},
		{[]step{reject("fin-2"), approve("fin-3")}, RefundRejected, apperr.Conflict},
		{[]step{approve("fin-2"), reject("fin-3")}, RefundApproved, apperr.Conflict},
		{[]step{approve("fin-2"), approve("fin-3")}, RefundApproved, apperr.Conflict},
		{[]step{approve("fin-2"), complete, complete}, RefundCompleted, apperr.Conflict},
		{[]step{reject("fin-2"), complete}, RefundRejected, apperr.Conflict},
		{[]step{byRule}, RefundApproved, ""},
		{[]step{byRule, complete}, RefundCompleted, ""},
		{[]step{byRule, byRule}, RefundApproved, apperr.Conflict},
		{[]step{reject("fin-2"), byRule}, RefundRejected, apperr.Conflict},
	}
	for _, tc := range cases {
		name := ""
		for _, s := range tc.steps {
			name += s.name + ";"
		}
		t.Run(name, func(t *testing.T) {
			r := fresh()
			var err error
			for _, s := range tc.steps {
				err = s.do(r)
			}
			if r.State != tc.want || apperr.CodeOf(err) != tc.code {
				t.Fatalf("state %s, last error %v; want %s, %q", r.State, err, tc.want, tc.code)
			}
		})
	}
	if _, err := NewRefund(inv, inv.Amount(), AccountPNBPRevenue, "fin-1", " ", t0); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("refund without reason: %v", err)
	}
}
