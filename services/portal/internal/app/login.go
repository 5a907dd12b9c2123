package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/services/portal/internal/domain"
)

// TokenTTL is how long an access token is valid: a working day.
const TokenTTL = 8 * time.Hour

// WrongCredentials is the one answer to a wrong email, a wrong password and a
// disabled account alike.
const WrongCredentials = "Email atau kata sandi salah / Wrong email or password"

// EmailNotVerified answers a login with the right password to an account
// whose email is not verified yet (only someone who knows the password sees it).
const EmailNotVerified = "Email belum diverifikasi: buka tautan yang kami kirim ke email Anda. / The email address is not verified yet: open the link we sent to it."

// ErrEmailNotVerified is wrapped by the error of such a login.
var ErrEmailNotVerified = errors.New("email not verified")

// Accounts finds accounts (adapters/postgres.Accounts).
type Accounts interface {
	// ByEmail returns the account with the (normalised) email, or an apperr
	// NotFound.
	ByEmail(ctx context.Context, email string) (domain.Account, error)
	// ByID returns the account with id, or an apperr NotFound.
	ByID(ctx context.Context, id uuid.UUID) (domain.Account, error)
}

// Login checks credentials and mints access tokens.
type Login struct {
	Accounts  Accounts
	Passwords *Passwords
	Issuer    auth.Issuer
	Clock     clock.Clock
	TTL       time.Duration // default TokenTTL
}

// Token is a minted access token.
type Token struct {
	Value     string
	ExpiresAt time.Time
	TTL       time.Duration
	Account   domain.Account
}

// Login returns an access token for the account with email when password is
// its password. A wrong email, a wrong password and a disabled account get
// the same apperr Unauthenticated, after the same bcrypt work. The right
// password to an account whose email is not verified gets an apperr
// Unauthenticated wrapping ErrEmailNotVerified, with the account in the Token.
func (l *Login) Login(ctx context.Context, email, password string) (Token, error) {
	wrong := apperr.New(apperr.Unauthenticated, WrongCredentials)
	normalized, err := domain.NormalizeEmail(email)
	if err != nil || len(password) == 0 || len(password) > 1024 {
		l.Passwords.MatchesNone(password)
		return Token{}, wrong
	}
	acc, err := l.Accounts.ByEmail(ctx, normalized)
	switch {
	case apperr.Is(err, apperr.NotFound):
		l.Passwords.MatchesNone(password)
		return Token{}, wrong
	case err != nil:
		return Token{}, fmt.Errorf("login %s: %w", normalized, err)
	}
	if !l.Passwords.Matches(acc.PasswordHash, password) || acc.Disabled {
		return Token{}, wrong
	}
	if !acc.EmailVerified() {
		return Token{Account: acc}, &apperr.Error{Code: apperr.Unauthenticated, Message: EmailNotVerified, Err: ErrEmailNotVerified}
	}
	tok, err := l.mint(acc)
	if err != nil {
		return Token{}, fmt.Errorf("login %s: %w", normalized, err)
	}
	return tok, nil
}

// mint issues a token for acc, valid for the TTL from now.
func (l *Login) mint(acc domain.Account) (Token, error) {
	ttl := l.TTL
	if ttl <= 0 {
		ttl = TokenTTL
	}
	now := l.Clock.Now()
	value, err := l.Issuer.Mint(acc.Principal(), ttl, now)
	if err != nil {
		return Token{}, err
	}
	return Token{Value: value, ExpiresAt: now.Add(ttl), TTL: ttl, Account: acc}, nil
}
