// Package events maps the events the tender service consumes to use cases
// (app), idempotently: each runs in the consumer's transaction, which also
// writes the inbox row (pkg/events).
package events

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/events"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// Durable consumer names.
const (
	LicensingConsumer = "tender-licensing-license-events"
	PaymentConsumer   = "tender-payment-events"
)

// The subjects the tender service consumes.
const (
	SubjectLicenses          = "licensing.license.>"
	SubjectInvoicePaid       = "payment.invoice.paid"
	SubjectSecurityReleased  = "payment.bid_security.released"
	SubjectSecurityForfeited = "payment.bid_security.forfeited"
)

// PaymentSubjects are the payment events the tender service consumes.
func PaymentSubjects() []string {
	return []string{SubjectInvoicePaid, SubjectSecurityReleased, SubjectSecurityForfeited}
}

// Consumers maps consumed events to the use cases. Recorder binds the
// consumer's transaction to what the use cases write (postgres.InTx).
type Consumers struct {
	Service  *app.Service
	Recorder func(*sqlx.Tx) app.Recorder
}

// LicenseEvent is the data of licensing.license.* events, as far as the
// tender service reads it.
type LicenseEvent struct {
	LicenseID  string     `json:"license_id"`
	Number     string     `json:"number"`
	BusinessID string     `json:"business_id"`
	HolderName string     `json:"holder_name"`
	KBLI       string     `json:"kbli"`
	Status     string     `json:"status"`
	ValidUntil *time.Time `json:"valid_until"`
}

// statusOf maps the event type to the license's status when the data does
// not say it.
func statusOf(typ string) domain.LicenseStatus {
	switch typ[strings.LastIndex(typ, ".")+1:] {
	case "issued", "renewed", "reinstated":
		return domain.LicenseActive
	case "suspended":
		return domain.LicenseSuspended
	case "revoked":
		return domain.LicenseRevoked
	case "expired":
		return domain.LicenseExpired
	}
	return ""
}

// ApplyLicenseEvent keeps the qualification read model: who holds an active
// license for which KBLI. A suspension or revocation takes effect for new
// bids as soon as it is applied.
func (c Consumers) ApplyLicenseEvent(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
	var d LicenseEvent
	if err := events.Decode(ev, &d); err != nil {
		return err
	}
	status := domain.LicenseStatus(d.Status)
	if status == "" {
		status = statusOf(ev.Type)
	}
	if d.LicenseID == "" || d.BusinessID == "" || d.KBLI == "" || status == "" {
		return events.Permanent(errMissing("license_id, business_id, kbli and a known status", ev))
	}
	return c.Service.ApplyLicense(ctx, c.Recorder(tx), domain.VendorLicense{
		LicenseID: d.LicenseID, Number: d.Number, BusinessID: d.BusinessID, HolderName: d.HolderName, KBLI: d.KBLI, Status: status,
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
func (c Consumers) ApplyPaymentEvent(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
	switch ev.Type {
	case SubjectInvoicePaid:
		return c.ApplyInvoicePaid(ctx, tx, ev)
	case SubjectSecurityReleased, SubjectSecurityForfeited:
		var d struct {
			TenderID string `json:"tender_id"`
			Vendor   string `json:"vendor"`
		}
		if err := events.Decode(ev, &d); err != nil {
			return err
		}
		to := domain.SecurityReleased
		if ev.Type == SubjectSecurityForfeited {
			to = domain.SecurityForfeited
		}
		return c.Service.SettleSecurity(ctx, c.Recorder(tx), d.TenderID, d.Vendor, to, ev.ID)
	}
	return nil
}

// ApplyInvoicePaid marks a bid security held. Invoices of other purposes,
// or for references that are not this service's, are skipped.
func (c Consumers) ApplyInvoicePaid(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
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
	return c.Service.HoldSecurity(ctx, c.Recorder(tx), d.Reference, d.InvoiceID, at, ev.ID)
}

type missingError struct{ what, typ, id string }

func (e missingError) Error() string { return e.typ + " " + e.id + " lacks " + e.what }

func errMissing(what string, ev events.Event) error { return missingError{what, ev.Type, ev.ID} }
