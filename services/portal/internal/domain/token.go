package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// LinkPurpose is what a link sent by mail lets its holder do.
type LinkPurpose string

const (
	PurposeVerifyEmail   LinkPurpose = "verify_email"   // confirm that the mailbox is the account's
	PurposeResetPassword LinkPurpose = "reset_password" // choose a new password without the old one
)

// LinkToken is the secret of a link sent by mail. Only its hash is stored:
// someone who reads the database cannot use the links it holds.
type LinkToken struct {
	Secret    string // in the link, 32 random bytes base64url
	Hash      []byte // SHA-256 of Secret, what is stored
	Purpose   LinkPurpose
	ExpiresAt time.Time
}

// NewLinkToken returns a fresh random token for purpose, valid until expiresAt.
func NewLinkToken(purpose LinkPurpose, expiresAt time.Time) (LinkToken, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return LinkToken{}, fmt.Errorf("link token: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	return LinkToken{Secret: secret, Hash: HashLinkSecret(secret), Purpose: purpose, ExpiresAt: expiresAt}, nil
}

// HashLinkSecret is the stored form of a link's secret. A fast hash is
// enough: the secret has 256 random bits, nothing to guess.
func HashLinkSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
