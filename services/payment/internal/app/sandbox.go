package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/payment/internal/domain"
)

// SandboxPay is a payment made at the built-in sandbox gateway.
type SandboxPay struct {
	BillingCode domain.BillingCode
	Amount      int64 // 0: the invoice's amount; another to try a wrong amount
}

// SandboxPayment is what the sandbox sent.
type SandboxPayment struct {
	GatewayReference string
	Result           CallbackResult
}

// SandboxPay pays an invoice the way a bank would: it builds the callback
// body, signs it with the gateway secret, and hands it to ReceiveCallback,
// which checks it like any other. The caller must be able to see the
// invoice (its payer, or finance).
func (s *Service) SandboxPay(ctx context.Context, p auth.Principal, cmd SandboxPay) (SandboxPayment, error) {
	inv, err := s.store.GetInvoiceByCode(ctx, cmd.BillingCode)
	if err != nil {
		return SandboxPayment{}, err
	}
	if !canSee(p, inv) {
		return SandboxPayment{}, apperr.New(apperr.NotFound, "No invoice has this billing code.")
	}
	amount := inv.Amount()
	if cmd.Amount != 0 {
		amount.Amount = cmd.Amount
	}
	ref, err := uuid.NewV7()
	if err != nil {
		return SandboxPayment{}, err
	}
	now := s.clock.Now()
	body, err := json.Marshal(domain.CallbackPayload{GatewayReference: "SANDBOX-" + ref.String(),
		BillingCode: string(inv.BillingCode()), Amount: amount, PaidAt: now,
		Proof: fmt.Sprintf("NTPN%016X", ref[8:])})
	if err != nil {
		return SandboxPayment{}, err
	}
	ts, sig := domain.SignCallback(s.secret, now, body)
	res, err := s.ReceiveCallback(ctx, ts, sig, body)
	return SandboxPayment{GatewayReference: "SANDBOX-" + ref.String(), Result: res}, err
}
