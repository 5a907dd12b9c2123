package http

import (
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/httpx"
	"gerbang/services/portal/internal/app"
)

//go:embed templates/*.html
var templateFS embed.FS

// WIB is Western Indonesia Time, the zone people read times in. Jakarta has
// kept UTC+7 without daylight saving since 1964, so a fixed zone is exact and
// needs no tzdata on the machine.
var WIB = time.FixedZone("WIB", 7*60*60)

const (
	sessionCookie = "gerbang_session"
	csrfCookie    = "gerbang_csrf"
	csrfField     = "csrf_token"
)

// Web serves the server-rendered pages: the home page with the login form,
// and the public license verification and tender pages.
type Web struct {
	login     *app.Login
	accounts  app.Accounts
	verifier  *auth.Verifier
	clock     clock.Clock
	cookies   cookieSigner
	secure    bool
	services  []Backend
	licenses  app.LicenseRegistry
	tenders   app.TenderBoard
	log       *slog.Logger
	templates *template.Template
}

// WebOptions configure the pages.
type WebOptions struct {
	Login    *app.Login
	Accounts app.Accounts
	Verifier *auth.Verifier // verifies the token held in the session cookie
	Clock    clock.Clock
	// CookieSecret signs the session and CSRF cookies.
	CookieSecret []byte
	// SecureCookies marks cookies Secure (HTTPS only); cookies are also
	// Secure whenever the request came over HTTPS.
	SecureCookies bool
	Services      []Backend // linked from the home page
	Licenses      app.LicenseRegistry
	Tenders       app.TenderBoard
	Log           *slog.Logger
}

// NewWeb parses the templates.
func NewWeb(o WebOptions) (*Web, error) {
	if len(o.CookieSecret) < 32 {
		return nil, errors.New("web: cookie secret shorter than 32 bytes")
	}
	if o.Licenses == nil || o.Tenders == nil || o.Log == nil {
		return nil, errors.New("web: licenses, tenders and log are required")
	}
	templates, err := template.New("pages").Funcs(template.FuncMap{
		"wib":         wib,
		"rupiah":      rupiah,
		"join":        strings.Join,
		"lower":       strings.ToLower,
		"tenderState": labelIn(tenderStates),
		"category":    labelIn(categories),
		"evaluation":  labelIn(evaluationMethods),
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	return &Web{
		login: o.Login, accounts: o.Accounts, verifier: o.Verifier, clock: o.Clock,
		cookies: cookieSigner{secret: o.CookieSecret}, secure: o.SecureCookies,
		services: o.Services, licenses: o.Licenses, tenders: o.Tenders, log: o.Log, templates: templates,
	}, nil
}

type signedIn struct {
	Email       string
	DisplayName string
	Roles       []string
	Org         string
	ExpiresAt   time.Time
}

// layout is what every page shows around its content (templates/layout.html).
type layout struct {
	Title string
	Now   time.Time
}

type pageData struct {
	layout
	CSRF     string
	User     *signedIn
	Error    string // shown above the form
	Email    string // kept in the form after a failed attempt
	Services []Backend
}

// Home renders the home page.
func (w *Web) Home(c *fiber.Ctx) error {
	return w.render(c, fiber.StatusOK, pageData{})
}

// Login checks the form's email and password; on success it sets the session
// cookie and sends the browser back to the home page.
func (w *Web) Login(c *fiber.Ctx) error {
	email := c.FormValue("email")
	tok, err := w.login.Login(c.UserContext(), email, c.FormValue("password"))
	if apperr.Is(err, apperr.Unauthenticated) {
		return w.render(c, fiber.StatusUnauthorized, pageData{Error: app.WrongCredentials, Email: strings.Clone(email)})
	}
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: w.cookies.sign(sessionCookie, tok.Value), Path: "/",
		Expires: tok.ExpiresAt, HTTPOnly: true, Secure: w.secureFor(c), SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect("/", fiber.StatusSeeOther)
}

// Logout ends the session.
func (w *Web) Logout(c *fiber.Ctx) error {
	w.clearSession(c)
	return c.Redirect("/", fiber.StatusSeeOther)
}

// CheckCSRF refuses a form whose csrf_token field does not equal the value
// of the signed CSRF cookie (a signed double-submit cookie): another site can
// make a browser post a form here, but cannot read or forge that value.
func (w *Web) CheckCSRF(c *fiber.Ctx) error {
	want, ok := w.cookies.open(csrfCookie, c.Cookies(csrfCookie))
	got := c.FormValue(csrfField)
	if !ok || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return apperr.New(apperr.Forbidden, "Formulir ini kedaluwarsa atau tidak berasal dari Gerbang; muat ulang halaman lalu coba lagi. / This form has expired or did not come from Gerbang; reload the page and try again.")
	}
	return c.Next()
}

// HTMLErrors renders the failures of the routes after it (a refused CSRF
// token, a rate limit) as the home page with the message, for people using
// a browser, keeping the status (and Retry-After).
func (w *Web) HTMLErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	p := httpx.ProblemFor(err)
	if p.Status >= 500 {
		return err // logged and answered by the platform
	}
	return w.render(c, p.Status, pageData{Error: p.Detail})
}

func (w *Web) render(c *fiber.Ctx, status int, d pageData) error {
	csrf, err := w.csrfToken(c)
	if err != nil {
		return err
	}
	d.CSRF = csrf
	d.layout = w.layoutOf("Gerbang — Perizinan dan Pengadaan untuk Dunia Usaha")
	d.Services = w.services
	d.User = w.session(c)
	return w.send(c, status, "home.html", d)
}

func (w *Web) layoutOf(title string) layout { return layout{Title: title, Now: w.clock.Now()} }

// send renders the page template name with the headers every page has.
func (w *Web) send(c *fiber.Ctx, status int, name string, data any) error {
	var b strings.Builder
	if err := w.templates.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).SendString(b.String())
}

// csrfToken returns the token of the request's CSRF cookie, setting a new
// cookie when there is none or it is not ours.
func (w *Web) csrfToken(c *fiber.Ctx) (string, error) {
	if v, ok := w.cookies.open(csrfCookie, c.Cookies(csrfCookie)); ok {
		return strings.Clone(v), nil
	}
	v, err := randomToken()
	if err != nil {
		return "", fmt.Errorf("csrf token: %w", err)
	}
	c.Cookie(&fiber.Cookie{
		Name: csrfCookie, Value: w.cookies.sign(csrfCookie, v), Path: "/",
		HTTPOnly: true, Secure: w.secureFor(c), SameSite: fiber.CookieSameSiteStrictMode,
	})
	return v, nil
}

// session returns who the session cookie says is signed in: nil when there
// is no cookie or its signature, token or account is no longer good (the
// cookie is then cleared).
func (w *Web) session(c *fiber.Ctx) *signedIn {
	raw := c.Cookies(sessionCookie)
	if raw == "" {
		return nil
	}
	token, ok := w.cookies.open(sessionCookie, raw)
	if !ok {
		w.clearSession(c)
		return nil
	}
	p, err := w.verifier.Verify(c.UserContext(), token)
	if err != nil {
		w.clearSession(c)
		return nil
	}
	id, err := uuid.Parse(p.Subject)
	if err != nil {
		w.clearSession(c)
		return nil
	}
	acc, err := w.accounts.ByID(c.UserContext(), id)
	if err != nil || acc.Disabled {
		w.clearSession(c)
		return nil
	}
	return &signedIn{Email: acc.Email, DisplayName: acc.DisplayName, Roles: p.Roles, Org: p.Org, ExpiresAt: expiry(token)}
}

func (w *Web) clearSession(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: w.secureFor(c), SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (w *Web) secureFor(c *fiber.Ctx) bool { return w.secure || c.Protocol() == "https" }

// expiry reads the exp claim of a token already verified.
func expiry(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return time.Time{}
	}
	return time.Unix(claims.Exp, 0)
}
