package postgres

import (
	"context"
	"fmt"
	"strconv"

	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// CommitteeTenders lists the tenders whose committee names member, newest
// first, with the questions and objections not yet answered and whether the
// member has recorded an evaluation, in one query.
func (s *Store) CommitteeTenders(ctx context.Context, member string, state domain.State, limit int, after *app.CommitteeCursor) ([]app.CommitteeTender, error) {
	args := []any{limit, member}
	where := `t.id IN (SELECT m.tender_id FROM tender_committee m WHERE m.member = $2)`
	if state != "" {
		args = append(args, string(state))
		where += ` AND t.state = $` + strconv.Itoa(len(args))
	}
	if after != nil {
		args = append(args, after.CreatedAt, after.ID)
		where += fmt.Sprintf(` AND (t.created_at, t.id) < ($%d, $%d)`, len(args)-1, len(args))
	}
	var rows []struct {
		tenderRow
		UnansweredQuestions  int  `db:"unanswered_questions"`
		UnansweredObjections int  `db:"unanswered_objections"`
		EvaluatedByMe        bool `db:"evaluated_by_me"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+tenderColumns+`,
		(SELECT count(*) FROM clarification c WHERE c.tender_id = t.id AND c.answer IS NULL) AS unanswered_questions,
		(SELECT count(*) FROM objection o WHERE o.tender_id = t.id AND o.answer IS NULL) AS unanswered_objections,
		(EXISTS (SELECT 1 FROM member_score ms WHERE ms.tender_id = t.id AND ms.member = $2)
		 OR EXISTS (SELECT 1 FROM assessment a WHERE a.tender_id = t.id AND a.assessed_by = $2)) AS evaluated_by_me
		FROM tender t WHERE `+where+` ORDER BY t.created_at DESC, t.id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("list committee tenders: %w", err)
	}
	out := make([]app.CommitteeTender, 0, len(rows))
	for _, r := range rows {
		t, err := r.tender()
		if err != nil {
			return nil, err
		}
		out = append(out, app.CommitteeTender{Tender: t, Waiting: app.Waiting{
			UnansweredQuestions: r.UnansweredQuestions, UnansweredObjections: r.UnansweredObjections, EvaluatedByMe: r.EvaluatedByMe,
		}})
	}
	return out, nil
}
