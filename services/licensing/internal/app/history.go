package app

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"gerbang/pkg/audit"
	"gerbang/pkg/caller"
	"gerbang/services/licensing/internal/domain"
)

// HistoryStep is one step of an application as its audit record tells
// it, for the people the application concerns: officers are named by
// role, never by person.
type HistoryStep struct {
	At          time.Time
	Action      string       // application.<action> or document.upload
	Actor       domain.Actor // applicant, officer or system
	State       domain.State // the state after the step, when it moved one
	Note        string       // the reason or note given
	Requirement string       // the document's requirement (document.upload)
	DocumentID  string
	Revisions   []domain.Revision // what a revision request asked
}

// History is every step of application id the caller may see, oldest
// first, read from the audit trail that records each step in the step's
// own transaction.
func (s *Service) History(ctx context.Context, c caller.Caller, id string) ([]HistoryStep, error) {
	if _, err := s.store.Application(ctx, id, ownerOf(c)); err != nil {
		return nil, err
	}
	trail, err := s.store.Trail(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryStep, 0, len(trail))
	for _, r := range trail {
		out = append(out, historyStep(r))
	}
	return out, nil
}

// stepView is what the audit records' after of an application step and of
// an upload hold (stateView, UploadDocument).
type stepView struct {
	State       string         `json:"state"`
	Requirement string         `json:"requirement"`
	DocumentID  string         `json:"document_id"`
	Revisions   []revisionView `json:"revisions"`
}

type revisionView struct {
	Requirement string `json:"requirement"`
	Note        string `json:"note,omitempty"`
}

func revisionViews(rs []domain.Revision) []revisionView {
	out := make([]revisionView, len(rs))
	for i, r := range rs {
		out[i] = revisionView{Requirement: r.Requirement, Note: r.Note}
	}
	return out
}

func historyStep(r audit.Recorded) HistoryStep {
	st := HistoryStep{At: r.At.UTC(), Action: r.Action, Actor: actorOf(r), Note: r.Reason}
	var v stepView
	if after, ok := r.After.(json.RawMessage); ok && json.Unmarshal(after, &v) == nil {
		st.State, st.Requirement, st.DocumentID = domain.State(v.State), v.Requirement, v.DocumentID
		for _, rv := range v.Revisions {
			st.Revisions = append(st.Revisions, domain.Revision{Requirement: rv.Requirement, Note: rv.Note})
		}
	}
	if strings.HasPrefix(r.Actor, "system:") {
		st.Note = "" // the rule's own wording, for auditors; the action says what happened
	}
	return st
}

// actorOf tells who took a step by the roles they acted with.
func actorOf(r audit.Recorded) domain.Actor {
	switch {
	case strings.HasPrefix(r.Actor, "system:"):
		return domain.ActorSystem
	case slices.Contains(r.ActorRoles, caller.RoleLicensingOfficer):
		return domain.ActorOfficer
	default:
		return domain.ActorApplicant
	}
}
