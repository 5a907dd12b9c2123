package auth

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
)

type localsKey struct{}

// Authenticate reads `Authorization: Bearer <token>`, verifies the token and
// puts its principal on the request (PrincipalFrom) and in the request's user
// context (FromContext). A request without the header goes on anonymously,
// so public routes work; RequireRoles refuses it where a role is needed. A
// header that is present but wrong is refused with 401.
func Authenticate(v *Verifier) fiber.Handler {
	return func(c *fiber.Ctx) error {
		header := c.Get(fiber.HeaderAuthorization)
		if header == "" {
			return c.Next()
		}
		scheme, token, found := strings.Cut(header, " ")
		token = strings.TrimSpace(token)
		if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_request"`)
			return apperr.New(apperr.Unauthenticated, "the Authorization header must be \"Bearer <token>\"")
		}
		p, err := v.Verify(c.UserContext(), token)
		if err != nil {
			if apperr.Is(err, apperr.Unauthenticated) {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
			}
			return err
		}
		SetPrincipal(c, p)
		return c.Next()
	}
}

// SetPrincipal puts p on the request as Authenticate does (for tests and for
// other ways of signing in).
func SetPrincipal(c *fiber.Ctx, p Principal) {
	c.Locals(localsKey{}, p)
	c.SetUserContext(WithPrincipal(c.UserContext(), p))
}

// PrincipalFrom returns the caller that Authenticate found; false when the
// request is anonymous.
func PrincipalFrom(c *fiber.Ctx) (Principal, bool) {
	p, ok := c.Locals(localsKey{}).(Principal)
	return p, ok
}

// RequireRoles lets through callers holding at least one of roles: an
// anonymous caller gets 401, a caller without any of the roles 403.
func RequireRoles(roles ...string) fiber.Handler {
	need := strings.Join(roles, " or ")
	return func(c *fiber.Ctx) error {
		p, ok := PrincipalFrom(c)
		if !ok {
			c.Set(fiber.HeaderWWWAuthenticate, "Bearer")
			return apperr.New(apperr.Unauthenticated, "sign in: this action needs the role %s", need)
		}
		if !p.HasAnyRole(roles...) {
			return apperr.New(apperr.Forbidden, "this action needs the role %s", need).With("required_roles", roles)
		}
		return c.Next()
	}
}

// JWKSHandler serves the JWK Set of keys (the portal mounts it at JWKSPath).
func JWKSHandler(keys ...PublicKey) fiber.Handler {
	set := JWKS(keys...)
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		if err := c.JSON(set); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/jwk-set+json")
		return nil
	}
}
