package app

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/events"
	"gerbang/services/licensing/internal/domain"
)

// InvoicePaid is what licensing reads of payment.invoice.paid: the purpose
// and reference it gave in licensing.fee.requested, and the amount paid.
type InvoicePaid struct {
	InvoiceID   string `json:"invoice_id"`
	Purpose     string `json:"purpose"`
	Reference   string `json:"reference"`
	BillingCode string `json:"billing_code"`
	Amount      *Money `json:"amount"`
}

// IssueOnPayment issues the license of the application an invoice was
// paid for, inside the consumer's transaction (its inbox row commits with
// the license). An invoice of another purpose is not licensing's and is
// skipped; a paid invoice for an application already issued changes
// nothing, so redelivered or duplicated events issue exactly once.
func (s *Service) IssueOnPayment(ctx context.Context, consumerTx *sqlx.Tx, ev events.Event) error {
	tx := s.store.Join(consumerTx)
	var paid InvoicePaid
	if err := events.Decode(ev, &paid); err != nil {
		return err
	}
	if paid.Purpose != FeePurpose {
		return nil
	}
	if uuid.Validate(paid.Reference) != nil {
		return events.Permanent(fmt.Errorf("payment.invoice.paid %s: reference %q is not an application id", ev.ID, paid.Reference))
	}
	rec, err := tx.LockApplication(ctx, paid.Reference, "")
	if apperr.Is(err, apperr.NotFound) {
		return events.Permanent(fmt.Errorf("payment.invoice.paid %s: application %s not found", ev.ID, paid.Reference))
	}
	if err != nil {
		return err
	}
	if rec.State != domain.StateAwaitingPayment {
		s.log.InfoContext(ctx, "invoice paid for an application not awaiting payment; nothing to do",
			"application_id", rec.ID, "state", rec.State, "invoice_id", paid.InvoiceID, "event_id", ev.ID)
		return nil
	}
	if paid.Amount != nil && rec.Terms != nil && (paid.Amount.Amount != rec.Terms.Fee || paid.Amount.Currency != "IDR") {
		return events.Permanent(fmt.Errorf("payment.invoice.paid %s: paid %d %s for application %s whose fee is IDR %d",
			ev.ID, paid.Amount.Amount, paid.Amount.Currency, rec.ID, rec.Terms.Fee))
	}
	before := rec.Application
	steps, err := rec.IssueOnPayment(s.clock.Now())
	if err != nil {
		return err
	}
	rec.PaymentInvoiceID = paid.InvoiceID
	return s.record(ctx, tx, before, &rec, steps, who{subject: "system:payment", reason: "invoice " + paid.InvoiceID + " paid"})
}
