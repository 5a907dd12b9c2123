package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gerbang/services/portal/webtest"
)

// The business's license and the officer's review, in the portal's pages,
// over HTTP against the four services: what each person sees is asserted
// (texts and states), and every form refuses bad input with its error
// summary and field messages, keeping what was typed and changing nothing.
// At each step the same person, signed in in headless chromium on a phone
// and on a desktop, sees the page too, checked by axe-core (WCAG 2.2 A and
// AA, no serious or critical violation) and for sideways scrolling.

// screens are one person's browser tabs, a phone's and a desktop's.
type screens []*webtest.Tab

func signIn(t *testing.T, b *webtest.Browser, base, email string) screens {
	t.Helper()
	var out screens
	for _, v := range webtest.Viewports {
		tab := b.Tab(t, v)
		tab.Go(base + "/login")
		tab.Fill("#email", email)
		tab.Fill("#password", "demo12345")
		tab.Submit(`main form[action="/login"]`)
		tab.See("Keluar")
		out = append(out, tab)
	}
	return out
}

// look opens path on every screen, reads texts there and checks the page.
func (s screens) look(t *testing.T, base, path string, texts ...string) {
	t.Helper()
	for _, tab := range s {
		tab.Go(base + path)
		tab.See(texts...)
		tab.Accessible()
		if w := webtest.Eval[int](tab, `document.documentElement.scrollWidth`); int64(w) > tab.Viewport.Width {
			wide := webtest.Eval[string](tab, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > innerWidth + 1).map(e => e.tagName + "." + e.className).slice(-4).join(" ")`)
			t.Errorf("%s %s: the page is %d CSS pixels wide on a %d pixel screen (%s)", tab.Viewport.Name, path, w, tab.Viewport.Width, wide)
		}
	}
}

// person is one browser: its own cookies, following redirects as a
// browser does.
type person struct {
	t    testing.TB
	base string
	http *http.Client
}

func newPerson(t testing.TB, p *platform, email string) *person {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &person{t: t, base: p.url("portal"), http: &http.Client{Jar: jar, Timeout: 2 * time.Minute}}
	code, body := b.submit("/login", "/login", url.Values{"email": {email}, "password": {"demo12345"}})
	if code != http.StatusOK || !strings.Contains(body, "Keluar") {
		t.Fatalf("log in %s: %d\n%s", email, code, body)
	}
	return b
}

// page is what a page says, as text: tags dropped, entities read.
type page struct {
	code int
	html string
	text string
	hdr  http.Header
}

var tags = regexp.MustCompile(`(?s)<[^>]*>`)
var spaces = regexp.MustCompile(`\s+`)

func (b *person) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	text := spaces.ReplaceAllString(html.UnescapeString(tags.ReplaceAllString(string(raw), " ")), " ")
	return page{code: resp.StatusCode, html: string(raw), text: text, hdr: resp.Header}
}

func (b *person) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the CSRF token of the page at from.
func (b *person) csrf(from string) string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.get(from).html)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", from)
	}
	return m[1]
}

// submit posts form to action as the form on the page at from would.
func (b *person) submit(from, action string, form url.Values) (int, string) {
	b.t.Helper()
	pg := b.post(from, action, form)
	return pg.code, pg.text
}

func (b *person) post(from, action string, form url.Values) page {
	b.t.Helper()
	form.Set("csrf_token", b.csrf(from))
	req, _ := http.NewRequest(http.MethodPost, b.base+action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// upload sends a file through the document page's form; htmx says whether
// it goes as htmx sends it.
func (b *person) upload(from, action, filename string, content []byte, htmx bool) page {
	b.t.Helper()
	var files []formFile
	if filename != "" {
		files = []formFile{{"file", filename, content}}
	}
	return b.postFiles(from, action, url.Values{}, files, htmx)
}

// formFile is a file chosen in a form's file field.
type formFile struct {
	field, name string
	content     []byte
}

// postFiles posts a multipart form, its fields and files, as the form on
// the page at from would.
func (b *person) postFiles(from, action string, form url.Values, files []formFile, htmx bool) page {
	b.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf_token", b.csrf(from))
	for k, vs := range form {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for _, f := range files {
		part, _ := w.CreateFormFile(f.field, f.name)
		part.Write(f.content)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+action, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	return b.do(req)
}

// sees fails unless the page shows every text.
func (pg page) sees(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(pg.text, s) {
			t.Fatalf("%s: the page does not show %q (status %d):\n%s", what, s, pg.code, pg.text)
		}
	}
}

func (pg page) seesNot(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(pg.text, s) {
			t.Fatalf("%s: the page shows %q:\n%s", what, s, pg.text)
		}
	}
}

// refused fails unless the page answered status with the error summary
// and every message.
func (pg page) refused(t *testing.T, what string, status int, messages ...string) {
	t.Helper()
	if pg.code != status {
		t.Fatalf("%s: status %d, want %d:\n%s", what, pg.code, status, pg.text)
	}
	if !strings.Contains(pg.html, `class="error-summary"`) {
		t.Fatalf("%s: no error summary:\n%s", what, pg.text)
	}
	pg.sees(t, what, append([]string{"Ada yang perlu diperbaiki"}, messages...)...)
}

func pdf(name string) []byte { return []byte(fmt.Sprintf("%%PDF-1.7\n%% %s\n%%%%EOF\n", name)) }

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

var applicationLink = regexp.MustCompile(`/applications/([0-9a-f-]{36})`)

func TestPortalTakesABusinessFromApplicationToLicenseAndTheOfficerThroughReview(t *testing.T) {
	// A loaded machine under -race forwards an 11 MiB upload slowly.
	p := startPlatform(t, map[string]string{"PROXY_TIMEOUT": "2m"})
	owner := p.login("usaha@demo.gerbang.id")
	mustStatus(t, "register the business", http.StatusCreated)(p.do("POST", "licensing", "/v1/businesses", owner, map[string]any{
		"name": "Hotel Melati Indah", "npwp": "01.234.567.8-901.000", "address": "Jl. Malioboro 5, Yogyakarta", "scale": "medium", "kbli": []string{"55110"},
	}))
	biz := newPerson(t, p, "usaha@demo.gerbang.id")
	officer := newPerson(t, p, "petugas.izin@demo.gerbang.id")
	br := webtest.Start(t)
	base := p.url("portal")
	bizScreens := signIn(t, br, base, "usaha@demo.gerbang.id")
	officerScreens := signIn(t, br, base, "petugas.izin@demo.gerbang.id")
	bizScreens.look(t, base, "/applications/new", "Kode KBLI kegiatan usaha")

	// Which business, which activity: bad input is refused on the form.
	biz.get("/applications/new").sees(t, "new application", "Hotel Melati Indah", "Kode KBLI kegiatan usaha")
	bad := biz.post("/applications/new", "/applications", url.Values{"business_id": {"01930000-0000-7000-8000-00000000b001"}, "kbli": {"5511"}, "size": {"banyak"}})
	bad.refused(t, "bad activity", http.StatusBadRequest, "Masukkan kode KBLI lima angka", "Ukuran harus berupa bilangan bulat")
	if !strings.Contains(bad.html, `value="5511"`) || !strings.Contains(bad.html, `value="banyak"`) {
		t.Fatalf("bad activity: what was typed is not kept:\n%s", bad.html)
	}
	biz.get("/applications").sees(t, "nothing created", "Anda belum memiliki permohonan izin.")
	biz.post("/applications/new", "/applications", url.Values{"business_id": {"01930000-0000-7000-8000-00000000b001"}, "kbli": {"62010"}}).
		refused(t, "an activity not the business's", http.StatusBadRequest, "bukan kegiatan usaha yang dipilih")

	// The draft and its task list.
	tasks := biz.post("/applications/new", "/applications", url.Values{"business_id": {"01930000-0000-7000-8000-00000000b001"}, "kbli": {"55110"}, "size": {"120"}, "key": {"0193a6f0-0000-7000-8000-0000000000aa"}})
	tasks.sees(t, "task list", "Permohonan Izin usaha hotel", "Hotel Melati Indah", "Tingkat risiko: Tinggi", "Persetujuan Bangunan Gedung (PBG)", "Denah bangunan", "Belum diunggah", "Rp 5.000.000")
	m := applicationLink.FindStringSubmatch(tasks.html)
	if m == nil {
		t.Fatalf("task list links to no application:\n%s", tasks.html)
	}
	id := m[1]
	app := "/applications/" + id
	biz.get("/applications").sees(t, "the draft is kept", "Draf permohonan, KBLI 55110", "Giliran Anda")
	bizScreens.look(t, base, app, "Dokumen persyaratan", "Belum diunggah")
	bizScreens.look(t, base, app+"/documents/pbg", "Persetujuan Bangunan Gedung (PBG)", "Unggah dokumen")

	// Submitting before the documents are there is refused, naming each.
	biz.post(app+"/check", app+"/submit", url.Values{"version": {"1"}}).
		refused(t, "submit without documents", http.StatusUnprocessableEntity, "Unggah Persetujuan Bangunan Gedung (PBG) sebelum mengirim", "Unggah Denah bangunan sebelum mengirim")

	// Uploads: no file, a file of the wrong type, one too large; then the right ones.
	pbgPage := app + "/documents/pbg"
	biz.upload(pbgPage, pbgPage, "", nil, false).refused(t, "no file", http.StatusBadRequest, "Pilih berkas yang akan diunggah")
	biz.upload(pbgPage, pbgPage, "pbg.pdf", []byte("PK\x03\x04 this is a zip, named .pdf"), false).
		refused(t, "wrong type", http.StatusUnsupportedMediaType, "Isi berkas bukan jenis yang diterima: dokumen ini harus PDF")
	biz.upload(pbgPage, pbgPage, "pbg.pdf", append(pdf("big"), make([]byte, 11<<20)...), false).
		refused(t, "too large", http.StatusRequestEntityTooLarge, "dokumen ini paling besar 10 MB")
	biz.get(app).sees(t, "nothing uploaded by the refused ones", "Belum diunggah")

	docs := map[string][]byte{"pbg": pdf("PBG Hotel Melati"), "denah_bangunan": pdf("Denah"), "amdal": pdf("AMDAL v1")}
	for _, req := range []string{"pbg", "denah_bangunan", "amdal"} {
		htmx := req == "denah_bangunan"
		got := biz.upload(app+"/documents/"+req, app+"/documents/"+req, req+".pdf", docs[req], htmx)
		if htmx && (got.code != http.StatusNoContent || got.hdr.Get("HX-Redirect") != app) {
			t.Fatalf("htmx upload: %d, HX-Redirect %q", got.code, got.hdr.Get("HX-Redirect"))
		}
		if !htmx {
			got.sees(t, "after upload", req+".pdf")
		}
		biz.get(app+"/documents/"+req).sees(t, "uploaded "+req, req+".pdf", sha(docs[req]), fmt.Sprintf("%d bita", len(docs[req])))
	}
	check := biz.get(app + "/check")
	check.sees(t, "check answers", "Periksa jawaban Anda", "Hotel Melati Indah", sha(docs["amdal"]), "Kirim permohonan")
	bizScreens.look(t, base, app+"/check", "Periksa jawaban Anda")
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(check.html)[1]
	status := biz.post(app+"/check", app+"/submit", url.Values{"version": {version}})
	status.sees(t, "submitted", "Diajukan", "Giliran petugas perizinan", "paling lambat", "Batas waktu layanan: 15 hari kerja", "permohonan dikirim")
	biz.post(app+"/check", app+"/submit", url.Values{"version": {version}}).sees(t, "submitted twice (back button)", "Diajukan")

	// The officer's queue: filters, bad ones refused.
	queue := officer.get("/review")
	queue.sees(t, "queue", "Permohonan yang menunggu keputusan", "Jatuh tempo hari ini", "Izin usaha hotel")
	fq := officer.get("/review?kbli=55x&due=0")
	fq.refused(t, "bad filter", http.StatusBadRequest, "Masukkan kode KBLI lima angka", "Masukkan jumlah hari kerja dari 1 sampai 60")
	if !strings.Contains(fq.html, `value="55x"`) {
		t.Fatalf("bad filter: input not kept")
	}
	officer.get("/review?kbli=55110&due=20").sees(t, "filter by KBLI", "Izin usaha hotel")
	officer.get("/review?state=submitted&kbli=55110").sees(t, "filter by state and KBLI", "Izin usaha hotel")
	// Licensing filters; the count beside any filter is the whole queue's.
	dueToday := regexp.MustCompile(`Jatuh tempo hari ini: \d+`).FindString(queue.html)
	if dueToday == "" {
		t.Fatalf("queue: no count of what is due today")
	}
	// The officer's dashboard: the same counts, the soonest due linked.
	n := strings.TrimPrefix(dueToday, "Jatuh tempo hari ini: ")
	dash := officer.get("/")
	dash.sees(t, "officer's dashboard", "Antrean pemeriksaan", n+" jatuh tempo hari ini", "Buka antrean", "Izin usaha hotel")
	if !strings.Contains(dash.html, `href="/review/`+id+`"`) {
		t.Fatalf("the dashboard does not link the application waiting for review:\n%s", dash.html)
	}
	officer.get("/review?kbli=49431").sees(t, "filter by another KBLI", "Tidak ada permohonan yang cocok.", dueToday)
	officer.get("/review?state=in_review").sees(t, "filter by state", "Tidak ada permohonan yang cocok.", dueToday)
	officer.get("/review?overdue=1").sees(t, "overdue", "Tidak ada permohonan yang cocok.", dueToday)
	officerScreens.look(t, base, "/review", "Jatuh tempo hari ini", "Izin usaha hotel")
	officerScreens.look(t, base, "/review?kbli=55x", "Masukkan kode KBLI lima angka")

	review := "/review/" + id
	officer.get(review).sees(t, "review page", "Hotel Melati Indah", "Jl. Malioboro 5", sha(docs["pbg"]), "Daftar periksa persyaratan", "Mulai pemeriksaan")
	rv := regexp.MustCompile(`name="version" value="(\d+)"`)
	ver := func() string { return rv.FindStringSubmatch(officer.get(review).html)[1] }
	officer.post(review, review+"/start", url.Values{"version": {ver()}}).sees(t, "started", "Sedang diperiksa", "Setujui", "Tolak permohonan")
	officerScreens.look(t, base, review, "Sedang diperiksa", "Minta perbaikan")
	if pg := officer.get(review + "/documents/" + regexp.MustCompile(`/review/[0-9a-f-]+/documents/([0-9a-f-]+)/file`).FindStringSubmatch(officer.get(review).html)[1] + "/file"); pg.code != http.StatusOK || pg.hdr.Get("Content-Type") != "application/pdf" || pg.hdr.Get("Content-Disposition") != "inline" {
		t.Fatalf("document inline: %d %v", pg.code, pg.hdr)
	}
	officer.post(review, review+"/reject", url.Values{"version": {ver()}, "reason": {"  "}}).refused(t, "reject without reason", http.StatusBadRequest, "Tuliskan alasannya")
	officer.post(review, review+"/revision", url.Values{"version": {ver()}}).refused(t, "revision without comment", http.StatusBadRequest, "Tuliskan catatan untuk setidaknya satu dokumen")
	officer.get(review).sees(t, "refusals changed nothing", "Sedang diperiksa")
	officer.post(review, review+"/revision", url.Values{"version": {ver()}, "note-amdal": {strings.Repeat("a", 2001)}}).
		refused(t, "revision comment too long", http.StatusBadRequest, "Catatan paling panjang 2000 karakter")
	officer.post(review, review+"/revision", url.Values{"version": {ver()}, "note-amdal": {"Lampiran AMDAL untuk 120 kamar belum ada."}, "note-denah_bangunan": {"Denah lantai 3 tidak terbaca."}}).
		sees(t, "revision requested", "Perlu perbaikan", "Lampiran AMDAL untuk 120 kamar belum ada.", "Denah lantai 3 tidak terbaca.")
	officerScreens.look(t, base, review, "Perlu perbaikan", "Daftar periksa persyaratan")

	// The business answers the revision: each comment beside its document.
	st := biz.get(app)
	st.sees(t, "revision on the status page", "Perlu perbaikan", "Giliran Anda", "Batas waktu dijeda selama perbaikan", "Catatan petugas", "Lampiran AMDAL untuk 120 kamar belum ada.", "Ganti dokumen ini", "perbaikan diminta")
	for doc, comment := range map[string]string{"amdal": "Lampiran AMDAL untuk 120 kamar belum ada.", "denah_bangunan": "Denah lantai 3 tidak terbaca."} {
		item := regexp.MustCompile(`(?s)<li id="doc-` + doc + `">.*?</li>`).FindString(st.html)
		if !strings.Contains(item, comment) || !strings.Contains(item, "Catatan petugas") {
			t.Fatalf("the comment on %s is not beside it:\n%s", doc, item)
		}
	}
	if item := regexp.MustCompile(`(?s)<li id="doc-pbg">.*?</li>`).FindString(st.html); strings.Contains(item, "Catatan petugas") {
		t.Fatalf("a document not named in the revision shows a comment:\n%s", item)
	}
	bizScreens.look(t, base, app, "Batas waktu dijeda selama perbaikan", "Catatan petugas")
	amdal2 := pdf("AMDAL v2 dengan lampiran")
	biz.upload(app+"/documents/amdal", app+"/documents/amdal", "amdal-v2.pdf", amdal2, false).sees(t, "replaced", "amdal-v2.pdf")
	biz.get(app).sees(t, "new version shown", sha(amdal2))
	v2 := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(biz.get(app).html)[1]
	long := biz.post(app, app+"/resubmit", url.Values{"version": {v2}, "note": {strings.Repeat("b", 2001)}})
	long.refused(t, "resubmit note too long", http.StatusBadRequest, "Catatan paling panjang 2000 karakter")
	if !strings.Contains(long.html, strings.Repeat("b", 2001)) {
		t.Fatal("the refused note is not kept on the form")
	}
	biz.get(app).sees(t, "a refused resubmission changes nothing", "Perlu perbaikan")
	biz.post(app, app+"/resubmit", url.Values{"version": {v2}, "note": {"Lampiran AMDAL ditambahkan; denah dipindai ulang."}}).
		sees(t, "resubmitted", "Giliran petugas perizinan", "paling lambat")

	// The history: every step, by whom and when, with what each wrote.
	hist := regexp.MustCompile(`(?s)<h2>Riwayat</h2>.*?</ol>`).FindString(biz.get(app).html)
	var said []string
	for _, li := range regexp.MustCompile(`(?s)<li>.*?</li>`).FindAllString(hist, -1) {
		said = append(said, strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(li, " ")), " "))
	}
	for i, want := range []string{
		"Pemohon: draf permohonan dibuat", "Pemohon: dokumen pbg.pdf diunggah", "Pemohon: dokumen denah_bangunan.pdf diunggah", "Pemohon: dokumen amdal.pdf diunggah",
		"Pemohon: permohonan dikirim", "Petugas perizinan: pemeriksaan dimulai",
		"Petugas perizinan: perbaikan diminta Denah bangunan: Denah lantai 3 tidak terbaca. Analisis Mengenai Dampak Lingkungan (AMDAL): Lampiran AMDAL untuk 120 kamar belum ada.",
		"Pemohon: dokumen amdal-v2.pdf diunggah", "Pemohon: perbaikan dikirim Lampiran AMDAL ditambahkan; denah dipindai ulang.",
	} {
		if i >= len(said) || !strings.HasSuffix(said[i], want) || !strings.Contains(said[i], "WIB") {
			t.Fatalf("history step %d: want …%q, the history says:\n%s", i, want, strings.Join(said, "\n"))
		}
	}

	// The officer approves; the business pays in the sandbox.
	officer.get(review).sees(t, "revision answered", sha(amdal2))
	officer.post(review, review+"/approve", url.Values{"version": {ver()}}).sees(t, "approved", "Menunggu pembayaran")
	biz.get(app).sees(t, "approved, on the status page", "Menunggu pembayaran", "Bayar biaya izin")
	var fee page
	p.eventually("the invoice on the fee page", func() bool {
		fee = biz.get(app + "/fee")
		return strings.Contains(fee.text, "Kode billing")
	})
	fee.sees(t, "fee page", "Rp 5.000.000", "Bayar sebelum", "Cara membayar", "Bayar sekarang Rp 5.000.000 (sandbox)")
	bizScreens.look(t, base, app+"/fee", "Kode billing", "Rp 5.000.000")
	if poll := biz.get(app + "/fee/status?state=pending"); poll.code != http.StatusNoContent || poll.hdr.Get("HX-Redirect") != "" {
		t.Fatalf("fee poll while pending: %d %q", poll.code, poll.hdr.Get("HX-Redirect"))
	}
	biz.post(app+"/fee", app+"/fee/pay", url.Values{})
	p.eventually("the license issued", func() bool { return strings.Contains(biz.get(app).text, "Izin Anda terbit dengan nomor") })
	issued := biz.get(app)
	issued.sees(t, "issued", "Izin Anda terbit dengan nomor LIC-", "izin LIC-")
	bizScreens.look(t, base, app, "Izin Anda terbit dengan nomor LIC-")
	if poll := biz.get(app + "/fee/status?state=pending"); poll.hdr.Get("HX-Redirect") != app {
		t.Fatalf("fee poll after the license: HX-Redirect %q, want %s", poll.hdr.Get("HX-Redirect"), app)
	}
	biz.get(app+"/fee").sees(t, "the fee page moves on", "Izin Anda terbit")

	// The officer suspends the license, with a reason.
	officer.get(review).sees(t, "license on the review page", "Bekukan izin", "Aktif")
	officerScreens.look(t, base, review, "Bekukan izin", "Cabut izin")
	officer.post(review, review+"/license/suspend", url.Values{"license_reason": {""}}).refused(t, "suspend without reason", http.StatusBadRequest, "Tuliskan alasannya")
	officer.post(review, review+"/license/suspend", url.Values{"license_reason": {"Temuan inspeksi 12/2026."}}).sees(t, "suspended", "Dibekukan", "Temuan inspeksi 12/2026.", "Pulihkan izin")
}
