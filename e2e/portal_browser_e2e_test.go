package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"gerbang/services/portal/webtest"
)

// A business owner, in the browser, on a phone and on a desktop, against
// the real services: logs in, registers the business (first with a wrong
// NPWP and KBLI: the error summary links to the fields, what was typed is
// kept, nothing is registered), sees the NIB at once and on the dashboard
// (by name and NIB, never an id), changes the profile, and asks the license
// finder what a 150-room hotel needs. Every page passes axe-core (WCAG 2.2
// A/AA, no serious or critical violation).
func TestBrowserBusinessRegistersSeesItsNIBAndFindsItsLicense(t *testing.T) {
	p := startPlatform(t, nil)
	portal := p.url("portal")
	browser := webtest.Start(t)
	nib := regexp.MustCompile(`^[0-9]{13}$`)

	for _, c := range []struct {
		v                 webtest.Viewport
		email, name, npwp string
		org               string
	}{
		{webtest.Phone, "usaha@demo.gerbang.id", "Hotel Melati Indah", "01.234.567.8-901.000", "01930000-0000-7000-8000-00000000b001"},
		{webtest.Desktop, "vendor2@demo.gerbang.id", "Hotel Karya Nusantara", "02.345.678.9-012.000", "01930000-0000-7000-8000-00000000b002"},
	} {
		token := p.login(c.email) // for looking at licensing behind the pages
		t.Run(c.v.Name, func(t *testing.T) {
			t.Parallel() // two people, each in a tab of their own
			tab := browser.Tab(t, c.v)
			check := func() {
				t.Helper()
				tab.Accessible()
				tab.FitsTheScreen()
			}
			tab.Go(portal + "/")
			tab.Fill("#email", c.email)
			tab.Fill("#password", "demo12345")
			tab.Submit(`form[action="/login"]`)
			tab.See("Dasbor", "Usaha Anda", "Anda belum mendaftarkan usaha.", "Belum ada izin.")
			check()

			tab.ClickAndWait(`main a[href="/businesses/new"]`)
			tab.See("Daftarkan usaha Anda", "Nama usaha", "NPWP", "Skala usaha", "Menengah", "Kegiatan usaha (KBLI)")
			check()
			tab.Fill("#name", c.name)
			tab.Fill("#npwp", "123")
			tab.Fill("#address", "Jl. Malioboro 10, Yogyakarta")
			tab.Click(`input[name=scale][value=medium]`)
			tab.Fill("#kbli", "55110, 561")
			tab.Submit(`main form`)
			tab.See("Ada yang perlu diperbaiki", "NPWP terdiri dari 15 atau 16 digit", "Tulis sedikitnya satu kode KBLI")
			if got := webtest.Eval[string](tab, `document.getElementById("name").value + "|" + document.getElementById("kbli").value + "|" + document.querySelector("input[name=scale]:checked").value`); got != c.name+"|55110, 561|medium" {
				t.Errorf("the form kept %q", got)
			}
			check()
			for _, field := range []string{"npwp", "kbli"} {
				if to := webtest.Eval[string](tab, `(document.getElementById(document.querySelector('.error-summary a[href="#`+field+`"]').hash.slice(1)) || {}).name || ""`); to != field {
					t.Errorf("the summary's link for %s leads to %q", field, to)
				}
			}
			if code, body := p.get("licensing", "/v1/businesses", token); code != http.StatusOK || string(body) != `{"items":[],"next_cursor":null}` {
				t.Fatalf("a refused form registered something: %d %s", code, body)
			}

			tab.Fill("#npwp", c.npwp)
			tab.Fill("#kbli", "55110, 56101")
			tab.Submit(`main form`)
			tab.See("Usaha Anda telah terdaftar.", "Nomor Induk Berusaha (NIB) Anda:", c.name, "Jl. Malioboro 10, Yogyakarta", "Menengah", "55110, 56101")
			number := tab.Text(".big.nib")
			if !nib.MatchString(number) {
				t.Fatalf("the NIB shown is %q", number)
			}
			check()

			tab.Go(portal + "/")
			tab.See("Dasbor", c.name, number)
			tab.SeeNot(c.org, "Anda belum mendaftarkan usaha.")

			tab.Go(portal + "/businesses/" + c.org)
			tab.ClickAndWait(`main a[href$="/edit"]`)
			tab.See("Ubah profil "+c.name, "NPWP tidak dapat diubah")
			check()
			tab.Fill("#address", "Jl. Malioboro 12, Yogyakarta")
			tab.Submit(`main form`)
			tab.See("Perubahan profil telah disimpan.", "Jl. Malioboro 12, Yogyakarta", number)
			_, body := p.get("licensing", "/v1/businesses/"+c.org, token)
			var b struct {
				Address string `json:"address"`
				Version int    `json:"version"`
			}
			if err := json.Unmarshal(body, &b); err != nil || b.Address != "Jl. Malioboro 12, Yogyakarta" || b.Version != 2 {
				t.Errorf("licensing holds %s", body)
			}

			// What does the hotel need? Found by words, then by its size.
			tab.Go(portal + "/licenses/finder")
			tab.See("Izin apa yang saya perlukan?", "Kode KBLI atau kata kunci")
			check()
			tab.Fill("#q", "hotel")
			tab.Submit(`form[role=search]`)
			tab.See("1 kegiatan cocok dengan hotel", "55110 Hotel bintang")
			check()
			tab.ClickAndWait(`main a[href^="/licenses/finder?kbli=55110"]`)
			tab.See("2. Skala usaha untuk KBLI 55110 Hotel bintang", "Jumlah kamar")
			tab.Click(`input[name=scale][value=medium]`)
			tab.Fill("#size", "150")
			tab.Submit(`main form[novalidate]`)
			tab.See("Hotel bintang, skala Menengah", "Tinggi", "Izin usaha hotel", "Diperiksa oleh petugas perizinan",
				"Rp 5.000.000", "paling lama 15 hari kerja", "60 bulan",
				"Persetujuan Bangunan Gedung (PBG)", "Denah bangunan", "Analisis Mengenai Dampak Lingkungan (AMDAL)", "paling besar 20 MB")
			check()
			tab.Fill("#size", "20")
			tab.Submit(`main form[novalidate]`)
			tab.See("Menengah tinggi", "Sertifikat Standar terverifikasi: hotel", "Rp 2.500.000", "paling lama 10 hari kerja")

			tab.Go(portal + "/")
			tab.Submit(`header form[action="/logout"]`)
			tab.See("Masuk", "Kata sandi")
		})
	}
}
