package main

import (
	"context"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/auth"
	"gerbang/pkg/svctest"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/smtptest"

	"github.com/google/uuid"
)

// startPortalWithMail runs the real portal with its mail going to a real
// SMTP server in the test's process.
func startPortalWithMail(t testing.TB, env map[string]string) (*svctest.Service, *smtptest.Server) {
	t.Helper()
	mail := smtptest.Start(t)
	vars := map[string]string{"SMTP_ADDR": mail.Addr, "MAIL_FROM": "Gerbang <no-reply@gerbang.localhost>", "ACCOUNT_ANSWER_FLOOR": "1ms"}
	for k, v := range env {
		vars[k] = v
	}
	svc, _ := startPortal(t, vars)
	return svc, mail
}

// person is someone using the portal in a browser without JavaScript: a
// cookie jar, redirects seen rather than followed.
type person struct {
	t      testing.TB
	base   string
	client *http.Client
	csrf   string
}

func newPerson(t testing.TB, base string) *person {
	jar, _ := cookiejar.New(nil)
	return &person{t: t, base: base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// open GETs a page (a path or a full URL) and remembers its form's CSRF token.
func (p *person) open(target string) answer {
	p.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = p.base + target
	}
	a := do(p.t, p.client, http.MethodGet, target, nil, nil)
	if m := csrfPattern.FindStringSubmatch(string(a.body)); m != nil {
		p.csrf = m[1]
	}
	return a
}

// submit posts a form as the page's form would, with the CSRF token.
func (p *person) submit(path string, fields map[string]string) answer {
	p.t.Helper()
	if p.csrf == "" {
		p.open("/login")
	}
	form := url.Values{"csrf_token": {p.csrf}}
	for k, v := range fields {
		form.Set(k, v)
	}
	a := do(p.t, p.client, http.MethodPost, p.base+path, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(form.Encode()))
	if m := csrfPattern.FindStringSubmatch(string(a.body)); m != nil {
		p.csrf = m[1]
	}
	return a
}

// signedInAs returns the name the layout says is signed in; "" when none.
func (p *person) signedInAs() string {
	p.t.Helper()
	m := regexp.MustCompile(`Masuk sebagai ([^<]+)</span>`).FindStringSubmatch(string(p.open("/").body))
	if m == nil {
		return ""
	}
	return m[1]
}

func (p *person) logIn(email, password string) answer {
	p.t.Helper()
	p.open("/login")
	return p.submit("/login", map[string]string{"email": email, "password": password})
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantRedirect(t *testing.T, a answer, location string) {
	t.Helper()
	if a.status != http.StatusSeeOther || a.header.Get("Location") != location {
		t.Fatalf("answer %d to %q, want 303 to %q\n%s", a.status, a.header.Get("Location"), location, a.body)
	}
}

// pageText is what a person reads of a page: its text, tags and entities undone.
func pageText(a answer) string {
	s := regexp.MustCompile(`(?s)<style.*?</style>|<[^>]+>`).ReplaceAllString(string(a.body), " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

func wantText(t *testing.T, a answer, texts ...string) {
	t.Helper()
	read := pageText(a)
	for _, want := range texts {
		if !strings.Contains(read, want) {
			t.Errorf("the page (%d) does not say %q; it says:\n%s", a.status, want, read)
		}
	}
}

// linkPath is the path and query of a mailed link, for the person's browser.
func linkPath(t *testing.T, base, link string) string {
	t.Helper()
	if !strings.HasPrefix(link, base+"/") {
		t.Fatalf("link %q does not point at the portal %s", link, base)
	}
	return strings.TrimPrefix(link, base)
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q has no token", link)
	}
	return u.Query().Get("token")
}

const (
	newcomerName  = "Siti Aminah"
	newcomerEmail = "siti.aminah@contoh.co.id"
	firstPassword = "kopi tubruk pagi hari"
	resetPassword = "Lampu-Merah-Sawah-Ketupat"
	thirdPassword = "sepeda ontel di jalan braga"
)

func signUpForm(email, password string) map[string]string {
	return map[string]string{"display_name": newcomerName, "email": email, "phone": "0812-3456-7890", "password": password, "password_confirm": password}
}

// TestAccountJourneyOverSMTP signs a newcomer up, verifies the email by the
// mailed link (read from the SMTP server), logs in, resets the forgotten
// password by mail, and changes it: over HTTP, against PostgreSQL.
func TestAccountJourneyOverSMTP(t *testing.T) {
	svc, mail := startPortalWithMail(t, nil)
	siti := newPerson(t, svc.URL)

	// Sign up.
	wantText(t, siti.open("/signup"), "Buat akun", "Nama lengkap", "Nomor telepon")
	a := siti.submit("/signup", signUpForm(newcomerEmail, firstPassword))
	wantRedirect(t, a, "/signup/check-email")
	wantText(t, siti.open("/signup/check-email"), "Periksa email Anda", "Tautan berlaku 24 jam")
	first := mail.Wait(t, newcomerEmail, 1, 30*time.Second)
	if !strings.Contains(first.Subject, "Verifikasi email") || !strings.Contains(first.Text, "Halo "+newcomerName) || first.From != "no-reply@gerbang.localhost" {
		t.Fatalf("verification mail %q from %q:\n%s", first.Subject, first.From, first.Text)
	}
	firstLink := first.Link(app.VerifyEmailPath)

	// Logging in before verifying sends a new link; the first one stops working.
	a = siti.logIn(newcomerEmail, firstPassword)
	if a.status != http.StatusForbidden || siti.signedInAs() != "" {
		t.Fatalf("unverified login: %d, signed in as %q", a.status, siti.signedInAs())
	}
	wantText(t, a, "Email Anda belum diverifikasi", newcomerEmail)
	second := mail.Wait(t, newcomerEmail, 2, 30*time.Second)
	// The API says the same, and mints no token.
	wantProblem(t, login(t, svc.URL, newcomerEmail, firstPassword), http.StatusUnauthorized, app.EmailNotVerified)
	secondLink := second.Link(app.VerifyEmailPath)
	if secondLink == "" || secondLink == firstLink {
		t.Fatalf("second link %q, first %q", secondLink, firstLink)
	}
	a = siti.open(linkPath(t, svc.URL, firstLink))
	if a.status != http.StatusNotFound {
		t.Errorf("the replaced link answers %d", a.status)
	}
	wantText(t, a, "Tautan ini tidak berlaku lagi")

	// Opening the link changes nothing; the button verifies.
	a = siti.open(linkPath(t, svc.URL, secondLink))
	wantText(t, a, "Verifikasi email", newcomerEmail)
	wantRedirect(t, siti.submit(app.VerifyEmailPath, map[string]string{"token": tokenOf(t, secondLink)}), "/login?notice=verified")
	wantText(t, siti.open("/login?notice=verified"), "Email Anda sudah diverifikasi")
	if a := siti.submit(app.VerifyEmailPath, map[string]string{"token": tokenOf(t, secondLink)}); a.status != http.StatusNotFound {
		t.Errorf("the used link verifies again: %d", a.status)
	}

	// Log in, in two browsers; a token through the API too.
	wantRedirect(t, siti.logIn(newcomerEmail, firstPassword), "/")
	if got := siti.signedInAs(); got != newcomerName {
		t.Fatalf("signed in as %q", got)
	}
	wantText(t, siti.open("/"), "Dasbor", "pelaku usaha")
	phone := newPerson(t, svc.URL)
	wantRedirect(t, phone.logIn(newcomerEmail, firstPassword), "/")
	tok := login(t, svc.URL, newcomerEmail, firstPassword)
	if tok.status != http.StatusOK {
		t.Fatalf("API login: %d %s", tok.status, tok.body)
	}
	// The newcomer acts for an organisation of their own, as a demo owner
	// does: the business they register takes its id, its invoices too.
	v := &auth.Verifier{Keys: auth.NewRemoteJWKS(svc.URL+auth.JWKSPath, auth.RemoteJWKSOptions{}), Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience}
	p, err := v.Verify(context.Background(), tok.json(t)["access_token"].(string))
	if err != nil {
		t.Fatalf("the newcomer's token: %v", err)
	}
	if org, err := uuid.Parse(p.Org); err != nil || org == uuid.Nil || org == app.DemoOrgUsaha {
		t.Errorf("the newcomer acts for the organisation %q", p.Org)
	}

	// Forgotten password, from a third browser.
	stranger := newPerson(t, svc.URL)
	stranger.open(app.ForgotPath)
	wantRedirect(t, stranger.submit(app.ForgotPath, map[string]string{"email": "  Siti.Aminah@Contoh.co.id "}), "/password/forgot/check-email")
	resetMail := mail.Wait(t, newcomerEmail, 3, 30*time.Second)
	if !strings.Contains(resetMail.Subject, "Atur ulang kata sandi") {
		t.Fatalf("reset mail %q", resetMail.Subject)
	}
	resetLink := resetMail.Link(app.ResetPasswordPath)
	wantText(t, stranger.open(linkPath(t, svc.URL, resetLink)), "Buat kata sandi baru", newcomerEmail)
	a = stranger.submit(app.ResetPasswordPath, map[string]string{"token": tokenOf(t, resetLink), "password": resetPassword, "password_confirm": resetPassword})
	wantRedirect(t, a, "/login?notice=reset")
	changed := mail.Wait(t, newcomerEmail, 4, 30*time.Second)
	if !strings.Contains(changed.Subject, "telah diganti") {
		t.Errorf("after the reset the mail says %q", changed.Subject)
	}
	// The reset ended both sessions; the old password is gone, the link used.
	if siti.signedInAs() != "" || phone.signedInAs() != "" {
		t.Error("a session made before the reset goes on")
	}
	if a := siti.logIn(newcomerEmail, firstPassword); a.status != http.StatusUnauthorized {
		t.Errorf("the old password logs in: %d", a.status)
	}
	if a := stranger.open(linkPath(t, svc.URL, resetLink)); a.status != http.StatusNotFound {
		t.Errorf("the used reset link opens: %d", a.status)
	}

	// Change the password in one browser: the other session ends, this one goes on.
	wantRedirect(t, siti.logIn(newcomerEmail, resetPassword), "/")
	wantRedirect(t, phone.logIn(newcomerEmail, resetPassword), "/")
	wantText(t, siti.open(app.PasswordPath), "Ganti kata sandi", "Kata sandi saat ini")
	a = siti.submit(app.PasswordPath, map[string]string{"current_password": resetPassword, "password": thirdPassword, "password_confirm": thirdPassword})
	wantRedirect(t, a, app.PasswordPath+"?notice=changed")
	wantText(t, siti.open(app.PasswordPath+"?notice=changed"), "Kata sandi sudah diganti")
	if got := siti.signedInAs(); got != newcomerName {
		t.Errorf("after changing the password this browser is signed in as %q", got)
	}
	if got := phone.signedInAs(); got != "" {
		t.Errorf("the other browser is still signed in as %q", got)
	}
	mail.Wait(t, newcomerEmail, 5, 30*time.Second)
	wantRedirect(t, phone.logIn(newcomerEmail, thirdPassword), "/")
	if a := phone.logIn(newcomerEmail, resetPassword); a.status != http.StatusUnauthorized {
		t.Errorf("the replaced password logs in: %d", a.status)
	}

	// Log out.
	wantRedirect(t, siti.submit("/logout", nil), "/")
	if siti.signedInAs() != "" {
		t.Error("signed in after logging out")
	}
	if n := len(mail.To(newcomerEmail)); n != 5 {
		t.Errorf("%d mails to the newcomer, want 5", n)
	}
}

// TestAnswersSayNothingOfWhichEmailsHaveAccounts: signing up with an email
// that has an account, and asking a reset for one that has none, answer
// exactly as the other case does; only the mailbox learns the difference.
func TestAnswersSayNothingOfWhichEmailsHaveAccounts(t *testing.T) {
	svc, mail := startPortalWithMail(t, nil)
	same := func(x, y answer) {
		t.Helper()
		if x.status != y.status || x.header.Get("Location") != y.header.Get("Location") || string(x.body) != string(y.body) {
			t.Errorf("answers differ: %d %q %q / %d %q %q", x.status, x.header.Get("Location"), x.body, y.status, y.header.Get("Location"), y.body)
		}
	}
	p := newPerson(t, svc.URL)
	p.open("/signup")
	fresh := p.submit("/signup", signUpForm("baru@contoh.co.id", firstPassword))
	taken := p.submit("/signup", signUpForm("usaha@demo.gerbang.id", firstPassword))
	same(fresh, taken)
	if m := mail.Wait(t, "usaha@demo.gerbang.id", 1, 30*time.Second); !strings.Contains(m.Subject, "sudah punya akun") || m.Link(app.LoginPath) == "" || m.Link(app.ForgotPath) == "" {
		t.Errorf("the account's owner is told %q:\n%s", m.Subject, m.Text)
	}
	// The account is as it was.
	if a := login(t, svc.URL, "usaha@demo.gerbang.id", app.DemoPassword); a.status != http.StatusOK {
		t.Errorf("the demo account after a sign-up with its email: %d", a.status)
	}
	// Signing up again while unverified sends a new verification link.
	again := p.submit("/signup", signUpForm("baru@contoh.co.id", firstPassword))
	same(fresh, again)
	if m := mail.Wait(t, "baru@contoh.co.id", 2, 30*time.Second); m.Link(app.VerifyEmailPath) == "" {
		t.Errorf("a second sign-up of an unverified email mails %q", m.Subject)
	}

	p.open(app.ForgotPath)
	known := p.submit(app.ForgotPath, map[string]string{"email": "usaha@demo.gerbang.id"})
	unknown := p.submit(app.ForgotPath, map[string]string{"email": "tidak.ada@contoh.co.id"})
	same(known, unknown)
	if m := mail.Wait(t, "tidak.ada@contoh.co.id", 1, 30*time.Second); m.Link(app.ResetPasswordPath) != "" || !strings.Contains(m.Text, "tidak ada akun") {
		t.Errorf("an address without an account is mailed %q:\n%s", m.Subject, m.Text)
	}
	if m := mail.Wait(t, "usaha@demo.gerbang.id", 2, 30*time.Second); m.Link(app.ResetPasswordPath) == "" {
		t.Errorf("the account is mailed no reset link: %q", m.Subject)
	}
	// A wrong password and an unknown email log in alike.
	q := newPerson(t, svc.URL)
	wrong := q.logIn("usaha@demo.gerbang.id", "salah sekali kata sandinya")
	none := q.logIn("tidak.ada@contoh.co.id", "salah sekali kata sandinya")
	if wrong.status != http.StatusUnauthorized || none.status != wrong.status || pageText(wrong) != strings.Replace(pageText(none), "tidak.ada@contoh.co.id", "usaha@demo.gerbang.id", 1) {
		t.Errorf("logins differ: %d / %d\n%s\n%s", wrong.status, none.status, pageText(wrong), pageText(none))
	}
}

// formCase is one bad submission of a form and what the page must show.
type formCase struct {
	name   string
	path   string
	fields map[string]string
	status int
	errors map[string]string // field -> its message, each linked from the summary
	kept   map[string]string // field -> value shown again
}

// checkRefused posts a bad form and checks the error summary, the field
// messages, the kept input, and that no password is shown again.
func checkRefused(t *testing.T, p *person, c formCase) answer {
	t.Helper()
	a := p.submit(c.path, c.fields)
	if a.status != c.status {
		t.Fatalf("status %d, want %d\n%s", a.status, c.status, pageText(a))
	}
	page := string(a.body)
	if read := pageText(a); !strings.Contains(page, `class="error-summary"`) || !strings.Contains(read, "Ada yang perlu diperbaiki") && !strings.Contains(read, "There is a problem") {
		t.Fatalf("no error summary:\n%s", pageText(a))
	}
	if !strings.Contains(page, "<title>Galat: ") && !strings.Contains(page, "<title>Error: ") {
		t.Errorf("the title does not say there is an error: %s", regexp.MustCompile(`<title>[^<]*`).FindString(page))
	}
	for field, msg := range c.errors {
		if !strings.Contains(page, `<a href="#`+field+`">`) {
			t.Errorf("the summary does not link to #%s", field)
		}
		if !strings.Contains(page, `id="`+field+`-error"`) || !strings.Contains(page, `aria-invalid="true"`) {
			t.Errorf("field %s has no message of its own", field)
		}
		if !strings.Contains(pageText(a), msg) {
			t.Errorf("the page does not say %q", msg)
		}
	}
	for field, v := range c.kept {
		if !strings.Contains(page, `name="`+field+`" value="`+html.EscapeString(v)+`"`) {
			t.Errorf("field %s does not keep %q", field, v)
		}
	}
	for k, v := range c.fields {
		if strings.Contains(k, "password") && v != "" && strings.Contains(page, v) {
			t.Errorf("the page shows the %s typed", k)
		}
	}
	return a
}

// TestEveryAccountFormRefusesBadInputAndChangesNothing submits each form
// wrongly: the page comes back with the error summary and the field
// messages, keeps what was typed (never a password), and changes nothing.
func TestEveryAccountFormRefusesBadInputAndChangesNothing(t *testing.T) {
	svc, mail := startPortalWithMail(t, nil)
	p := newPerson(t, svc.URL)
	p.open("/signup")

	t.Run("SignUp", func(t *testing.T) {
		for _, c := range []formCase{
			{"empty", "/signup", map[string]string{}, 400, map[string]string{
				"display_name": "Masukkan nama lengkap Anda", "email": "Masukkan alamat email Anda", "phone": "Masukkan nomor telepon Anda", "password": "Masukkan kata sandi",
			}, nil},
			{"malformed", "/signup", map[string]string{"display_name": "Siti <Aminah>", "email": "siti@", "phone": "12-34", "password": "password123", "password_confirm": "password124"}, 400, map[string]string{
				"email": "format yang benar", "phone": "Masukkan nomor telepon Indonesia", "password": "mudah ditebak", "password_confirm": "tidak sama",
			}, map[string]string{"display_name": "Siti <Aminah>", "email": "siti@", "phone": "12-34"}},
			{"short password", "/signup", map[string]string{"display_name": "Budi", "email": "budi@contoh.co.id", "phone": "0812 1111 2222", "password": "a1!", "password_confirm": "a1!"}, 400, map[string]string{
				"password": "minimal 8 karakter",
			}, map[string]string{"display_name": "Budi", "email": "budi@contoh.co.id", "phone": "0812 1111 2222"}},
		} {
			t.Run(c.name, func(t *testing.T) { checkRefused(t, p, c) })
		}
		// Nothing was stored: budi signing up properly is a new account.
		wantRedirect(t, p.submit("/signup", signUpForm("budi@contoh.co.id", firstPassword)), "/signup/check-email")
		if m := mail.Wait(t, "budi@contoh.co.id", 1, 30*time.Second); m.Link(app.VerifyEmailPath) == "" {
			t.Errorf("budi's first mail is %q", m.Subject)
		}
	})

	t.Run("LogIn", func(t *testing.T) {
		p.open("/login")
		checkRefused(t, p, formCase{"empty", "/login", map[string]string{"email": " ", "password": ""}, 400, map[string]string{
			"email": "Masukkan alamat email Anda", "password": "Masukkan kata sandi",
		}, nil})
		checkRefused(t, p, formCase{"wrong", "/login", map[string]string{"email": "usaha@demo.gerbang.id", "password": "bukan ini"}, 401, map[string]string{
			"email": "Email atau kata sandi salah",
		}, map[string]string{"email": "usaha@demo.gerbang.id"}})
		if p.signedInAs() != "" {
			t.Error("signed in after a refused login")
		}
	})

	t.Run("ForgottenPassword", func(t *testing.T) {
		before := len(mail.Messages())
		p.open(app.ForgotPath)
		checkRefused(t, p, formCase{"empty", app.ForgotPath, map[string]string{"email": ""}, 400, map[string]string{"email": "Masukkan alamat email Anda"}, nil})
		checkRefused(t, p, formCase{"malformed", app.ForgotPath, map[string]string{"email": "usaha@demo"}, 400, map[string]string{"email": "format yang benar"}, map[string]string{"email": "usaha@demo"}})
		if n := len(mail.Messages()); n != before {
			t.Errorf("%d mails sent for refused requests", n-before)
		}
	})

	t.Run("ResetPassword", func(t *testing.T) {
		p.open(app.ForgotPath)
		wantRedirect(t, p.submit(app.ForgotPath, map[string]string{"email": "pokja@demo.gerbang.id"}), "/password/forgot/check-email")
		link := mail.Wait(t, "pokja@demo.gerbang.id", 1, 30*time.Second).Link(app.ResetPasswordPath)
		p.open(linkPath(t, svc.URL, link))
		a := checkRefused(t, p, formCase{"weak", app.ResetPasswordPath, map[string]string{"token": tokenOf(t, link), "password": "pokja12345", "password_confirm": "pokja12345"}, 400, map[string]string{
			"password": "mudah ditebak",
		}, nil})
		wantText(t, a, "pokja@demo.gerbang.id") // still says whose password it is
		checkRefused(t, p, formCase{"mismatch", app.ResetPasswordPath, map[string]string{"token": tokenOf(t, link), "password": resetPassword, "password_confirm": resetPassword + "!"}, 400, map[string]string{
			"password_confirm": "tidak sama",
		}, nil})
		// The link still works and the password is as it was.
		if a := p.open(linkPath(t, svc.URL, link)); a.status != http.StatusOK {
			t.Errorf("the link after refused forms: %d", a.status)
		}
		if a := login(t, svc.URL, "pokja@demo.gerbang.id", app.DemoPassword); a.status != http.StatusOK {
			t.Errorf("the password changed: %d", a.status)
		}
		// A made-up link: the link page, not a form.
		a = p.submit(app.ResetPasswordPath, map[string]string{"token": "made-up", "password": resetPassword, "password_confirm": resetPassword})
		if a.status != http.StatusNotFound {
			t.Errorf("a made-up reset link: %d", a.status)
		}
		wantText(t, a, "Tautan ini tidak berlaku lagi")
	})

	t.Run("VerifyEmail", func(t *testing.T) {
		p.open("/")
		a := p.submit(app.VerifyEmailPath, map[string]string{"token": "made-up"})
		if a.status != http.StatusNotFound {
			t.Errorf("a made-up verification link: %d", a.status)
		}
		wantText(t, a, "Tautan ini tidak berlaku lagi")
	})

	t.Run("ChangePassword", func(t *testing.T) {
		q := newPerson(t, svc.URL)
		wantRedirect(t, q.open(app.PasswordPath), app.LoginPath) // not signed in
		wantRedirect(t, q.logIn("auditor@demo.gerbang.id", app.DemoPassword), "/")
		q.open(app.PasswordPath)
		checkRefused(t, q, formCase{"empty", app.PasswordPath, map[string]string{}, 400, map[string]string{
			"current_password": "Masukkan kata sandi Anda saat ini", "password": "Masukkan kata sandi",
		}, nil})
		checkRefused(t, q, formCase{"wrong current, weak new", app.PasswordPath, map[string]string{"current_password": "bukan ini", "password": "auditor123", "password_confirm": "auditor123"}, 400, map[string]string{
			"current_password": "Kata sandi saat ini salah", "password": "mudah ditebak",
		}, nil})
		if q.signedInAs() != "Yusuf Hakim (Auditor)" {
			t.Error("a refused change ended the session")
		}
		if a := login(t, svc.URL, "auditor@demo.gerbang.id", app.DemoPassword); a.status != http.StatusOK {
			t.Errorf("the password changed: %d", a.status)
		}
	})

	t.Run("InEnglish", func(t *testing.T) {
		q := newPerson(t, svc.URL)
		q.client.Jar.SetCookies(mustURL(t, svc.URL), []*http.Cookie{{Name: "gerbang_lang", Value: "en"}})
		wantText(t, q.open("/signup"), "Create an account", "Full name", "Phone number")
		a := checkRefused(t, q, formCase{"empty", "/signup", map[string]string{"email": "x@"}, 400, map[string]string{
			"display_name": "Enter your full name", "email": "Enter an email address in the correct format",
		}, map[string]string{"email": "x@"}})
		if strings.Contains(pageText(a), "Masukkan") {
			t.Error("the English page speaks Indonesian")
		}
	})

	t.Run("FormWithoutCSRFToken", func(t *testing.T) {
		a := do(t, p.client, http.MethodPost, svc.URL+"/signup", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			[]byte(url.Values{"display_name": {"Tanpa Token"}, "email": {"tanpa@contoh.co.id"}}.Encode()))
		if a.status != http.StatusForbidden || !strings.Contains(string(a.body), `value="Tanpa Token"`) {
			t.Errorf("sign-up without the CSRF token: %d\n%s", a.status, pageText(a))
		}
		wantText(t, a, "Formulir ini kedaluwarsa")
		if len(mail.To("tanpa@contoh.co.id")) != 0 {
			t.Error("a forged sign-up sent mail")
		}
	})
}

// TestSignUpAndResetAreRateLimited: past the limits the form comes back
// with 429, Retry-After and the input kept, and no mail is sent.
func TestSignUpAndResetAreRateLimited(t *testing.T) {
	svc, mail := startPortalWithMail(t, map[string]string{
		"SIGNUP_LIMIT_PER_EMAIL": "2", "SIGNUP_LIMIT_PER_IP": "4", "RESET_LIMIT_PER_EMAIL": "2", "RESET_LIMIT_PER_IP": "3",
	})
	p := newPerson(t, svc.URL)
	p.open("/signup")
	for range 2 {
		wantRedirect(t, p.submit("/signup", signUpForm("ulang@contoh.co.id", firstPassword)), "/signup/check-email")
	}
	a := p.submit("/signup", signUpForm("ulang@contoh.co.id", firstPassword))
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" || !strings.Contains(string(a.body), `value="ulang@contoh.co.id"`) {
		t.Fatalf("third sign-up of one email: %d, Retry-After %q\n%s", a.status, a.header.Get("Retry-After"), pageText(a))
	}
	wantText(t, a, "Terlalu banyak pendaftaran")
	wantRedirect(t, p.submit("/signup", signUpForm("lain@contoh.co.id", firstPassword)), "/signup/check-email") // fourth from this address (the refused one counts)
	if a := p.submit("/signup", signUpForm("lain2@contoh.co.id", firstPassword)); a.status != http.StatusTooManyRequests {
		t.Errorf("fifth sign-up from one address: %d", a.status)
	}
	if n := len(mail.To("ulang@contoh.co.id")); n != 2 {
		t.Errorf("%d mails to ulang@, want 2", n)
	}

	p.open(app.ForgotPath)
	for range 2 {
		wantRedirect(t, p.submit(app.ForgotPath, map[string]string{"email": "usaha@demo.gerbang.id"}), "/password/forgot/check-email")
	}
	a = p.submit(app.ForgotPath, map[string]string{"email": "USAHA@demo.gerbang.id"})
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("third reset of one email: %d", a.status)
	}
	wantText(t, a, "Terlalu banyak permintaan atur ulang kata sandi")
	if n := len(mail.To("usaha@demo.gerbang.id")); n != 2 {
		t.Errorf("%d reset mails, want 2", n)
	}
	// The login limit is the login's own (LOGIN_LIMIT_*): untouched here.
	wantRedirect(t, p.logIn("usaha@demo.gerbang.id", app.DemoPassword), "/")
}

// TestAMailServerThatIsDownIsSaidOnTheForm: with no SMTP server, the
// sign-up and the reset request come back as the form, 503, what was typed
// kept, saying the mail could not be sent; the portal stays up.
func TestAMailServerThatIsDownIsSaidOnTheForm(t *testing.T) {
	svc, _ := startPortal(t, map[string]string{"SMTP_ADDR": svctest.FreeAddr(t), "SMTP_TIMEOUT": "5s", "ACCOUNT_ANSWER_FLOOR": "1ms"})
	p := newPerson(t, svc.URL)
	p.open("/signup")
	a := p.submit("/signup", signUpForm("tanpa.surat@contoh.co.id", firstPassword))
	if a.status != http.StatusServiceUnavailable || !strings.Contains(string(a.body), `value="tanpa.surat@contoh.co.id"`) {
		t.Fatalf("sign-up with the mail server down: %d\n%s", a.status, pageText(a))
	}
	wantText(t, a, "Ada yang perlu diperbaiki", "Email tidak dapat dikirim saat ini")
	p.open(app.ForgotPath)
	a = p.submit(app.ForgotPath, map[string]string{"email": "usaha@demo.gerbang.id"})
	if a.status != http.StatusServiceUnavailable {
		t.Fatalf("reset with the mail server down: %d", a.status)
	}
	wantText(t, a, "Email tidak dapat dikirim saat ini")
	// Signing up again once mail works sends a new link: the account made
	// meanwhile is not verified, and logs in only once it is.
	if a := login(t, svc.URL, "tanpa.surat@contoh.co.id", firstPassword); a.status != http.StatusUnauthorized {
		t.Errorf("the unverified account logs in: %d", a.status)
	}
}
