package app_test

import (
	"slices"
	"testing"
	"time"

	"gerbang/pkg/idempotency"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/app"
	"gerbang/services/licensing/internal/domain"
)

// TestTheDatabaseSelectsTheStatesTheDomainNames is the table test of the
// SQL and the domain: one overdue application in every state and one
// lapsed license in every status, and the queries of the review queue, of
// deemed approval, of expiry and of reminders select exactly those the
// domain's machine says (an officer's decision or a resubmission may start
// from the state; deem_approve may; expire may; the license is in force).
func TestTheDatabaseSelectsTheStatesTheDomainNames(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "micro", "62010")
	now := h.clock.Now()
	byState := map[string]domain.State{}
	for _, st := range domain.States() {
		a, err := h.svc.CreateApplication(h.ctx, owner, idempotency.Key{}, b.ID, "62010", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.db.Exec(`UPDATE application SET state = $2, sla_due_at = $3 WHERE id = $1`, a.ID, string(st), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		byState[a.ID] = st
	}
	may := func(st domain.State, actions ...domain.Action) bool {
		for _, a := range actions {
			for _, actor := range []domain.Actor{domain.ActorApplicant, domain.ActorOfficer, domain.ActorSystem} {
				if _, err := domain.Next(st, a, actor); err == nil {
					return true
				}
			}
		}
		return false
	}

	queue, _, err := h.store.ReviewQueue(h.ctx, domain.QueueSelection{States: domain.ReviewQueueStates()}, keyset.Page{Limit: keyset.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var overdue []app.ApplicationRecord
	if err := h.store.InTx(h.ctx, func(tx app.Tx) error {
		overdue, err = tx.LockOverdue(h.ctx, domain.DeemableStates(), now, 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for id, st := range byState {
		inQueue := slices.ContainsFunc(queue, func(r app.ApplicationRecord) bool { return r.ID == id })
		if want := may(st, domain.ActionStartReview, domain.ActionApprove, domain.ActionReject, domain.ActionRequestRevision, domain.ActionResubmit); inQueue != want {
			t.Errorf("%s: in the review queue %v, the domain says %v", st, inQueue, want)
		}
		isOverdue := slices.ContainsFunc(overdue, func(r app.ApplicationRecord) bool { return r.ID == id })
		if want := may(st, domain.ActionDeemApprove); isOverdue != want {
			t.Errorf("%s: taken for deemed approval %v, the domain says %v", st, isOverdue, want)
		}
	}

	// One license in every status, its validity ended an hour ago.
	byStatus := map[string]domain.LicenseStatus{}
	ids := make([]string, 0, len(byState))
	for id := range byState {
		ids = append(ids, id)
	}
	for i, status := range domain.LicenseStatuses() {
		until := now.Add(-time.Hour)
		var l domain.License
		if err := h.store.InTx(h.ctx, func(tx app.Tx) error {
			l, err = tx.InsertLicense(h.ctx, domain.License{Number: "LIC-TEST-" + string(status), ApplicationID: ids[i], BusinessID: b.ID,
				OwnerSubject: owner.Subject, HolderName: b.Name, NIB: b.NIB, KBLI: "62010", IssuedAt: now.AddDate(-1, 0, 0),
				ValidFrom: now.AddDate(-1, 0, 0), ValidUntil: &until, Status: domain.LicenseActive})
			if err != nil {
				return err
			}
			return tx.SetLicenseStatus(h.ctx, l.ID, status, "test", now)
		}); err != nil {
			t.Fatal(err)
		}
		byStatus[l.ID] = status
	}
	var expiring, toRemind []app.LicenseRecord
	if err := h.store.InTx(h.ctx, func(tx app.Tx) error {
		if expiring, err = tx.LockExpiring(h.ctx, domain.ExpirableStatuses(), now, 100); err != nil {
			return err
		}
		toRemind, err = tx.LockToRemind(h.ctx, domain.RemindableStatuses(), now, 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for id, status := range byStatus {
		_, err := domain.NextLicenseStatus(status, domain.LicenseExpire)
		if got := slices.ContainsFunc(expiring, func(r app.LicenseRecord) bool { return r.ID == id }); got != (err == nil) {
			t.Errorf("license %s: taken for expiry %v, the domain says %v", status, got, err == nil)
		}
		if got := slices.ContainsFunc(toRemind, func(r app.LicenseRecord) bool { return r.ID == id }); got != status.InForce() {
			t.Errorf("license %s: taken for a reminder %v, the domain says %v", status, got, status.InForce())
		}
	}
}
