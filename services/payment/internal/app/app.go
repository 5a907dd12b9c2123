// Package app holds the payment service's use cases: each takes a command
// or query, runs the domain rules, and writes the state change, its outbox
// event and its audit record in one transaction.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/audit"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/events"
	"gerbang/pkg/httpx"
	"gerbang/services/payment/internal/adapters/postgres"
	"gerbang/services/payment/internal/domain"
)

// Source is the CloudEvents source of the service's events.
const Source = "/payment"

// Event types the service produces (each with a schema in api/events/).
const (
	EventInvoiceIssued    = "payment.invoice.issued"
	EventInvoicePaid      = "payment.invoice.paid"
	EventInvoiceExpired   = "payment.invoice.expired"
	EventInvoiceCancelled = "payment.invoice.cancelled"
	EventSecurityReleased = "payment.bid_security.released"
	EventSecurityForfeit  = "payment.bid_security.forfeited"
	EventRefundCompleted  = "payment.refund.completed"
)

// Service runs the use cases.
type Service struct {
	store  *postgres.Store
	clock  clock.Clock
	secret []byte // the gateway's callback secret
	log    *slog.Logger
}

// Config are the Service's dependencies.
type Config struct {
	Store         *postgres.Store
	Clock         clock.Clock
	GatewaySecret []byte
	Log           *slog.Logger
}

// New returns the service.
func New(c Config) *Service {
	if c.Clock == nil {
		c.Clock = clock.System{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: c.Store, clock: c.Clock, secret: c.GatewaySecret, log: c.Log}
}

// Store returns the service's store.
func (s *Service) Store() *postgres.Store { return s.store }

// actor is who an audit record names: the caller, or the system job.
func actor(ctx context.Context, system string) (string, []string) {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Subject, p.Roles
	}
	return "system:" + system, nil
}

func (s *Service) audit(ctx context.Context, t *postgres.Tx, system, action, entityType, entityID string, before, after any, reason string) error {
	who, roles := actor(ctx, system)
	return t.Audit(ctx, audit.Entry{Actor: who, ActorRoles: roles, Action: action, EntityType: entityType,
		EntityID: entityID, Before: before, After: after, RequestID: httpx.RequestIDFrom(ctx), Reason: reason})
}

func (s *Service) publish(ctx context.Context, t *postgres.Tx, typ string, invoiceID uuid.UUID, data any, now time.Time) error {
	ev, err := events.New(Source, typ, "invoice/"+invoiceID.String(), data, now)
	if err != nil {
		return err
	}
	if err := t.Enqueue(ctx, ev, "invoice:"+invoiceID.String()); err != nil {
		return fmt.Errorf("enqueue %s: %w", typ, err)
	}
	return nil
}

// InvoiceEvent is the data of payment.invoice.* events.
type InvoiceEvent struct {
	InvoiceID   string       `json:"invoice_id"`
	BillingCode string       `json:"billing_code"`
	Purpose     string       `json:"purpose"`
	Reference   string       `json:"reference"`
	Payer       string       `json:"payer"`
	Amount      domain.Money `json:"amount"`
	State       string       `json:"state"`
	ExpiresAt   time.Time    `json:"expires_at"`
	TenderID    string       `json:"tender_id,omitempty"`
	PaymentID   string       `json:"payment_id,omitempty"`
	PaidAt      *time.Time   `json:"paid_at,omitempty"`
	Proof       string       `json:"proof,omitempty"`
}

func invoiceEvent(inv *domain.Invoice) InvoiceEvent {
	return InvoiceEvent{InvoiceID: inv.ID().String(), BillingCode: string(inv.BillingCode()), Purpose: string(inv.Purpose()),
		Reference: inv.Reference(), Payer: inv.Payer(), Amount: inv.Amount(), State: string(inv.State()), ExpiresAt: inv.ExpiresAt()}
}

// SecurityEvent is the data of payment.bid_security.* events.
type SecurityEvent struct {
	BidSecurityID string       `json:"bid_security_id"`
	InvoiceID     string       `json:"invoice_id"`
	TenderID      string       `json:"tender_id"`
	Vendor        string       `json:"vendor"`
	Amount        domain.Money `json:"amount"`
	Reason        string       `json:"reason,omitempty"`
}

// invoiceSnapshot is an invoice's audit state.
func invoiceSnapshot(inv *domain.Invoice) map[string]any {
	r := inv.Record()
	return map[string]any{"state": r.State, "version": r.Version, "amount": r.Amount, "billing_code": r.BillingCode,
		"payer": r.Payer, "purpose": r.Purpose, "reference": r.Reference, "expires_at": r.ExpiresAt}
}

// transition moves a locked invoice by action and writes it and its audit
// record; the caller adds the event, if any.
func (s *Service) transition(ctx context.Context, t *postgres.Tx, inv *domain.Invoice, action domain.InvoiceAction, system, reason string, now time.Time) error {
	before := invoiceSnapshot(inv)
	read := inv.Version()
	if err := inv.Apply(action, now); err != nil {
		return err
	}
	if err := t.UpdateInvoice(ctx, inv, read); err != nil {
		return err
	}
	return s.audit(ctx, t, system, "invoice."+string(action), "invoice", inv.ID().String(), before, invoiceSnapshot(inv), reason)
}
