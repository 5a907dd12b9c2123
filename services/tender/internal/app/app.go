// Package app holds the tender service's use cases: each takes the caller,
// checks who may act, runs the domain rules and has the store write the
// result with its events and audit record.
package app

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/domain"
)

// Service is the tender service's use cases.
type Service struct {
	store      *postgres.Store
	kek        domain.KEK
	receiptKey ed25519.PrivateKey
	receiptKID string
	clock      clock.Clock
	bidTerms   bidTermsCache
}

// New builds the use cases.
func New(store *postgres.Store, kek domain.KEK, receiptKey ed25519.PrivateKey, receiptKeyID string, clk clock.Clock) *Service {
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

func (c Caller) who() postgres.Who {
	return postgres.Who{Subject: c.Subject, Roles: c.Roles, Org: c.Org, RequestID: c.RequestID}
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
var schedulerWho = postgres.Who{Subject: "system:scheduler"}
