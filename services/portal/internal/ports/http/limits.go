package http

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"gerbang/pkg/apperr"
)

// LoginLimits bound the login attempts per client address and per account,
// in fixed windows, counted in this process's memory (each replica counts its
// own).
type LoginLimits struct {
	PerIP    int           // attempts per address per window
	PerEmail int           // attempts per email per window
	Window   time.Duration // default one minute
}

// Handlers returns the two limiters, per address first. Use the same
// handlers on every login route, so attempts through the API and the web
// form count together.
func (l LoginLimits) Handlers() []fiber.Handler {
	window := l.Window
	if window <= 0 {
		window = time.Minute
	}
	refuse := func(c *fiber.Ctx) error {
		return apperr.New(apperr.TooManyRequests,
			"Terlalu banyak percobaan masuk; coba lagi dalam %[1]s detik. / Too many login attempts; try again in %[1]s seconds.",
			c.GetRespHeader(fiber.HeaderRetryAfter))
	}
	perIP := limiter.New(limiter.Config{
		Max:          l.PerIP,
		Expiration:   window,
		KeyGenerator: func(c *fiber.Ctx) string { return "ip:" + c.IP() },
		LimitReached: refuse,
	})
	perEmail := limiter.New(limiter.Config{
		Max:          l.PerEmail,
		Expiration:   window,
		KeyGenerator: func(c *fiber.Ctx) string { return "email:" + loginEmail(c) },
		LimitReached: refuse,
	})
	return []fiber.Handler{perIP, perEmail}
}

// loginEmail reads the email a login attempt names, from a JSON body or a
// form, lower-cased; "" when it names none (such attempts share one count).
func loginEmail(c *fiber.Ctx) string {
	var email string
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		var body struct {
			Email string `json:"email"`
		}
		if json.Unmarshal(c.Body(), &body) == nil {
			email = body.Email
		}
	} else {
		email = c.FormValue("email")
	}
	// Cloned: the limiter keeps the key, and fiber reuses the request's memory.
	return strings.Clone(strings.ToLower(strings.TrimSpace(email)))
}
