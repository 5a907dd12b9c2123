package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"gerbang/pkg/auth"
	"gerbang/pkg/httpx"
	"gerbang/pkg/oapi"
	"gerbang/pkg/service"
	"gerbang/services/portal/internal/adapters/mail"
	"gerbang/services/portal/internal/adapters/postgres"
	"gerbang/services/portal/internal/adapters/services"
	"gerbang/services/portal/internal/app"
	porthttp "gerbang/services/portal/internal/ports/http"
	portalapi "gerbang/services/portal/internal/ports/http/oapi"
)

// proxied are the services the portal forwards /api/<name>/... to, with the
// variable naming each one's URL and its default.
var proxied = []struct{ name, env, def string }{
	{"licensing", "LICENSING_URL", "http://127.0.0.1:8081"},
	{"tender", "TENDER_URL", "http://127.0.0.1:8082"},
	{"payment", "PAYMENT_URL", "http://127.0.0.1:8083"},
}

// bodyLimits lets document uploads through the proxy (run.go's Spec).
func bodyLimits() []httpx.RouteLimit {
	names := make([]string, len(proxied))
	for i, p := range proxied {
		names[i] = p.name
	}
	return append(porthttp.ProxyBodyLimits(names...), porthttp.UploadBodyLimit, porthttp.BidBodyLimit)
}

// settings are the portal's own variables, beyond service.Config.
type settings struct {
	demoAccounts   bool
	signingKeyFile string
	hashCost       int
	limits         porthttp.LoginLimits
	signUpLimits   porthttp.LoginLimits
	resetLimits    porthttp.LoginLimits
	mail           mail.Config
	publicURL      string
	verifyTTL      time.Duration
	resetTTL       time.Duration
	answerFloor    time.Duration
	proxyTimeout   time.Duration
	sessionTTL     time.Duration
	secureCookies  bool
	backends       []porthttp.Backend
}

// backendURL is the base URL of the service name.
func (s settings) backendURL(name string) string {
	for _, b := range s.backends {
		if b.Name == name {
			return b.URL
		}
	}
	panic("portal: no backend " + name) // proxied lists every name asked for
}

func loadSettings(cfg service.Config, getenv func(string) string) (settings, error) {
	var s settings
	var err error
	if s.demoAccounts, err = service.Bool(getenv, "DEMO_ACCOUNTS", false); err != nil {
		return s, err
	}
	if s.secureCookies, err = service.Bool(getenv, "COOKIE_SECURE", false); err != nil {
		return s, err
	}
	s.signingKeyFile = strings.TrimSpace(getenv("SIGNING_KEY_FILE"))
	if s.signingKeyFile == "" {
		s.signingKeyFile = filepath.Join(cfg.DataDir, "keys", "signing.key")
	}
	if s.hashCost, err = service.Int(getenv, "PASSWORD_HASH_COST", bcrypt.DefaultCost); err != nil {
		return s, err
	}
	if s.limits.PerIP, err = service.Int(getenv, "LOGIN_LIMIT_PER_IP", 30); err != nil {
		return s, err
	}
	if s.limits.PerEmail, err = service.Int(getenv, "LOGIN_LIMIT_PER_EMAIL", 10); err != nil {
		return s, err
	}
	s.limits.Window = time.Minute
	if s.proxyTimeout, err = durationVar(getenv, "PROXY_TIMEOUT", 30*time.Second); err != nil {
		return s, err
	}
	if err := loadAccountSettings(&s, cfg, getenv); err != nil {
		return s, err
	}
	s.sessionTTL = app.TokenTTL
	if v := strings.TrimSpace(getenv("SESSION_TTL")); v != "" {
		if s.sessionTTL, err = time.ParseDuration(v); err != nil || s.sessionTTL < time.Minute {
			return s, fmt.Errorf("SESSION_TTL: %q is not a duration of a minute or more", v)
		}
	}
	for _, p := range proxied {
		url := strings.TrimSpace(getenv(p.env))
		if url == "" {
			url = p.def
		}
		s.backends = append(s.backends, porthttp.Backend{Name: p.name, URL: url})
	}
	return s, nil
}

// wire builds the portal service on the platform runtime: repositories, use
// cases, HTTP routes, event consumers and schedulers. All routes are listed
// here, in one place.
func wire(ctx context.Context, rt *service.Runtime, getenv func(string) string) error {
	s, err := loadSettings(rt.Config, getenv)
	if err != nil {
		return err
	}
	// The token signing key and the keys published beside it, read again
	// every KEY_RELOAD_INTERVAL: a key staged, promoted or retired
	// (gerbang/pkg/cmd/keys) reaches every replica without a restart.
	ring, err := rt.KeyRing(s.signingKeyFile)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	// The portal verifies its own tokens with its own keys, not by fetching
	// its JWKS over HTTP from itself (which rt.Auth would do).
	rt.Auth.Keys = ring
	verifier := &auth.Verifier{Keys: ring, Issuer: rt.Config.Issuer, Audience: rt.Config.Audience, Clock: rt.Clock, Leeway: 30 * time.Second}

	passwords, err := app.NewPasswords(s.hashCost)
	if err != nil {
		return fmt.Errorf("PASSWORD_HASH_COST: %w", err)
	}
	accounts := postgres.NewAccounts(rt.DB)
	login := &app.Login{
		Accounts:  accounts,
		Passwords: passwords,
		Issuer:    auth.Issuer{Ring: ring, Issuer: rt.Config.Issuer, Audience: rt.Config.Audience},
		Clock:     rt.Clock,
		TTL:       s.sessionTTL,
	}
	mailer, err := mail.New(s.mail)
	if err != nil {
		return err
	}
	self := &app.SelfService{
		Store: accounts, Passwords: passwords, Mailer: mailer, Clock: rt.Clock, BaseURL: s.publicURL,
		VerifyTTL: s.verifyTTL, ResetTTL: s.resetTTL, AnswerFloor: s.answerFloor, Log: rt.Log,
	}
	if s.demoAccounts {
		if err := seedDemo(ctx, rt, accounts, passwords); err != nil {
			return err
		}
	}

	spec, err := portalapi.GetSwagger()
	if err != nil {
		return fmt.Errorf("portal contract: %w", err)
	}
	validate, err := oapi.Validator(spec, oapi.Options{})
	if err != nil {
		return err
	}
	licensing := services.NewLicensing(s.backendURL("licensing"), s.proxyTimeout)
	committee := services.NewCommittee(s.backendURL("tender"), s.proxyTimeout)
	web, err := porthttp.NewWeb(porthttp.WebOptions{
		Login: login, Self: self, Accounts: accounts, Verifier: verifier, Clock: rt.Clock,
		CookieSecrets: func() [][]byte { return cookieSecrets(ring) }, SecureCookies: s.secureCookies, Services: s.backends,
		Licenses:  licensing,
		Tenders:   services.NewTender(s.backendURL("tender"), s.proxyTimeout),
		Desk:      licensing,
		Fees:      services.NewPayment(s.backendURL("payment"), s.proxyTimeout),
		Committee: committee,
		Bidding:   services.NewBidding(committee),
		Log:       rt.Log,
	})
	if err != nil {
		return err
	}
	api := portalapi.NewStrictHandler(&porthttp.API{Login: login, Keys: ring.Published}, nil)
	limits := s.limits.Handlers()
	proxy := porthttp.NewProxy(s.proxyTimeout, rt.Log)
	specJSON, err := spec.MarshalJSON()
	if err != nil {
		return fmt.Errorf("portal contract: %w", err)
	}

	// Tokens and keys (api/portal.yaml).
	rt.App.Get(auth.JWKSPath, api.GetJWKS)
	rt.App.Post("/api/auth/token", append(limits, validate, api.CreateToken)...)
	rt.App.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(specJSON)
	})
	// Pages.
	rt.App.Get("/", web.Home)
	rt.App.Get("/static/:name", web.Static)
	rt.App.Get("/language/:lang", web.SwitchLanguage)
	rt.App.Get("/developers", web.Developers)
	rt.App.Post("/logout", web.HTMLErrors, web.CheckCSRF, web.Logout)
	// Accounts (internal/ports/http/accounts.go): each form behind its CSRF
	// check and its rate limits, its failures shown on the form itself.
	form := func(page string, limits []fiber.Handler, h fiber.Handler) []fiber.Handler {
		return append(append([]fiber.Handler{web.AccountErrors(page), web.CheckCSRF}, limits...), h)
	}
	rt.App.Get(app.LoginPath, web.LoginForm)
	rt.App.Post(app.LoginPath, form(porthttp.LoginPage, limits, web.Login)...)
	rt.App.Get(app.SignUpPath, web.SignUpForm)
	rt.App.Post(app.SignUpPath, form(porthttp.SignUpPage, s.signUpLimits.Handlers(), web.SignUp)...)
	rt.App.Get(app.SignUpPath+"/check-email", web.SignUpSent)
	rt.App.Get(app.VerifyEmailPath, web.VerifyEmailForm)
	rt.App.Post(app.VerifyEmailPath, form(porthttp.VerifyEmailPage, nil, web.VerifyEmail)...)
	rt.App.Get(app.ForgotPath, web.ForgotForm)
	rt.App.Post(app.ForgotPath, form(porthttp.ForgotPage, s.resetLimits.Handlers(), web.Forgot)...)
	rt.App.Get(app.ForgotPath+"/check-email", web.ForgotSent)
	rt.App.Get(app.ResetPasswordPath, web.ResetForm)
	// The reset form names no email: only its address is counted.
	resetByAddress := porthttp.LoginLimits{PerIP: s.resetLimits.PerIP, Window: s.resetLimits.Window, Refusal: porthttp.ResetRefusal}
	rt.App.Post(app.ResetPasswordPath, form(porthttp.ResetPage, resetByAddress.Handlers(), web.Reset)...)
	rt.App.Get(app.PasswordPath, web.PasswordForm)
	rt.App.Post(app.PasswordPath, form(porthttp.PasswordPage, nil, web.ChangePassword)...)
	rt.App.Get("/session", web.Session)
	rt.App.Post("/session/extend", web.HTMLErrors, web.CheckCSRF, web.ExtendSession)
	// The business's journey.
	rt.App.Get("/businesses", web.HTMLErrors, web.Businesses)
	rt.App.Get("/businesses/new", web.HTMLErrors, web.NewBusiness)
	rt.App.Post("/businesses", web.HTMLErrors, web.CheckCSRF, web.RegisterBusiness)
	rt.App.Get("/businesses/:id", web.HTMLErrors, web.Business)
	rt.App.Get("/businesses/:id/edit", web.HTMLErrors, web.EditBusiness)
	rt.App.Post("/businesses/:id/edit", web.HTMLErrors, web.CheckCSRF, web.UpdateBusiness)
	rt.App.Get("/licenses/finder", web.HTMLErrors, web.Finder)
	// Public pages.
	rt.App.Get("/verify", web.VerifyForm)
	rt.App.Get("/verify/:number", web.Verify) // the QR code on every certificate
	rt.App.Get("/tenders", web.Tenders)
	rt.App.Get("/tenders/:id", web.Tender)
	rt.App.Post("/tenders/:id/questions", web.HTMLErrors, web.CheckCSRF, web.AskQuestion)
	rt.App.Get("/tenders/:id/bid", web.HTMLErrors, web.BidForm)
	rt.App.Post("/tenders/:id/bid", web.HTMLErrors, web.CheckCSRF, web.SubmitBid)
	rt.App.Get("/tenders/:id/bids/:bid", web.HTMLErrors, web.BidReceipt)
	rt.App.Get("/tenders/:id/bids/:bid/receipt.json", web.HTMLErrors, web.BidReceiptJSON)
	rt.App.Post("/tenders/:id/bids/:bid/withdraw", web.HTMLErrors, web.CheckCSRF, web.WithdrawBid)
	rt.App.Post("/tenders/:id/bids/:bid/security/pay", web.HTMLErrors, web.CheckCSRF, web.PayBidSecurity)
	rt.App.Get("/receipts/check", web.ReceiptCheck)
	rt.App.Post("/receipts/check", web.HTMLErrors, web.CheckCSRF, web.CheckReceipt)
	// The business's applications and the licensing officer's review.
	rt.App.Get("/applications", web.HTMLErrors, web.Applications)
	rt.App.Get("/applications/new", web.HTMLErrors, web.NewApplication)
	rt.App.Post("/applications", web.HTMLErrors, web.CheckCSRF, web.CreateApplication)
	rt.App.Get("/applications/:id", web.HTMLErrors, web.Application)
	rt.App.Get("/applications/:id/check", web.HTMLErrors, web.CheckAnswers)
	rt.App.Post("/applications/:id/submit", web.HTMLErrors, web.CheckCSRF, web.Submit)
	rt.App.Post("/applications/:id/resubmit", web.HTMLErrors, web.CheckCSRF, web.Resubmit)
	rt.App.Get("/applications/:id/documents/:requirement", web.HTMLErrors, web.DocumentForm)
	rt.App.Post("/applications/:id/documents/:requirement", web.HTMLErrors, web.CheckCSRF, web.UploadDocument)
	rt.App.Get("/applications/:id/documents/:doc/file", web.HTMLErrors, web.DocumentFile)
	rt.App.Get("/applications/:id/fee", web.HTMLErrors, web.Fee)
	rt.App.Get("/applications/:id/fee/status", web.HTMLErrors, web.FeeStatus)
	rt.App.Post("/applications/:id/fee/pay", web.HTMLErrors, web.CheckCSRF, web.PayFee)
	rt.App.Get("/licenses", web.HTMLErrors, web.Licenses)
	rt.App.Get("/applications/:id/license", web.HTMLErrors, web.License)
	rt.App.Get("/applications/:id/license/:file", web.HTMLErrors, web.LicenseFile)
	rt.App.Post("/applications/:id/license/renew", web.HTMLErrors, web.CheckCSRF, web.RenewLicense)
	rt.App.Get("/review", web.HTMLErrors, web.Queue)
	rt.App.Get("/review/:id", web.HTMLErrors, web.Review)
	rt.App.Get("/review/:id/documents/:doc/file", web.HTMLErrors, web.DocumentFile)
	rt.App.Post("/review/:id/license/:action", web.HTMLErrors, web.CheckCSRF, web.ChangeLicense)
	rt.App.Post("/review/:id/:action", web.HTMLErrors, web.CheckCSRF, web.Decide)
	// The procurement committee's (Pokja's) tenders.
	rt.App.Get("/committee", web.HTMLErrors, web.MyTenders)
	rt.App.Get("/committee/tenders/new", web.HTMLErrors, web.NewTender)
	rt.App.Post("/committee/tenders", web.HTMLErrors, web.CheckCSRF, web.CreateTender)
	rt.App.Get("/committee/tenders/:id", web.HTMLErrors, web.CommitteeTenderPage)
	rt.App.Get("/committee/tenders/:id/edit", web.HTMLErrors, web.EditTenderForm)
	rt.App.Post("/committee/tenders/:id/edit", web.HTMLErrors, web.CheckCSRF, web.EditTender)
	rt.App.Post("/committee/tenders/:id/publish", web.HTMLErrors, web.CheckCSRF, web.PublishTender)
	rt.App.Post("/committee/tenders/:id/questions/:qid/answer", web.HTMLErrors, web.CheckCSRF, web.AnswerQuestion)
	rt.App.Post("/committee/tenders/:id/amendments", web.HTMLErrors, web.CheckCSRF, web.AmendTender)
	rt.App.Post("/committee/tenders/:id/opening", web.HTMLErrors, web.CheckCSRF, web.OpenBids)
	// The services, as the caller (its Authorization header goes along).
	for _, b := range s.backends {
		h := proxy.Handler(b)
		rt.App.All(b.Prefix(), h)
		rt.App.All(b.Prefix()+"/*", h)
	}
	return nil
}

// seedDemo creates the demo accounts and shows their logins in the log and in
// <DataDir>/demo-logins.txt.
func seedDemo(ctx context.Context, rt *service.Runtime, accounts *postgres.Accounts, passwords *app.Passwords) error {
	created, err := app.SeedDemoAccounts(ctx, accounts, passwords, rt.Clock.Now())
	if err != nil {
		return err
	}
	path := filepath.Join(rt.Config.DataDir, "demo-logins.txt")
	if err := app.WriteDemoLogins(path); err != nil {
		return err
	}
	rt.Log.Info("demo accounts ready", "created", created, "file", path, "logins", app.DemoLogins())
	return nil
}

// cookieSecrets derives the keys that sign the portal's cookies from the
// token signing keys, the current one's first: sessions survive a restart
// and a rotation, and there is no second secret to keep.
func cookieSecrets(ring *auth.KeyRing) [][]byte {
	var out [][]byte
	for _, key := range ring.Private() {
		h := hmac.New(sha256.New, key.Private.Seed())
		h.Write([]byte("gerbang portal cookies v1"))
		out = append(out, h.Sum(nil))
	}
	return out
}
