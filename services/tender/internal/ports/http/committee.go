package http

import (
	"context"

	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/internal/ports/http/oapi"
)

// ListCommitteeTenders is the caller's committee tenders, newest first,
// with what waits on each. The cursor has the wire form of the public
// list's, over the creation time.
func (s *server) ListCommitteeTenders(ctx context.Context, r oapi.ListCommitteeTendersRequestObject) (oapi.ListCommitteeTendersResponseObject, error) {
	limit, after, err := page(r.Params.Limit, r.Params.Cursor)
	if err != nil {
		return nil, err
	}
	var state domain.State
	if r.Params.State != nil {
		state = domain.State(*r.Params.State)
	}
	var from *app.CommitteeCursor
	if after != nil {
		from = &app.CommitteeCursor{CreatedAt: after.PublishedAt, ID: after.ID}
	}
	list, next, err := s.svc.CommitteeTenders(ctx, caller(ctx), state, limit, from)
	if err != nil {
		return nil, err
	}
	out := oapi.ListCommitteeTenders200JSONResponse{Items: make([]oapi.CommitteeTender, len(list))}
	if next != nil {
		out.NextCursor = nextCursor(&app.TenderCursor{PublishedAt: next.CreatedAt, ID: next.ID})
	}
	for i, ct := range list {
		out.Items[i] = oapi.CommitteeTender{
			Tender: tenderView(ct.Tender, true),
			Waiting: oapi.CommitteeWaiting{
				UnansweredQuestions: int32(ct.Waiting.UnansweredQuestions), UnansweredObjections: int32(ct.Waiting.UnansweredObjections),
				EvaluatedByMe: ct.Waiting.EvaluatedByMe,
			},
		}
	}
	return out, nil
}
