package app_test

import (
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/caller"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/app"
	"gerbang/services/licensing/internal/domain"
)

func TestRegisteringABusinessGivesANIBAtOnceAndPublishesIt(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "micro", "56101")
	if !domain.ValidNIB(string(b.NIB)) || b.NPWP != "0012345678901000" {
		t.Fatalf("business %+v", b.Business)
	}
	evs := h.events(b.ID)
	if len(evs) != 1 || evs[0].Type != "licensing.business.registered" || evs[0].Data["nib"] != string(b.NIB) {
		t.Fatalf("events %+v", evs)
	}
	if n := h.count(`SELECT count(*) FROM audit_record WHERE entity_id = $1 AND action = 'business.register'`, b.ID); n != 1 {
		t.Fatalf("%d audit records", n)
	}
	if _, err := h.svc.RegisterBusiness(h.ctx, officer, idempotency.Key{}, domain.BusinessInput{}); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("officer registering: %v; want Forbidden", err)
	}
	if _, err := h.svc.Business(h.ctx, other, b.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another owner reading: %v; want NotFound", err)
	}
	list, _, err := h.svc.MyBusinesses(h.ctx, other, keyset.Page{})
	if err != nil || len(list) != 0 {
		t.Fatalf("another owner's list: %v %v", list, err)
	}
}

func TestCatalogSeedHasRealKBLICodesFromSeveralSectors(t *testing.T) {
	h := newHarness(t)
	rules, err := h.svc.KBLIRules(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	types, err := h.svc.LicenseTypes(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, lt := range types {
		known[lt.Code] = true
	}
	sectors := map[string]bool{}
	risks := map[domain.RiskLevel]bool{}
	for _, r := range rules {
		if err := r.Validate(); err != nil {
			t.Error(err)
		}
		sectors[r.Sector] = true
		for _, b := range r.Bands {
			risks[b.Risk] = true
			if !known[b.LicenseType] {
				t.Errorf("KBLI %s names unknown license type %s", r.KBLI, b.LicenseType)
			}
		}
	}
	if len(rules) < 15 || len(sectors) < 8 || len(risks) != 4 {
		t.Fatalf("%d KBLI rules, %d sectors, %d risk levels", len(rules), len(sectors), len(risks))
	}
	for _, k := range []string{"56101", "55110", "01411", "82920"} {
		if !slices.ContainsFunc(rules, func(r domain.KBLIRule) bool { return r.KBLI == k }) {
			t.Errorf("KBLI %s missing", k)
		}
	}
}

func TestWhatDoINeedAnswersByKBLIScaleAndSize(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		kbli  string
		scale domain.Scale
		size  int64
		risk  domain.RiskLevel
		typ   string
		fee   int64
	}{
		{"56101", domain.ScaleMicro, 0, domain.RiskLow, "NIB-RENDAH", 0},
		{"56101", domain.ScaleLarge, 0, domain.RiskMediumHigh, "SSV-PANGAN", 500000},
		{"55110", domain.ScaleMedium, 40, domain.RiskMediumHigh, "SSV-HOTEL", 2500000},
		{"55110", domain.ScaleMedium, 150, domain.RiskHigh, "IZIN-HOTEL", 5000000},
		{"01411", domain.ScaleSmall, 50, domain.RiskLow, "NIB-RENDAH", 0},
		{"01411", domain.ScaleSmall, 500, domain.RiskMediumHigh, "SSV-PETERNAKAN", 1000000},
		{"01411", domain.ScaleSmall, 1500, domain.RiskHigh, "IZIN-PETERNAKAN", 2500000},
		{"82920", domain.ScaleMedium, 0, domain.RiskMediumLow, "SS-MANDIRI", 0},
	}
	for _, c := range cases {
		d, err := h.svc.Requirements(h.ctx, c.kbli, c.scale, c.size, nil)
		if err != nil || d.Band.Risk != c.risk || d.LicenseType.Code != c.typ || d.LicenseType.Fee != c.fee {
			t.Errorf("%s %s %d: %s %s %d, %v; want %s %s %d", c.kbli, c.scale, c.size, d.Band.Risk, d.LicenseType.Code, d.LicenseType.Fee, err, c.risk, c.typ, c.fee)
		}
	}
	if _, err := h.svc.Requirements(h.ctx, "99999", domain.ScaleMicro, 0, nil); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown KBLI: %v; want NotFound", err)
	}
	if _, err := h.svc.Requirements(h.ctx, "561", domain.ScaleMicro, 0, nil); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad KBLI: %v; want Invalid", err)
	}
}

func TestAnApplicationKeepsTheRulesInForceWhenItWasSubmitted(t *testing.T) {
	h := newHarness(t)
	h.clock.Set(wib("2026-12-30 09:00"))
	b := h.business(owner, "large", "56101")
	a := h.submitted(owner, b, "56101", 0)
	if a.Terms.TypeVersion != 1 || a.Terms.Fee != 500000 {
		t.Fatalf("terms at submission %+v", a.Terms)
	}
	h.clock.Set(wib("2027-01-04 09:00")) // version 2 is in force from 2027
	next := wib("2027-01-04 09:00")
	if d, err := h.svc.Requirements(h.ctx, "56101", domain.ScaleLarge, 0, &next); err != nil || d.LicenseType.Version != 2 || d.LicenseType.Fee != 750000 {
		t.Fatalf("rules of 2027: %+v %v", d.LicenseType, err)
	}
	if _, err := h.svc.StartReview(h.ctx, officer, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	got, err := h.svc.Approve(h.ctx, officer, a.ID, 0)
	if err != nil || got.State != domain.StateAwaitingPayment {
		t.Fatalf("approve: %v %v", got.State, err)
	}
	evs := h.events(a.ID)
	fee := evs[len(evs)-1]
	if fee.Type != "licensing.fee.requested" || fee.Data["amount"].(map[string]any)["amount"] != float64(500000) {
		t.Fatalf("fee event %+v", fee)
	}
}

func TestLowAndMediumLowRiskAreIssuedAtSubmissionWithoutReview(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "62010", "82920")
	for _, kbli := range []string{"62010", "82920"} {
		a := h.submitted(owner, b, kbli, 0)
		if a.State != domain.StateIssued {
			t.Fatalf("%s: state %s; want issued", kbli, a.State)
		}
		l, err := h.svc.LicenseOfApplication(h.ctx, owner, a.ID)
		if err != nil || !strings.HasPrefix(l.Number, "LIC-2026-") || l.Status != domain.LicenseActive {
			t.Fatalf("%s: license %+v %v", kbli, l, err)
		}
		want := []string{"licensing.application.submitted", "licensing.application.approved"}
		if got := h.eventTypes(a.ID); !slices.Equal(got, want) {
			t.Fatalf("%s: events %v; want %v", kbli, got, want)
		}
		if got := h.eventTypes(l.ID); !slices.Equal(got, []string{"licensing.license.issued"}) {
			t.Fatalf("%s: license events %v", kbli, got)
		}
		if n := h.count(`SELECT count(*) FROM audit_record WHERE entity_id = $1 AND actor = 'system:risk-based-auto-approval'`, a.ID); n != 1 {
			t.Fatalf("%s: %d audit records of the auto approval", kbli, n)
		}
	}
}

func TestOfficerReviewRevisionAndDecisionFollowTheMachine(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "55110")
	a := h.submitted(owner, b, "55110", 150)
	if a.State != domain.StateSubmitted || a.Terms.LicenseType != "IZIN-HOTEL" || a.SLA.DueAt == nil {
		t.Fatalf("submitted %+v", a)
	}
	// IZIN-HOTEL has 15 working days: from Mon 9 March 09:00, skipping
	// Nyepi, Idul Fitri and cuti bersama (18-24 March), Good Friday and the weekends.
	if want := wib("2026-04-07 09:00"); !a.SLA.DueAt.Equal(want) {
		t.Fatalf("due %v; want %v", a.SLA.DueAt.In(domain.Jakarta()), want)
	}
	queue, err := h.svc.ReviewQueue(h.ctx, officer, domain.QueueFilter{}, keyset.Page{})
	if err != nil || len(queue.Items) != 1 || queue.Items[0].ID != a.ID {
		t.Fatalf("queue %v %v", queue, err)
	}
	if _, err := h.svc.ReviewQueue(h.ctx, owner, domain.QueueFilter{}, keyset.Page{}); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("business reading the queue: %v", err)
	}
	// Officers cannot act as applicants, applicants cannot decide.
	if _, err := h.svc.Withdraw(h.ctx, officer, a.ID, 0); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("officer withdrawing: %v", err)
	}
	if _, err := h.svc.Approve(h.ctx, owner, a.ID, 0); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("owner approving: %v", err)
	}
	// Another business does not see it.
	if _, err := h.svc.Withdraw(h.ctx, other, a.ID, 0); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another business withdrawing: %v", err)
	}
	// A refused transition names the current state.
	_, err = h.svc.Resubmit(h.ctx, owner, a.ID, 0, "")
	var e *apperr.Error
	if !errorsAs(err, &e) || e.Code != apperr.Conflict || e.Extra["current_state"] != "submitted" {
		t.Fatalf("resubmit while submitted: %v", err)
	}
	mustState(t, h.svc.StartReview, h, officer, a.ID, domain.StateInReview)
	if n := h.count(`SELECT count(*) FROM document WHERE application_id = $1`, a.ID); n != 3 {
		t.Fatalf("%d documents; want pbg, denah_bangunan and amdal", n)
	}
	h.clock.Set(wib("2026-03-10 09:00"))
	if _, err := h.svc.RequestRevision(h.ctx, officer, a.ID, 0, []domain.Revision{{Requirement: "no_such_document", Note: ""}}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("revision of an unknown requirement: %v", err)
	}
	rev, err := h.svc.RequestRevision(h.ctx, officer, a.ID, 0, []domain.Revision{{Requirement: "amdal", Note: "the AMDAL lacks its annexes"}})
	if err != nil || rev.State != domain.StateRevisionRequested || rev.SLA.DueAt != nil || rev.SLA.Used != 24*time.Hour {
		t.Fatalf("revision: %+v %v", rev.SLA, err)
	}
	h.clock.Set(wib("2026-03-16 09:00"))
	res, err := h.svc.Resubmit(h.ctx, owner, a.ID, 0, "")
	// 14 working days left from Mon 16 March 09:00, skipping 18-24 March and Good Friday.
	if err != nil || res.State != domain.StateInReview || !res.SLA.DueAt.Equal(wib("2026-04-13 09:00")) {
		t.Fatalf("resubmit: %s %v %v", res.State, res.SLA.DueAt, err)
	}
	if _, err := h.svc.Reject(h.ctx, officer, a.ID, 0, "  "); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("reject without reason: %v", err)
	}
	mustState(t, h.svc.Approve, h, officer, a.ID, domain.StateAwaitingPayment)
	want := []string{"licensing.application.submitted", "licensing.application.review_started", "licensing.application.revision_requested",
		"licensing.application.resubmitted", "licensing.application.approved", "licensing.fee.requested"}
	if got := h.eventTypes(a.ID); !slices.Equal(got, want) {
		t.Fatalf("events %v; want %v", got, want)
	}
	if n := h.count(`SELECT count(*) FROM audit_record WHERE entity_id = $1`, a.ID); n != 10 {
		t.Fatalf("%d audit records; want 10 (create, 3 uploads, submit, start_review, request_revision, resubmit, approve, request_fee)", n)
	}
	if _, err := h.svc.Withdraw(h.ctx, owner, a.ID, 0); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("withdraw after decision: %v", err)
	}
}

func mustState(t *testing.T, f func(ctx contextT, c caller.Caller, id string, version int) (app.ApplicationRecord, error), h *harness, c caller.Caller, id string, want domain.State) {
	t.Helper()
	got, err := f(h.ctx, c, id, 0)
	if err != nil || got.State != want {
		t.Fatalf("state %s, %v; want %s", got.State, err, want)
	}
}

func TestAnIncompleteApplicationCannotBeTakenUpForReview(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "49431")
	a, err := h.svc.CreateApplication(h.ctx, owner, idempotency.Key{}, b.ID, "49431", 0, "") // SSV-ANGKUTAN: uji_kir, stnk
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.UploadDocument(h.ctx, owner, a.ID, "stnk", "stnk.pdf", pdfOf(1000)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Submit(h.ctx, owner, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.StartReview(h.ctx, officer, a.ID, 0)
	var e *apperr.Error
	if !errorsAs(err, &e) || e.Code != apperr.Unprocessable || !slices.Equal(e.Extra["missing_requirements"].([]string), []string{"uji_kir"}) {
		t.Fatalf("incomplete application taken up: %v", err)
	}
	// The officer asks for the missing document; the applicant adds it and resubmits; the review can begin.
	if _, err := h.svc.RequestRevision(h.ctx, officer, a.ID, 0, []domain.Revision{{Requirement: "uji_kir", Note: "missing"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.UploadDocument(h.ctx, owner, a.ID, "uji_kir", "kir.pdf", pdfOf(1000)); err != nil {
		t.Fatal(err)
	}
	if got, err := h.svc.Resubmit(h.ctx, owner, a.ID, 0, ""); err != nil || got.State != domain.StateInReview {
		t.Fatalf("resubmit: %v", err)
	}
}

func TestTwoSchedulersDeemOverdueApplicationsApprovedOnce(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "49431", "55110")
	var ids []string
	for i := range 30 {
		kbli := "49431" // SSV-ANGKUTAN: 7 working days, fee 750000
		if i%3 == 0 {
			kbli = "55110"
		}
		ids = append(ids, h.submitted(owner, b, kbli, 10).ID)
	}
	second := app.New(h.store, h.clock, nil, app.Options{})
	if n, err := h.svc.DeemApproveOverdue(h.ctx); err != nil || n != 0 {
		t.Fatalf("before the deadline: %d, %v", n, err)
	}
	h.clock.Set(wib("2026-03-31 09:00")) // past 7 and 10 working days from 9 March (18-24 March off)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, s := range []*app.Service{h.svc, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.DeemApproveOverdue(h.ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != len(ids) {
		t.Fatalf("deemed %v; want %d in all", counts, len(ids))
	}
	for _, id := range ids {
		a, err := h.svc.Application(h.ctx, officer, id)
		if err != nil || a.State != domain.StateAwaitingPayment {
			t.Fatalf("%s: %s %v", id, a.State, err)
		}
		var deemed int
		for _, e := range h.eventTypes(id) {
			if e == "licensing.application.deemed_approved" {
				deemed++
			}
		}
		if deemed != 1 {
			t.Fatalf("%s: %d deemed_approved events", id, deemed)
		}
	}
	if n := h.count(`SELECT count(*) FROM audit_record WHERE action = 'application.deem_approve' AND actor = 'system:fiktif-positif' AND reason LIKE 'fiktif-positif: UU 30/2014%'`); n != len(ids) {
		t.Fatalf("%d audit records naming the rule", n)
	}
	if n, err := second.DeemApproveOverdue(h.ctx); err != nil || n != 0 {
		t.Fatalf("a second run: %d, %v", n, err)
	}
}

func TestDeemedApprovalWaitsWhileARevisionIsRequested(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "49431")
	a := h.submitted(owner, b, "49431", 0)
	if _, err := h.svc.RequestRevision(h.ctx, officer, a.ID, 0, []domain.Revision{{Requirement: "uji_kir", Note: "expired"}}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(wib("2026-06-01 09:00"))
	if n, err := h.svc.DeemApproveOverdue(h.ctx); err != nil || n != 0 {
		t.Fatalf("deemed %d while paused, %v", n, err)
	}
}

func TestLicensesAreRemindedThenExpireByTheSchedulerOnce(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "large", "56303")
	a := h.submitted(owner, b, "56303", 0) // SS-MANDIRI: no validity limit
	l, err := h.svc.LicenseOfApplication(h.ctx, owner, a.ID)
	if err != nil || l.ValidUntil != nil {
		t.Fatalf("license %+v %v", l, err)
	}
	// A license with a validity: a hotel (SSV-HOTEL, 60 months) approved and paid is covered by the payment tests;
	// here the validity is set directly.
	if _, err := h.db.ExecContext(h.ctx, `UPDATE license SET valid_until = $2 WHERE id = $1`, l.ID, wib("2026-04-01 00:00")); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(wib("2026-03-01 00:00")) // 31 days before: too early for a reminder
	if n, err := h.svc.RemindExpiring(h.ctx); err != nil || n != 0 {
		t.Fatalf("reminded %d, %v", n, err)
	}
	h.clock.Set(wib("2026-03-03 00:00"))
	second := app.New(h.store, h.clock, nil, app.Options{})
	r1, err1 := h.svc.RemindExpiring(h.ctx)
	r2, err2 := second.RemindExpiring(h.ctx)
	if err1 != nil || err2 != nil || r1+r2 != 1 {
		t.Fatalf("reminded %d+%d, %v %v", r1, r2, err1, err2)
	}
	h.clock.Set(wib("2026-04-01 00:00"))
	n1, err1 := h.svc.ExpireLicenses(h.ctx)
	n2, err2 := second.ExpireLicenses(h.ctx)
	if err1 != nil || err2 != nil || n1+n2 != 1 {
		t.Fatalf("expired %d+%d, %v %v", n1, n2, err1, err2)
	}
	if got := h.eventTypes(l.ID); !slices.Equal(got, []string{"licensing.license.issued", "licensing.license.expiring", "licensing.license.expired"}) {
		t.Fatalf("events %v", got)
	}
}

func TestOfficersSuspendReinstateAndRevokeWithAReason(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "micro", "62010")
	a := h.submitted(owner, b, "62010", 0)
	l, _ := h.svc.LicenseOfApplication(h.ctx, owner, a.ID)
	if _, err := h.svc.ChangeLicense(h.ctx, owner, l.ID, domain.LicenseSuspend, "x"); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("owner suspending: %v", err)
	}
	if _, err := h.svc.ChangeLicense(h.ctx, officer, l.ID, domain.LicenseSuspend, ""); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("suspending without a reason: %v", err)
	}
	for _, step := range []struct {
		action domain.LicenseAction
		want   domain.LicenseStatus
	}{{domain.LicenseSuspend, domain.LicenseSuspended}, {domain.LicenseReinstate, domain.LicenseActive}, {domain.LicenseRevoke, domain.LicenseRevoked}} {
		got, err := h.svc.ChangeLicense(h.ctx, officer, l.ID, step.action, "inspection finding 12/2026")
		if err != nil || got.Status != step.want {
			t.Fatalf("%s: %s %v", step.action, got.Status, err)
		}
	}
	if _, err := h.svc.ChangeLicense(h.ctx, officer, l.ID, domain.LicenseReinstate, "x"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("reinstating a revoked license: %v", err)
	}
	want := []string{"licensing.license.issued", "licensing.license.suspended", "licensing.license.reinstated", "licensing.license.revoked"}
	if got := h.eventTypes(l.ID); !slices.Equal(got, want) {
		t.Fatalf("events %v", got)
	}
	v, err := h.svc.VerifyLicense(h.ctx, l.Number)
	if err != nil || v.Status != domain.LicenseRevoked {
		t.Fatalf("verify: %v %v", v.Status, err)
	}
}

func TestHolidayCalendarIsReadFromTheTable(t *testing.T) {
	h := newHarness(t)
	cal, err := h.svc.Calendar(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for day, working := range map[string]bool{"2026-03-17": true, "2026-03-18": false, "2026-03-20": false, "2026-03-25": true, "2026-12-24": false, "2026-08-17": false} {
		if got := cal.IsWorkingDay(wib(day + " 12:00")); got != working {
			t.Errorf("%s working = %v; want %v", day, got, working)
		}
	}
}

func TestReviewQueueIsSortedBySLADueDateAcrossPages(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "49431", "55110", "41011", "85111")
	paused := h.submitted(owner, b, "85111", 0)  // 10 days, then paused: last
	hotel := h.submitted(owner, b, "55110", 150) // 15 days
	build := h.submitted(owner, b, "41011", 0)   // 10 days
	truck := h.submitted(owner, b, "49431", 0)   // 7 days
	if _, err := h.svc.RequestRevision(h.ctx, officer, paused.ID, 0, []domain.Revision{{Requirement: "kurikulum", Note: "incomplete"}}); err != nil {
		t.Fatal(err)
	}
	want := []string{truck.ID, build.ID, hotel.ID, paused.ID}
	var got []string
	cursor := ""
	for range 10 {
		page, err := h.svc.ReviewQueue(h.ctx, officer, domain.QueueFilter{}, keyset.Page{Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Items {
			got = append(got, a.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if !slices.Equal(got, want) {
		t.Fatalf("queue order %v; want %v", got, want)
	}
	if _, err := h.svc.ReviewQueue(h.ctx, officer, domain.QueueFilter{}, keyset.Page{Cursor: "garbage"}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestARenewalIsANewApplicationLinkedToItsLicense(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "micro", "62010", "68111")
	first := h.submitted(owner, b, "62010", 0)
	l, err := h.svc.LicenseOfApplication(h.ctx, owner, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CreateApplication(h.ctx, owner, idempotency.Key{}, b.ID, "68111", 0, l.ID); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("renewal for another activity: %v", err)
	}
	if _, err := h.svc.CreateApplication(h.ctx, other, idempotency.Key{}, b.ID, "62010", 0, l.ID); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("renewal by another business: %v", err)
	}
	a, err := h.svc.CreateApplication(h.ctx, owner, idempotency.Key{}, b.ID, "62010", 0, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Submit(h.ctx, owner, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	renewed, err := h.svc.LicenseOfApplication(h.ctx, owner, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	evs := h.events(renewed.ID)
	if len(evs) != 2 || evs[1].Type != "licensing.license.renewed" || evs[1].Data["previous_license_id"] != l.ID {
		t.Fatalf("renewal events %+v", evs)
	}
}

// chunks hands out one chunk per Read: each NIB draw reads one.
type chunks [][]byte

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	*c = (*c)[1:]
	return n, nil
}

func TestATakenNIBIsDrawnAgain(t *testing.T) {
	h := newHarness(t)
	same, fresh := []byte{0, 0, 0, 0, 7}, []byte{0, 0, 0, 0, 9}
	draws := &chunks{same, same, fresh}
	svc := app.New(h.store, h.clock, nil, app.Options{Random: draws})
	first, err := svc.RegisterBusiness(h.ctx, owner, idempotency.Key{}, businessInput("62010"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.RegisterBusiness(h.ctx, other, idempotency.Key{}, businessInput("62010"))
	if err != nil {
		t.Fatalf("a collision of NIBs was not retried: %v", err)
	}
	if len(*draws) != 0 {
		t.Fatalf("%d draws left: the second registration did not collide and draw again", len(*draws))
	}
	if first.NIB == second.NIB || !domain.ValidNIB(string(second.NIB)) {
		t.Fatalf("NIBs %s and %s", first.NIB, second.NIB)
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE type = 'licensing.business.registered'`); n != 2 {
		t.Fatalf("%d registrations published; the failed attempt must leave none", n)
	}
}

func TestAnOwnerChangesItsBusinessButNotItsNIBOrNPWP(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "micro", "56101")
	scale := "small"
	got, err := h.svc.UpdateBusiness(h.ctx, owner, b.ID, 0, domain.BusinessPatch{Scale: &scale, KBLI: []string{"56101", "56303"}})
	if err != nil || got.Scale != domain.ScaleSmall || len(got.KBLI) != 2 || got.NIB != b.NIB || got.NPWP != b.NPWP || got.Version != 2 {
		t.Fatalf("update: %+v %v", got, err)
	}
	// The new activity can be applied for now.
	if _, err := h.svc.CreateApplication(h.ctx, owner, idempotency.Key{}, b.ID, "56303", 0, ""); err != nil {
		t.Fatalf("application for the added activity: %v", err)
	}
	bad := "huge"
	if _, err := h.svc.UpdateBusiness(h.ctx, owner, b.ID, 0, domain.BusinessPatch{Scale: &bad}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("bad scale: %v", err)
	}
	if _, err := h.svc.UpdateBusiness(h.ctx, owner, b.ID, 1, domain.BusinessPatch{Scale: &scale}); !apperr.Is(err, apperr.PreconditionFailed) {
		t.Fatalf("stale version: %v", err)
	}
	if _, err := h.svc.UpdateBusiness(h.ctx, other, b.ID, 0, domain.BusinessPatch{Scale: &scale}); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another business: %v", err)
	}
	if got := h.eventTypes(b.ID); !slices.Equal(got, []string{"licensing.business.registered", "licensing.business.updated"}) {
		t.Fatalf("events %v", got)
	}
}

func TestConcurrentDecisionsOnOneApplicationApplyOnce(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "55110")
	a := h.submitted(owner, b, "55110", 150)
	if _, err := h.svc.StartReview(h.ctx, officer, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	// Two officers decide at once, one approving and one rejecting: the row
	// lock lets one through and the other finds the decision made.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); _, errs[0] = h.svc.Approve(h.ctx, officer, a.ID, 0) }()
	go func() { defer wg.Done(); _, errs[1] = h.svc.Reject(h.ctx, officer, a.ID, 0, "incomplete AMDAL") }()
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case apperr.Is(err, apperr.Conflict):
			conflicts++
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("%d decisions applied, %d refused; want 1 and 1", ok, conflicts)
	}
	decided := 0
	for _, e := range h.eventTypes(a.ID) {
		if e == "licensing.application.approved" || e == "licensing.application.rejected" {
			decided++
		}
	}
	if decided != 1 {
		t.Fatalf("%d decision events", decided)
	}
}

func TestABusinessTakesTheIdOfTheOrganisationItsOwnerActsFor(t *testing.T) {
	h := newHarness(t)
	withOrg := owner
	withOrg.Org = "01930000-0000-7000-8000-00000000b001"
	b := h.business(withOrg, "micro", "56101")
	if b.ID != withOrg.Org {
		t.Fatalf("business id %s, want the caller's org %s (payment and tender know the business by it)", b.ID, withOrg.Org)
	}
	in := domain.BusinessInput{Name: "Usaha Kedua", NPWP: "01.234.567.8-901.000", Address: "Jl. Merdeka 1", Scale: "small", KBLI: []string{"56101"}}
	if _, err := h.svc.RegisterBusiness(h.ctx, withOrg, idempotency.Key{}, in); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("a second business for one organisation: %v; want Conflict", err)
	}
	badOrg := owner
	badOrg.Org = "not-a-uuid"
	if _, err := h.svc.RegisterBusiness(h.ctx, badOrg, idempotency.Key{}, in); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("an organisation that is no business id: %v; want Forbidden", err)
	}
}
