package events

import "testing"

func TestSubjectMatchingFollowsNATSWildcards(t *testing.T) {
	cases := []struct {
		filter, subject string
		want            bool
	}{
		{"payment.invoice.paid", "payment.invoice.paid", true},
		{"payment.invoice.paid", "payment.invoice.expired", false},
		{"payment.invoice.*", "payment.invoice.expired", true},
		{"payment.invoice.*", "payment.invoice", false},
		{"payment.*.paid", "payment.invoice.paid", true},
		{"licensing.license.>", "licensing.license.issued", true},
		{"licensing.license.>", "licensing.license", false},
		{"licensing.>", "licensing.business.registered", true},
		{"tender.>", "licensing.license.issued", false},
		{"payment.invoice.paid", "payment.invoice.paid.extra", false},
	}
	for _, tc := range cases {
		if got := subjectMatches(tc.filter, tc.subject); got != tc.want {
			t.Errorf("subjectMatches(%q, %q) = %v, want %v", tc.filter, tc.subject, got, tc.want)
		}
	}
}

func TestOnlyServersFrom2Point10TakeManyFilters(t *testing.T) {
	for version, want := range map[string]bool{"2.9.10": false, "2.10.0": true, "2.15.2": true, "3.0.0": true, "": false, "x.y": false} {
		if got := serverTakesManyFilters(version); got != want {
			t.Errorf("serverTakesManyFilters(%q) = %v, want %v", version, got, want)
		}
	}
}
