package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer mints access tokens.
type Issuer struct {
	Key      SigningKey // the key that signs, or
	Ring     *KeyRing   // the ring whose current key signs, when set
	Issuer   string     // the iss claim, e.g. DefaultIssuer
	Audience string     // the aud claim, e.g. DefaultAudience
}

// Mint returns a token for p, valid from now for ttl, signed with EdDSA and
// naming its key in the kid header.
func (i Issuer) Mint(p Principal, ttl time.Duration, now time.Time) (string, error) {
	key := i.Key
	if i.Ring != nil {
		key = i.Ring.Current()
	}
	switch {
	case len(key.Private) != ed25519.PrivateKeySize:
		return "", errors.New("mint token: issuer has no Ed25519 signing key")
	case p.Subject == "":
		return "", errors.New("mint token: principal has no subject")
	case ttl <= 0:
		return "", fmt.Errorf("mint token: ttl %s is not positive", ttl)
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	roles := p.Roles
	if roles == nil {
		roles = []string{}
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.Issuer,
			Subject:   p.Subject,
			Audience:  jwt.ClaimStrings{i.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        hex.EncodeToString(jti[:]),
		},
		Roles: roles,
		Org:   p.Org,
	}
	token := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	token.Header["kid"] = key.ID
	signed, err := token.SignedString(key.Private)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return signed, nil
}
