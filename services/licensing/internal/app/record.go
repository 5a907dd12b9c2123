package app

import (
	"context"
	"fmt"
	"time"

	"gerbang/pkg/audit"
	"gerbang/pkg/caller"
	"gerbang/services/licensing/internal/domain"
)

// transition is a change an actor makes to a locked application.
type transition func(a *domain.Application, now time.Time, cal domain.Calendar, tx Tx) ([]domain.Step, error)

// move locks the application (the caller's own, for an applicant), applies
// change and records it.
func (s *Service) move(ctx context.Context, c caller.Caller, id string, version int, actor domain.Actor, reason string, change transition) (ApplicationRecord, error) {
	switch actor {
	case domain.ActorApplicant:
		if err := mustBeApplicant(c); err != nil {
			return ApplicationRecord{}, err
		}
	case domain.ActorOfficer:
		if err := mustBeOfficer(c); err != nil {
			return ApplicationRecord{}, err
		}
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return ApplicationRecord{}, err
	}
	owner := ""
	if actor == domain.ActorApplicant {
		owner = c.Subject
	}
	var out ApplicationRecord
	err = s.store.InTx(ctx, func(tx Tx) error {
		rec, err := tx.LockApplication(ctx, id, owner)
		if err != nil {
			return err
		}
		if err := checkVersion("application", version, rec.Version); err != nil {
			return err.With("current_state", string(rec.State))
		}
		now := s.clock.Now()
		before := rec.Application
		steps, err := change(&rec.Application, now, cal, tx)
		if err != nil {
			return err
		}
		who := who{subject: c.Subject, roles: c.Roles, requestID: c.RequestID, reason: reason}
		if err := s.record(ctx, tx, before, &rec, steps, who); err != nil {
			return err
		}
		out = rec
		return nil
	})
	return out, err
}

// who made a change, for the audit trail.
type who struct {
	subject   string
	roles     []string
	requestID string
	reason    string
}

// record saves the application, and for each step publishes its event,
// writes its audit record, and issues the license of an issue step.
func (s *Service) record(ctx context.Context, tx Tx, before domain.Application, rec *ApplicationRecord, steps []domain.Step, w who) error {
	a := &rec.Application
	if err := tx.SaveApplication(ctx, *a, rec.PaymentInvoiceID); err != nil {
		return err
	}
	rec.Version++
	holder := rec.Holder
	if holder.NIB == "" {
		b, err := tx.Business(ctx, a.BusinessID, "")
		if err != nil {
			return err
		}
		holder = b.Business
	}
	for _, st := range steps {
		actor, reason := w.subject, w.reason
		if st.Actor == domain.ActorSystem {
			actor, reason = "system:"+ruleOf(st.Action), ruleReason(st.Action, before, *a)
		}
		if err := tx.Audit(ctx, audit.Entry{
			Actor: actor, ActorRoles: w.roles, Action: "application." + string(st.Action), EntityType: "application",
			EntityID: a.ID, Before: stateView(before, st.From), After: stateView(*a, st.To), RequestID: w.requestID,
			At: st.At, Reason: reason,
		}); err != nil {
			return err
		}
		if err := s.publishStep(ctx, tx, holder, *a, st, w); err != nil {
			return err
		}
	}
	return nil
}

// ruleOf names the rule by which the system took a step.
func ruleOf(a domain.Action) string {
	switch a {
	case domain.ActionDeemApprove:
		return "fiktif-positif"
	case domain.ActionAutoApprove:
		return "risk-based-auto-approval"
	case domain.ActionRequestFee:
		return "fee-required"
	case domain.ActionIssue:
		return "issuance"
	}
	return string(a)
}

// FiktifPositifRule is the rule a deemed approval names in its audit record.
const FiktifPositifRule = "fiktif-positif: UU 30/2014 Pasal 53 as amended by UU 6/2023 — an application not decided within its SLA is deemed approved"

func ruleReason(a domain.Action, before, after domain.Application) string {
	switch a {
	case domain.ActionDeemApprove:
		due := ""
		if before.SLA.DueAt != nil {
			due = rfc3339(*before.SLA.DueAt)
		}
		return fmt.Sprintf("%s (SLA of %d working days ran out at %s)", FiktifPositifRule, before.SLA.Days, due)
	case domain.ActionAutoApprove:
		return fmt.Sprintf("risk %s needs no review (OSS-RBA)", after.Terms.Risk)
	case domain.ActionRequestFee:
		return fmt.Sprintf("license type %s v%d carries a fee of IDR %d", after.Terms.LicenseType, after.Terms.TypeVersion, after.Terms.Fee)
	case domain.ActionIssue:
		return "approved, and the fee is paid or none is due"
	}
	return ""
}

// stateView is what the audit trail keeps of an application at a step.
func stateView(a domain.Application, state domain.State) map[string]any {
	v := map[string]any{"state": state, "version": a.Version}
	if a.SLA.DueAt != nil {
		v["sla_due_at"] = rfc3339(*a.SLA.DueAt)
	}
	if state == domain.StateRevisionRequested && a.State == state {
		v["revisions"] = revisionViews(a.Revisions)
	}
	return v
}
