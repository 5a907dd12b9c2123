package http

import (
	"testing"

	"gerbang/services/portal/internal/domain"
)

// TestTendersDisqualificationsAreSaidInTheReadersLanguage: the reasons
// tender writes at the opening are said from the catalogue, in Indonesian
// by default; a reason the portal does not know is shown as tender wrote
// it, never dropped.
func TestTendersDisqualificationsAreSaidInTheReadersLanguage(t *testing.T) {
	cat, err := loadCatalogue(messageFS)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang, reason, want string
	}{
		{"id", "", ""},
		{"id", "the sealed bid could not be decrypted", "penawaran tersegel tidak dapat dibuka"},
		{"id", "bid security not paid by the opening", "jaminan penawaran belum dibayar saat pembukaan"},
		{"id", "not confirmed after addendum 2", "tidak dikonfirmasi ulang setelah adendum ke-2"},
		{"en", "not confirmed after addendum 1", "not confirmed again after addendum 1"},
		{"id", "a reason tender adds later", "a reason tender adds later"},
	} {
		v := disqualificationsOf(translator{cat, lang(c.lang)}, domain.Opening{Bids: []domain.OpenedBid{{Disqualified: c.reason}}})
		if got := v.Bids[0].Reason; got != c.want {
			t.Errorf("%s %q: %q, want %q", c.lang, c.reason, got, c.want)
		}
	}
}
