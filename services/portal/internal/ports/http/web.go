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
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
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

// Web serves the server-rendered pages, each in the one layout (page.go),
// with its texts from the message catalogue (messages.go).
type Web struct {
	login     *app.Login
	self      *app.SelfService
	accounts  app.Accounts
	verifier  *auth.Verifier
	clock     clock.Clock
	cookies   cookieSigner
	secure    bool
	services  []Backend
	licenses  app.Licensing
	tenders   app.TenderBoard
	desk      app.LicensingDesk // applications and their review, as the person
	fees      app.Fees
	committee app.Committee // the procurement committee's tenders, as the officer
	bidding   app.Bidding   // the vendor's questions and bids, as the vendor
	log       *slog.Logger
	catalogue catalogue
	templates map[lang]*template.Template
}

// WebOptions configure the pages.
type WebOptions struct {
	Login    *app.Login
	Self     *app.SelfService // sign-up, verification, reset and change of password (accounts.go)
	Accounts app.Accounts
	Verifier *auth.Verifier // verifies the token held in the session cookie
	Clock    clock.Clock
	// CookieSecret signs the session and CSRF cookies; CookieSecrets, when
	// set, gives the secrets in force instead (the first signs, any opens).
	CookieSecret  []byte
	CookieSecrets func() [][]byte
	// SecureCookies marks cookies Secure (HTTPS only); cookies are also
	// Secure whenever the request came over HTTPS.
	SecureCookies bool
	Services      []Backend // listed on the developers' page
	Licenses      app.Licensing
	Tenders       app.TenderBoard
	Desk          app.LicensingDesk
	Fees          app.Fees
	Committee     app.Committee
	Bidding       app.Bidding
	Log           *slog.Logger
}

// NewWeb loads the catalogue and parses the templates, once per language.
func NewWeb(o WebOptions) (*Web, error) {
	if o.CookieSecrets != nil {
		o.CookieSecret = o.CookieSecrets()[0]
	}
	if len(o.CookieSecret) < 32 {
		return nil, errors.New("web: cookie secret shorter than 32 bytes")
	}
	if o.Licenses == nil || o.Tenders == nil || o.Log == nil {
		return nil, errors.New("web: licenses, tenders and log are required")
	}
	cat, err := loadCatalogue(messageFS)
	if err != nil {
		return nil, err
	}
	templates, err := parseTemplates(cat)
	if err != nil {
		return nil, err
	}
	return &Web{
		login: o.Login, self: o.Self, accounts: o.Accounts, verifier: o.Verifier, clock: o.Clock,
		cookies: cookieSigner{secret: o.CookieSecret, secrets: o.CookieSecrets}, secure: o.SecureCookies,
		services: o.Services, licenses: o.Licenses, tenders: o.Tenders, desk: o.Desk, fees: o.Fees, committee: o.Committee, bidding: o.Bidding, log: o.Log,
		catalogue: cat, templates: templates,
	}, nil
}

// parseTemplates parses every template once and makes a copy per language
// whose t speaks it: {{t "key" args...}}, and {{code "prefix" .State}} for a
// service's code (prefix.code, or the code itself for one the catalogue
// does not know yet).
func parseTemplates(cat catalogue) (map[lang]*template.Template, error) {
	funcs := func(l lang) template.FuncMap {
		return template.FuncMap{
			"t": func(key string, args ...any) string { return cat.text(l, key, args...) },
			"code": func(prefix, code string) string {
				if k := prefix + "." + code; cat.has(k) {
					return cat.text(l, k)
				}
				return code
			},
			"tl":  func(key string, args []any) string { return cat.text(l, key, args...) },
			"has": cat.has,
		}
	}
	base, err := template.New("pages").Funcs(funcs(languages[0])).Funcs(template.FuncMap{
		"wib":       wib,
		"clock":     clockWIB,
		"rupiah":    rupiah,
		"join":      strings.Join,
		"field":     fieldOf,
		"tone":      toneOf,
		"mb":        megabytes,
		"scales":    func() []string { return domain.Scales },
		"hasValue":  func(vs []string, v string) bool { return slices.Contains(vs, v) },
		"filesize":  fileSize,
		"list":      func(xs ...string) []string { return xs },
		"countdown": countdownOf,
		"points":    points,
		"days":      fmtDays,
		"choices":   choicesOf,
		"rupiahOf":  func(n int64) string { return rupiah(&domain.Money{Amount: n, Currency: "IDR"}) },
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	out := map[lang]*template.Template{}
	for _, l := range languages {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		out[l] = t.Funcs(funcs(l))
	}
	return out, nil
}

// signedIn is the person the session cookie names.
type signedIn struct {
	ID          uuid.UUID
	Email       string
	DisplayName string
	Roles       []string
	Org         string
	ExpiresAt   time.Time
	token       string // the access token the portal calls the services with, as this person
}

// Has is whether the person holds role.
func (u *signedIn) Has(role string) bool { return slices.Contains(u.Roles, role) }

// homePage is the signed-out home page: the login form and the public pages.
type homePage struct {
	Error string // catalogue key of what went wrong with the last attempt
	Email string // kept in the form after a failed attempt
}

// Home is GET /: a signed-in person's dashboard, or the login form.
func (w *Web) Home(c *fiber.Ctx) error {
	if u := w.session(c); u != nil {
		return w.Dashboard(c, u)
	}
	return w.page(c, fiber.StatusOK, "home.html", homePage{}, "home.title")
}

// Developers is GET /developers: the API contracts and public endpoints.
func (w *Web) Developers(c *fiber.Ctx) error {
	return w.page(c, fiber.StatusOK, "developers.html", w.services, "developers.title")
}

// Logout ends the session.
func (w *Web) Logout(c *fiber.Ctx) error {
	w.clearSession(c)
	return c.Redirect("/", fiber.StatusSeeOther)
}

// errCSRF refuses a form without the token of the page it came from.
var errCSRF = apperr.New(apperr.Forbidden, "the form's CSRF token does not match its cookie")

// CheckCSRF refuses a form whose csrf_token field does not equal the value
// of the signed CSRF cookie (a signed double-submit cookie): another site can
// make a browser post a form here, but cannot read or forge that value.
func (w *Web) CheckCSRF(c *fiber.Ctx) error {
	want, ok := w.cookies.open(csrfCookie, c.Cookies(csrfCookie))
	got := c.FormValue(csrfField)
	if !ok || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return errCSRF
	}
	return c.Next()
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
	value, ok := w.cookies.open(sessionCookie, raw)
	stamp, token, well := openSession(value)
	if !ok || !well {
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
	if err != nil || acc.Disabled || !w.stampMatches(stamp, acc.PasswordHash) {
		w.clearSession(c)
		return nil
	}
	return &signedIn{ID: id, Email: acc.Email, DisplayName: acc.DisplayName, Roles: p.Roles, Org: p.Org, ExpiresAt: expiry(token), token: strings.Clone(token)}
}

// setSession keeps tok in the session cookie, bound to the password of its
// account (accounts.go: a new password ends the session).
func (w *Web) setSession(c *fiber.Ctx, tok app.Token) {
	w.startSession(c, tok.Value, tok.ExpiresAt, tok.Account.PasswordHash)
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
