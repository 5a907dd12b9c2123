// Package events maps the events the payment service consumes to use cases
// (app), idempotently: each runs in the consumer's transaction, which also
// writes the inbox row (pkg/events), and the use cases themselves are
// idempotent on the requesting record, so a redelivered or duplicated
// event changes nothing.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/apperr"
	"gerbang/pkg/events"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
)

// The subjects the payment service consumes.
const (
	SubjectFeeRequested            = "licensing.fee.requested"
	SubjectBidSecurityRequested    = "tender.bid_security.requested"
	SubjectAwardFinalised          = "tender.award.finalised"
	SubjectBidSecurityForfeitAsked = "tender.bid_security.forfeit_requested"
	SubjectTenderCancelled         = "tender.tender.cancelled"
	SubjectTenderFailed            = "tender.tender.failed"
)

// TenderSubjects are the tender events the payment service consumes.
func TenderSubjects() []string {
	return []string{SubjectBidSecurityRequested, SubjectAwardFinalised, SubjectBidSecurityForfeitAsked,
		SubjectTenderCancelled, SubjectTenderFailed}
}

// Durable consumer names.
const (
	DurableLicensing = "payment-licensing"
	DurableTender    = "payment-tender"
)

// Handlers maps consumed events to the use cases. Tx binds the consumer's
// transaction to what the use cases write (postgres.Wrap).
type Handlers struct {
	Svc *app.Service
	Tx  func(*sqlx.Tx) app.Tx
}

// money is an amount as events carry it; mapped to domain.Money here.
type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func (m money) domain() domain.Money { return domain.Money{Amount: m.Amount, Currency: m.Currency} }

// feeRequested is what payment reads of licensing.fee.requested.
type feeRequested struct {
	ApplicationID string `json:"application_id"`
	PayerOrg      string `json:"payer_org"`
	Amount        money  `json:"amount"`
	Reference     string `json:"reference"`
	Description   string `json:"description"`
}

// securityRequested is what payment reads of tender.bid_security.requested.
type securityRequested struct {
	BidSecurityID string     `json:"bid_security_id"`
	TenderID      string     `json:"tender_id"`
	Vendor        string     `json:"vendor"`
	Amount        money      `json:"amount"`
	Reference     string     `json:"reference"`
	PayBefore     *time.Time `json:"pay_before"`
}

// awardFinalised is what payment reads of tender.award.finalised: the
// winner's securities stay held, the others are released.
type awardFinalised struct {
	TenderID string `json:"tender_id"`
	Vendor   string `json:"vendor"` // the winner; "" when the tender ended without one
}

// forfeitRequested is tender.bid_security.forfeit_requested.
type forfeitRequested struct {
	TenderID string `json:"tender_id"`
	Vendor   string `json:"vendor"`
	Reason   string `json:"reason"`
}

// permanentIfInvalid makes a validation error final (dead letter, no retry).
func permanentIfInvalid(ev events.Event, err error) error {
	if apperr.Is(err, apperr.Invalid) || apperr.Is(err, apperr.Conflict) {
		return events.Permanent(fmt.Errorf("%s %s: %w", ev.Type, ev.ID, err))
	}
	return err
}

// Licensing handles the LICENSING stream.
func (h Handlers) Licensing(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
	if ev.Type != SubjectFeeRequested {
		return nil
	}
	var d feeRequested
	if err := events.Decode(ev, &d); err != nil {
		return err
	}
	ref := d.Reference
	if ref == "" {
		ref = d.ApplicationID
	}
	_, _, err := h.Svc.CreateInvoiceIn(ctx, h.Tx(tx), app.CreateInvoice{Purpose: domain.PurposeLicenseFee,
		Reference: ref, Payer: d.PayerOrg, Amount: d.Amount.domain(), Description: d.Description})
	return permanentIfInvalid(ev, err)
}

// Tender handles the TENDER stream, in its order.
func (h Handlers) Tender(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
	t := h.Tx(tx)
	switch ev.Type {
	case SubjectBidSecurityRequested:
		var d securityRequested
		if err := events.Decode(ev, &d); err != nil {
			return err
		}
		ref := d.Reference
		if ref == "" {
			ref = d.BidSecurityID
		}
		_, _, err := h.Svc.CreateInvoiceIn(ctx, t, app.CreateInvoice{Purpose: domain.PurposeBidSecurity, Reference: ref,
			Payer: d.Vendor, TenderID: d.TenderID, Amount: d.Amount.domain(), PayBefore: d.PayBefore,
			Description: "Jaminan penawaran tender " + d.TenderID})
		return permanentIfInvalid(ev, err)
	case SubjectAwardFinalised:
		var d awardFinalised
		if err := events.Decode(ev, &d); err != nil {
			return err
		}
		if d.TenderID == "" {
			return events.Permanent(fmt.Errorf("%s %s names no tender", ev.Type, ev.ID))
		}
		return h.Svc.AwardFinalised(ctx, t, d.TenderID, d.Vendor)
	case SubjectTenderCancelled, SubjectTenderFailed:
		// No award will come: every security is released, as to losers.
		var d awardFinalised
		if err := events.Decode(ev, &d); err != nil {
			return err
		}
		if d.TenderID == "" {
			return events.Permanent(fmt.Errorf("%s %s names no tender", ev.Type, ev.ID))
		}
		return h.Svc.AwardFinalised(ctx, t, d.TenderID, "")
	case SubjectBidSecurityForfeitAsked:
		var d forfeitRequested
		if err := events.Decode(ev, &d); err != nil {
			return err
		}
		// An unknown security (app.ErrSecurityUnknown) is retried with
		// backoff: its request may still be on the way.
		return h.Svc.ForfeitBidSecurity(ctx, t, d.TenderID, d.Vendor, d.Reason)
	}
	return nil
}

// Run consumes both streams until ctx ends.
func Run(ctx context.Context, js jetstream.JetStream, db *sqlx.DB, log *slog.Logger, h Handlers) error {
	errc := make(chan error, 2)
	go func() {
		errc <- events.Consume(ctx, js, db, events.ConsumerConfig{Stream: "LICENSING", Durable: DurableLicensing,
			FilterSubjects: []string{SubjectFeeRequested}, DoubleAck: true, Log: log}, h.Licensing)
	}()
	go func() {
		errc <- events.Consume(ctx, js, db, events.ConsumerConfig{Stream: "TENDER", Durable: DurableTender,
			FilterSubjects: TenderSubjects(), DoubleAck: true, Log: log}, h.Tender)
	}()
	return errors.Join(<-errc, <-errc)
}
