// Package auth issues and verifies the platform's access tokens: JWTs signed
// with EdDSA (Ed25519) by the portal, published as a JWKS, and verified by
// every service, which reads the caller's subject, roles and organisation
// from them. It also holds the fiber middleware that puts the caller (a
// Principal) on the request and refuses callers without the roles a route
// needs.
package auth

import (
	"context"

	"github.com/golang-jwt/jwt/v5"

	"gerbang/pkg/caller"
)

// Defaults shared by the portal (which issues tokens), the services (which
// verify them) and the devtoken command.
const (
	DefaultIssuer   = "http://127.0.0.1:8080"
	DefaultAudience = "gerbang"
	// JWKSPath is where the portal publishes its public keys.
	JWKSPath = "/.well-known/jwks.json"
)

// Roles a user can hold (defined in pkg/caller, which a domain may import
// without pulling in fiber or jwt).
const (
	RoleBusiness           = caller.RoleBusiness
	RoleLicensingOfficer   = caller.RoleLicensingOfficer
	RoleProcurementOfficer = caller.RoleProcurementOfficer
	RoleFinance            = caller.RoleFinance
	RoleAuditor            = caller.RoleAuditor
	RoleAdmin              = caller.RoleAdmin
)

// AllRoles returns every role, in a fixed order.
func AllRoles() []string { return caller.AllRoles() }

// IsRole reports whether name is one of the platform's roles.
func IsRole(name string) bool { return caller.IsRole(name) }

// Claims are the claims of an access token.
type Claims struct {
	jwt.RegisteredClaims
	Roles []string `json:"roles"`
	Org   string   `json:"org,omitempty"` // the business the user acts for, if any
}

// Principal is the authenticated caller: pkg/caller's one Caller type.
type Principal = caller.Caller

// WithPrincipal returns a context carrying p, for use cases to read with
// FromContext (or caller.From).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return caller.With(ctx, p)
}

// FromContext returns the principal that Authenticate put in the request's
// user context; false for an anonymous caller.
func FromContext(ctx context.Context) (Principal, bool) {
	return caller.Identity(ctx)
}
