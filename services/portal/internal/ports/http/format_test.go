package http

import (
	"testing"
	"time"

	"gerbang/services/portal/internal/domain"
)

func TestRupiahIsWrittenWithDotsBetweenThousands(t *testing.T) {
	cases := []struct {
		amount int64
		want   string
	}{
		{0, "Rp 0"},
		{999, "Rp 999"},
		{1000, "Rp 1.000"},
		{20000000, "Rp 20.000.000"},
		{1000000000, "Rp 1.000.000.000"},
		{123456789012, "Rp 123.456.789.012"},
		{-1500000, "-Rp 1.500.000"},
	}
	for _, c := range cases {
		if got := rupiah(&domain.Money{Amount: c.amount, Currency: "IDR"}); got != c.want {
			t.Errorf("rupiah(%d) = %q, want %q", c.amount, got, c.want)
		}
	}
	if got := rupiah(nil); got != "" {
		t.Errorf("rupiah(nil) = %q", got)
	}
}

func TestTimesAreWrittenInWIB(t *testing.T) {
	at := time.Date(2026, 12, 10, 3, 0, 0, 0, time.UTC)
	var none *time.Time
	for _, c := range []struct {
		in   any
		want string
	}{
		{at, "10-12-2026 10:00 WIB"},
		{&at, "10-12-2026 10:00 WIB"},
		{at.In(time.FixedZone("WITA", 8*3600)), "10-12-2026 10:00 WIB"},
		{time.Date(2026, 12, 31, 17, 30, 0, 0, time.UTC), "01-01-2027 00:30 WIB"},
		{none, ""},
	} {
		if got := wib(c.in); got != c.want {
			t.Errorf("wib(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestACountdownSaysTheDaysAndTheClockLeftByTheServersTime(t *testing.T) {
	now := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		deadline time.Time
		days     int
		clock    string
		passed   bool
	}{
		{now.Add(2*24*time.Hour + 3*time.Hour + 4*time.Minute + 5*time.Second + 900*time.Millisecond), 2, "03:04:05", false},
		{now.Add(59 * time.Second), 0, "00:00:59", false},
		{now, 0, "", true},
		{now.Add(-time.Hour), 0, "", true},
	} {
		got := countdownOf(c.deadline, now)
		if got.Days != c.days || got.Clock != c.clock || got.Passed != c.passed {
			t.Errorf("%v before the deadline: %+v; want %d days, %q, passed %v", c.deadline.Sub(now), got, c.days, c.clock, c.passed)
		}
	}
}

func TestPointsAreWrittenWithACommaAndTwoDecimals(t *testing.T) {
	for in, want := range map[int64]string{8550: "85,50", 10000: "100,00", 5: "0,05", 0: "0,00", -250: "-2,50"} {
		if got := points(in); got != want {
			t.Errorf("points(%d) = %q, want %q", in, got, want)
		}
	}
}
