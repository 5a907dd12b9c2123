package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gerbang/services/portal/webtest"
)

// The procurement committee (Pokja) at work on announced tenders in the
// portal's pages, against the real services: a vendor's questions wait on
// the tender's page, unanswered first, each with when it was asked; an
// empty answer is refused with the error summary and changes nothing; the
// answer is published. An addendum (refused without a description, what
// was typed kept) moves a deadline that was too close and the page says
// so, and how many bids must be confirmed again. The opening is refused
// before the deadline, saying the deadline and the server's time; after
// it, the committee opens the bids and reads the opening record with each
// bidder by name and price in rupiah, the bid whose security was not paid
// disqualified with the reason in Indonesian, and a link to the public page. The pages are
// seen in headless chromium on a phone and a desktop, checked by axe-core.

var versionField = regexp.MustCompile(`name="version" value="(\d+)"`)

// business is a demo business that bids: its owner's login and what
// licensing registers of it.
type business struct {
	email, id, name, npwp string
}

var (
	cvMajuJaya       = business{"usaha@demo.gerbang.id", "01930000-0000-7000-8000-00000000b001", "CV Maju Jaya", "02.345.678.9-012.000"}
	ptKaryaNusantara = business{"vendor2@demo.gerbang.id", "01930000-0000-7000-8000-00000000b002", "PT Karya Nusantara", "03.456.789.0-123.000"}
)

// licensedVendor gives b an issued low-risk license for kbli through
// licensing, and returns its owner's token.
func licensedVendor(t *testing.T, p *platform, b business, kbli string) string {
	t.Helper()
	vendor := p.login(b.email)
	mustStatus(t, "register "+b.name, http.StatusCreated)(p.do("POST", "licensing", "/v1/businesses", vendor, map[string]any{
		"name": b.name, "npwp": b.npwp, "address": "Jl. Asia Afrika 8, Bandung", "scale": "small", "kbli": []string{kbli},
	}))
	need := decode(t, mustStatus(t, "what do I need", http.StatusOK)(p.get("licensing", "/v1/catalog/requirements?kbli="+kbli+"&scale=small", "")))
	app := decode(t, mustStatus(t, "apply", http.StatusCreated)(p.do("POST", "licensing", "/v1/applications", vendor,
		map[string]any{"business_id": b.id, "kbli": kbli}, "Idempotency-Key", "e2e-pokja-"+b.id)))
	id := app["id"].(string)
	if lt, ok := need["license_type"].(map[string]any); ok {
		if reqs, _ := lt["requirements"].([]any); len(reqs) > 0 {
			for _, code := range requirementCodes(t, lt) {
				mustStatus(t, "upload "+code, http.StatusCreated)(p.upload(vendor, id, code))
			}
		}
	}
	mustStatus(t, "submit", http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+id+"/submit", vendor, nil))
	p.eventually("the low-risk license of "+b.name+" is issued at submission", func() bool {
		_, body := p.get("licensing", "/v1/applications/"+id, vendor)
		return decode(t, body)["state"] == "issued"
	})
	return vendor
}

func TestPokjaAnswersQuestionsPublishesAnAddendumAndOpensTheBids(t *testing.T) {
	p := startPlatform(t, map[string]string{"TENDER_SCHEDULER_INTERVAL": "200ms"})
	base := p.url("portal")
	vendor := licensedVendor(t, p, cvMajuJaya, "62010")
	vendor2 := licensedVendor(t, p, ptKaryaNusantara, "62010")
	api := p.login("pokja@demo.gerbang.id")
	pokja := newPerson(t, p, "pokja@demo.gerbang.id")

	// Two tenders, announced by the committee through the API: one whose
	// deadline is a day away (questions, the addendum, an opening too
	// early), one whose deadline passes in the test (the opening).
	now := time.Now().UTC()
	announce := func(title string, deadline time.Time, security int64) string {
		t.Helper()
		terms := map[string]any{
			"buyer_agency": "Dinas Komunikasi dan Informatika Kota Bandung", "title": title,
			"description": "Aplikasi web perizinan untuk 30 kecamatan.", "category": "consulting",
			"hps": map[string]any{"amount": 500000000, "currency": "IDR"}, "hps_public": true, "kbli": "62010",
			"procurement_method": "tender", "evaluation": map[string]any{"method": "lowest_price"},
			"bid_period_start": time.Now().Add(2 * time.Second).Format(time.RFC3339), "bid_deadline": deadline.Format(time.RFC3339),
			"committee": []string{"01930000-0000-7000-8000-00000000a004"},
		}
		if security > 0 {
			terms["bid_security"] = map[string]any{"amount": security, "currency": "IDR"}
		}
		tn := decode(t, mustStatus(t, "create "+title, http.StatusCreated)(p.do("POST", "tender", "/v1/tenders", api, terms)))
		id := tn["id"].(string)
		mustStatus(t, "publish "+title, http.StatusOK)(p.do("POST", "tender", "/v1/tenders/"+id+"/publish", api, nil))
		p.eventually("the bid period of "+title+" opens by the clock", func() bool {
			_, body := p.get("tender", "/v1/public/tenders/"+id, "")
			return decode(t, body)["state"] == "tendering"
		})
		return id
	}
	bid := func(vendor, tid, key string, price int64) {
		t.Helper()
		body := map[string]any{"price": map[string]any{"amount": price, "currency": "IDR"}, "technical_offer": "Tim 6 orang, 5 bulan."}
		p.eventually("tender knows the vendor's license from licensing's events", func() bool {
			code, _ := p.do("POST", "tender", "/v1/tenders/"+tid+"/bids", vendor, body, "Idempotency-Key", key)
			return code == http.StatusCreated
		})
	}
	dayAway := now.Add(24 * time.Hour).Truncate(time.Minute)
	closing := now.Add(45 * time.Second)
	qa := announce("Pengembangan aplikasi layanan perizinan", dayAway, 0)
	soon := announce("Pemeliharaan jaringan kantor kecamatan", closing, 100000)
	bid(vendor, qa, "e2e-pokja-bid-1", 437500000)
	bid(vendor, soon, "e2e-pokja-bid-2", 1500000)
	bid(vendor2, soon, "e2e-pokja-bid-3", 1750000)
	// CV Maju Jaya pays its bid security for the second tender; PT Karya Nusantara does not.
	var billingCode string
	p.eventually("payment invoices the bid security", func() bool {
		_, body := p.get("payment", "/v1/invoices", vendor)
		for _, it := range decode(t, body)["items"].([]any) {
			if inv := it.(map[string]any); inv["purpose"] == "bid_security" && inv["state"] == "pending" {
				billingCode = inv["billing_code"].(string)
				return true
			}
		}
		return false
	})
	mustStatus(t, "pay the bid security", http.StatusOK)(p.do("POST", "payment", "/v1/sandbox/pay", vendor, map[string]any{"billing_code": billingCode}))
	page := "/committee/tenders/" + qa

	// The vendor asks; the questions wait on the page, unanswered first.
	var asked []string
	for _, q := range []string{"Apakah merek setara boleh?", "Apakah rapat penjelasan daring?"} {
		c := decode(t, mustStatus(t, "ask", http.StatusCreated)(p.do("POST", "tender", "/v1/tenders/"+qa+"/clarifications", vendor, map[string]string{"question": q})))
		asked = append(asked, c["id"].(string))
	}
	pg := pokja.get(page)
	pg.sees(t, "the questions", "Pertanyaan penjelasan", "Menunggu jawaban", "Apakah merek setara boleh?", "Apakah rapat penjelasan daring?",
		"Ditanyakan "+wibDay(now), "Jawaban Anda (dipublikasikan tanpa nama penanya)", "Kirim jawaban", "Paling banyak 8000 karakter",
		"2 pertanyaan penjelasan belum dijawab — paling lambat "+wibTime(dayAway)+" WIB")
	answer := func(qid string) string { return page + "/questions/" + qid + "/answer" }

	// An empty answer: refused, the summary linking to its field, nothing published.
	pokja.post(page, answer(asked[0]), url.Values{"answer": {"   "}}).
		refused(t, "an empty answer", http.StatusBadRequest, "Tuliskan jawaban (paling banyak 8000 karakter)")
	if bad := pokja.post(page, answer(asked[0]), url.Values{"answer": {""}}); !strings.Contains(bad.html, `href="#answer-`+asked[0]+`"`) {
		t.Fatalf("the error summary does not link to the answer's field:\n%s", bad.html)
	}
	if publicAnswers(t, p, qa)[asked[0]] != nil {
		t.Fatal("the refused answer was published")
	}

	// Answered: published, the other question now first.
	const reply = "Ya, merek setara boleh sepanjang memenuhi spesifikasi."
	pokja.post(page, answer(asked[0]), url.Values{"answer": {reply}}).sees(t, "answered", "Sudah dijawab", reply, "Jawaban Pokja")
	if got := publicAnswers(t, p, qa)[asked[0]]; got == nil || *got != reply {
		t.Fatalf("the public answer is %v", got)
	}
	pokja.post(page, answer(asked[0]), url.Values{"answer": {"Jawaban kedua"}}).sees(t, "answered twice (back button)", reply)
	if got := publicAnswers(t, p, qa)[asked[0]]; *got != reply {
		t.Fatalf("answering again changed the answer to %q", *got)
	}
	pokja.get(page).sees(t, "what waits after one answer", "1 pertanyaan penjelasan belum dijawab")
	text := pokja.get(page).text
	if w, a := strings.Index(text, "Apakah rapat penjelasan daring?"), strings.Index(text, "Apakah merek setara boleh?"); w < 0 || a < 0 || w > a {
		t.Fatalf("the unanswered question is not first:\n%s", text)
	}

	// The opening, too early: the button disabled and why; pressed anyway, refused.
	deadlineText := wibTime(dayAway) + " WIB"
	pg = pokja.get(page)
	pg.sees(t, "the opening before the deadline", "Pembukaan penawaran", "Penawaran dapat dibuka setelah batas akhir penawaran "+deadlineText, "Waktu server")
	if !regexp.MustCompile(`<button type="submit" disabled[^>]*>Buka penawaran`).MatchString(pg.html) {
		t.Fatalf("the opening button is not disabled before the deadline:\n%s", pg.html)
	}
	pokja.post(page, page+"/opening", url.Values{}).refused(t, "an opening before the deadline", http.StatusConflict,
		"Penawaran belum dapat dibuka: batas akhir penawaran "+deadlineText+" belum lewat (waktu server sekarang")

	// The addendum: refused without a description, what was typed kept.
	v := versionField.FindStringSubmatch(pokja.get(page).html)[1]
	bad := pokja.post(page, page+"/amendments", url.Values{"version": {v}, "amend_description": {""}, "amend_deadline": {"lusa"}})
	bad.refused(t, "an addendum without a description", http.StatusBadRequest, "Tuliskan uraian pekerjaan setelah adendum", "Tuliskan tanggal dan jam dalam WIB")
	if !strings.Contains(bad.html, `value="lusa"`) || !strings.Contains(bad.html, `href="#amend_description"`) {
		t.Fatalf("the refused addendum does not keep what was typed or link to its field:\n%s", bad.html)
	}
	if tn := decode(t, mustStatus(t, "the tender", http.StatusOK)(p.get("tender", "/v1/tenders/"+qa, api))); tn["amendment"].(float64) != 0 {
		t.Fatalf("the refused addendum amended the tender: %v", tn)
	}
	// Published: the deadline a day away moves out to 72 hours, and the bid waits to be confirmed.
	const changed = "Aplikasi web perizinan untuk 30 kecamatan, ditambah modul pembayaran retribusi."
	done := pokja.post(page, page+"/amendments", url.Values{"version": {v}, "amend_description": {changed}, "amend_deadline": {wibTime(dayAway)}})
	tn := decode(t, mustStatus(t, "the amended tender", http.StatusOK)(p.get("tender", "/v1/tenders/"+qa, api)))
	moved, _ := time.Parse(time.RFC3339, tn["bid_deadline"].(string))
	done.sees(t, "the addendum published", "Adendum ke-1 telah diumumkan.", "Batas akhir penawaran dipindah ke "+wibTime(moved)+" WIB",
		"1 penawaran harus dikonfirmasi ulang", changed, "adendum ke-1")
	if tn["amendment"].(float64) != 1 || !moved.After(dayAway.Add(47*time.Hour)) {
		t.Fatalf("the addendum: %v", tn)
	}
	pokja.get(page).sees(t, "the page read again", "1 penawaran harus dikonfirmasi ulang", "Penawaran dapat dibuka setelah batas akhir penawaran "+wibTime(moved)+" WIB")

	// In the browser: the questions, the addendum and the early opening, on a phone and a desktop.
	br := webtest.Start(t)
	screens := signIn(t, br, base, "pokja@demo.gerbang.id")
	screens.look(t, base, page, "Pertanyaan penjelasan", "Sudah dijawab", "Adendum", "1 penawaran harus dikonfirmasi ulang", "Buka penawaran")
	for _, tab := range screens {
		tab.Go(base + page)
		tab.Submit(`main form[action="` + answer(asked[1]) + `"]`)
		tab.See("Ada yang perlu diperbaiki", "Tuliskan jawaban (paling banyak 8000 karakter)")
		if to := webtest.Eval[string](tab, `(document.getElementById(document.querySelector('.error-summary a').hash.slice(1)) || {}).name || ""`); to != "answer" {
			t.Errorf("%s: the summary's link leads to %q", tab.Viewport.Name, to)
		}
		tab.Accessible()
		tab.FitsTheScreen()
	}

	// The other tender's deadline passes; the committee opens its bids.
	other := "/committee/tenders/" + soon
	time.Sleep(time.Until(closing)) // the services run on the real clock
	p.eventually("the scheduler closes the bidding after the deadline", func() bool {
		_, body := p.get("tender", "/v1/public/tenders/"+soon, "")
		return decode(t, body)["state"] == "opening"
	})
	pg = pokja.get(other)
	pg.sees(t, "ready to open", "Batas akhir telah lewat dan penerimaan penawaran ditutup.", "Buka penawaran")
	if !regexp.MustCompile(`<button type="submit">Buka penawaran`).MatchString(pg.html) {
		t.Fatalf("the opening button is disabled after the deadline:\n%s", pg.html)
	}
	opened := []string{"Dibuka", "2 penawaran, 1 sah", "CV Maju Jaya " + cvMajuJaya.id, "Rp 1.500.000", "Lanjut evaluasi",
		"PT Karya Nusantara " + ptKaryaNusantara.id, "Rp 1.750.000", "Gugur jaminan penawaran belum dibayar saat pembukaan",
		"Berita acara pembukaan di halaman publik tender"}
	pokja.post(other, other+"/opening", url.Values{}).sees(t, "the opening record", opened...)
	pokja.post(other, other+"/opening", url.Values{}).sees(t, "opened twice (back button)", opened...)
	if !strings.Contains(pokja.get(other).html, `href="/tenders/`+soon+`"`) {
		t.Fatal("the opening record does not link to the public page")
	}
	if code, body := p.get("tender", "/v1/public/tenders/"+soon+"/opening", ""); code != http.StatusOK || !strings.Contains(string(body), "1500000") ||
		!strings.Contains(string(body), `"vendor_name":"CV Maju Jaya"`) {
		t.Fatalf("the public opening record: %d %s", code, body)
	}
	screens.look(t, base, other, opened...)

	// In English.
	for _, tab := range screens {
		tab.Go(base + "/language/en?back=" + other)
		tab.See("Opening of the bids", "2 bids, 1 valid", "Rp 1.500.000", "Goes on to evaluation", "the bid security was not paid by the opening")
		tab.Accessible()
		tab.Go(base + "/language/id?back=" + other)
	}
}

// wibDay is the date of t as the pages write it in WIB.
func wibDay(t time.Time) string { return wibTime(t)[:10] }

// publicAnswers are the tender's published answers by question id (nil
// while unanswered).
func publicAnswers(t *testing.T, p *platform, tid string) map[string]*string {
	t.Helper()
	var l struct {
		Items []struct {
			ID     string  `json:"id"`
			Answer *string `json:"answer"`
		} `json:"items"`
	}
	_, body := p.get("tender", "/v1/public/tenders/"+tid+"/clarifications", "")
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatalf("clarifications: %v %s", err, body)
	}
	out := map[string]*string{}
	for _, it := range l.Items {
		out[it.ID] = it.Answer
	}
	return out
}
