package app

import (
	"context"
	"strings"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/domain"
)

// CreateInvoice asks a payer for money for a requesting record.
type CreateInvoice struct {
	Purpose     domain.Purpose
	Reference   string
	Payer       string
	Amount      domain.Money
	Description string
	ExpiresAt   time.Time // zero: the default validity
	// PayBefore is a deadline another service asked for (a bid security's),
	// kept inside the validity an invoice allows (domain.ExpiryWithin);
	// it takes the place of ExpiresAt.
	PayBefore *time.Time
	TenderID  string // for a bid security: the tender (the payer is the vendor)
}

// CreateInvoice creates the invoice, or returns the one already made for the
// same purpose and reference (created false): the same request twice makes
// one invoice.
func (s *Service) CreateInvoice(ctx context.Context, cmd CreateInvoice) (inv *domain.Invoice, created bool, err error) {
	err = s.store.InTx(ctx, func(t Tx) error {
		inv, created, err = s.CreateInvoiceIn(ctx, t, cmd)
		return err
	})
	return inv, created, err
}

// CreateInvoiceIn is CreateInvoice inside a transaction opened by the caller
// (an event consumer's).
func (s *Service) CreateInvoiceIn(ctx context.Context, t Tx, cmd CreateInvoice) (*domain.Invoice, bool, error) {
	now := s.clock.Now()
	if cmd.Purpose == domain.PurposeBidSecurity && strings.TrimSpace(cmd.TenderID) == "" {
		return nil, false, apperr.InvalidFields("A bid security needs its tender.", apperr.Field("tender_id", "is required"))
	}
	expires := cmd.ExpiresAt
	if cmd.PayBefore != nil {
		expires = domain.ExpiryWithin(*cmd.PayBefore, now)
	}
	inv, err := domain.NewInvoice(domain.NewInvoiceInput{Purpose: cmd.Purpose, Reference: cmd.Reference, Payer: cmd.Payer,
		Amount: cmd.Amount, Description: cmd.Description, ExpiresAt: expires}, now)
	if err != nil {
		return nil, false, err
	}
	stored, created, err := t.InsertInvoice(ctx, inv)
	if err != nil || !created {
		return stored, false, err
	}
	issued, err := domain.IssuedTransaction(inv, now)
	if err != nil {
		return nil, false, err
	}
	if err := t.AppendTransaction(ctx, issued); err != nil {
		return nil, false, err
	}
	ev := InvoiceIssued{EventInvoice: invoiceOf(inv)}
	if inv.Purpose() == domain.PurposeBidSecurity {
		if err := s.openBidSecurity(ctx, t, inv, cmd.TenderID, now); err != nil {
			return nil, false, err
		}
		ev.TenderID = cmd.TenderID
	}
	if err := s.publish(ctx, t, ev, inv.ID(), now); err != nil {
		return nil, false, err
	}
	if err := s.audit(ctx, t, "invoicing", "invoice.issue", "invoice", inv.ID().String(), nil, invoiceSnapshot(inv), ""); err != nil {
		return nil, false, err
	}
	return inv, true, nil
}
