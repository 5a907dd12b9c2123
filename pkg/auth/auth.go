// Package auth issues and verifies the platform's access tokens: JWTs signed
// with EdDSA (Ed25519) by the portal, published as a JWKS, and verified by
// every service, which reads the caller's subject, roles and organisation
// from them. It also holds the fiber middleware that puts the caller (a
// Principal) on the request and refuses callers without the roles a route
// needs.
package auth

import (
	"context"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults shared by the portal (which issues tokens), the services (which
// verify them) and the devtoken command.
const (
	DefaultIssuer   = "http://127.0.0.1:8080"
	DefaultAudience = "gerbang"
	// JWKSPath is where the portal publishes its public keys.
	JWKSPath = "/.well-known/jwks.json"
)

// Roles a user can hold. A business account is also the vendor in tenders.
const (
	RoleBusiness           = "business"
	RoleLicensingOfficer   = "licensing_officer"
	RoleProcurementOfficer = "procurement_officer"
	RoleFinance            = "finance"
	RoleAuditor            = "auditor"
	RoleAdmin              = "admin"
)

// AllRoles returns every role, in a fixed order.
func AllRoles() []string {
	return []string{RoleBusiness, RoleLicensingOfficer, RoleProcurementOfficer, RoleFinance, RoleAuditor, RoleAdmin}
}

// IsRole reports whether name is one of the platform's roles.
func IsRole(name string) bool { return slices.Contains(AllRoles(), name) }

// Claims are the claims of an access token.
type Claims struct {
	jwt.RegisteredClaims
	Roles []string `json:"roles"`
	Org   string   `json:"org,omitempty"` // the business the user acts for, if any
}

// Principal is the authenticated caller.
type Principal struct {
	Subject string   // the user's id (the token's sub)
	Roles   []string // the roles the user holds
	Org     string   // the business the user acts for; "" for officers
}

// HasRole reports whether the principal holds role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// HasAnyRole reports whether the principal holds at least one of roles.
func (p Principal) HasAnyRole(roles ...string) bool {
	for _, r := range roles {
		if p.HasRole(r) {
			return true
		}
	}
	return false
}

type principalKey struct{}

// WithPrincipal returns a context carrying p, for use cases to read with
// FromContext.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal that Authenticate put in the request's
// user context; false for an anonymous caller.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
