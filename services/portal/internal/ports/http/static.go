package http

import (
	"embed"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed static/*.css static/*.js static/*.LICENSE
var staticFS embed.FS

// Static is GET /static/:name: the style sheet, the scripts and their
// licences, from the binary. A file whose name carries its version (htmx)
// is cached for a year; the others for five minutes.
func (w *Web) Static(c *fiber.Ctx) error {
	name := path.Base(c.Params("name"))
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		return fiber.ErrNotFound
	}
	switch path.Ext(name) {
	case ".css":
		c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	case ".js":
		c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	default:
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	}
	if strings.HasPrefix(name, "htmx-") {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(b)
}
