package http

import (
	"context"
	"crypto/hmac"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/httpx"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The account pages: sign up, verify the email, log in, forgotten password,
// reset it by the mailed link, change it. A form that fails comes back with
// the error summary linking to each field at fault (failures.go), the
// field's message beside it, and what was typed kept, never a password. The
// texts are the catalogue's accounts.* (messages/accounts.<lang>.json).

// Template names of the account pages.
const (
	SignUpPage      = "account_signup.html"
	LoginPage       = "account_login.html"
	VerifyEmailPage = "account_verify.html"
	ForgotPage      = "account_forgot.html"
	ResetPage       = "account_reset.html"
	PasswordPage    = "account_password.html"
	messagePage     = "account_message.html"
)

// accountForms are, for each form page, its title key, the catalogue prefix
// of its fields' labels and hints, and its fields in the order shown.
var accountForms = map[string]struct {
	title, prefix string
	fields        []string
}{
	SignUpPage:      {"accounts.signup.title", "accounts.signup", []string{"display_name", "email", "phone", "password", "password_confirm"}},
	LoginPage:       {"accounts.login.title", "accounts.login", []string{"email", "password"}},
	VerifyEmailPage: {"accounts.verify.title", "accounts.verify", nil},
	ForgotPage:      {"accounts.forgot.title", "accounts.forgot", []string{"email"}},
	ResetPage:       {"accounts.reset.title", "accounts.reset", []string{"password", "password_confirm"}},
	PasswordPage:    {"accounts.password.title", "accounts.password", []string{"current_password", "password", "password_confirm"}},
}

// tooMany is the message of each form past its rate limit (%s: seconds).
var tooMany = map[string]string{
	LoginPage:  "accounts.error.too_many_logins",
	SignUpPage: "accounts.error.too_many_signups",
	ForgotPage: "accounts.error.too_many_resets",
	ResetPage:  "accounts.error.too_many_resets",
}

// accountForm is an account page's content.
type accountForm struct {
	form
	prefix     string
	Notice     string // catalogue key of a notice above the form
	NoticeArgs []any
	Subject    string // the email the page is about, where it names one
	Token      string // the mailed link's secret, carried by the reset and verify forms
}

// inputView is one labelled input (template "account-input").
type inputView struct {
	fieldView
	Type, Autocomplete string
}

// Input is the input name of the form, of the HTML type typ.
func (f accountForm) Input(name, typ, autocomplete string) inputView {
	v := inputView{fieldView: fieldOf(f.form, name, f.prefix), Type: typ, Autocomplete: autocomplete}
	if typ == "password" {
		v.Value = "" // never shown again
	}
	return v
}

// newForm is the empty form of the page name.
func newForm(name string) accountForm {
	return accountForm{form: form{Values: map[string][]string{}}, prefix: accountForms[name].prefix}
}

// postedForm is the form of the page name as the request sent it,
// passwords left out.
func postedForm(c *fiber.Ctx, name string) accountForm {
	f := newForm(name)
	f.form = formOf(c)
	for k := range f.Values {
		if strings.Contains(k, "password") {
			f.Values.Del(k)
		}
	}
	f.Token = f.Get("token")
	return f
}

// show renders the account page name; its title says when the form failed.
func (w *Web) show(c *fiber.Ctx, status int, name string, f accountForm) error {
	title := accountForms[name].title
	if f.Failed() {
		return w.page(c, status, name, f, "accounts.title_error", w.tr(c).T(title))
	}
	return w.page(c, status, name, f, title)
}

// failed shows the form name again with what err says is wrong: each field
// at fault in the catalogue's words (accounts.error.<field>.<rule>), a mail
// server that is down (503, mailDown), a refused CSRF token or a rate limit
// at the top. Other errors are the platform's to answer.
func (w *Web) failed(c *fiber.Ctx, name string, f accountForm, err error, mailDown string) error {
	tr := w.tr(c)
	var ae *apperr.Error
	status := httpx.ProblemFor(err).Status
	switch {
	case errors.As(err, &ae) && ae.Code == apperr.Invalid && len(ae.Fields) > 0:
		for _, fe := range ae.Fields {
			f.Errors = append(f.Errors, fieldError{Field: fe.Field, Message: tr.T("accounts.error." + fe.Field + "." + fe.Message)})
		}
	case apperr.Is(err, apperr.Unavailable):
		w.log.WarnContext(c.UserContext(), "mail not sent", "request_id", httpx.RequestID(c), "error", err.Error())
		f.Errors = append(f.Errors, fieldError{Message: tr.T(mailDown)})
	case errors.Is(err, errCSRF):
		f.Errors = append(f.Errors, fieldError{Message: tr.T("error.csrf")})
	case status == fiber.StatusTooManyRequests && tooMany[name] != "":
		f.Errors = append(f.Errors, fieldError{Message: tr.T(tooMany[name], c.GetRespHeader(fiber.HeaderRetryAfter))})
	default:
		return err
	}
	return w.show(c, status, name, f)
}

// AccountErrors shows the failures of the handlers after it (a refused CSRF
// token, a rate limit) on the account page name, with the form kept.
func (w *Web) AccountErrors(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := c.Next(); err != nil {
			return w.failed(c, name, postedForm(c, name), err, "accounts.error.mail")
		}
		return nil
	}
}

// emptyForm shows the empty form of the page name.
func (w *Web) emptyForm(name string) fiber.Handler {
	return func(c *fiber.Ctx) error { return w.show(c, fiber.StatusOK, name, newForm(name)) }
}

// SignUpForm is the sign-up page.
func (w *Web) SignUpForm(c *fiber.Ctx) error {
	if w.session(c) != nil {
		return goHome(c)
	}
	return w.emptyForm(SignUpPage)(c)
}

// goHome sends a person already signed in from the login or sign-up form
// to their dashboard: those forms are for someone who is not.
func goHome(c *fiber.Ctx) error { return c.Redirect("/", fiber.StatusSeeOther) }

// ForgotForm asks for the email to send a reset link to.
func (w *Web) ForgotForm(c *fiber.Ctx) error { return w.emptyForm(ForgotPage)(c) }

// SignUp opens the account and sends the browser to "check your email",
// whatever the address (see app.SelfService.SignUp).
func (w *Web) SignUp(c *fiber.Ctx) error {
	err := w.self.SignUp(c.UserContext(), domain.SignUp{
		DisplayName: c.FormValue("display_name"), Email: c.FormValue("email"), Phone: c.FormValue("phone"),
		Password: c.FormValue("password"), PasswordConfirm: c.FormValue("password_confirm"),
	})
	if err != nil {
		return w.failed(c, SignUpPage, postedForm(c, SignUpPage), err, "accounts.error.mail_signup")
	}
	return c.Redirect(app.SignUpPath+"/check-email", fiber.StatusSeeOther)
}

// messageView is a page of a heading and paragraphs (account_message.html).
type messageView struct {
	Heading    string   // key
	Paragraphs []string // keys
	Action     *linkView
}

type linkView struct {
	Href string
	Text string // key
}

// SignUpSent says a mail is on its way.
func (w *Web) SignUpSent(c *fiber.Ctx) error {
	return w.page(c, fiber.StatusOK, messagePage, messageView{Heading: "accounts.sent.title", Paragraphs: []string{"accounts.sent.signup", "accounts.sent.signup_none"}}, "accounts.sent.title")
}

// ForgotSent says a mail is on its way.
func (w *Web) ForgotSent(c *fiber.Ctx) error {
	return w.page(c, fiber.StatusOK, messagePage, messageView{Heading: "accounts.sent.title", Paragraphs: []string{"accounts.sent.forgot"},
		Action: &linkView{Href: app.LoginPath, Text: "accounts.login.title"}}, "accounts.sent.title")
}

// linkGone is the page of a mailed link that does not work (any more).
func (w *Web) linkGone(c *fiber.Ctx, next string, action linkView) error {
	return w.page(c, fiber.StatusNotFound, messagePage, messageView{Heading: "accounts.gone.title", Paragraphs: []string{"accounts.gone.body", next}, Action: &action}, "accounts.gone.title")
}

// The link-gone pages of the two kinds of link.
func (w *Web) verifyLinkGone(c *fiber.Ctx) error {
	return w.linkGone(c, "accounts.gone.verify", linkView{Href: app.LoginPath, Text: "accounts.login.title"})
}

func (w *Web) resetLinkGone(c *fiber.Ctx) error {
	return w.linkGone(c, "accounts.gone.reset", linkView{Href: app.ForgotPath, Text: "accounts.forgot.title"})
}

// linkForm shows the form page a mailed link opens, for the account open
// finds the link's secret (?token=) to belong to; gone's page when it does
// not work.
func (w *Web) linkForm(c *fiber.Ctx, open func(context.Context, string) (domain.Account, error), name string, gone fiber.Handler) error {
	secret := strings.Clone(c.Query("token"))
	acc, err := open(c.UserContext(), secret)
	if errors.Is(err, app.ErrLinkGone) {
		return gone(c)
	}
	if err != nil {
		return err
	}
	f := newForm(name)
	f.Subject, f.Token = acc.Email, secret
	return w.show(c, fiber.StatusOK, name, f)
}

// VerifyEmailForm is the page a verification link opens: a button that
// verifies (a GET changes nothing, so a mail scanner that follows the link
// does not use it up).
func (w *Web) VerifyEmailForm(c *fiber.Ctx) error {
	return w.linkForm(c, w.self.OpenVerification, VerifyEmailPage, w.verifyLinkGone)
}

// VerifyEmail uses the verification link and sends the browser to log in.
func (w *Web) VerifyEmail(c *fiber.Ctx) error {
	_, err := w.self.VerifyEmail(c.UserContext(), c.FormValue("token"))
	if errors.Is(err, app.ErrLinkGone) {
		return w.verifyLinkGone(c)
	}
	if err != nil {
		return err
	}
	return c.Redirect(app.LoginPath+"?notice=verified", fiber.StatusSeeOther)
}

// notices are the notices a page may be asked to show by ?notice=.
var notices = map[string]string{"verified": "accounts.notice.verified", "reset": "accounts.notice.reset", "changed": "accounts.notice.changed"}

// withNotice is the form with the notice ?notice= names.
func withNotice(c *fiber.Ctx, f accountForm) accountForm {
	f.Notice = notices[c.Query("notice")]
	return f
}

// LoginForm is the login page.
func (w *Web) LoginForm(c *fiber.Ctx) error {
	if w.session(c) != nil {
		return goHome(c)
	}
	return w.show(c, fiber.StatusOK, LoginPage, withNotice(c, newForm(LoginPage)))
}

// Login checks the form's email and password; on success it starts the
// session and sends the browser to the home page. The right password to an
// account whose email is not verified mails a new verification link.
func (w *Web) Login(c *fiber.Ctx) error {
	f := postedForm(c, LoginPage)
	email, password := c.FormValue("email"), c.FormValue("password")
	var missing []apperr.FieldError
	if strings.TrimSpace(email) == "" {
		missing = append(missing, apperr.Field("email", domain.RuleRequired))
	}
	if password == "" {
		missing = append(missing, apperr.Field("password", domain.RuleRequired))
	}
	if len(missing) > 0 {
		return w.failed(c, LoginPage, f, apperr.InvalidFields("Log in needs an email and a password.", missing...), "accounts.error.mail")
	}
	tok, err := w.login.Login(c.UserContext(), email, password)
	switch {
	case errors.Is(err, app.ErrEmailNotVerified):
		if err := w.self.SendVerification(c.UserContext(), tok.Account); err != nil {
			return w.failed(c, LoginPage, f, err, "accounts.error.mail")
		}
		f.Notice, f.NoticeArgs = "accounts.login.unverified", []any{tok.Account.Email}
		return w.show(c, fiber.StatusForbidden, LoginPage, f)
	case apperr.Is(err, apperr.Unauthenticated):
		f.Errors = []fieldError{{Field: "email", Message: w.tr(c).T("login.wrong")}}
		return w.show(c, fiber.StatusUnauthorized, LoginPage, f)
	case err != nil:
		return err
	}
	w.setSession(c, tok)
	return c.Redirect("/", fiber.StatusSeeOther)
}

// Forgot mails the reset link (or, to an address without an account, a
// note saying so) and says a mail is on its way.
func (w *Web) Forgot(c *fiber.Ctx) error {
	if err := w.self.RequestReset(c.UserContext(), c.FormValue("email")); err != nil {
		return w.failed(c, ForgotPage, postedForm(c, ForgotPage), err, "accounts.error.mail")
	}
	return c.Redirect(app.ForgotPath+"/check-email", fiber.StatusSeeOther)
}

// ResetForm is the page a reset link opens: a new password, twice.
func (w *Web) ResetForm(c *fiber.Ctx) error {
	return w.linkForm(c, w.self.OpenReset, ResetPage, w.resetLinkGone)
}

// Reset sets the new password through the link; every session of the
// account ends, this browser's too, and the person logs in with it.
func (w *Web) Reset(c *fiber.Ctx) error {
	f := postedForm(c, ResetPage)
	_, err := w.self.ResetPassword(c.UserContext(), f.Token, c.FormValue("password"), c.FormValue("password_confirm"))
	if errors.Is(err, app.ErrLinkGone) {
		return w.resetLinkGone(c)
	}
	if err != nil {
		if acc, oerr := w.self.OpenReset(c.UserContext(), f.Token); oerr == nil {
			f.Subject = acc.Email
		}
		return w.failed(c, ResetPage, f, err, "accounts.error.mail")
	}
	w.clearSession(c)
	return c.Redirect(app.LoginPath+"?notice=reset", fiber.StatusSeeOther)
}

// PasswordForm is the change-password page of the signed-in person.
func (w *Web) PasswordForm(c *fiber.Ctx) error {
	if w.session(c) == nil {
		return c.Redirect(app.LoginPath, fiber.StatusSeeOther)
	}
	return w.show(c, fiber.StatusOK, PasswordPage, withNotice(c, newForm(PasswordPage)))
}

// ChangePassword changes the signed-in person's password; their other
// sessions end, this one goes on under the new password.
func (w *Web) ChangePassword(c *fiber.Ctx) error {
	u := w.session(c)
	if u == nil {
		return c.Redirect(app.LoginPath, fiber.StatusSeeOther)
	}
	f := postedForm(c, PasswordPage)
	acc, err := w.self.ChangePassword(c.UserContext(), u.ID, c.FormValue("current_password"), c.FormValue("password"), c.FormValue("password_confirm"))
	if apperr.Is(err, apperr.Conflict) {
		f.Errors = []fieldError{{Message: w.tr(c).T("accounts.error.password_moved")}}
		return w.show(c, fiber.StatusConflict, PasswordPage, f)
	}
	if err != nil {
		return w.failed(c, PasswordPage, f, err, "accounts.error.mail")
	}
	w.startSession(c, u.token, u.ExpiresAt, acc.PasswordHash)
	return c.Redirect(app.PasswordPath+"?notice=changed", fiber.StatusSeeOther)
}

// A session cookie holds "<stamp>.<access token>", signed. The stamp is a
// MAC of the account's password hash: a new password (reset or changed)
// makes every session cookie made before it fail, with no session table.
const stampPurpose = "gerbang_session_stamp"

func (w *Web) stamp(passwordHash string) string {
	return mac(w.cookies.keys()[0], stampPurpose, passwordHash)[:22]
}

func (w *Web) startSession(c *fiber.Ctx, token string, expires time.Time, passwordHash string) {
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: w.cookies.sign(sessionCookie, w.stamp(passwordHash)+"."+token), Path: "/",
		Expires: expires, HTTPOnly: true, Secure: w.secureFor(c), SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// openSession returns the stamp and token of a session cookie's value.
func openSession(value string) (stamp, token string, ok bool) {
	stamp, token, ok = strings.Cut(value, ".")
	return stamp, token, ok && stamp != "" && token != ""
}

// stampMatches checks a stamp against every cookie secret in force (one
// made before a key rotation still matches).
func (w *Web) stampMatches(stamp, passwordHash string) bool {
	for _, secret := range w.cookies.keys() {
		if hmac.Equal([]byte(stamp), []byte(mac(secret, stampPurpose, passwordHash)[:22])) {
			return true
		}
	}
	return false
}
