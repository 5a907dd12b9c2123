package http

import (
	"context"

	"github.com/google/uuid"

	"gerbang/services/payment/internal/domain"
	"gerbang/services/payment/internal/ports/http/oapi"
)

func (s *server) ListInvoicePayments(ctx context.Context, req oapi.ListInvoicePaymentsRequestObject) (oapi.ListInvoicePaymentsResponseObject, error) {
	ps, err := s.svc.InvoicePayments(ctx, principal(ctx), req.ID)
	if err != nil {
		return nil, err
	}
	out := oapi.ListInvoicePayments200JSONResponse{Items: make([]oapi.Payment, len(ps))}
	for i, p := range ps {
		dto := oapi.Payment{ID: p.ID, GatewayReference: p.GatewayReference, BillingCode: p.BillingCode,
			Amount: oapi.Money{Amount: p.Amount.Amount, Currency: oapi.MoneyCurrency(p.Amount.Currency)}, Proof: p.Proof,
			PaidAt: p.PaidAt, ReceivedAt: p.ReceivedAt, Outcome: oapi.PaymentOutcome(p.Outcome)}
		if p.InvoiceID != uuid.Nil {
			dto.InvoiceID = &p.InvoiceID
		}
		if p.ReviewReason != domain.ReviewNone {
			r := oapi.PaymentReviewReason(p.ReviewReason)
			dto.ReviewReason = &r
		}
		out.Items[i] = dto
	}
	return out, nil
}

func (s *server) ListInvoiceTransactions(ctx context.Context, req oapi.ListInvoiceTransactionsRequestObject) (oapi.ListInvoiceTransactionsResponseObject, error) {
	txs, err := s.svc.InvoiceTransactions(ctx, principal(ctx), req.ID)
	if err != nil {
		return nil, err
	}
	out := oapi.ListInvoiceTransactions200JSONResponse{Items: make([]oapi.LedgerTransaction, len(txs))}
	for i, t := range txs {
		dto := oapi.LedgerTransaction{ID: t.ID, Kind: oapi.LedgerTransactionKind(t.Kind), At: t.At, Postings: make([]oapi.Posting, len(t.Postings))}
		if t.InvoiceID != uuid.Nil {
			dto.InvoiceID = &t.InvoiceID
		}
		if t.Reverses != uuid.Nil {
			dto.Reverses = &t.Reverses
		}
		for j, p := range t.Postings {
			dto.Postings[j] = oapi.Posting{Account: string(p.Account), Amount: p.Amount, Currency: p.Currency}
		}
		out.Items[i] = dto
	}
	return out, nil
}

func (s *server) GetLedgerBalances(ctx context.Context, _ oapi.GetLedgerBalancesRequestObject) (oapi.GetLedgerBalancesResponseObject, error) {
	b, err := s.svc.Balances(ctx)
	if err != nil {
		return nil, err
	}
	out := oapi.GetLedgerBalances200JSONResponse{Balanced: true, Accounts: []oapi.AccountBalance{}}
	for _, a := range b.Accounts() {
		for cur, amount := range b[a] {
			out.Accounts = append(out.Accounts, oapi.AccountBalance{Account: string(a), Balance: oapi.SignedAmount{Amount: amount, Currency: cur}})
		}
	}
	totals, ok := b.Totals()
	out.Balanced = ok
	for _, t := range totals {
		out.Balanced = out.Balanced && t == 0
	}
	return out, nil
}
