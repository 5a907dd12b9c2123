package app

import (
	"context"
	"fmt"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/events"
	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/domain"
)

// ApplicationMoved is the data of every licensing.application.* event.
type ApplicationMoved struct {
	ApplicationID string  `json:"application_id"`
	BusinessID    string  `json:"business_id"`
	NIB           string  `json:"nib"`
	OwnerSubject  string  `json:"owner_subject"`
	KBLI          string  `json:"kbli"`
	LicenseType   string  `json:"license_type,omitempty"`
	Risk          string  `json:"risk,omitempty"`
	FromState     string  `json:"from_state"`
	State         string  `json:"state"`
	Actor         string  `json:"actor"` // applicant, officer or system
	Reason        string  `json:"reason,omitempty"`
	Requirement   string  `json:"requirement,omitempty"`
	Note          string  `json:"note,omitempty"`
	SLADueAt      *string `json:"sla_due_at,omitempty"`
	RenewalOf     string  `json:"renewal_of,omitempty"`
	At            string  `json:"at"`
}

// Money is an amount of whole rupiah.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// FeeRequested is the data of licensing.fee.requested: the payment service
// makes an invoice of it, and echoes purpose and reference in
// payment.invoice.paid.
type FeeRequested struct {
	ApplicationID string `json:"application_id"`
	PayerOrg      string `json:"payer_org"` // the business (its id) that pays
	PayerNIB      string `json:"payer_nib"`
	PayerName     string `json:"payer_name"`
	PayerSubject  string `json:"payer_subject"` // the user acting for it
	Amount        Money  `json:"amount"`
	Purpose       string `json:"purpose"`   // "license_fee"
	Reference     string `json:"reference"` // the application id
	Description   string `json:"description"`
}

// LicenseMoved is the data of every licensing.license.* event.
type LicenseMoved struct {
	LicenseID       string  `json:"license_id"`
	Number          string  `json:"number"`
	ApplicationID   string  `json:"application_id"`
	BusinessID      string  `json:"business_id"`
	NIB             string  `json:"nib"`
	OwnerSubject    string  `json:"owner_subject"`
	HolderName      string  `json:"holder_name"`
	KBLI            string  `json:"kbli"`
	LicenseType     string  `json:"license_type"`
	LicenseName     string  `json:"license_name"`
	Risk            string  `json:"risk"`
	Status          string  `json:"status"`
	ValidFrom       string  `json:"valid_from"`
	ValidUntil      *string `json:"valid_until,omitempty"`
	Reason          string  `json:"reason,omitempty"`
	PreviousLicense string  `json:"previous_license_id,omitempty"`
	At              string  `json:"at"`
}

// FeePurpose is the purpose of a license fee invoice.
const FeePurpose = "license_fee"

// eventTypeOf names the event a step publishes; "" for none.
func eventTypeOf(a domain.Action) string {
	switch a {
	case domain.ActionSubmit:
		return "licensing.application.submitted"
	case domain.ActionStartReview:
		return "licensing.application.review_started"
	case domain.ActionRequestRevision:
		return "licensing.application.revision_requested"
	case domain.ActionResubmit:
		return "licensing.application.resubmitted"
	case domain.ActionApprove, domain.ActionAutoApprove:
		return "licensing.application.approved"
	case domain.ActionReject:
		return "licensing.application.rejected"
	case domain.ActionWithdraw:
		return "licensing.application.withdrawn"
	case domain.ActionDeemApprove:
		return "licensing.application.deemed_approved"
	case domain.ActionRequestFee:
		return "licensing.fee.requested"
	case domain.ActionIssue:
		return "licensing.license.issued"
	}
	return ""
}

// CreateApplication starts a draft for one of the caller's businesses; a
// renewal names the license it renews.
func (s *Service) CreateApplication(ctx context.Context, c Caller, businessID, kbli string, size int64, renewalOf string) (domain.Application, error) {
	if err := c.applicant(); err != nil {
		return domain.Application{}, err
	}
	var out domain.Application
	err := s.store.InTx(ctx, func(tx *postgres.Tx) error {
		b, err := tx.Business(ctx, businessID, c.Subject)
		if err != nil {
			if apperr.Is(err, apperr.NotFound) {
				return apperr.InvalidFields("no such business of yours", apperr.Field("business_id", "name one of your businesses"))
			}
			return err
		}
		if renewalOf != "" {
			l, err := tx.LockLicense(ctx, renewalOf)
			if err != nil || l.OwnerSubject != c.Subject {
				return apperr.InvalidFields("no such license of yours", apperr.Field("renewal_of", "name one of your licenses"))
			}
			if l.BusinessID != b.ID || l.KBLI != kbli {
				return apperr.InvalidFields("a renewal is for the same business and activity",
					apperr.Field("renewal_of", "license %s is for business %s, KBLI %s", l.Number, l.BusinessID, l.KBLI))
			}
		}
		now := s.clock.Now()
		a, err := domain.NewApplication(b.Business, kbli, size, renewalOf, now)
		if err != nil {
			return err
		}
		if out, err = tx.InsertApplication(ctx, a); err != nil {
			return err
		}
		return tx.Audit(ctx, audit.Entry{
			Actor: c.Subject, ActorRoles: c.Roles, Action: "application.create", EntityType: "application", EntityID: out.ID,
			After:     map[string]any{"state": out.State, "business_id": out.BusinessID, "kbli": out.KBLI, "size": out.Size, "renewal_of": out.RenewalOf},
			RequestID: c.RequestID, At: now,
		})
	})
	return out, err
}

// Application returns an application the caller may see.
func (s *Service) Application(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.store.Application(ctx, id, c.owner())
}

// MyApplications lists the applications the caller may see: a business its
// own, officers and auditors all.
func (s *Service) MyApplications(ctx context.Context, c Caller, p postgres.Page) ([]postgres.ApplicationRecord, string, error) {
	return s.store.Applications(ctx, c.owner(), p)
}

// ReviewQueue lists what officers have to decide, by SLA due date.
func (s *Service) ReviewQueue(ctx context.Context, c Caller, p postgres.Page) ([]postgres.ApplicationRecord, string, error) {
	if err := c.officer(); err != nil {
		return nil, "", err
	}
	return s.store.ReviewQueue(ctx, p)
}

// transition is a change an actor makes to a locked application.
type transition func(a *domain.Application, now time.Time, cal domain.Calendar, tx *postgres.Tx) ([]domain.Step, error)

// move locks the application (the caller's own, for an applicant), applies
// change and records it.
func (s *Service) move(ctx context.Context, c Caller, id string, actor domain.Actor, reason string, change transition) (postgres.ApplicationRecord, error) {
	switch actor {
	case domain.ActorApplicant:
		if err := c.applicant(); err != nil {
			return postgres.ApplicationRecord{}, err
		}
	case domain.ActorOfficer:
		if err := c.officer(); err != nil {
			return postgres.ApplicationRecord{}, err
		}
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return postgres.ApplicationRecord{}, err
	}
	owner := ""
	if actor == domain.ActorApplicant {
		owner = c.Subject
	}
	var out postgres.ApplicationRecord
	err = s.store.InTx(ctx, func(tx *postgres.Tx) error {
		rec, err := tx.LockApplication(ctx, id, owner)
		if err != nil {
			return err
		}
		if c.ExpectVersion != 0 && c.ExpectVersion != rec.Version {
			return apperr.New(apperr.PreconditionFailed, "the application changed since you read it (version %d is now %d); reload it and try again",
				c.ExpectVersion, rec.Version).With("current_version", rec.Version).With("current_state", string(rec.State))
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
func (s *Service) record(ctx context.Context, tx *postgres.Tx, before domain.Application, rec *postgres.ApplicationRecord, steps []domain.Step, w who) error {
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

func (s *Service) publishStep(ctx context.Context, tx *postgres.Tx, b domain.Business, a domain.Application, st domain.Step, w who) error {
	typ := eventTypeOf(st.Action)
	if typ == "" {
		return nil
	}
	var data any
	aggregate := "application/" + a.ID
	switch st.Action {
	case domain.ActionRequestFee:
		data = FeeRequested{
			ApplicationID: a.ID, PayerOrg: b.ID, PayerNIB: string(b.NIB), PayerName: b.Name, PayerSubject: b.OwnerSubject,
			Amount: Money{Amount: a.Terms.Fee, Currency: "IDR"}, Purpose: FeePurpose, Reference: a.ID,
			Description: fmt.Sprintf("Retribusi %s (KBLI %s) untuk %s", a.Terms.LicenseName, a.KBLI, b.Name),
		}
	case domain.ActionIssue:
		return s.issue(ctx, tx, b, a, st.At)
	default:
		d := ApplicationMoved{
			ApplicationID: a.ID, BusinessID: a.BusinessID, NIB: string(b.NIB), OwnerSubject: a.OwnerSubject, KBLI: a.KBLI,
			FromState: string(st.From), State: string(st.To), Actor: string(st.Actor), RenewalOf: a.RenewalOf, At: rfc3339(st.At),
		}
		if a.Terms != nil {
			d.LicenseType, d.Risk = a.Terms.LicenseType, string(a.Terms.Risk)
		}
		switch st.Action {
		case domain.ActionReject:
			d.Reason = a.Reason
		case domain.ActionRequestRevision:
			d.Requirement, d.Note = a.RevisionRequirement, a.RevisionNote
		case domain.ActionSubmit, domain.ActionResubmit:
			if a.SLA.DueAt != nil {
				due := rfc3339(*a.SLA.DueAt)
				d.SLADueAt = &due
			}
		}
		data = d
	}
	ev, err := events.New(Source, typ, a.ID, data, st.At)
	if err != nil {
		return err
	}
	return tx.Publish(ctx, ev, aggregate)
}

// issue creates the license of an application and publishes
// licensing.license.issued (and .renewed for a renewal).
func (s *Service) issue(ctx context.Context, tx *postgres.Tx, b domain.Business, a domain.Application, now time.Time) error {
	serial, err := tx.NextLicenseSerial(ctx)
	if err != nil {
		return err
	}
	l, err := tx.InsertLicense(ctx, domain.NewLicense(a, b, domain.LicenseNumber(now, serial), now))
	if err != nil {
		return err
	}
	if err := tx.Audit(ctx, audit.Entry{
		Actor: "system:issuance", Action: "license.issue", EntityType: "license", EntityID: l.ID,
		After: l, At: now, Reason: "application " + a.ID + " approved and its fee, if any, paid",
	}); err != nil {
		return err
	}
	types := []string{"licensing.license.issued"}
	if a.RenewalOf != "" {
		types = append(types, "licensing.license.renewed")
	}
	for _, typ := range types {
		data := licenseMoved(l, "", now)
		if typ == "licensing.license.renewed" {
			data.PreviousLicense = a.RenewalOf
		}
		ev, err := events.New(Source, typ, l.ID, data, now)
		if err != nil {
			return err
		}
		if err := tx.Publish(ctx, ev, "license/"+l.ID); err != nil {
			return err
		}
	}
	return nil
}

func licenseMoved(l domain.License, reason string, now time.Time) LicenseMoved {
	d := LicenseMoved{
		LicenseID: l.ID, Number: l.Number, ApplicationID: l.ApplicationID, BusinessID: l.BusinessID, NIB: string(l.NIB),
		OwnerSubject: l.OwnerSubject, HolderName: l.HolderName, KBLI: l.KBLI, LicenseType: l.LicenseType,
		LicenseName: l.LicenseName, Risk: string(l.Risk), Status: string(l.Status), ValidFrom: rfc3339(l.ValidFrom),
		Reason: reason, At: rfc3339(now),
	}
	if l.ValidUntil != nil {
		u := rfc3339(*l.ValidUntil)
		d.ValidUntil = &u
	}
	return d
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
	return v
}

// Submit freezes the rules in force now; low and medium-low risk are
// issued (or sent to payment) at once, the others start their SLA.
func (s *Service) Submit(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorApplicant, "", func(a *domain.Application, now time.Time, cal domain.Calendar, tx *postgres.Tx) ([]domain.Step, error) {
		if a.State != domain.StateDraft {
			_, err := domain.Next(a.State, domain.ActionSubmit, domain.ActorApplicant)
			return nil, err
		}
		d, err := tx.Determine(ctx, a.KBLI, a.Scale, a.Size, now)
		if err != nil {
			return nil, err
		}
		uploaded, err := tx.UploadedRequirements(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return a.Submit(domain.ActorApplicant, d, uploaded, now, cal)
	})
}

// Withdraw takes an application back before a decision.
func (s *Service) Withdraw(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorApplicant, "", func(a *domain.Application, now time.Time, cal domain.Calendar, _ *postgres.Tx) ([]domain.Step, error) {
		return a.Withdraw(domain.ActorApplicant, now, cal)
	})
}

// Resubmit answers a revision request.
func (s *Service) Resubmit(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorApplicant, "", func(a *domain.Application, now time.Time, cal domain.Calendar, _ *postgres.Tx) ([]domain.Step, error) {
		return a.Resubmit(domain.ActorApplicant, now, cal)
	})
}

// StartReview is the completeness check: the review begins once every
// requirement has a document.
func (s *Service) StartReview(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorOfficer, "", func(a *domain.Application, now time.Time, _ domain.Calendar, tx *postgres.Tx) ([]domain.Step, error) {
		uploaded, err := tx.UploadedRequirements(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return a.StartReview(domain.ActorOfficer, uploaded, now)
	})
}

// Approve decides in favour: the license is issued or its fee requested.
func (s *Service) Approve(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorOfficer, "", func(a *domain.Application, now time.Time, cal domain.Calendar, _ *postgres.Tx) ([]domain.Step, error) {
		return a.Approve(domain.ActorOfficer, now, cal)
	})
}

// Reject decides against, with a reason.
func (s *Service) Reject(ctx context.Context, c Caller, id, reason string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorOfficer, reason, func(a *domain.Application, now time.Time, cal domain.Calendar, _ *postgres.Tx) ([]domain.Step, error) {
		return a.Reject(domain.ActorOfficer, reason, now, cal)
	})
}

// RequestRevision sends the application back about one requirement.
func (s *Service) RequestRevision(ctx context.Context, c Caller, id, requirement, note string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorOfficer, note, func(a *domain.Application, now time.Time, cal domain.Calendar, _ *postgres.Tx) ([]domain.Step, error) {
		return a.RequestRevision(domain.ActorOfficer, requirement, note, now, cal)
	})
}
