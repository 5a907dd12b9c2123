package domain

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCanonicalJSONSortsMembersWithoutWhitespace(t *testing.T) {
	got, err := CanonicalJSON(map[string]any{"b": 1, "a": []any{"x<y", map[string]any{"d": nil, "c": true}}})
	if err != nil || string(got) != `{"a":["x<y",{"c":true,"d":null}],"b":1}` {
		t.Fatalf("canonical %s, %v", got, err)
	}
}

func TestASignedLicenseVerifiesAndATamperedOneDoesNot(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	keys := func(kid string) ed25519.PublicKey {
		if kid == "k1" {
			return pub
		}
		return nil
	}
	doc := LicenseDocument{Number: "LIC-2026-000123", HolderName: "Hotel Melati", NIB: "8120012345674", KBLI: "55110", Issuer: "Gerbang"}
	s, err := SignLicense(doc, priv, "k1")
	if err != nil {
		t.Fatal(err)
	}
	// It survives a round trip through JSON with other whitespace.
	raw, _ := json.MarshalIndent(s, "", "  ")
	var back SignedLicense
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if got, err := VerifySignedLicense(back, keys); err != nil || got.Number != doc.Number {
		t.Fatalf("verify: %+v %v", got, err)
	}
	tampered := back
	tampered.Payload = json.RawMessage(strings.Replace(string(back.Payload), "Hotel Melati", "Hotel Palsu", 1))
	if _, err := VerifySignedLicense(tampered, keys); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered payload: %v", err)
	}
	otherKid := back
	otherKid.Header.Kid = "k2"
	if _, err := VerifySignedLicense(otherKid, keys); err == nil {
		t.Fatal("unknown key verified")
	}
}
