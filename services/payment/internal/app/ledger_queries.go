package app

import (
	"context"

	"github.com/google/uuid"

	"gerbang/pkg/auth"
	"gerbang/services/payment/internal/domain"
)

// InvoicePayments returns the payments of an invoice the caller may see.
func (s *Service) InvoicePayments(ctx context.Context, p auth.Principal, id uuid.UUID) ([]domain.Payment, error) {
	inv, err := s.GetInvoice(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.store.PaymentsOf(ctx, inv.ID(), string(inv.BillingCode()))
}

// InvoiceTransactions returns the ledger transactions of an invoice.
func (s *Service) InvoiceTransactions(ctx context.Context, p auth.Principal, id uuid.UUID) ([]domain.Transaction, error) {
	inv, err := s.GetInvoice(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.store.Transactions(ctx, inv.ID())
}

// Balances returns every account's balance, derived from the postings.
func (s *Service) Balances(ctx context.Context) (domain.Balances, error) {
	return s.store.Balances(ctx)
}
