package audit

import (
	"encoding/hex"
	"testing"
	"time"
)

// TestCanonicalBytesAndHashOfARecordArePinned is the chain's test vector:
// the canonical bytes of one record (doc.go's layout, spelled out field by
// field) and its link hash after the genesis. A change to the encoding, to
// the order of the fields or to the hash breaks every sealed chain, and
// fails here first.
func TestCanonicalBytesAndHashOfARecordArePinned(t *testing.T) {
	r := storedRecord{
		ID: 1, Xid: 1000, At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Actor: "officer-1", ActorRoles: []string{"licensing_officer"},
		Action: "application.approve", EntityType: "application", EntityID: "app-1",
		Before: []byte(`{"status": "submitted"}`), After: nil,
		RequestID: "req-1", Reason: "ok",
	}
	const wantCanonical = "" +
		"0000001767657262616e672f61756469742f7265636f72642f7631" + // "gerbang/audit/record/v1"
		"0000000000000001" + // id 1
		"00000000000003e8" + // xid 1000
		"00064bf2b1f42400" + // at, Unix microseconds of 2026-03-01T09:00:00Z
		"000000096f6666696365722d31" + // actor "officer-1"
		"0000000000000001" + // one role
		"000000116c6963656e73696e675f6f666669636572" + // "licensing_officer"
		"000000136170706c69636174696f6e2e617070726f7665" + // action "application.approve"
		"0000000b6170706c69636174696f6e" + // entity_type "application"
		"000000056170702d31" + // entity_id "app-1"
		"01000000177b22737461747573223a20227375626d6974746564227d" + // before: present, {"status": "submitted"}
		"00" + // after: absent
		"000000057265712d31" + // request_id "req-1"
		"000000026f6b" // reason "ok"
	// SHA-256 of 32 zero bytes (the genesis) followed by the bytes above.
	const wantHash = "e3c21fc36c6c95bacb477f0f001bf42c8ce043d0d3695890fe36886723cef668"

	if got := hex.EncodeToString(r.canonical()); got != wantCanonical {
		t.Fatalf("canonical bytes\n got %s\nwant %s", got, wantCanonical)
	}
	if got := hex.EncodeToString(linkHash(genesisHash(), &r)); got != wantHash {
		t.Fatalf("link hash %s, want %s", got, wantHash)
	}
	// Each field counts: the before state, changed or removed, changes the hash.
	for name, change := range map[string]func(*storedRecord){
		"before changed": func(r *storedRecord) { r.Before = []byte(`{"status": "approved"}`) },
		"before removed": func(r *storedRecord) { r.Before = nil },
		"after added":    func(r *storedRecord) { r.After = []byte(`{}`) },
		"reason changed": func(r *storedRecord) { r.Reason = "ok." },
	} {
		c := r
		change(&c)
		if hex.EncodeToString(linkHash(genesisHash(), &c)) == wantHash {
			t.Errorf("%s: the hash did not change", name)
		}
	}
}
