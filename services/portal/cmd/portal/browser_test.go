package main

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"gerbang/services/portal/webtest"
)

// TestBrowserShowsThePagesAccessiblyOnAPhoneAndADesktop drives the portal in
// headless Chromium at a phone's and a desktop's size: the home page, the
// login form, the dashboard, the language switch, the session page, the
// developers' page and the public pages, each checked with axe-core (WCAG
// 2.2 A and AA: no serious or critical violation) and read as a person
// reads it.
func TestBrowserShowsThePagesAccessiblyOnAPhoneAndADesktop(t *testing.T) {
	var calls atomic.Int64
	licensing := fakeLicensing(t, &calls)
	tender := fakeTender(t, &calls)
	svc, _ := startPortal(t, map[string]string{"LICENSING_URL": licensing.URL, "TENDER_URL": tender.URL})
	b := webtest.Start(t)

	for _, v := range webtest.Viewports {
		t.Run(v.Name, func(t *testing.T) {
			tab := b.Tab(t, v)
			check := func() {
				t.Helper()
				tab.Accessible()
				tab.FitsTheScreen()
			}

			tab.Go(svc.URL + "/")
			tab.See("Layanan pemerintah untuk dunia usaha", "Masuk", "Verifikasi izin usaha", "Waktu server:", "WIB")
			check()
			tab.Fill("#email", "usaha@demo.gerbang.id")
			tab.Fill("#password", "demo12345")
			tab.Submit(`form[action="/login"]`)
			tab.See("Dasbor", "Selamat datang, Siti Rahayu (CV Maju Jaya).", "Masuk sebagai Siti Rahayu", "Usaha saya", "Keluar", "Sesi Anda berlaku sampai")
			check()

			tab.ClickAndWait(`a[hreflang="en"]`)
			tab.See("Dashboard", "Welcome, Siti Rahayu (CV Maju Jaya).", "My businesses", "Log out", "Server time:")
			tab.SeeNot("Selamat datang")
			check()
			tab.ClickAndWait(`a[hreflang="id"]`)
			tab.See("Dasbor")

			tab.Go(svc.URL + "/session")
			tab.See("Sesi Anda", "Sesi Anda berakhir pada", "Perpanjang sesi")
			check()
			tab.Submit(`main form[action="/session/extend"]`)
			tab.See("Sesi Anda berakhir pada")

			tab.Go(svc.URL + "/verify/LIC-2026-000123")
			tab.See("Izin asli, terdaftar di Gerbang", "Aktif", "Izin ini sah dan berlaku.", "Warung Makan Sari Rasa")
			if got := tab.Text(".badge"); got != "Aktif" {
				t.Errorf("status badge %q", got)
			}
			check()
			shot := tab.Screenshot()
			if dir := os.Getenv("PORTAL_SCREENSHOT_DIR"); dir != "" { // kept for a person to look at
				path := filepath.Join(dir, "verify-"+v.Name+".png")
				if err := os.WriteFile(path, shot, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot: %s", path)
			}

			tab.Go(svc.URL + "/tenders")
			tab.See("Pengumuman tender", "Pengadaan laptop sekolah", "Masa penawaran", "Rp 1.000.000.000", "10-12-2026 10:00 WIB")
			check()
			tab.Go(svc.URL + "/tenders/" + openedTender)
			tab.See("Rehabilitasi jembatan", "Pembukaan penawaran", "Rp 875.000.000", "Gugur")
			check()
			tab.Go(svc.URL + "/developers")
			tab.See("Untuk pengembang", "Kontrak API")
			check()

			tab.Go(svc.URL + "/")
			tab.Submit(`header form[action="/logout"]`)
			tab.See("Masuk", "Kata sandi")
			tab.SeeNot("Dasbor")
		})
	}
}
