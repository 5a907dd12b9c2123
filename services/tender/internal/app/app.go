// Package app holds the tender service's use cases: each takes the caller,
// checks who may act, runs the domain rules and has the store write the
// result with its events and audit record. It declares what it needs of
// the database (Store, Recorder) and imports no adapter and no port; it
// takes and returns domain types, and the read models of its queries.
package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/services/tender/internal/domain"
)

// Service is the tender service's use cases.
type Service struct {
	store      Store
	kek        domain.KEK
	receiptKey ed25519.PrivateKey
	receiptKID string
	clock      clock.Clock
	bidTerms   bidTermsCache
}

// New builds the use cases.
func New(store Store, kek domain.KEK, receiptKey ed25519.PrivateKey, receiptKeyID string, clk clock.Clock) *Service {
	return &Service{store: store, kek: kek, receiptKey: receiptKey, receiptKID: receiptKeyID, clock: clk}
}

// ReceiptKey returns the public key receipts verify against, and its id.
func (s *Service) ReceiptKey() (ed25519.PublicKey, string) {
	return s.receiptKey.Public().(ed25519.PublicKey), s.receiptKID
}

// Caller is who makes a request.
type Caller struct {
	auth.Principal
	RequestID string
}

func (c Caller) who() Who {
	return Who{Subject: c.Subject, Roles: c.Roles, Org: c.Org, RequestID: c.RequestID}
}

func (c Caller) actorOn(t *domain.Tender) domain.Actor {
	return t.ActorFor(c.Subject, c.HasRole(auth.RoleProcurementOfficer))
}

// vendor returns the business the caller bids for.
func (c Caller) vendor() (string, error) {
	if !c.HasRole(auth.RoleBusiness) {
		return "", apperr.New(apperr.Forbidden, "only vendors (role business) may do this")
	}
	if c.Org == "" {
		return "", apperr.New(apperr.Forbidden, "your account acts for no business; register one first")
	}
	return c.Org, nil
}

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return id.String(), nil
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// schedulerWho is the scheduler as an actor of the audit trail.
var schedulerWho = Who{Subject: "system:scheduler"}

// ApplyLicense keeps the qualification read model from a licensing event:
// who holds which license, in what status, until when. A suspension or
// revocation takes effect for new bids as soon as it is applied.
func (s *Service) ApplyLicense(ctx context.Context, r Recorder, l domain.VendorLicense, eventID string) error {
	return r.ApplyLicense(ctx, l, eventID)
}

// HoldSecurity records that payment holds a bid security (its invoice was
// paid). A reference that names none of this service's securities is
// skipped.
func (s *Service) HoldSecurity(ctx context.Context, r Recorder, securityID, invoiceID string, paidAt time.Time, eventID string) error {
	_, err := r.MarkSecurityHeld(ctx, securityID, invoiceID, paidAt, eventID)
	return err
}

// SettleSecurity records that payment released or forfeited a held bid
// security after the award.
func (s *Service) SettleSecurity(ctx context.Context, r Recorder, tenderID, vendor string, to domain.SecurityState, eventID string) error {
	if to != domain.SecurityReleased && to != domain.SecurityForfeited {
		return apperr.New(apperr.Invalid, "a bid security is settled as released or forfeited, not %s", to)
	}
	return r.SettleSecurity(ctx, tenderID, vendor, to, eventID)
}
