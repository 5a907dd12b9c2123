package oapi

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
)

// RolesExtension is the operation extension that lists the roles admitted
// to an operation (`x-roles: [business, auditor]`); an operation without it
// is public. It is the one list of route roles: Validator enforces it when
// Options.EnforceRoles is set, so a service writes no role list of its own.
const RolesExtension = "x-roles"

// Roles returns, by operationId, the roles each operation of spec admits
// (operations without x-roles are left out: they are public).
func Roles(spec *openapi3.T) (map[string][]string, error) {
	out := map[string][]string{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			roles, ok, err := operationRoles(op)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			if ok {
				out[op.OperationID] = roles
			}
		}
	}
	return out, nil
}

func operationRoles(op *openapi3.Operation) ([]string, bool, error) {
	v, ok := op.Extensions[RolesExtension]
	if !ok {
		return nil, false, nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, false, fmt.Errorf("%s of %s is not a list of roles", RolesExtension, op.OperationID)
	}
	roles := make([]string, len(list))
	for i, r := range list {
		s, ok := r.(string)
		if !ok || !auth.IsRole(s) {
			return nil, false, fmt.Errorf("%s of %s: %v is not a role", RolesExtension, op.OperationID, r)
		}
		roles[i] = s
	}
	return roles, true, nil
}

// requireRoles refuses a caller without one of roles: anonymous 401 (with
// WWW-Authenticate), signed in without the role 403.
func requireRoles(c *fiber.Ctx, roles []string) error {
	p, signedIn := auth.PrincipalFrom(c)
	if !signedIn {
		c.Set(fiber.HeaderWWWAuthenticate, "Bearer")
		return apperr.New(apperr.Unauthenticated, "sign in to do this")
	}
	if !p.HasAnyRole(roles...) {
		return apperr.New(apperr.Forbidden, "this needs one of the roles %v", roles).With("required_roles", roles)
	}
	return nil
}
