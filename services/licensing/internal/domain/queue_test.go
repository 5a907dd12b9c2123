package domain

import (
	"slices"
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

func TestEndOfDayIsTheMidnightThatEndsTheDayInWIB(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-09 09:00": "2026-03-10 00:00",
		"2026-03-09 00:00": "2026-03-10 00:00",
		"2026-03-09 23:59": "2026-03-10 00:00",
		"2026-12-31 18:00": "2027-01-01 00:00",
	} {
		if got := EndOfDay(wib(in)); !got.Equal(wib(want)) {
			t.Errorf("EndOfDay(%s) = %v; want %s WIB", in, got.In(Jakarta()), want)
		}
	}
	// 17:30 UTC is already the next day in WIB.
	if got := EndOfDay(time.Date(2026, 3, 9, 17, 30, 0, 0, time.UTC)); !got.Equal(wib("2026-03-11 00:00")) {
		t.Errorf("EndOfDay of 00:30 WIB on 10 March = %v", got.In(Jakarta()))
	}
}

func TestAddWorkingDaysSkipsWeekendsAndTheCalendarsHolidays(t *testing.T) {
	cal := calendar2026(t) // Nyepi and Idul Fitri: 18 to 24 March
	cases := []struct {
		from string
		n    int
		end  string // the midnight that ends the n-th working day
	}{
		{"2026-03-09 09:00", 0, "2026-03-10 00:00"}, // Monday: today
		{"2026-03-09 09:00", 1, "2026-03-11 00:00"}, // Tuesday
		{"2026-03-13 16:00", 1, "2026-03-17 00:00"}, // Friday: Monday next
		{"2026-03-14 10:00", 1, "2026-03-17 00:00"}, // Saturday: Monday
		{"2026-03-15 10:00", 2, "2026-03-18 00:00"}, // Sunday: Tuesday
		{"2026-03-16 10:00", 2, "2026-03-26 00:00"}, // Monday: Tuesday, then Nyepi and Lebaran to Wednesday 25th
		{"2026-03-19 10:00", 1, "2026-03-26 00:00"}, // on a holiday
		{"2026-03-09 09:00", 8, "2026-03-27 00:00"},
	}
	for _, c := range cases {
		if got := cal.AddWorkingDays(wib(c.from), c.n); !got.Equal(wib(c.end)) {
			t.Errorf("AddWorkingDays(%s, %d) = %v; want %s WIB", c.from, c.n, got.In(Jakarta()), c.end)
		}
	}
}

func TestAQueueFilterOutsideTheQueueIsRefusedNamingTheField(t *testing.T) {
	cases := []struct {
		state, kbli string
		days        int
		field       string
	}{
		{"draft", "", 0, "state"},
		{"approved", "", 0, "state"},
		{"nonsense", "", 0, "state"},
		{"", "5511", 0, "kbli"},
		{"", "55x10", 0, "kbli"},
		{"", "551100", 0, "kbli"},
		{"", "", -1, "due_within_days"},
		{"", "", MaxDueWithinDays + 1, "due_within_days"},
	}
	for _, c := range cases {
		_, err := NewQueueFilter(c.state, c.kbli, c.days, false)
		var e *apperr.Error
		if !apperrAs(err, &e) || e.Code != apperr.Invalid || !slices.ContainsFunc(e.Fields, func(f apperr.FieldError) bool { return f.Field == c.field }) {
			t.Errorf("NewQueueFilter(%q, %q, %d) = %v; want Invalid naming %s", c.state, c.kbli, c.days, err, c.field)
		}
	}
	for _, st := range ReviewQueueStates() {
		if f, err := NewQueueFilter(string(st), "55110", MaxDueWithinDays, true); err != nil || f.State != st || f.KBLI != "55110" || f.DueWithinDays != MaxDueWithinDays || !f.Overdue {
			t.Errorf("NewQueueFilter(%s, ...) = %+v, %v", st, f, err)
		}
	}
}

func TestTheQueueCountsOverdueAndDueTodayApart(t *testing.T) {
	now := wib("2026-03-09 09:00")
	at := func(s string) *time.Time { x := wib(s); return &x }
	var c QueueCounts
	for _, due := range []*time.Time{
		at("2026-03-06 12:00"), // overdue
		&now,                   // overdue: its deadline is now
		at("2026-03-09 09:01"), // due today
		at("2026-03-09 23:59"), // due today
		at("2026-03-10 00:00"), // tomorrow
		nil,                    // paused
	} {
		c.Count(Application{State: StateInReview, SLA: SLA{DueAt: due}}, now)
	}
	if c != (QueueCounts{DueToday: 2, Overdue: 2}) {
		t.Fatalf("counts %+v; want 2 due today and 2 overdue", c)
	}
}
