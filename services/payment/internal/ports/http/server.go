// Package http serves the payment API: the generated strict server
// (package oapi) implemented by mapping each request to a use case, and the
// gateway callback, which needs the raw body its signature covers.
package http

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/idempotency"
	pkgoapi "gerbang/pkg/oapi"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
	"gerbang/services/payment/internal/ports/http/oapi"
)

// Options configure the routes.
type Options struct {
	DB       *sqlx.DB       // for idempotency keys
	Verifier *auth.Verifier // bearer tokens
	Sandbox  bool           // serve POST /v1/sandbox/pay
	Idem     idempotency.Options
	// CreationsPerMinute bounds the invoices (billing codes) and sandbox
	// payments one caller may create per minute, per instance.
	CreationsPerMinute int
}

// perCaller limits a caller (by token subject) to max requests a minute.
func perCaller(max int) fiber.Handler {
	if max <= 0 {
		max = 600
	}
	return limiter.New(limiter.Config{
		Max:        max,
		Expiration: time.Minute,
		KeyGenerator: func(c *fiber.Ctx) string {
			if p, ok := auth.PrincipalFrom(c); ok {
				return "sub:" + p.Subject
			}
			return "ip:" + c.IP()
		},
		LimitReached: func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderRetryAfter, "60")
			return apperr.New(apperr.TooManyRequests, "Too many billing codes created in a minute; try again in a minute.")
		},
	})
}

// Routes lists every route of the payment API, with the roles each admits.
func Routes(r fiber.Router, svc *app.Service, opts Options) error {
	spec, err := oapi.GetSwagger()
	if err != nil {
		return err
	}
	validate, err := pkgoapi.Validator(spec, pkgoapi.Options{})
	if err != nil {
		return err
	}
	s := &server{svc: svc, sandbox: opts.Sandbox}
	anyReader := auth.RequireRoles(auth.RoleBusiness, auth.RoleFinance, auth.RoleAuditor)
	financeOnly := auth.RequireRoles(auth.RoleFinance)
	idem := opts.Idem
	idem.Required = true
	v1 := r.Group("/v1", auth.Authenticate(opts.Verifier))

	// The gateway signs the raw body: this route reads it as received,
	// before anything decodes it.
	v1.Post("/gateway/callbacks", validate, s.receiveCallback)

	// Roles and idempotency per route; the generated handlers follow.
	creations := perCaller(opts.CreationsPerMinute)
	v1.Post("/invoices", financeOnly, creations, idempotency.Middleware(opts.DB, idem))
	v1.Get("/invoices", anyReader)
	v1.Get("/invoices/:id", anyReader)
	v1.Post("/invoices/:id/cancel", financeOnly)
	v1.Post("/invoices/:id/accept-payment", financeOnly)
	v1.Get("/invoices/:id/payments", anyReader)
	v1.Get("/invoices/:id/ledger", auth.RequireRoles(auth.RoleFinance, auth.RoleAuditor))
	v1.Get("/ledger/balances", auth.RequireRoles(auth.RoleFinance, auth.RoleAuditor))
	v1.Post("/sandbox/pay", s.sandboxEnabled, auth.RequireRoles(auth.RoleBusiness, auth.RoleFinance), creations)
	v1.Post("/invoices/:id/refunds", financeOnly, idempotency.Middleware(opts.DB, idem))
	v1.Get("/refunds", auth.RequireRoles(auth.RoleFinance, auth.RoleAuditor))
	v1.Get("/refunds/:id", anyReader)
	v1.Post("/refunds/:id/approve", financeOnly)
	v1.Post("/refunds/:id/reject", financeOnly)
	v1.Post("/reconciliations", financeOnly)
	v1.Get("/reconciliations/:id", auth.RequireRoles(auth.RoleFinance, auth.RoleAuditor))
	v1.Use(validate)
	oapi.RegisterHandlers(r, oapi.NewStrictHandler(s, nil))
	return nil
}

type server struct {
	svc     *app.Service
	sandbox bool
}

var _ oapi.StrictServerInterface = (*server)(nil)

func principal(ctx context.Context) auth.Principal {
	p, _ := auth.FromContext(ctx)
	return p
}

func (s *server) sandboxEnabled(c *fiber.Ctx) error {
	if !s.sandbox {
		return apperr.New(apperr.NotFound, "The sandbox gateway is off (SANDBOX_GATEWAY).")
	}
	return c.Next()
}

func invoiceDTO(inv *domain.Invoice) oapi.Invoice {
	r := inv.Record()
	return oapi.Invoice{ID: r.ID, BillingCode: string(r.BillingCode), Purpose: oapi.InvoicePurpose(r.Purpose),
		Reference: r.Reference, Payer: r.Payer, Amount: oapi.Money{Amount: r.Amount.Amount, Currency: oapi.MoneyCurrency(r.Amount.Currency)},
		Description: r.Description, State: oapi.InvoiceState(r.State), ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt, Version: int32(r.Version)}
}

func (s *server) CreateInvoice(ctx context.Context, req oapi.CreateInvoiceRequestObject) (oapi.CreateInvoiceResponseObject, error) {
	b := req.Body
	cmd := app.CreateInvoice{Purpose: domain.Purpose(b.Purpose), Reference: b.Reference, Payer: b.Payer,
		Amount: domain.Money{Amount: b.Amount.Amount, Currency: string(b.Amount.Currency)}}
	if b.Description != nil {
		cmd.Description = *b.Description
	}
	if b.ExpiresAt != nil {
		cmd.ExpiresAt = *b.ExpiresAt
	}
	inv, created, err := s.svc.CreateInvoice(ctx, cmd)
	if err != nil {
		return nil, bodyFields(err)
	}
	if !created {
		return oapi.CreateInvoice200JSONResponse(invoiceDTO(inv)), nil
	}
	return oapi.CreateInvoice201JSONResponse(invoiceDTO(inv)), nil
}

// bodyFields prefixes the field names of a validation error with "body.".
func bodyFields(err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		return err
	}
	c := *ae
	c.Fields = make([]apperr.FieldError, len(ae.Fields))
	for i, f := range ae.Fields {
		if !strings.HasPrefix(f.Field, "body.") {
			f.Field = "body." + f.Field
		}
		c.Fields[i] = f
	}
	return &c
}

func (s *server) GetInvoice(ctx context.Context, req oapi.GetInvoiceRequestObject) (oapi.GetInvoiceResponseObject, error) {
	inv, err := s.svc.GetInvoice(ctx, principal(ctx), req.ID)
	if err != nil {
		return nil, err
	}
	return oapi.GetInvoice200JSONResponse(invoiceDTO(inv)), nil
}

func (s *server) ListInvoices(ctx context.Context, req oapi.ListInvoicesRequestObject) (oapi.ListInvoicesResponseObject, error) {
	q := app.ListInvoices{}
	if req.Params.Limit != nil {
		q.Limit = int(*req.Params.Limit)
	}
	if req.Params.Cursor != nil {
		q.Cursor = *req.Params.Cursor
	}
	if req.Params.State != nil {
		q.State = string(*req.Params.State)
	}
	page, err := s.svc.ListInvoices(ctx, principal(ctx), q)
	if err != nil {
		return nil, err
	}
	out := oapi.ListInvoices200JSONResponse{Items: make([]oapi.Invoice, len(page.Items))}
	for i, inv := range page.Items {
		out.Items[i] = invoiceDTO(inv)
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return out, nil
}

func (s *server) CancelInvoice(ctx context.Context, req oapi.CancelInvoiceRequestObject) (oapi.CancelInvoiceResponseObject, error) {
	inv, err := s.svc.CancelInvoice(ctx, req.ID, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	return oapi.CancelInvoice200JSONResponse(invoiceDTO(inv)), nil
}

func receipt(res app.CallbackResult) oapi.CallbackReceipt {
	out := oapi.CallbackReceipt{Status: oapi.CallbackReceiptStatus(res.Outcome)}
	if res.Duplicate {
		out.Status = oapi.CallbackReceiptStatusDuplicate
	}
	if res.PaymentID != uuid.Nil {
		out.PaymentID = &res.PaymentID
	}
	if res.InvoiceID != uuid.Nil {
		out.InvoiceID = &res.InvoiceID
	}
	if res.ReviewReason != domain.ReviewNone {
		r := oapi.CallbackReceiptReviewReason(res.ReviewReason)
		out.ReviewReason = &r
	}
	return out
}

// receiveCallback verifies the signature over the body exactly as received.
func (s *server) receiveCallback(c *fiber.Ctx) error {
	body := append([]byte(nil), c.Body()...)
	res, err := s.svc.ReceiveCallback(c.UserContext(), c.Get(domain.HeaderGatewayTimestamp), c.Get(domain.HeaderGatewaySignature), body)
	if err != nil {
		return err
	}
	return c.JSON(receipt(res))
}

// ReceiveGatewayCallback is served by receiveCallback (raw body); the
// generated route is never reached.
func (s *server) ReceiveGatewayCallback(context.Context, oapi.ReceiveGatewayCallbackRequestObject) (oapi.ReceiveGatewayCallbackResponseObject, error) {
	return nil, errors.New("gateway callbacks are served by the raw-body handler")
}

func (s *server) SandboxPay(ctx context.Context, req oapi.SandboxPayRequestObject) (oapi.SandboxPayResponseObject, error) {
	code, err := domain.ParseBillingCode(req.Body.BillingCode, "body.billing_code")
	if err != nil {
		return nil, err
	}
	cmd := app.SandboxPay{BillingCode: code}
	if req.Body.Amount != nil {
		cmd.Amount = *req.Body.Amount
	}
	res, err := s.svc.SandboxPay(ctx, principal(ctx), cmd)
	if err != nil {
		return nil, err
	}
	r := receipt(res.Result)
	return oapi.SandboxPay200JSONResponse{GatewayReference: res.GatewayReference, Status: oapi.SandboxReceiptStatus(r.Status),
		PaymentID: r.PaymentID, InvoiceID: r.InvoiceID, ReviewReason: (*oapi.SandboxReceiptReviewReason)(r.ReviewReason)}, nil
}

func (s *server) AcceptReviewedPayment(ctx context.Context, req oapi.AcceptReviewedPaymentRequestObject) (oapi.AcceptReviewedPaymentResponseObject, error) {
	inv, err := s.svc.AcceptReviewedPayment(ctx, req.ID, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	return oapi.AcceptReviewedPayment200JSONResponse(invoiceDTO(inv)), nil
}
