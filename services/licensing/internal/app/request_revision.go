package app

import (
	"context"
	"strings"
	"time"

	"gerbang/pkg/caller"
	"gerbang/services/licensing/internal/domain"
)

// RequestRevision sends the application back about one or more of its
// documents, each with the officer's comment.
func (s *Service) RequestRevision(ctx context.Context, c caller.Caller, id string, version int, revisions []domain.Revision) (ApplicationRecord, error) {
	return s.move(ctx, c, id, version, domain.ActorOfficer, revisionReason(revisions), func(a *domain.Application, now time.Time, cal domain.Calendar, _ Tx) ([]domain.Step, error) {
		return a.RequestRevision(domain.ActorOfficer, revisions, now, cal)
	})
}

// revisionReason is the audit record's reason of a revision request: each
// document's comment on a line of its own.
func revisionReason(revisions []domain.Revision) string {
	lines := make([]string, 0, len(revisions))
	for _, r := range revisions {
		if note := strings.TrimSpace(r.Note); note != "" {
			lines = append(lines, strings.TrimSpace(r.Requirement)+": "+note)
		}
	}
	return strings.Join(lines, "\n")
}
