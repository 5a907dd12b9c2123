// Package app holds the payment service's use cases: each takes a command
// or query, runs the domain rules, and has the store write the state
// change, its outbox event and its audit record in one transaction. It
// declares what it needs of the database (Store, Tx) and imports no
// adapter and no port; it takes and returns domain types, and the read
// models of its queries (Report).
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
	"gerbang/services/payment/internal/domain"
)

// Service runs the use cases.
type Service struct {
	store  Store
	clock  clock.Clock
	secret []byte // the gateway's callback secret
	log    *slog.Logger
}

// Config are the Service's dependencies.
type Config struct {
	Store         Store
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

// actor is who an audit record names: the caller, or the system job.
func actor(ctx context.Context, system string) (string, []string) {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Subject, p.Roles
	}
	return "system:" + system, nil
}

func (s *Service) audit(ctx context.Context, t Tx, system, action, entityType, entityID string, before, after any, reason string) error {
	who, roles := actor(ctx, system)
	return t.Audit(ctx, audit.Entry{Actor: who, ActorRoles: roles, Action: action, EntityType: entityType,
		EntityID: entityID, Before: before, After: after, RequestID: httpx.RequestIDFrom(ctx), Reason: reason})
}

// publish writes ev to the outbox, in the order of its invoice's events.
func (s *Service) publish(ctx context.Context, t Tx, ev Event, invoiceID uuid.UUID, now time.Time) error {
	e, err := events.New(Source, ev.Subject(), "invoice/"+invoiceID.String(), ev, now)
	if err != nil {
		return err
	}
	if err := t.Enqueue(ctx, e, "invoice:"+invoiceID.String()); err != nil {
		return fmt.Errorf("enqueue %s: %w", ev.Subject(), err)
	}
	return nil
}

// invoiceSnapshot is an invoice's audit state.
func invoiceSnapshot(inv *domain.Invoice) map[string]any {
	r := inv.Record()
	return map[string]any{"state": r.State, "version": r.Version, "amount": r.Amount, "billing_code": r.BillingCode,
		"payer": r.Payer, "purpose": r.Purpose, "reference": r.Reference, "expires_at": r.ExpiresAt}
}

// transition moves a locked invoice by action taken by by and writes it
// and its audit record; the caller adds the event, if any.
func (s *Service) transition(ctx context.Context, t Tx, inv *domain.Invoice, action domain.InvoiceAction, by domain.Actor, system, reason string, now time.Time) error {
	before := invoiceSnapshot(inv)
	read := inv.Version()
	if err := inv.Apply(action, by, now); err != nil {
		return err
	}
	if err := t.UpdateInvoice(ctx, inv, read); err != nil {
		return err
	}
	return s.audit(ctx, t, system, "invoice."+string(action), "invoice", inv.ID().String(), before, invoiceSnapshot(inv), reason)
}
