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
// own). The same type bounds sign-ups and password resets.
type LoginLimits struct {
	PerIP    int           // attempts per address per window
	PerEmail int           // attempts per email per window; 0 for no such limit
	Window   time.Duration // default one minute
	// Refusal is the problem's detail, with %[1]s for the seconds to wait;
	// default the login's.
	Refusal string
}

// LoginRefusal is the answer to too many login attempts.
const LoginRefusal = "Terlalu banyak percobaan masuk; coba lagi dalam %[1]s detik. / Too many login attempts; try again in %[1]s seconds."

// Handlers returns the limiters, per address first. Use the same handlers
// on every route of one purpose, so attempts through the API and the web
// form count together.
func (l LoginLimits) Handlers() []fiber.Handler {
	window := l.Window
	if window <= 0 {
		window = time.Minute
	}
	refusal := l.Refusal
	if refusal == "" {
		refusal = LoginRefusal
	}
	refuse := func(c *fiber.Ctx) error {
		return apperr.New(apperr.TooManyRequests, refusal, c.GetRespHeader(fiber.HeaderRetryAfter))
	}
	perIP := limiter.New(limiter.Config{
		Max:          l.PerIP,
		Expiration:   window,
		KeyGenerator: func(c *fiber.Ctx) string { return "ip:" + c.IP() },
		LimitReached: refuse,
	})
	if l.PerEmail <= 0 {
		return []fiber.Handler{perIP}
	}
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

// Refusals of too many sign-ups and password resets (LoginLimits.Refusal).
const (
	SignUpRefusal = "Terlalu banyak pendaftaran; coba lagi dalam %[1]s detik. / Too many sign-ups; try again in %[1]s seconds."
	ResetRefusal  = "Terlalu banyak permintaan atur ulang kata sandi; coba lagi dalam %[1]s detik. / Too many password reset requests; try again in %[1]s seconds."
)
