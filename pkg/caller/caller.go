// Package caller is who makes a request, as every layer of a service sees
// it: the subject, its roles, the business it acts for and the request id,
// carried in the context. It holds the platform's roles too. It imports
// nothing but the standard library, so a domain package may use the roles
// and the Caller without pulling in HTTP or JWT code (pkg/auth verifies
// tokens and puts the Caller in the context; use cases read it here).
//
// Use:
//
//	c := caller.From(ctx)            // in a port: the request's caller
//	if !c.HasRole(caller.RoleBusiness) { ... }
//	audit.Entry{Actor: c.Subject, ActorRoles: c.Roles, RequestID: c.RequestID}
package caller

import (
	"context"
	"slices"
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

// Caller is who makes a request. The zero Caller is anonymous.
type Caller struct {
	Subject string   // the user's id (the token's sub); "" when anonymous
	Roles   []string // the roles the user holds
	Org     string   // the business the user acts for; "" for officers
	// RequestID is the request's id (X-Request-Id), for audit records and
	// logs; set for anonymous callers too.
	RequestID string
}

// SignedIn reports whether the caller was authenticated.
func (c Caller) SignedIn() bool { return c.Subject != "" }

// HasRole reports whether the caller holds role.
func (c Caller) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// HasAnyRole reports whether the caller holds at least one of roles.
func (c Caller) HasAnyRole(roles ...string) bool {
	for _, r := range roles {
		if c.HasRole(r) {
			return true
		}
	}
	return false
}

type identityKey struct{}

type requestIDKey struct{}

// With returns a context carrying c's identity (subject, roles, org);
// its RequestID is kept apart (WithRequestID), as it is known before the
// caller is.
func With(ctx context.Context, c Caller) context.Context {
	c.RequestID = ""
	return context.WithValue(ctx, identityKey{}, c)
}

// WithRequestID returns a context carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id a context carries ("" when none).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Identity returns the authenticated caller a context carries, without
// the request id; false when the request is anonymous.
func Identity(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(identityKey{}).(Caller)
	return c, ok
}

// From returns the caller of the request a context belongs to: its
// identity (zero when anonymous) and its request id.
func From(ctx context.Context) Caller {
	c, _ := Identity(ctx)
	c.RequestID = RequestID(ctx)
	return c
}
