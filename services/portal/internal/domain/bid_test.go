package domain

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func TestAReceiptIsGenuineOnlyWithItsPublishedKeyOverItsFieldsAsGiven(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	r := Receipt{TenderID: "0193a6f0-0000-7000-8000-0000000000aa", BidID: "0193a6f0-0000-7000-8000-000000000001",
		SealedSHA256: strings.Repeat("ab", 32), ReceivedAt: "2026-12-10T02:59:58.123456Z", KeyID: "k1"}
	// The message as the tender service documents it, written out here.
	msg := "gerbang-bid-receipt-v1\n" + r.TenderID + "\n" + r.BidID + "\n" + r.SealedSHA256 + "\n" + r.ReceivedAt
	r.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(msg)))
	key, err := ParseReceiptKey("k1", base64.StdEncoding.EncodeToString(pub))
	if err != nil {
		t.Fatal(err)
	}
	keys := []ReceiptKey{{ID: "k0", PublicKey: other}, key}
	js := func(r Receipt) string { b, _ := json.Marshal(r); return string(b) }

	if got := CheckReceipt(js(r), keys); !got.Genuine || got.Problem != "" || got.Receipt.BidID != r.BidID {
		t.Fatalf("the genuine receipt: %+v", got)
	}
	changed := func(f func(*Receipt)) string { c := r; f(&c); return js(c) }
	for name, c := range map[string]struct {
		pasted, problem string
	}{
		"not JSON":                   {"receipt please", "receipt.problem.not_json"},
		"a later time":               {changed(func(c *Receipt) { c.ReceivedAt = "2026-12-10T02:59:59.123456Z" }), "receipt.problem.signature"},
		"the same time, reformatted": {changed(func(c *Receipt) { c.ReceivedAt = "2026-12-10T09:59:58.123456+07:00" }), "receipt.problem.signature"},
		"another hash":               {changed(func(c *Receipt) { c.SealedSHA256 = strings.Repeat("cd", 32) }), "receipt.problem.signature"},
		"another bid":                {changed(func(c *Receipt) { c.BidID = "0193a6f0-0000-7000-8000-000000000002" }), "receipt.problem.signature"},
		"a key not published":        {changed(func(c *Receipt) { c.KeyID = "k9" }), "receipt.problem.unknown_key"},
		"signed by another key":      {changed(func(c *Receipt) { c.KeyID = "k0" }), "receipt.problem.signature"},
		"a short signature":          {changed(func(c *Receipt) { c.Signature = "AAAA" }), "receipt.problem.signature"},
		"no hash":                    {changed(func(c *Receipt) { c.SealedSHA256 = "" }), "receipt.problem.incomplete"},
	} {
		if got := CheckReceipt(c.pasted, keys); got.Genuine || got.Problem != c.problem {
			t.Errorf("%s: genuine %v, problem %q; want %q", name, got.Genuine, got.Problem, c.problem)
		}
	}
	if _, err := ParseReceiptKey("k2", base64.StdEncoding.EncodeToString([]byte("short"))); err == nil {
		t.Error("a 5-byte key was read as an Ed25519 key")
	}
}
