package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/webtest"
)

// TestBrowserSignsUpVerifiesByMailLogsInAndResetsThePassword drives the
// account pages in headless Chromium at a phone's and a desktop's size, as
// a newcomer would: a sign-up refused with the error summary, the sign-up,
// the verification link read from the mail the portal sent over SMTP, the
// login, then the forgotten password by its mailed link. Every page, its
// error states too, passes axe-core (WCAG 2.2 A and AA).
func TestBrowserSignsUpVerifiesByMailLogsInAndResetsThePassword(t *testing.T) {
	svc, mail := startPortalWithMail(t, nil)
	b := webtest.Start(t)

	for _, v := range webtest.Viewports {
		t.Run(v.Name, func(t *testing.T) {
			tab := b.Tab(t, v)
			check := func() {
				t.Helper()
				tab.Accessible()
				tab.FitsTheScreen()
			}
			email := "dewi." + v.Name + "@contoh.co.id"
			name := "Dewi Anggraini " + strings.ToUpper(v.Name[:1]) + v.Name[1:]

			tab.Go(svc.URL + "/")
			tab.ClickAndWait(`a[href="/signup"]`)
			tab.See("Buat akun", "Nama lengkap", "Alamat email", "Nomor telepon", "Kata sandi")
			check()

			// Wrong: the summary links each field, what was typed stays.
			tab.Fill("#display_name", name)
			tab.Fill("#email", "dewi@")
			tab.Fill("#phone", "0812")
			tab.Fill("#password", "password1")
			tab.Fill("#password_confirm", "password1")
			tab.Submit(`form[action="/signup"]`)
			tab.See("Ada yang perlu diperbaiki", "Masukkan alamat email dengan format yang benar", "Masukkan nomor telepon Indonesia", "Kata sandi ini mudah ditebak")
			if got := webtest.Eval[string](tab, `document.querySelector("#display_name").value`); got != name {
				t.Errorf("the name typed became %q", got)
			}
			if got := webtest.Eval[string](tab, `document.querySelector("#password").value`); got != "" {
				t.Errorf("the password is shown again: %q", got)
			}
			if n := webtest.Eval[int](tab, `document.querySelectorAll(".error-summary a[href^='#']").length`); n != 3 {
				t.Errorf("the summary links %d fields, want 3", n)
			}
			if !strings.HasPrefix(webtest.Eval[string](tab, `document.title`), "Galat: ") {
				t.Errorf("the title %q does not say there is an error", webtest.Eval[string](tab, `document.title`))
			}
			check()
			tab.Click(`.error-summary a[href="#phone"]`)
			if got := webtest.Eval[string](tab, `document.activeElement.id`); got != "phone" {
				t.Errorf("the summary's link to the phone leads to %q", got)
			}

			// Right.
			tab.Fill("#email", email)
			tab.Fill("#phone", "0812-3456-7890")
			tab.Fill("#password", firstPassword)
			tab.Fill("#password_confirm", firstPassword)
			tab.Submit(`form[action="/signup"]`)
			tab.See("Periksa email Anda", "Tautan berlaku 24 jam")
			check()

			// The link in the mail.
			verify := mail.Wait(t, email, 1, time.Minute).Link(app.VerifyEmailPath)
			tab.Go(verify)
			tab.See("Verifikasi email", email)
			check()
			tab.Submit(`form[action="/verify-email"]`)
			tab.See("Email Anda sudah diverifikasi. Silakan masuk.")
			check()

			tab.Fill("#email", email)
			tab.Fill("#password", firstPassword)
			tab.Submit(`form[action="/login"]`)
			tab.See("Dasbor", "Selamat datang, "+name+".", "pelaku usaha", "Ganti kata sandi")
			check()
			tab.ClickAndWait(`nav a[href="/account/password"]`)
			tab.See("Ganti kata sandi", "Kata sandi saat ini")
			check()
			tab.Submit(`header form[action="/logout"]`)

			// Forgotten password.
			tab.Go(svc.URL + "/login")
			tab.ClickAndWait(`a[href="/password/forgot"]`)
			tab.See("Lupa kata sandi")
			check()
			tab.Fill("#email", email)
			tab.Submit(`form[action="/password/forgot"]`)
			tab.See("Periksa email Anda")
			reset := mail.Wait(t, email, 2, time.Minute).Link(app.ResetPasswordPath)
			tab.Go(reset)
			tab.See("Buat kata sandi baru", email)
			check()
			tab.Fill("#password", resetPassword)
			tab.Fill("#password_confirm", "something else")
			tab.Submit(`form[action="/password/reset"]`)
			tab.See("Ada yang perlu diperbaiki", "Kedua kata sandi tidak sama")
			check()
			tab.Fill("#password", resetPassword)
			tab.Fill("#password_confirm", resetPassword)
			tab.Submit(`form[action="/password/reset"]`)
			tab.See("Kata sandi baru sudah disimpan")
			tab.Fill("#email", email)
			tab.Fill("#password", resetPassword)
			tab.Submit(`form[action="/login"]`)
			tab.See("Selamat datang, " + name + ".")

			if dir := os.Getenv("PORTAL_SCREENSHOT_DIR"); dir != "" { // kept for a person to look at
				tab.Go(svc.URL + "/signup")
				path := filepath.Join(dir, "signup-"+v.Name+".png")
				if err := os.WriteFile(path, tab.Screenshot(), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot: %s", path)
			}
		})
	}
}
