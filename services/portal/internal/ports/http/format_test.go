package http

import (
	"testing"
	"time"

	"gerbang/services/portal/internal/domain"
)

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

func TestEveryLicenseStatusHasBothLanguages(t *testing.T) {
	for _, s := range []domain.LicenseStatus{domain.LicenseActive, domain.LicenseSuspended, domain.LicenseRevoked, domain.LicenseExpired} {
		l := licenseLabelOf(s)
		if l.ID == "" || l.EN == "" || l.ID == l.EN || l.Meaning == "" || l.MeaningEN == "" || l.Tone == "neutral" {
			t.Errorf("%s: %+v", s, l)
		}
	}
}
