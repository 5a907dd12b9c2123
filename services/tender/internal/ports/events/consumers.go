// Package events maps the events the tender service consumes to its read
// models and records, idempotently (the inbox of pkg/events).
package events

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/events"
	"gerbang/services/tender/internal/adapters/postgres"
)

// Durable consumer names.
const (
	LicensingConsumer = "tender-licensing-license-events"
	PaymentConsumer   = "tender-payment-events"
)

// PaymentSubjects are the payment events the tender service consumes.
func PaymentSubjects() []string {
	return []string{"payment.invoice.paid", "payment.bid_security.released", "payment.bid_security.forfeited"}
}

// LicenseEvent is the data of licensing.license.* events, as far as the
// tender service reads it.
type LicenseEvent struct {
	LicenseID  string     `json:"license_id"`
	Number     string     `json:"number"`
	BusinessID string     `json:"business_id"`
	KBLI       string     `json:"kbli"`
	Status     string     `json:"status"`
	ValidUntil *time.Time `json:"valid_until"`
}

// statusOf maps the event type to the license's status when the data does
// not say it.
func statusOf(typ string) string {
	switch typ[strings.LastIndex(typ, ".")+1:] {
	case "issued", "renewed", "reinstated":
		return "active"
	case "suspended":
		return "suspended"
	case "revoked":
		return "revoked"
	case "expired":
		return "expired"
	}
	return ""
}

// ApplyLicenseEvent keeps the qualification read model: who holds an active
// license for which KBLI. A suspension or revocation takes effect for new
// bids as soon as it is applied.
func ApplyLicenseEvent(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
	var d LicenseEvent
	if err := events.Decode(ev, &d); err != nil {
		return err
	}
	status := d.Status
	if status == "" {
		status = statusOf(ev.Type)
	}
	if d.LicenseID == "" || d.BusinessID == "" || d.KBLI == "" || status == "" {
		return events.Permanent(errMissing("license_id, business_id, kbli and a known status", ev))
	}
	return postgres.ApplyLicense(ctx, tx, postgres.LicenseFact{
		LicenseID: d.LicenseID, Number: d.Number, BusinessID: d.BusinessID, KBLI: d.KBLI, Status: status,
		ValidUntil: d.ValidUntil, EventTime: ev.Time,
	}, ev.ID)
}

// InvoicePaid is the data of payment.invoice.paid the tender service reads:
// a bid security's invoice carries purpose "bid_security" and, as
// reference, the bid_security_id of tender.bid_security.requested.
type InvoicePaid struct {
	InvoiceID string    `json:"invoice_id"`
	Purpose   string    `json:"purpose"`
	Reference string    `json:"reference"`
	PaidAt    time.Time `json:"paid_at"`
}

// ApplyPaymentEvent applies the payment events the tender service reads.
func ApplyPaymentEvent(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
	switch ev.Type {
	case "payment.invoice.paid":
		return ApplyInvoicePaid(ctx, tx, ev)
	case "payment.bid_security.released", "payment.bid_security.forfeited":
		var d struct {
			TenderID string `json:"tender_id"`
			Vendor   string `json:"vendor"`
		}
		if err := events.Decode(ev, &d); err != nil {
			return err
		}
		state := "released"
		if ev.Type == "payment.bid_security.forfeited" {
			state = "forfeited"
		}
		return postgres.SettleSecurity(ctx, tx, d.TenderID, d.Vendor, state, ev.ID)
	}
	return nil
}

// ApplyInvoicePaid marks a bid security held. Invoices of other purposes,
// or for references that are not this service's, are skipped.
func ApplyInvoicePaid(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
	var d InvoicePaid
	if err := events.Decode(ev, &d); err != nil {
		return err
	}
	if d.Purpose != "" && d.Purpose != "bid_security" {
		return nil
	}
	at := d.PaidAt
	if at.IsZero() {
		at = ev.Time
	}
	_, err := postgres.MarkSecurityHeld(ctx, tx, d.Reference, d.InvoiceID, at, ev.ID)
	return err
}

type missingError struct{ what, typ, id string }

func (e missingError) Error() string { return e.typ + " " + e.id + " lacks " + e.what }

func errMissing(what string, ev events.Event) error { return missingError{what, ev.Type, ev.ID} }
