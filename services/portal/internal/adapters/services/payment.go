package services

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/httpx"
	"gerbang/services/portal/internal/adapters/services/paymentapi"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// Payment calls the payment service through the client generated from
// api/payment.yaml (paymentapi), as the signed-in payer: its invoices and
// the sandbox gateway.
type Payment struct {
	c   client
	api *paymentapi.Client
}

var _ app.Fees = (*Payment)(nil)

// NewPayment returns a client of the payment service at baseURL whose
// calls last at most timeout.
func NewPayment(baseURL string, timeout time.Duration) *Payment {
	c := newClient("payment", "pembayaran", baseURL, timeout)
	api, err := paymentapi.NewClient(c.base, paymentapi.WithHTTPClient(c.http))
	if err != nil {
		panic("payment client for " + baseURL + ": " + err.Error()) // only a malformed base URL, checked at start
	}
	return &Payment{c: c, api: api}
}

// asPerson is the request editor that makes a call the person's with token
// (and correlates the logs by the request id).
func asPerson(token string) func(context.Context, *http.Request) error {
	return func(ctx context.Context, req *http.Request) error {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Accept", "application/json")
		if id := httpx.RequestIDFrom(ctx); id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		return nil
	}
}

// call runs one request as the person with token, as Licensing.call does.
func (p *Payment) call(ctx context.Context, token string, want int, out any, do func(context.Context, paymentapi.RequestEditorFn) (*http.Response, error)) error {
	ctx, cancel := context.WithTimeout(ctx, p.c.timeout)
	defer cancel()
	resp, err := do(ctx, paymentapi.RequestEditorFn(asPerson(token)))
	if err != nil {
		return p.c.unavailable(err)
	}
	return p.c.answer(resp, want, out)
}

func invoiceOf(i paymentapi.Invoice) domain.Invoice {
	return domain.Invoice{
		ID: i.ID.String(), BillingCode: i.BillingCode, Reference: i.Reference, Description: i.Description, State: string(i.State),
		Amount: domain.Money{Amount: i.Amount.Amount, Currency: string(i.Amount.Currency)}, ExpiresAt: i.ExpiresAt, UpdatedAt: i.UpdatedAt,
	}
}

// Invoices is GET /v1/invoices (newest first).
func (p *Payment) Invoices(ctx context.Context, token string, limit int, cursor string) ([]domain.Invoice, string, error) {
	var pg paymentapi.InvoicePage
	lim, cur := page(limit, cursor)
	if err := p.call(ctx, token, http.StatusOK, &pg, func(ctx context.Context, e paymentapi.RequestEditorFn) (*http.Response, error) {
		return p.api.ListInvoices(ctx, &paymentapi.ListInvoicesParams{Limit: lim, Cursor: cur}, e)
	}); err != nil {
		return nil, "", err
	}
	out := make([]domain.Invoice, len(pg.Items))
	for i, inv := range pg.Items {
		out[i] = invoiceOf(inv)
	}
	next := ""
	if pg.NextCursor != nil {
		next = *pg.NextCursor
	}
	return out, next, nil
}

// Invoice is GET /v1/invoices/{id}.
func (p *Payment) Invoice(ctx context.Context, token, id string) (domain.Invoice, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.Invoice{}, notFound(id)
	}
	var inv paymentapi.Invoice
	if err := p.call(ctx, token, http.StatusOK, &inv, func(ctx context.Context, e paymentapi.RequestEditorFn) (*http.Response, error) {
		return p.api.GetInvoice(ctx, uid, e)
	}); err != nil {
		return domain.Invoice{}, err
	}
	return invoiceOf(inv), nil
}

// SandboxPay is POST /v1/sandbox/pay.
func (p *Payment) SandboxPay(ctx context.Context, token, billingCode string) error {
	return p.call(ctx, token, http.StatusOK, nil, func(ctx context.Context, e paymentapi.RequestEditorFn) (*http.Response, error) {
		return p.api.SandboxPay(ctx, paymentapi.SandboxPayment{BillingCode: billingCode}, e)
	})
}
