package domain

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

func newKEK(t *testing.T) KEK {
	t.Helper()
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	k, err := NewKEK(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// tenderInOpening returns a published tender sealed to a fresh key, moved to
// the opening (deadline passed) but with the opening not yet started.
func tenderInOpening(t *testing.T, kek KEK) *Tender {
	t.Helper()
	tn, _ := NewTender("t-seal", "TND-2026-0002", validTerms(), "officer-1", t0)
	pub, wrapped, err := kek.NewTenderKey(tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.Publish(ActorCommittee, t0, pub, wrapped); err != nil {
		t.Fatal(err)
	}
	_ = tn.StartTendering(tn.BidPeriodStart)
	return tn
}

func TestSealedBidOpensOnlyAfterDeadlineOnceOpeningStarted(t *testing.T) {
	kek := newKEK(t)
	tn := tenderInOpening(t, kek)
	bid := BidContent{Price: 987_654_321, TechnicalOffer: "Laptop 16 GB, garansi 3 tahun",
		Documents: []BidDocument{{Name: "spec.pdf", Content: []byte("%PDF-1.7 spesifikasi")}}}
	sealed, err := SealBid(tn.PublicKey, tn.ID, "vendor-a", bid)
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{"987654321", "Laptop 16 GB", "spesifikasi"} {
		if bytes.Contains(sealed, []byte(clear)) {
			t.Fatalf("sealed bid holds %q in clear", clear)
		}
	}
	if bytes.Contains(tn.WrappedKey, tn.PublicKey[:32]) {
		t.Fatal("wrapped key leaks key material")
	}

	// Tendering, before and at the deadline: refused.
	for _, at := range []time.Time{tn.BidDeadline.Add(-time.Hour), tn.BidDeadline} {
		if _, err := kek.UnwrapForOpening(tn, at); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("unwrapped at %s: %v", at, err)
		}
	}
	after := tn.BidDeadline.Add(time.Second)
	_ = tn.CloseBidding(after, 1)
	// Deadline passed but the committee has not started the opening: refused.
	if _, err := kek.UnwrapForOpening(tn, after); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("unwrapped before the opening started: %v", err)
	}
	if err := tn.StartOpening(ActorCommittee, after); err != nil {
		t.Fatal(err)
	}
	opener, err := kek.UnwrapForOpening(tn, after)
	if err != nil {
		t.Fatal(err)
	}
	got, err := opener.Open("vendor-a", sealed)
	if err != nil {
		t.Fatal(err)
	}
	if got.Price != bid.Price || got.TechnicalOffer != bid.TechnicalOffer || string(got.Documents[0].Content) != "%PDF-1.7 spesifikasi" {
		t.Fatalf("opened %+v, want %+v", got, bid)
	}
	// Bound to its vendor: the same ciphertext claimed by another does not open.
	if _, err := opener.Open("vendor-b", sealed); err == nil {
		t.Fatal("a bid opened under another vendor's name")
	}
	// A tampered ciphertext fails (the failure is recorded at the opening).
	sealed[len(sealed)-1] ^= 1
	if _, err := opener.Open("vendor-a", sealed); err == nil {
		t.Fatal("a tampered bid opened")
	}
}

func TestWrappedKeyOpensOnlyWithItsKEKAndTender(t *testing.T) {
	kek := newKEK(t)
	tn := tenderInOpening(t, kek)
	after := tn.BidDeadline.Add(time.Second)
	_ = tn.CloseBidding(after, 1)
	_ = tn.StartOpening(ActorCommittee, after)
	if _, err := newKEK(t).UnwrapForOpening(tn, after); err == nil {
		t.Fatal("another KEK unwrapped the key")
	}
	moved := *tn
	moved.ID = "another-tender"
	if _, err := kek.UnwrapForOpening(&moved, after); err == nil {
		t.Fatal("a wrapped key moved to another tender unwrapped")
	}
}

func TestKEKMustBe32Bytes(t *testing.T) {
	if _, err := NewKEK(make([]byte, 16)); err == nil || !strings.Contains(err.Error(), "32") {
		t.Fatalf("16-byte KEK: %v", err)
	}
}

func TestBidContentValidation(t *testing.T) {
	err := BidContent{Price: 0}.Validate()
	e, ok := err.(*apperr.Error)
	if !ok || len(e.Fields) != 2 {
		t.Fatalf("got %v, want price and technical_offer errors", err)
	}
}
