package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gerbang/services/portal/smtptest"
	"gerbang/services/portal/webtest"
)

// The whole licensing journey in the portal's pages, in headless chromium,
// once on a phone and once on a desktop, two people in two tabs: a newcomer
// signs up, verifies the email by the link in the mail the portal sent to a
// real SMTP server, logs in, registers the business and sees its NIB,
// applies for a high-risk hotel license, uploads each document and submits;
// the licensing officer finds the application in the review queue, starts
// the review and asks for one document again with a comment; the business
// reads the comment, replaces the document and sends the revision; the
// officer approves; the business pays in the sandbox, sees the fee page move
// on to the license by itself, downloads the certificate and opens the
// public verification page, which says the license is genuine and valid.
// Every page passes axe-core (WCAG 2.2 A/AA) and fits the screen.
func TestBrowserJourneyFromSignUpToAVerifiedLicense(t *testing.T) {
	mail := smtptest.Start(t)
	p := startPlatform(t, map[string]string{
		"SMTP_ADDR":            mail.Addr,
		"MAIL_FROM":            "Gerbang <no-reply@gerbang.localhost>",
		"ACCOUNT_ANSWER_FLOOR": "1ms",
	})
	portal := p.url("portal")
	finance := p.login("keuangan@demo.gerbang.id") // for reading the invoices behind the pages
	browser := webtest.Start(t)

	files := t.TempDir()
	document := func(name, content string) string {
		path := filepath.Join(files, name)
		if err := os.WriteFile(path, pdf(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	docs := map[string]string{
		"pbg":            document("pbg.pdf", "PBG"),
		"denah_bangunan": document("denah_bangunan.pdf", "Denah"),
		"amdal":          document("amdal.pdf", "AMDAL v1"),
	}
	amdal2 := document("amdal-v2.pdf", "AMDAL v2 dengan lampiran")
	nib := regexp.MustCompile(`^[0-9]{13}$`)
	number := regexp.MustCompile(`LIC-[0-9]{4}-[0-9]+`)
	application := regexp.MustCompile(`/applications/([0-9a-f-]{36})$`)

	for _, c := range []struct {
		v                     webtest.Viewport
		owner, email, phone   string
		business, npwp, where string
	}{
		{webtest.Phone, "Sri Wahyuni", "sri.wahyuni@penginapan-sekar.co.id", "0812-3456-7001", "Penginapan Sekar Jagad", "03.456.789.0-123.000", "Jl. Prawirotaman 8, Yogyakarta"},
		{webtest.Desktop, "Bagus Pratama", "bagus.pratama@hotel-samudra.co.id", "0813-2222-7002", "Hotel Samudra Biru", "04.567.890.1-234.000", "Jl. Pantai Kuta 21, Badung"},
	} {
		t.Run(c.v.Name, func(t *testing.T) {
			t.Parallel() // two newcomers, two businesses, two applications: nothing shared but the officer
			biz := browser.Tab(t, c.v)
			officer := browser.Tab(t, c.v)
			check := func(tab *webtest.Tab) {
				t.Helper()
				tab.Accessible()
				tab.FitsTheScreen()
			}
			password := "kopi tubruk " + c.v.Name + " pagi hari"

			// 1. Sign up, verify by the mailed link, log in.
			biz.Go(portal + "/")
			biz.ClickAndWait(`main a[href="/signup"]`)
			biz.See("Buat akun", "Nama lengkap", "Alamat email", "Nomor telepon", "Kata sandi")
			check(biz)
			biz.Fill("#display_name", c.owner)
			biz.Fill("#email", c.email)
			biz.Fill("#phone", c.phone)
			biz.Fill("#password", password)
			biz.Fill("#password_confirm", password)
			biz.Submit(`form[action="/signup"]`)
			biz.See("Periksa email Anda", "Tautan berlaku 24 jam")
			check(biz)
			msg := mail.Wait(t, c.email, 1, time.Minute)
			link := msg.Link("/verify-email")
			if !strings.HasPrefix(link, portal+"/verify-email?") {
				t.Fatalf("the mail %q links to %q, not the portal's verification page:\n%s", msg.Subject, link, msg.Text)
			}
			biz.Go(link)
			biz.See("Verifikasi email", c.email)
			check(biz)
			biz.Submit(`form[action="/verify-email"]`)
			biz.See("Email Anda sudah diverifikasi. Silakan masuk.")
			check(biz)
			biz.Fill("#email", c.email)
			biz.Fill("#password", password)
			biz.Submit(`form[action="/login"]`)
			biz.See("Dasbor", "Selamat datang, "+c.owner+".", "Anda belum mendaftarkan usaha.")
			check(biz)

			// 2. The business, and its NIB at once.
			biz.ClickAndWait(`main a[href="/businesses/new"]`)
			biz.See("Daftarkan usaha Anda", "Nama usaha", "NPWP", "Kegiatan usaha (KBLI)")
			check(biz)
			biz.Fill("#name", c.business)
			biz.Fill("#npwp", c.npwp)
			biz.Fill("#address", c.where)
			biz.Click(`input[name=scale][value=medium]`)
			biz.Fill("#kbli", "55110")
			biz.Submit(`main form`)
			biz.See("Usaha Anda telah terdaftar.", "Nomor Induk Berusaha (NIB) Anda:", c.business, c.where, "Menengah", "55110")
			nibShown := biz.Text(".big.nib")
			if !nib.MatchString(nibShown) {
				t.Fatalf("the NIB shown is %q", nibShown)
			}
			business := regexp.MustCompile(`/businesses/([0-9a-f-]{36})(\?|$)`).FindStringSubmatch(biz.Location())
			if business == nil {
				t.Fatalf("the registered business is shown at %s, not at its page", biz.Location())
			}
			check(biz)

			// 3. The application: a 120-room hotel is high risk and needs
			// three documents, each uploaded on its page.
			biz.Go(portal + "/applications")
			biz.See("Anda belum memiliki permohonan izin.")
			check(biz)
			biz.ClickAndWait(`main a[href="/applications/new"]`)
			biz.See("Untuk usaha dan kegiatan apa Anda mengajukan izin?", c.business, "Kode KBLI kegiatan usaha")
			check(biz)
			biz.Click(`input[name=business_id]`)
			biz.Fill("#kbli", "55110")
			biz.Fill("#size", "120")
			biz.Submit(`main form[action="/applications"]`)
			biz.See("Permohonan Izin usaha hotel", c.business, "Tingkat risiko: Tinggi", "Persetujuan Bangunan Gedung (PBG)", "Denah bangunan",
				"Analisis Mengenai Dampak Lingkungan (AMDAL)", "Belum diunggah", "Rp 5.000.000")
			check(biz)
			m := application.FindStringSubmatch(biz.Location())
			if m == nil {
				t.Fatalf("the task list is at %s, not an application's page", biz.Location())
			}
			id := m[1]
			app := portal + "/applications/" + id
			for _, req := range []string{"pbg", "denah_bangunan", "amdal"} {
				biz.ClickAndWait(`#doc-` + req + ` a[href$="/documents/` + req + `"]`)
				biz.See("Unggah dokumen", "Harus PDF")
				check(biz)
				biz.Upload("#file", docs[req])
				biz.Submit(`main form[enctype="multipart/form-data"]`) // htmx sends it and is told to go back to the task list
				if biz.Location() != app {
					t.Fatalf("after uploading %s the page is %s, want the task list %s", req, biz.Location(), app)
				}
				if got := biz.Text("#doc-" + req); !strings.Contains(got, req+".pdf") || !strings.Contains(got, "Selesai") {
					t.Errorf("the task list says of %s: %q", req, got)
				}
			}
			biz.See("Siap diperiksa")
			biz.ClickAndWait(`main a[href$="/check"]`)
			biz.See("Periksa jawaban Anda sebelum mengirim permohonan", c.business, "Izin usaha hotel", "Tingkat risiko: Tinggi", "pbg.pdf", "denah_bangunan.pdf", "amdal.pdf", "Kirim permohonan")
			check(biz)
			biz.Submit(`main form[action$="/submit"]`)
			biz.See("Diajukan", "Giliran petugas perizinan", "Batas waktu layanan: 15 hari kerja", "permohonan dikirim")
			check(biz)

			// 4. The officer finds it in the queue and asks for the AMDAL again.
			officer.Go(portal + "/login")
			officer.Fill("#email", "petugas.izin@demo.gerbang.id")
			officer.Fill("#password", "demo12345")
			officer.Submit(`main form[action="/login"]`)
			officer.See("Keluar")
			officer.Go(portal + "/review")
			officer.See("Permohonan yang menunggu keputusan", "Izin usaha hotel", "KBLI 55110", "Diajukan")
			check(officer)
			officer.ClickAndWait(`main a[href="/review/` + id + `"]`)
			officer.See(c.business, c.where, "Daftar periksa persyaratan", "amdal.pdf", "Mulai pemeriksaan")
			check(officer)
			officer.Submit(`main form[action$="/start"]`)
			officer.See("Sedang diperiksa", "Setujui", "Minta perbaikan")
			check(officer)
			comment := "Lampiran AMDAL untuk 120 kamar belum ada (" + c.business + ")."
			officer.Fill("#note-amdal", comment)
			officer.Submit(`main form[action$="/revision"]`)
			officer.See("Perlu perbaikan", comment)
			check(officer)

			// 5. The business reads the comment, replaces the AMDAL, sends the revision.
			biz.Go(app)
			biz.See("Perlu perbaikan", "Giliran Anda", "Batas waktu dijeda selama perbaikan", "Petugas meminta perbaikan", "Catatan petugas", comment, "Ganti dokumen ini", "perbaikan diminta")
			check(biz)
			if got := biz.Text("#doc-amdal"); !strings.Contains(got, comment) {
				t.Errorf("the comment is not beside the AMDAL: %q", got)
			}
			biz.ClickAndWait(`#doc-amdal a[href$="/documents/amdal"]`)
			biz.See("Catatan petugas", comment, "Dokumen yang sudah diunggah", "amdal.pdf")
			check(biz)
			biz.Upload("#file", amdal2)
			biz.Submit(`main form[enctype="multipart/form-data"]`)
			biz.See("amdal-v2.pdf")
			biz.Submit(`main form[action$="/resubmit"]`)
			biz.See("Giliran petugas perizinan")
			biz.SeeNot("Ganti dokumen ini")
			check(biz)

			// 6. The officer sees the new AMDAL and approves.
			officer.Go(portal + "/review/" + id)
			officer.See("amdal-v2.pdf", "Setujui")
			officer.Submit(`main form[action$="/approve"]`)
			officer.See("Menunggu pembayaran")
			check(officer)

			// 7. The fee, paid in the sandbox; the page moves on to the license.
			biz.Go(app)
			biz.See("Menunggu pembayaran", "Bayar biaya izin")
			biz.ClickAndWait(`main a[href$="/fee"]`)
			biz.SeeWithin(time.Minute, "Kode billing") // the invoice is made behind the page, which shows it when it is there
			biz.See("Bayar biaya izin", "Rp 5.000.000", "Bayar sebelum", "Cara membayar", "Menunggu pembayaran", "Bayar sekarang Rp 5.000.000 (sandbox)")
			check(biz)
			biz.Submit(`main form[action$="/fee/pay"]`)
			biz.SeeWithin(time.Minute, "Izin Anda terbit dengan nomor LIC-")
			if biz.Location() != app {
				t.Errorf("the paid fee page moved on to %s, want the application %s", biz.Location(), app)
			}
			biz.See("Izin terbit")
			check(biz)
			licenseNumber := number.FindString(biz.Text(`main`))
			if licenseNumber == "" {
				t.Fatalf("no license number on the page:\n%s", biz.Text("main"))
			}

			biz.ClickAndWait(`main a[href$="/license"]`)
			biz.See("Izin usaha hotel", licenseNumber, c.business, "Aktif", "Izin ini sah dan berlaku.", "Unduh sertifikat (PDF)")
			check(biz)
			got := webtest.Await[struct {
				Status int    `json:"status"`
				Type   string `json:"type"`
				Head   string `json:"head"`
			}](biz, `fetch(document.querySelector('main a[href$="/certificate.pdf"]').href).then(async r => ({
			  status: r.status, type: r.headers.get("Content-Type") || "",
			  head: String.fromCharCode(...new Uint8Array(await r.arrayBuffer()).slice(0, 5))}))`)
			if got.Status != 200 || got.Type != "application/pdf" || got.Head != "%PDF-" {
				t.Errorf("the certificate: %d %q, starting %q; want 200 application/pdf starting %%PDF-", got.Status, got.Type, got.Head)
			}

			biz.ClickAndWait(`main a[href="/verify/` + licenseNumber + `"]`)
			biz.See("Verifikasi izin "+licenseNumber, "Izin asli, terdaftar di Gerbang", "Aktif", "Izin ini sah dan berlaku.", c.business, nibShown, "Izin usaha hotel", "55110")
			check(biz)

			// Going back to the fee page says what happened instead of paying again.
			biz.Go(app + "/fee")
			biz.See("Izin Anda terbit dengan nomor " + licenseNumber)
			biz.SeeNot("Bayar sekarang")

			// Behind the pages: licensing holds the license as the page shows
			// it, and payment the fee as paid by the business registered.
			verified := decode(t, mustStatus(t, "public verification", http.StatusOK)(p.get("licensing", "/v1/public/licenses/"+licenseNumber, "")))
			if verified["genuine"] != true || verified["status"] != "active" || verified["holder_name"] != c.business || verified["nib"] != nibShown {
				t.Errorf("licensing verifies %s as %v", licenseNumber, verified)
			}
			var invoices []map[string]any
			for _, it := range decode(t, mustStatus(t, "invoices", http.StatusOK)(p.get("payment", "/v1/invoices?limit=100", finance)))["items"].([]any) {
				if inv := it.(map[string]any); inv["reference"] == id {
					invoices = append(invoices, inv)
				}
			}
			if len(invoices) != 1 || (invoices[0]["state"] != "paid" && invoices[0]["state"] != "reconciled") || invoices[0]["payer"] != business[1] ||
				invoices[0]["amount"].(map[string]any)["amount"] != float64(5_000_000) {
				t.Errorf("payment holds for the application %s: %v; want one invoice of Rp 5.000.000 paid by %s", id, invoices, business[1])
			}
		})
	}
}
