package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestASignedInPersonOpeningLoginOrSignUpIsSentToTheDashboard(t *testing.T) {
	held := &heldLicenses{}
	svc, _ := startPortal(t, map[string]string{"LICENSING_URL": held.server(t).URL})
	visitor := newBrowser(t, svc.URL)
	wantPage(t, visitor.get("/login"), http.StatusOK, "Kata sandi")
	wantPage(t, visitor.get("/signup"), http.StatusOK, "Buat akun")

	b := signIn(t, svc.URL, "usaha@demo.gerbang.id")
	for _, path := range []string{"/login", "/signup", "/login?notice=x"} {
		if a := b.get(path); a.status != http.StatusSeeOther || a.header.Get("Location") != "/" {
			t.Errorf("%s signed in: %d to %q, want 303 to /", path, a.status, a.header.Get("Location"))
		}
	}
	wantPage(t, b.get("/"), http.StatusOK, "Dasbor", "Selamat datang")
}

func TestTheDashboardSaysTheServerTimeOnce(t *testing.T) {
	held := &heldLicenses{}
	svc, _ := startPortal(t, map[string]string{"LICENSING_URL": held.server(t).URL})
	for _, email := range []string{"usaha@demo.gerbang.id", "petugas.izin@demo.gerbang.id"} {
		b := signIn(t, svc.URL, email)
		page := wantPage(t, b.get("/"), http.StatusOK, "Dasbor", "Waktu server:", "WIB")
		if n := strings.Count(page, "Waktu server:"); n != 1 {
			t.Errorf("%s: the dashboard says the server time %d times", email, n)
		}
		// Other pages keep it in the footer.
		if n := strings.Count(wantPage(t, b.get("/developers"), http.StatusOK), "Waktu server:"); n != 1 {
			t.Errorf("%s: the developers' page says the server time %d times", email, n)
		}
	}
}
