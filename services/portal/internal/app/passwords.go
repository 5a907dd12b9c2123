// Package app holds the portal's use cases: logging in (and minting the
// access token) and seeding the demo accounts.
package app

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// MaxPasswordBytes is the longest password bcrypt can take in full.
const MaxPasswordBytes = 72

// Passwords hashes and checks passwords with bcrypt.
type Passwords struct {
	cost  int
	dummy []byte // a hash of a random password, compared when the account is unknown
}

// NewPasswords returns a hasher of the given bcrypt cost (bcrypt.DefaultCost
// in production; tests may use bcrypt.MinCost).
func NewPasswords(cost int) (*Passwords, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d is outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	var random [32]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, fmt.Errorf("dummy password: %w", err)
	}
	dummy, err := bcrypt.GenerateFromPassword(random[:24], cost)
	if err != nil {
		return nil, fmt.Errorf("dummy password hash: %w", err)
	}
	return &Passwords{cost: cost, dummy: dummy}, nil
}

// Hash returns the bcrypt hash of password.
func (p *Passwords) Hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), p.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Matches reports whether password matches hash. It takes as long as a
// bcrypt comparison whatever the outcome.
func (p *Passwords) Matches(hash, password string) bool {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	return err == nil
}

// MatchesNone spends the time of a comparison against a hash of a random
// password and returns false: the answer for an unknown account takes as long
// as the answer for a wrong password, so timing tells no one which emails
// have accounts.
func (p *Passwords) MatchesNone(password string) bool {
	_ = bcrypt.CompareHashAndPassword(p.dummy, []byte(password))
	return false
}
