package http

import (
	"context"
	"io"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
	"gerbang/services/payment/internal/ports/http/oapi"
)

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime[T interface{ IsZero() bool }](t T) *T {
	if t.IsZero() {
		return nil
	}
	return &t
}

func refundDTO(r *domain.Refund) oapi.Refund {
	return oapi.Refund{ID: r.ID, InvoiceID: r.InvoiceID, Payer: r.Payer,
		Amount: oapi.Money{Amount: r.Amount.Amount, Currency: oapi.MoneyCurrency(r.Amount.Currency)}, Reason: r.Reason,
		State: oapi.RefundState(r.State), RequestedBy: r.RequestedBy, DecidedBy: optString(r.DecidedBy),
		DecisionNote: optString(r.DecisionNote), CreatedAt: r.CreatedAt, DecidedAt: optTime(r.DecidedAt), CompletedAt: optTime(r.CompletedAt)}
}

func (s *server) RequestRefund(ctx context.Context, req oapi.RequestRefundRequestObject) (oapi.RequestRefundResponseObject, error) {
	r, err := s.svc.RequestRefund(ctx, principal(ctx), req.ID, req.Body.Reason)
	if err != nil {
		return nil, bodyFields(err)
	}
	return oapi.RequestRefund201JSONResponse(refundDTO(r)), nil
}

func (s *server) ApproveRefund(ctx context.Context, req oapi.ApproveRefundRequestObject) (oapi.ApproveRefundResponseObject, error) {
	r, err := s.svc.DecideRefund(ctx, principal(ctx), req.ID, true, "")
	if err != nil {
		return nil, err
	}
	return oapi.ApproveRefund200JSONResponse(refundDTO(r)), nil
}

func (s *server) RejectRefund(ctx context.Context, req oapi.RejectRefundRequestObject) (oapi.RejectRefundResponseObject, error) {
	r, err := s.svc.DecideRefund(ctx, principal(ctx), req.ID, false, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	return oapi.RejectRefund200JSONResponse(refundDTO(r)), nil
}

func (s *server) GetRefund(ctx context.Context, req oapi.GetRefundRequestObject) (oapi.GetRefundResponseObject, error) {
	r, err := s.svc.GetRefund(ctx, principal(ctx), req.ID)
	if err != nil {
		return nil, err
	}
	return oapi.GetRefund200JSONResponse(refundDTO(r)), nil
}

func (s *server) ListRefunds(ctx context.Context, req oapi.ListRefundsRequestObject) (oapi.ListRefundsResponseObject, error) {
	limit, state := 0, ""
	if req.Params.Limit != nil {
		limit = int(*req.Params.Limit)
	}
	if req.Params.State != nil {
		state = string(*req.Params.State)
	}
	rs, err := s.svc.ListRefunds(ctx, state, limit)
	if err != nil {
		return nil, err
	}
	out := oapi.ListRefunds200JSONResponse{Items: make([]oapi.Refund, len(rs))}
	for i, r := range rs {
		out.Items[i] = refundDTO(r)
	}
	return out, nil
}

// maxStatementBytes bounds an uploaded statement (also the route's body limit).
const maxStatementBytes = 4 << 20

func (s *server) UploadStatement(ctx context.Context, req oapi.UploadStatementRequestObject) (oapi.UploadStatementResponseObject, error) {
	data, err := io.ReadAll(io.LimitReader(req.Body, maxStatementBytes+1))
	if err != nil {
		return nil, apperr.InvalidFields("The statement could not be read.", apperr.Field("body", "%v", err))
	}
	if len(data) > maxStatementBytes {
		return nil, apperr.New(apperr.TooLarge, "A statement may be at most %d bytes; split it.", maxStatementBytes)
	}
	rep, err := s.svc.Reconcile(ctx, principal(ctx), data)
	if err != nil {
		return nil, err
	}
	return oapi.UploadStatement201JSONResponse(reportDTO(rep)), nil
}

func (s *server) GetReconciliation(ctx context.Context, req oapi.GetReconciliationRequestObject) (oapi.GetReconciliationResponseObject, error) {
	rep, err := s.svc.ReconciliationReport(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	return oapi.GetReconciliation200JSONResponse(reportDTO(rep)), nil
}

// optUUID maps uuid.Nil (none) to an absent member.
func optUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func linesDTO(ls []app.ReportLine) []oapi.StatementLine {
	out := make([]oapi.StatementLine, len(ls))
	for i, l := range ls {
		out[i] = oapi.StatementLine{LineNo: int32(l.LineNo), ValueDate: openapi_types.Date{Time: l.ValueDate},
			BillingCode: l.BillingCode, Amount: l.Amount, BankReference: l.BankReference,
			PaymentID: optUUID(l.PaymentID), InvoiceID: optUUID(l.InvoiceID)}
	}
	return out
}

func reportDTO(r app.Report) oapi.ReconciliationReport {
	out := oapi.ReconciliationReport{ID: r.ID, UploadedBy: r.UploadedBy, CreatedAt: r.CreatedAt,
		Matched: linesDTO(r.Matched), UnmatchedLines: linesDTO(r.UnmatchedLines),
		UnmatchedPayments: make([]oapi.UnmatchedPayment, len(r.UnmatchedPayments))}
	for i, p := range r.UnmatchedPayments {
		out.UnmatchedPayments[i] = oapi.UnmatchedPayment{PaymentID: p.PaymentID, GatewayReference: p.GatewayReference,
			BillingCode: p.BillingCode, Amount: p.Amount, PaidAt: p.PaidAt.UTC(), InvoiceID: optUUID(p.InvoiceID),
			Outcome: oapi.UnmatchedPaymentOutcome(p.Outcome)}
	}
	return out
}
