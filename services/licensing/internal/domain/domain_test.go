package domain

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

func TestNPWPAcceptsFormattingAndNormalisesTo16Digits(t *testing.T) {
	cases := []struct {
		in      string
		want    NPWP
		invalid bool
	}{
		{in: "01.234.567.8-901.000", want: "0012345678901000"},
		{in: "012345678901000", want: "0012345678901000"},
		{in: "3171 0123 4567 8901", want: "3171012345678901"},
		{in: "3171-0123-4567-8901", want: "3171012345678901"},
		{in: "12345678901234", invalid: true},    // 14 digits
		{in: "12345678901234567", invalid: true}, // 17 digits
		{in: "01.234.567.8-901.00A", invalid: true},
		{in: "000000000000000", invalid: true},
		{in: "", invalid: true},
	}
	for _, c := range cases {
		got, err := ParseNPWP(c.in)
		if c.invalid {
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("ParseNPWP(%q) = %q, %v; want Invalid", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseNPWP(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestNIBIsThirteenDigitsWithACheckDigit(t *testing.T) {
	seen := map[NIB]bool{}
	for range 1000 {
		n, err := NewNIB(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !ValidNIB(string(n)) || n[0] == '0' {
			t.Fatalf("NIB %q is not 13 digits with a valid check digit", n)
		}
		seen[n] = true
	}
	if len(seen) < 999 {
		t.Fatalf("1000 draws gave only %d distinct NIBs", len(seen))
	}
	// A changed digit breaks the check.
	n, _ := NewNIB(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	b := []byte(n)
	b[5] = '0' + (b[5]-'0'+1)%10
	if ValidNIB(string(b)) {
		t.Fatalf("NIB %q with a changed digit still passes", b)
	}
	if ValidNIB("123456789012") || ValidNIB("12345678901a3") {
		t.Fatal("malformed NIBs pass")
	}
}

func TestBusinessRegistrationChecksEveryField(t *testing.T) {
	_, err := NewBusiness("u1", BusinessInput{Name: "", NPWP: "12", Address: "", Scale: "huge", KBLI: []string{"5610"}})
	var e *apperr.Error
	if !apperrAs(err, &e) || e.Code != apperr.Invalid {
		t.Fatalf("err = %v; want Invalid", err)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
	}
	for _, want := range []string{"name", "npwp", "address", "scale", "kbli[0]"} {
		if !slices.Contains(fields, want) {
			t.Errorf("fields %v lack %s", fields, want)
		}
	}
	b, err := NewBusiness("u1", BusinessInput{Name: " Warung Sari ", NPWP: "01.234.567.8-901.000", Address: "Jl. Merdeka 1", Scale: "micro", KBLI: []string{"56101", "56101"}})
	if err != nil || b.Name != "Warung Sari" || b.NPWP != "0012345678901000" || len(b.KBLI) != 1 {
		t.Fatalf("NewBusiness = %+v, %v", b, err)
	}
}

func hotelRule() KBLIRule {
	return KBLIRule{KBLI: "55110", Version: 1, SizeMetric: "rooms", Bands: []RiskBand{
		{Risk: RiskMediumLow, LicenseType: "SS-HOTEL"},
		{MinScale: ScaleMedium, MinSize: 50, Risk: RiskMediumHigh, LicenseType: "SSV-HOTEL"},
		{MinSize: 200, Risk: RiskHigh, LicenseType: "IZIN-HOTEL"},
	}}
}

func TestRiskIsDeterminedByScaleAndSizeFigure(t *testing.T) {
	cattle := KBLIRule{KBLI: "01411", Version: 1, SizeMetric: "head_count", Bands: []RiskBand{
		{Risk: RiskLow, LicenseType: "NIB"},
		{MinSize: 300, Risk: RiskMediumHigh, LicenseType: "SSV-TERNAK"},
		{MinSize: 1000, Risk: RiskHigh, LicenseType: "IZIN-TERNAK"},
	}}
	cases := []struct {
		rule  KBLIRule
		scale Scale
		size  int64
		want  RiskLevel
	}{
		{hotelRule(), ScaleSmall, 10, RiskMediumLow},
		{hotelRule(), ScaleSmall, 50, RiskMediumHigh},
		{hotelRule(), ScaleMedium, 10, RiskMediumHigh},
		{hotelRule(), ScaleLarge, 250, RiskHigh},
		{hotelRule(), ScaleMicro, 200, RiskHigh},
		{cattle, ScaleLarge, 100, RiskLow},
		{cattle, ScaleMicro, 299, RiskLow},
		{cattle, ScaleMicro, 300, RiskMediumHigh},
		{cattle, ScaleSmall, 1000, RiskHigh},
	}
	for _, c := range cases {
		if err := c.rule.Validate(); err != nil {
			t.Fatal(err)
		}
		b, err := c.rule.Band(c.scale, c.size)
		if err != nil || b.Risk != c.want {
			t.Errorf("%s %s size %d: risk %s, %v; want %s", c.rule.KBLI, c.scale, c.size, b.Risk, err, c.want)
		}
	}
	if _, err := hotelRule().Band("huge", 1); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown scale: %v; want Invalid", err)
	}
	if _, err := hotelRule().Band(ScaleMicro, -1); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("negative size: %v; want Invalid", err)
	}
}

// TestEveryTransitionIsAllowedOrRefused walks every action from every state:
// the edges of the machine lead where they say, every other pair is a
// Conflict naming the current state, and any other actor is Forbidden.
func TestEveryTransitionIsAllowedOrRefused(t *testing.T) {
	allowed := map[Action]map[State]State{
		ActionSubmit:          {StateDraft: StateSubmitted},
		ActionStartReview:     {StateSubmitted: StateInReview},
		ActionRequestRevision: {StateSubmitted: StateRevisionRequested, StateInReview: StateRevisionRequested},
		ActionResubmit:        {StateRevisionRequested: StateInReview},
		ActionApprove:         {StateInReview: StateApproved},
		ActionReject:          {StateSubmitted: StateRejected, StateInReview: StateRejected},
		ActionWithdraw:        {StateDraft: StateWithdrawn, StateSubmitted: StateWithdrawn, StateInReview: StateWithdrawn, StateRevisionRequested: StateWithdrawn},
		ActionDeemApprove:     {StateSubmitted: StateDeemedApproved, StateInReview: StateDeemedApproved},
		ActionAutoApprove:     {StateSubmitted: StateApproved},
		ActionRequestFee:      {StateApproved: StateAwaitingPayment, StateDeemedApproved: StateAwaitingPayment},
		ActionIssue:           {StateApproved: StateIssued, StateDeemedApproved: StateIssued, StateAwaitingPayment: StateIssued},
	}
	actorOf := map[Action]Actor{
		ActionSubmit: ActorApplicant, ActionResubmit: ActorApplicant, ActionWithdraw: ActorApplicant,
		ActionStartReview: ActorOfficer, ActionRequestRevision: ActorOfficer, ActionApprove: ActorOfficer, ActionReject: ActorOfficer,
		ActionDeemApprove: ActorSystem, ActionAutoApprove: ActorSystem, ActionRequestFee: ActorSystem, ActionIssue: ActorSystem,
	}
	if len(allowed) != len(Transitions()) {
		t.Fatalf("the test knows %d actions, the machine has %d", len(allowed), len(Transitions()))
	}
	for action, edges := range allowed {
		for _, from := range States() {
			name := string(action) + "/" + string(from)
			t.Run(name, func(t *testing.T) {
				to, err := Next(from, action, actorOf[action])
				if want, ok := edges[from]; ok {
					if err != nil || to != want {
						t.Fatalf("got %q, %v; want %q", to, err, want)
					}
				} else {
					var e *apperr.Error
					if !apperrAs(err, &e) || e.Code != apperr.Conflict || e.Extra["current_state"] != string(from) {
						t.Fatalf("got %q, %v; want Conflict with current_state %s", to, err, from)
					}
				}
				for _, other := range []Actor{ActorApplicant, ActorOfficer, ActorSystem} {
					if other == actorOf[action] {
						continue
					}
					if _, err := Next(from, action, other); !apperr.Is(err, apperr.Forbidden) {
						t.Errorf("%s as %s: %v; want Forbidden", action, other, err)
					}
				}
			})
		}
	}
}

func calendar2026(t *testing.T) Calendar {
	t.Helper()
	c, err := NewCalendar([]Holiday{
		{Date: "2026-01-01"}, {Date: "2026-01-16"}, {Date: "2026-03-18"}, {Date: "2026-03-19"}, {Date: "2026-03-20"},
		{Date: "2026-03-21"}, {Date: "2026-03-22"}, {Date: "2026-03-23"}, {Date: "2026-03-24"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wib(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Jakarta())
	if err != nil {
		panic(err)
	}
	return t
}

func TestSLADeadlineSkipsWeekendsAndHolidays(t *testing.T) {
	cal := calendar2026(t)
	cases := []struct {
		name      string
		submitted string
		days      int
		due       string
	}{
		{"same week", "2026-03-09 10:00", 2, "2026-03-11 10:00"},
		{"across a weekend", "2026-03-12 10:00", 3, "2026-03-17 10:00"},
		{"across Nyepi, Idul Fitri and cuti bersama", "2026-03-17 10:00", 2, "2026-03-26 10:00"},
		{"submitted on a Saturday", "2026-01-10 15:00", 1, "2026-01-13 00:00"},
		{"submitted on a holiday", "2026-01-01 08:00", 1, "2026-01-03 00:00"},
	}
	for _, c := range cases {
		s := SLA{Days: c.days}
		s.Start(wib(c.submitted), cal)
		if s.DueAt == nil || !s.DueAt.Equal(wib(c.due)) {
			t.Errorf("%s: due %v; want %s WIB", c.name, s.DueAt, c.due)
		}
	}
}

func TestSLAPausesWhileARevisionIsRequested(t *testing.T) {
	cal := calendar2026(t)
	a := Application{State: StateDraft, KBLI: "55110"}
	det := Determination{Rule: hotelRule(), Band: hotelRule().Bands[2], LicenseType: LicenseType{
		Code: "IZIN-HOTEL", Version: 1, Risk: RiskHigh, Fee: 5_000_000, SLADays: 5,
		Requirements: []Requirement{{Code: "floor_plan", Name: "Denah"}},
	}}
	if _, err := a.Submit(ActorApplicant, det, nil, wib("2026-01-09 09:00"), cal); err != nil {
		t.Fatal(err)
	}
	if !a.SLA.DueAt.Equal(wib("2026-01-19 09:00")) { // Jan 16 (Isra Mikraj) is skipped
		t.Fatalf("first due %v", a.SLA.DueAt)
	}
	if _, err := a.RequestRevision(ActorOfficer, []Revision{{Requirement: "floor_plan", Note: "the plan is unreadable"}}, wib("2026-01-12 09:00"), cal); err != nil {
		t.Fatal(err)
	}
	if a.SLA.DueAt != nil || a.SLA.Used != 24*time.Hour {
		t.Fatalf("paused SLA: due %v used %v; want no due date, one day used", a.SLA.DueAt, a.SLA.Used)
	}
	if turn, _ := a.WhoseTurn(); turn != ActorApplicant {
		t.Fatalf("turn %s during revision; want applicant", turn)
	}
	if _, err := a.Resubmit(ActorApplicant, wib("2026-01-19 09:00"), cal); err != nil {
		t.Fatal(err)
	}
	if !a.SLA.DueAt.Equal(wib("2026-01-23 09:00")) {
		t.Fatalf("due after resubmission %v; want 2026-01-23 09:00 WIB (four days left)", a.SLA.DueAt)
	}
	if _, err := a.DeemApprove(wib("2026-01-23 08:59"), cal); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("deemed approval before the deadline: %v; want Conflict", err)
	}
	steps, err := a.DeemApprove(wib("2026-01-23 09:00"), cal)
	if err != nil || a.State != StateAwaitingPayment || len(steps) != 2 || steps[1].Action != ActionRequestFee {
		t.Fatalf("deemed approval: state %s steps %v err %v", a.State, steps, err)
	}
}

func TestSubmittingWithoutReviewNeedsEveryDocument(t *testing.T) {
	cal := calendar2026(t)
	det := Determination{Band: RiskBand{Risk: RiskMediumLow}, LicenseType: LicenseType{Risk: RiskMediumLow,
		Requirements: []Requirement{{Code: "pernyataan_mandiri"}}}}
	a := Application{State: StateDraft}
	if _, err := a.Submit(ActorApplicant, det, nil, wib("2026-02-02 09:00"), cal); !apperr.Is(err, apperr.Unprocessable) || a.State != StateDraft {
		t.Fatalf("medium-low without its declaration: %s %v", a.State, err)
	}
	if _, err := a.Submit(ActorApplicant, det, []string{"pernyataan_mandiri"}, wib("2026-02-02 09:00"), cal); err != nil || a.State != StateIssued {
		t.Fatalf("medium-low with its declaration: %s %v", a.State, err)
	}
}

func TestStartingTheReviewChecksCompleteness(t *testing.T) {
	cal := calendar2026(t)
	a := Application{State: StateDraft}
	det := Determination{Band: RiskBand{Risk: RiskHigh}, LicenseType: LicenseType{Risk: RiskHigh, SLADays: 5,
		Requirements: []Requirement{{Code: "pbg"}, {Code: "amdal"}}}}
	if _, err := a.Submit(ActorApplicant, det, nil, wib("2026-02-02 09:00"), cal); err != nil {
		t.Fatal(err)
	}
	_, err := a.StartReview(ActorOfficer, []string{"pbg"}, wib("2026-02-02 10:00"))
	var e *apperr.Error
	if !apperrAs(err, &e) || e.Code != apperr.Unprocessable || !slices.Equal(e.Extra["missing_requirements"].([]string), []string{"amdal"}) {
		t.Fatalf("incomplete: %v", err)
	}
	if _, err := a.StartReview(ActorOfficer, []string{"amdal", "pbg"}, wib("2026-02-02 10:00")); err != nil || a.State != StateInReview {
		t.Fatalf("complete: %s %v", a.State, err)
	}
}

func TestLowAndMediumLowRiskAreIssuedAtSubmission(t *testing.T) {
	cal := calendar2026(t)
	for _, c := range []struct {
		risk RiskLevel
		fee  int64
		want State
	}{
		{RiskLow, 0, StateIssued},
		{RiskMediumLow, 0, StateIssued},
		{RiskMediumLow, 100_000, StateAwaitingPayment},
		{RiskMediumHigh, 0, StateSubmitted},
		{RiskHigh, 1_000_000, StateSubmitted},
	} {
		a := Application{State: StateDraft}
		det := Determination{Band: RiskBand{Risk: c.risk}, LicenseType: LicenseType{Risk: c.risk, Fee: c.fee, SLADays: 5}}
		if _, err := a.Submit(ActorApplicant, det, nil, wib("2026-02-02 09:00"), cal); err != nil || a.State != c.want {
			t.Errorf("%s fee %d: state %s, %v; want %s", c.risk, c.fee, a.State, err, c.want)
		}
	}
}

func TestLicenseNumberAndValidity(t *testing.T) {
	if n := LicenseNumber(wib("2026-12-31 23:30"), 123); n != "LIC-2026-000123" {
		t.Fatalf("number %s", n)
	}
	a := Application{ID: "a", KBLI: "56101", Terms: &Terms{LicenseType: "T", ValidityMonths: 60}}
	l := NewLicense(a, Business{ID: "b", Name: "X"}, "LIC-2026-000001", wib("2026-03-05 23:00"))
	if !l.ValidFrom.Equal(wib("2026-03-05 00:00")) || !l.ValidUntil.Equal(wib("2031-03-05 00:00")) {
		t.Fatalf("validity %v .. %v", l.ValidFrom, l.ValidUntil)
	}
}

func TestEveryLicenseStatusChangeIsAllowedOrRefused(t *testing.T) {
	allowed := map[LicenseAction]map[LicenseStatus]LicenseStatus{
		LicenseSuspend:   {LicenseActive: LicenseSuspended},
		LicenseReinstate: {LicenseSuspended: LicenseActive},
		LicenseRevoke:    {LicenseActive: LicenseRevoked, LicenseSuspended: LicenseRevoked},
		LicenseExpire:    {LicenseActive: LicenseExpired, LicenseSuspended: LicenseExpired},
	}
	for action, edges := range allowed {
		for _, from := range []LicenseStatus{LicenseActive, LicenseSuspended, LicenseRevoked, LicenseExpired} {
			to, err := NextLicenseStatus(from, action)
			if want, ok := edges[from]; ok {
				if err != nil || to != want {
					t.Errorf("%s from %s: %q, %v; want %s", action, from, to, err, want)
				}
				continue
			}
			var e *apperr.Error
			if !apperrAs(err, &e) || e.Code != apperr.Conflict || e.Extra["current_state"] != string(from) {
				t.Errorf("%s from %s: %q, %v; want Conflict with current_state", action, from, to, err)
			}
		}
	}
}

func FuzzParseNPWP(f *testing.F) {
	for _, s := range []string{"01.234.567.8-901.000", "3171012345678901", "", "1-2.3 4", "٣١٧١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNPWP(s)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("ParseNPWP(%q): %v is not Invalid", s, err)
			}
			return
		}
		if len(n) != 16 || strings.Trim(string(n), "0123456789") != "" {
			t.Fatalf("ParseNPWP(%q) = %q", s, n)
		}
	})
}

func TestARevisionRequestNamesEachOfTheApplicationsDocumentsOnceWithItsComment(t *testing.T) {
	inReview := func() Application {
		return Application{State: StateInReview, Terms: &Terms{LicenseType: "IZIN-HOTEL", Requirements: []Requirement{{Code: "pbg"}, {Code: "amdal"}}}}
	}
	refused := []struct {
		name      string
		revisions []Revision
		field     string
	}{
		{"none", nil, "requirement"},
		{"blank", []Revision{{Requirement: "  "}}, "requirement"},
		{"not a requirement", []Revision{{Requirement: "sbu"}}, "requirement"},
		{"the second unknown", []Revision{{Requirement: "pbg"}, {Requirement: "sbu"}}, "documents[1].requirement"},
		{"named twice", []Revision{{Requirement: "pbg"}, {Requirement: "pbg", Note: "again"}}, "documents[1].requirement"},
		{"too many", make([]Revision, maxRevisions+1), "documents"},
	}
	for _, c := range refused {
		a := inReview()
		_, err := a.RequestRevision(ActorOfficer, c.revisions, wib("2026-02-02 10:00"), calendar2026(t))
		var e *apperr.Error
		if !apperrAs(err, &e) || e.Code != apperr.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != c.field {
			t.Errorf("%s: %v; want invalid field %s", c.name, err, c.field)
		}
		if a.State != StateInReview || a.Revisions != nil {
			t.Errorf("%s: refused, yet the application moved to %s with %v", c.name, a.State, a.Revisions)
		}
	}

	a := inReview()
	if _, err := a.RequestRevision(ActorOfficer, []Revision{{Requirement: " amdal ", Note: " no annexes "}, {Requirement: "pbg", Note: "expired"}}, wib("2026-02-02 10:00"), calendar2026(t)); err != nil {
		t.Fatal(err)
	}
	want := []Revision{{Requirement: "amdal", Note: "no annexes"}, {Requirement: "pbg", Note: "expired"}}
	if a.State != StateRevisionRequested || !slices.Equal(a.Revisions, want) || a.RevisionRequirement != "amdal" || a.RevisionNote != "no annexes" {
		t.Fatalf("requested: %s %v (%s: %s)", a.State, a.Revisions, a.RevisionRequirement, a.RevisionNote)
	}
}
