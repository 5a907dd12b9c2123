package app

import (
	"context"
	"fmt"
	"time"

	"gerbang/pkg/audit"
	"gerbang/pkg/journal"
	"gerbang/services/licensing/internal/domain"
)

// Subjects of the events licensing publishes: each is also the NATS subject
// and the CloudEvents type, and has its schema in api/events/<subject>.json
// (checked by TestEveryEventMatchesItsSchema).
const (
	SubjectBusinessRegistered           = "licensing.business.registered"
	SubjectBusinessUpdated              = "licensing.business.updated"
	SubjectApplicationSubmitted         = "licensing.application.submitted"
	SubjectApplicationReviewStarted     = "licensing.application.review_started"
	SubjectApplicationRevisionRequested = "licensing.application.revision_requested"
	SubjectApplicationResubmitted       = "licensing.application.resubmitted"
	SubjectApplicationApproved          = "licensing.application.approved"
	SubjectApplicationRejected          = "licensing.application.rejected"
	SubjectApplicationWithdrawn         = "licensing.application.withdrawn"
	SubjectApplicationDeemedApproved    = "licensing.application.deemed_approved"
	SubjectFeeRequested                 = "licensing.fee.requested"
	SubjectLicenseIssued                = "licensing.license.issued"
	SubjectLicenseRenewed               = "licensing.license.renewed"
	SubjectLicenseSuspended             = "licensing.license.suspended"
	SubjectLicenseReinstated            = "licensing.license.reinstated"
	SubjectLicenseRevoked               = "licensing.license.revoked"
	SubjectLicenseExpired               = "licensing.license.expired"
	SubjectLicenseExpiring              = "licensing.license.expiring"
	SubjectInvoicePaid                  = "payment.invoice.paid" // consumed
)

// ApplicationMoved is the data of every licensing.application.* event.
type ApplicationMoved struct {
	ApplicationID string `json:"application_id"`
	BusinessID    string `json:"business_id"`
	NIB           string `json:"nib"`
	OwnerSubject  string `json:"owner_subject"`
	KBLI          string `json:"kbli"`
	LicenseType   string `json:"license_type,omitempty"`
	Risk          string `json:"risk,omitempty"`
	FromState     string `json:"from_state"`
	State         string `json:"state"`
	Actor         string `json:"actor"` // applicant, officer or system
	Reason        string `json:"reason,omitempty"`
	Requirement   string `json:"requirement,omitempty"`
	Note          string `json:"note,omitempty"`
	// Revisions are the documents a revision request names, each with its
	// comment; Requirement and Note are the first.
	Revisions []revisionView `json:"revisions,omitempty"`
	SLADueAt  *string        `json:"sla_due_at,omitempty"`
	RenewalOf string         `json:"renewal_of,omitempty"`
	At        string         `json:"at"`
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
	return map[domain.Action]string{
		domain.ActionSubmit:          SubjectApplicationSubmitted,
		domain.ActionStartReview:     SubjectApplicationReviewStarted,
		domain.ActionRequestRevision: SubjectApplicationRevisionRequested,
		domain.ActionResubmit:        SubjectApplicationResubmitted,
		domain.ActionApprove:         SubjectApplicationApproved,
		domain.ActionAutoApprove:     SubjectApplicationApproved,
		domain.ActionReject:          SubjectApplicationRejected,
		domain.ActionWithdraw:        SubjectApplicationWithdrawn,
		domain.ActionDeemApprove:     SubjectApplicationDeemedApproved,
		domain.ActionRequestFee:      SubjectFeeRequested,
		domain.ActionIssue:           SubjectLicenseIssued,
	}[a]
}

func (s *Service) publishStep(ctx context.Context, tx Tx, b domain.Business, a domain.Application, st domain.Step, w who) error {
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
			d.Requirement, d.Note, d.Revisions = a.RevisionRequirement, a.RevisionNote, revisionViews(a.Revisions)
		case domain.ActionSubmit, domain.ActionResubmit:
			if st.Action == domain.ActionResubmit {
				d.Note = w.reason
			}
			if a.SLA.DueAt != nil {
				due := rfc3339(*a.SLA.DueAt)
				d.SLADueAt = &due
			}
		}
		data = d
	}
	return tx.Publish(ctx, journal.Event{Type: typ, Subject: a.ID, Aggregate: aggregate, Data: data, At: st.At})
}

// issue creates the license of an application and publishes
// licensing.license.issued (and .renewed for a renewal).
func (s *Service) issue(ctx context.Context, tx Tx, b domain.Business, a domain.Application, now time.Time) error {
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
	types := []string{SubjectLicenseIssued}
	if a.RenewalOf != "" {
		types = append(types, SubjectLicenseRenewed)
	}
	for _, typ := range types {
		data := licenseMoved(l, "", now)
		if typ == SubjectLicenseRenewed {
			data.PreviousLicense = a.RenewalOf
		}
		if err := tx.Publish(ctx, journal.Event{Type: typ, Subject: l.ID, Aggregate: "license/" + l.ID, Data: data, At: now}); err != nil {
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
