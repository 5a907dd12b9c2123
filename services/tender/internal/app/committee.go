package app

import (
	"context"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/tender/internal/domain"
)

// The committee's own list: every tender an officer sits on the committee
// of, with what waits for the committee on each.

// Waiting is what waits for the committee on a tender.
type Waiting struct {
	UnansweredQuestions  int
	UnansweredObjections int
	EvaluatedByMe        bool // the member has recorded an assessment or a score
}

// CommitteeTender is a tender of the member's committee and what waits on it.
type CommitteeTender struct {
	Tender  *domain.Tender
	Waiting Waiting
}

// CommitteeCursor is the position after which a page of a member's
// committee tenders starts (the keyset: creation time, id).
type CommitteeCursor struct {
	CreatedAt time.Time
	ID        string
}

// CommitteeTenders lists a page of the tenders whose committee names the
// caller, newest first, only those in state when it is set.
func (s *Service) CommitteeTenders(ctx context.Context, c Caller, state domain.State, limit int, after *CommitteeCursor) (page []CommitteeTender, next *CommitteeCursor, err error) {
	if !c.HasRole(auth.RoleProcurementOfficer) {
		return nil, nil, apperr.New(apperr.Forbidden, "only procurement officers sit on committees")
	}
	if limit < 1 || limit > MaxPageSize {
		return nil, nil, apperr.InvalidFields("limit is 1 to 100", apperr.Field("query.limit", "must be between 1 and %d", MaxPageSize))
	}
	list, err := s.store.CommitteeTenders(ctx, c.Subject, state, limit+1, after)
	if err != nil {
		return nil, nil, err
	}
	if len(list) > limit {
		last := list[limit-1].Tender
		return list[:limit], &CommitteeCursor{CreatedAt: last.CreatedAt, ID: last.ID}, nil
	}
	return list, nil, nil
}
