package app

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/domain"
)

func checkText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", apperr.InvalidFields("the "+field+" is empty", apperr.Field(field, "is required"))
	}
	if utf8.RuneCountInString(s) > max {
		return "", apperr.InvalidFields("the "+field+" is too long", apperr.Field(field, "is longer than %d characters", max))
	}
	return s, nil
}

// AskQuestion records a vendor's clarification question, before the bid
// deadline of a published tender.
func (s *Service) AskQuestion(ctx context.Context, c Caller, tenderID, question string) (postgres.Clarification, error) {
	if _, err := c.vendor(); err != nil {
		return postgres.Clarification{}, err
	}
	q, err := checkText("question", question, 4000)
	if err != nil {
		return postgres.Clarification{}, err
	}
	now := s.now()
	return s.store.AskQuestion(ctx, tenderID, q, c.who(), now, func(state string, deadline time.Time) error {
		t := &domain.Tender{State: domain.State(state), Terms: domain.Terms{BidDeadline: deadline}}
		if t.State == domain.StateDraft {
			return apperr.New(apperr.NotFound, "no such tender")
		}
		return t.AcceptsQuestions(now)
	})
}

// AnswerQuestion records the committee's public answer.
func (s *Service) AnswerQuestion(ctx context.Context, c Caller, tenderID, questionID, answer string) (postgres.Clarification, error) {
	a, err := checkText("answer", answer, 8000)
	if err != nil {
		return postgres.Clarification{}, err
	}
	return s.store.AnswerQuestion(ctx, tenderID, questionID, a, c.who(), s.now(), func(committee []string) error {
		if !c.HasRole(auth.RoleProcurementOfficer) || !slices.Contains(committee, c.Subject) {
			return apperr.New(apperr.Forbidden, "only the tender's committee answers its questions")
		}
		return nil
	})
}

// Clarifications lists a published tender's questions and answers.
func (s *Service) Clarifications(ctx context.Context, tenderID string) ([]postgres.Clarification, error) {
	t, err := s.store.Tender(ctx, tenderID)
	if err != nil {
		return nil, err
	}
	if t.State == domain.StateDraft {
		return nil, apperr.New(apperr.NotFound, "no such tender")
	}
	return s.store.Clarifications(ctx, tenderID)
}
