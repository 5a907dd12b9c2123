package http

import (
	"github.com/gofiber/fiber/v2"

	"gerbang/services/portal/internal/ports/http/oapi"
)

// jwksResponse adds caching to the generated answer: services fetch the keys
// often, and they change only when the signing key is replaced.
type jwksResponse struct {
	oapi.GetJWKS200JSONResponse
}

func (r jwksResponse) VisitGetJWKSResponse(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return r.GetJWKS200JSONResponse.VisitGetJWKSResponse(c)
}

// tokenResponse forbids caching a token anywhere (RFC 6749 §5.1).
type tokenResponse struct {
	oapi.CreateToken200JSONResponse
}

func (r tokenResponse) VisitCreateTokenResponse(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")
	return r.CreateToken200JSONResponse.VisitCreateTokenResponse(c)
}
