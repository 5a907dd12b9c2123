// Package domain holds the portal's accounts: who may log in, with which
// roles, acting for which business. No SQL, no HTTP here.
package domain

import (
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/caller"
)

// Account is a user who can log in.
type Account struct {
	ID           uuid.UUID
	Email        string // lower-cased
	DisplayName  string
	PasswordHash string // bcrypt
	Roles        []string
	Org          *uuid.UUID // the business the user acts for; nil for officers
	Phone        string     // E.164 (+62...); "" for accounts made before sign-up asked for it
	// EmailVerifiedAt is when the person showed the mailbox is theirs (by a
	// link sent to it); nil until then. Accounts made by operators (the demo
	// ones) are verified when made.
	EmailVerifiedAt *time.Time
	Disabled        bool
	CreatedAt       time.Time
}

// EmailVerified reports whether the account's email has been verified.
func (a Account) EmailVerified() bool { return a.EmailVerifiedAt != nil }

// Principal returns who the account is in an access token.
func (a Account) Principal() caller.Caller {
	p := caller.Caller{Subject: a.ID.String(), Roles: slices.Clone(a.Roles)}
	if a.Org != nil {
		p.Org = a.Org.String()
	}
	return p
}

// NormalizeEmail trims and lower-cases an email address and checks that it
// is one. Email addresses are compared in this form everywhere.
func NormalizeEmail(s string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(s))
	if len(e) > 254 {
		return "", apperr.InvalidFields("The email address is too long.", apperr.Field("email", "must be at most 254 characters"))
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || !strings.Contains(e[strings.IndexByte(e, '@')+1:], ".") {
		return "", apperr.InvalidFields("The email address is not valid.", apperr.Field("email", "must be an email address like nama@contoh.co.id"))
	}
	return e, nil
}

// NewAccount validates and builds an account. The password hash is made by
// the caller (app.Passwords).
func NewAccount(id uuid.UUID, email, displayName, passwordHash string, roles []string, org *uuid.UUID, now time.Time) (Account, error) {
	var fields []apperr.FieldError
	e, err := NormalizeEmail(email)
	if err != nil {
		fields = append(fields, apperr.Field("email", "must be an email address like nama@contoh.co.id"))
	}
	name := strings.TrimSpace(displayName)
	if name == "" {
		fields = append(fields, apperr.Field("display_name", "must not be empty"))
	}
	if !strings.HasPrefix(passwordHash, "$2") {
		fields = append(fields, apperr.Field("password", "must be hashed with bcrypt"))
	}
	if len(roles) == 0 {
		fields = append(fields, apperr.Field("roles", "must name at least one role"))
	}
	for _, r := range roles {
		if !caller.IsRole(r) {
			fields = append(fields, apperr.Field("roles", "%q is not a role; roles are %s", r, strings.Join(caller.AllRoles(), ", ")))
		}
	}
	if org != nil && *org == uuid.Nil {
		fields = append(fields, apperr.Field("org", "must be a business id, not the nil UUID"))
	}
	if id == uuid.Nil {
		fields = append(fields, apperr.Field("id", "must not be the nil UUID"))
	}
	if len(fields) > 0 {
		return Account{}, apperr.InvalidFields("The account is not valid.", fields...)
	}
	rs := slices.Clone(roles)
	slices.Sort(rs)
	return Account{ID: id, Email: e, DisplayName: name, PasswordHash: passwordHash, Roles: slices.Compact(rs), Org: org, CreatedAt: now}, nil
}
