package domain_test

import (
	"testing"
	"time"

	"gerbang/services/portal/internal/domain"
)

func TestLicenseNumberIsReadAsLicensingWritesIt(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"LIC-2026-000123", "LIC-2026-000123", true},
		{"  lic-2026-000123 ", "LIC-2026-000123", true},
		{"LIC-2026-1234567", "LIC-2026-1234567", true},
		{"LIC-2026-00012", "LIC-2026-00012", false},
		{"LIC-26-000123", "LIC-26-000123", false},
		{"", "", false},
		{"LIC-2026-000123/../x", "LIC-2026-000123/../X", false},
	}
	for _, c := range cases {
		got, ok := domain.NormalizeLicenseNumber(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("NormalizeLicenseNumber(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestActiveLicensePastItsValidityIsShownExpired(t *testing.T) {
	until := time.Date(2031, 3, 8, 17, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		status domain.LicenseStatus
		until  *time.Time
		now    time.Time
		want   domain.LicenseStatus
	}{
		{"active within validity", domain.LicenseActive, &until, until.Add(-time.Second), domain.LicenseActive},
		{"active at the end of validity", domain.LicenseActive, &until, until, domain.LicenseExpired},
		{"active without an end", domain.LicenseActive, nil, until.AddDate(50, 0, 0), domain.LicenseActive},
		{"revoked stays revoked", domain.LicenseRevoked, &until, until.Add(time.Hour), domain.LicenseRevoked},
		{"suspended within validity", domain.LicenseSuspended, &until, until.Add(-time.Hour), domain.LicenseSuspended},
	}
	for _, c := range cases {
		v := domain.LicenseVerification{Genuine: true, Status: c.status, ValidUntil: c.until}
		if got := v.StatusAt(c.now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
