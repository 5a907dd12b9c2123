package domain

import "time"

// Certificate is what a license's printed certificate states: the license,
// the key that signs its JSON form, where anyone verifies it (the QR code
// encodes VerifyURL) and when it was printed.
type Certificate struct {
	License   License
	KeyID     string // the signing key's id as published; "" when signing is not configured
	VerifyURL string
	PrintedAt time.Time
}
