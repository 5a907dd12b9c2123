package domain

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// LicenseDocument is what a signed license asserts.
type LicenseDocument struct {
	Number      string  `json:"number"`
	LicenseID   string  `json:"license_id"`
	HolderName  string  `json:"holder_name"`
	NIB         string  `json:"nib"`
	KBLI        string  `json:"kbli"`
	LicenseType string  `json:"license_type"`
	LicenseName string  `json:"license_name"`
	Risk        string  `json:"risk"`
	IssuedAt    string  `json:"issued_at"`
	ValidFrom   string  `json:"valid_from"`
	ValidUntil  *string `json:"valid_until"`
	Issuer      string  `json:"issuer"`
	VerifyURL   string  `json:"verify_url"`
}

// DocumentOf returns the document of a license.
func DocumentOf(l License, issuer, verifyURL string) LicenseDocument {
	d := LicenseDocument{
		Number: l.Number, LicenseID: l.ID, HolderName: l.HolderName, NIB: string(l.NIB), KBLI: l.KBLI,
		LicenseType: l.LicenseType, LicenseName: l.LicenseName, Risk: string(l.Risk),
		IssuedAt: l.IssuedAt.UTC().Format(time.RFC3339), ValidFrom: l.ValidFrom.UTC().Format(time.RFC3339),
		Issuer: issuer, VerifyURL: verifyURL,
	}
	if l.ValidUntil != nil {
		u := l.ValidUntil.UTC().Format(time.RFC3339)
		d.ValidUntil = &u
	}
	return d
}

// SignatureHeader names the algorithm and the key of a signature.
type SignatureHeader struct {
	Alg string `json:"alg"` // always "EdDSA" (Ed25519)
	Kid string `json:"kid"` // the key's RFC 7638 thumbprint, as published
}

// SignedLicense is the signed JSON form of a license: the signature, in
// base64url, is Ed25519 over the canonical JSON of {"header", "payload"}.
type SignedLicense struct {
	Header    SignatureHeader `json:"header"`
	Payload   json.RawMessage `json:"payload"`
	Signature string          `json:"signature"`
}

// CanonicalJSON encodes v with object members sorted by name and no
// insignificant whitespace (RFC 8785 for the values used here: strings,
// integers, booleans, null, arrays and objects).
func CanonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil { // maps encode with sorted keys
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func signingInput(h SignatureHeader, payload json.RawMessage) ([]byte, error) {
	return CanonicalJSON(map[string]any{"header": h, "payload": payload})
}

// SignLicense signs a license document with an Ed25519 key named kid.
func SignLicense(doc LicenseDocument, key ed25519.PrivateKey, kid string) (SignedLicense, error) {
	payload, err := CanonicalJSON(doc)
	if err != nil {
		return SignedLicense{}, fmt.Errorf("encode license %s: %w", doc.Number, err)
	}
	h := SignatureHeader{Alg: "EdDSA", Kid: kid}
	in, err := signingInput(h, payload)
	if err != nil {
		return SignedLicense{}, err
	}
	return SignedLicense{Header: h, Payload: payload, Signature: base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, in))}, nil
}

// ErrBadSignature is returned for a signed license that does not verify.
var ErrBadSignature = errors.New("the signature does not match the license: it was altered or not issued by this service")

// VerifySignedLicense checks the signature with the key its header names
// (keyOf returns nil for an unknown kid) and returns the document.
func VerifySignedLicense(s SignedLicense, keyOf func(kid string) ed25519.PublicKey) (LicenseDocument, error) {
	if s.Header.Alg != "EdDSA" {
		return LicenseDocument{}, fmt.Errorf("signature algorithm %q is not EdDSA", s.Header.Alg)
	}
	key := keyOf(s.Header.Kid)
	if key == nil {
		return LicenseDocument{}, fmt.Errorf("signing key %q is not one of this service's keys", s.Header.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(s.Signature)
	if err != nil {
		return LicenseDocument{}, ErrBadSignature
	}
	in, err := signingInput(s.Header, s.Payload)
	if err != nil {
		return LicenseDocument{}, ErrBadSignature
	}
	if !ed25519.Verify(key, in, sig) {
		return LicenseDocument{}, ErrBadSignature
	}
	var doc LicenseDocument
	if err := json.Unmarshal(s.Payload, &doc); err != nil {
		return LicenseDocument{}, ErrBadSignature
	}
	return doc, nil
}
