package app

import (
	"context"
	"strings"
	"unicode/utf8"

	"gerbang/pkg/apperr"
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
func (s *Service) AskQuestion(ctx context.Context, c Caller, tenderID, question string) (Clarification, error) {
	if _, err := c.vendor(); err != nil {
		return Clarification{}, err
	}
	q, err := checkText("question", question, 4000)
	if err != nil {
		return Clarification{}, err
	}
	now := s.now()
	return s.store.AskQuestion(ctx, tenderID, q, c.who(), now, func(t *domain.Tender) error {
		if err := t.VisibleTo(domain.ActorOther); err != nil {
			return err
		}
		return t.AcceptsQuestions(now)
	})
}

// AnswerQuestion records the committee's public answer.
func (s *Service) AnswerQuestion(ctx context.Context, c Caller, tenderID, questionID, answer string) (Clarification, error) {
	a, err := checkText("answer", answer, 8000)
	if err != nil {
		return Clarification{}, err
	}
	return s.store.AnswerQuestion(ctx, tenderID, questionID, a, c.who(), s.now(), func(t *domain.Tender) error {
		if c.actorOn(t) != domain.ActorCommittee {
			return apperr.New(apperr.Forbidden, "only the tender's committee answers its questions")
		}
		return nil
	})
}

// Clarifications lists a published tender's questions and answers.
func (s *Service) Clarifications(ctx context.Context, tenderID string) ([]Clarification, error) {
	t, err := s.store.Tender(ctx, tenderID)
	if err != nil {
		return nil, err
	}
	if err := t.VisibleTo(domain.ActorOther); err != nil {
		return nil, err
	}
	return s.store.Clarifications(ctx, tenderID)
}
