package app

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/payment/internal/domain"
)

// seesAll reports whether p reads every invoice (finance, auditors).
func seesAll(p auth.Principal) bool { return p.HasAnyRole(auth.RoleFinance, auth.RoleAuditor) }

// canSee reports whether p may read inv: finance and auditors all, a
// business only its own (by the org it acts for).
func canSee(p auth.Principal, inv *domain.Invoice) bool {
	return seesAll(p) || (p.HasRole(auth.RoleBusiness) && p.Org != "" && p.Org == inv.Payer())
}

// GetInvoice returns an invoice the caller may see; another's is not found.
func (s *Service) GetInvoice(ctx context.Context, p auth.Principal, id uuid.UUID) (*domain.Invoice, error) {
	inv, err := s.store.GetInvoice(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSee(p, inv) {
		return nil, apperr.New(apperr.NotFound, "No such invoice.")
	}
	return inv, nil
}

// ListInvoices is a query for a page of invoices.
type ListInvoices struct {
	State  string
	Limit  int
	Cursor string
}

// InvoicePage is a page of invoices and the cursor of the next.
type InvoicePage struct {
	Items      []*domain.Invoice
	NextCursor string
}

// ListInvoices returns the invoices the caller may see, newest first: a
// business its own, finance and auditors all.
func (s *Service) ListInvoices(ctx context.Context, p auth.Principal, q ListInvoices) (InvoicePage, error) {
	f := InvoiceFilter{State: q.State, Limit: q.Limit}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	if !seesAll(p) {
		if !p.HasRole(auth.RoleBusiness) || p.Org == "" {
			return InvoicePage{Items: []*domain.Invoice{}}, nil
		}
		f.Payer = p.Org
	}
	if q.State != "" {
		ok := false
		for _, st := range domain.InvoiceStates() {
			ok = ok || string(st) == q.State
		}
		if !ok {
			return InvoicePage{}, apperr.InvalidFields("Unknown state.", apperr.Field("query.state", "is not an invoice state"))
		}
	}
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		id, err2 := uuid.ParseBytes(raw)
		if err != nil || err2 != nil {
			return InvoicePage{}, apperr.InvalidFields("The cursor is not one this API gave.", apperr.Field("query.cursor", "is not valid"))
		}
		f.Before = id
	}
	items, err := s.store.ListInvoices(ctx, f)
	if err != nil {
		return InvoicePage{}, err
	}
	page := InvoicePage{Items: items}
	if len(items) == f.Limit {
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(strings.ToLower(items[len(items)-1].ID().String())))
	}
	return page, nil
}
