package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gerbang/services/portal/webtest"
)

// A vendor takes part in a tender in the portal, against the real
// services: reads the tender and its countdown, asks a question (an empty
// one refused), bids (a bad price and no technical offer refused, nothing
// stored), gets the receipt (its hash the sealed bid's, its JSON checked
// genuine on the public page, a changed one not), replaces and withdraws
// and bids again; another vendor, unlicensed, is told which license it
// lacks; after the deadline a bid from a page left open is refused with the
// server's time. Every page shown to both is checked in a browser (axe,
// phone and desktop).
func TestPortalTakesAVendorThroughABidAndItsReceipt(t *testing.T) {
	p := startPlatform(t, map[string]string{"TENDER_SCHEDULER_INTERVAL": "200ms"})
	vendorToken := p.login("usaha@demo.gerbang.id")
	pokja := p.login("pokja@demo.gerbang.id")
	p.licensed(t, vendorToken, "CV Maju Jaya", "02.345.678.9-012.000", "01930000-0000-7000-8000-00000000b001", "62010", "e2e-vendor-1")

	// A tender for KBLI 62010 with a bid security of Rp 10.000.000, open for
	// bids in two seconds, for a minute.
	now := time.Now().UTC()
	deadline := now.Add(60 * time.Second)
	tid := p.tenderOpenForBids(t, pokja, "Aplikasi layanan perizinan kecamatan", "62010", 10000000, now.Add(2*time.Second), deadline)

	vendor := newPerson(t, p, "usaha@demo.gerbang.id")
	other := newPerson(t, p, "vendor2@demo.gerbang.id")
	br := webtest.Start(t)
	base := p.url("portal")
	vendorScreens := signIn(t, br, base, "usaha@demo.gerbang.id")
	otherScreens := signIn(t, br, base, "vendor2@demo.gerbang.id")
	tender := "/tenders/" + tid

	// Finding it: by words and KBLI, each result saying whether this vendor
	// may bid; a bad KBLI named on the form; a search that finds nothing.
	found := vendor.get("/tenders?q=perizinan+kecamatan&kbli=62010&state=tendering")
	found.sees(t, "search", "Cari tender", "Aplikasi layanan perizinan kecamatan", "Anda dapat mengajukan penawaran")
	if !strings.Contains(found.html, `value="perizinan kecamatan"`) {
		t.Fatalf("the search form does not keep the words:\n%s", found.html)
	}
	other.get("/tenders?kbli=62010").sees(t, "search, unlicensed", "Aplikasi layanan perizinan kecamatan", "Perlu izin aktif KBLI 62010", "Cari izinnya")
	vendor.get("/tenders?kbli=6201").refused(t, "bad KBLI", http.StatusBadRequest, "KBLI terdiri dari lima angka")
	vendor.get("/tenders?q=tidak-ada-kata-ini").sees(t, "nothing found", "Tidak ada tender yang cocok dengan pencarian ini.")
	vendor.get("/tenders?from=2026-13-40").refused(t, "bad date", http.StatusBadRequest, "Tulis tanggal seperti 31-12-2026")
	vendorScreens.look(t, base, "/tenders?kbli=62010", "Cari tender", "Anda dapat mengajukan penawaran")

	// The tender's page: the countdown, no questions yet, the way to bid.
	vendor.get(tender).sees(t, "tender page", "Aplikasi layanan perizinan kecamatan", "Sisa waktu:", "Waktu server", "Tanya jawab", "Belum ada pertanyaan.", "Ajukan penawaran")
	vendorScreens.look(t, base, tender, "Sisa waktu:", "Ajukan penawaran")
	other.get(tender).sees(t, "unlicensed vendor", "usaha Anda belum memiliki izin aktif untuk KBLI 62010", "Cari tahu izin yang diperlukan untuk KBLI 62010")
	otherScreens.look(t, base, tender, "belum memiliki izin aktif untuk KBLI 62010")
	if pg := other.get(tender + "/bid"); !strings.Contains(pg.text, "belum memiliki izin aktif untuk KBLI 62010") || strings.Contains(pg.html, `name="price"`) {
		t.Fatalf("the bid form offers an unlicensed vendor the form:\n%s", pg.text)
	}

	// A question: an empty one is refused, a real one is shown, its asker not.
	vendor.post(tender, tender+"/questions", url.Values{"question": {"  "}}).refused(t, "empty question", http.StatusBadRequest, "Tuliskan pertanyaan Anda")
	vendor.post(tender, tender+"/questions", url.Values{"question": {strings.Repeat("q", 4001)}}).refused(t, "long question", http.StatusBadRequest, "Pertanyaan paling panjang 4000 karakter")
	asked := vendor.post(tender, tender+"/questions", url.Values{"question": {"Apakah kerangka kerja bebas dipilih?"}})
	asked.sees(t, "asked", "Apakah kerangka kerja bebas dipilih?", "Belum dijawab")
	if qa := regexp.MustCompile(`(?s)<section id="questions">.*?</section>`).FindString(asked.html); strings.Contains(qa, "CV Maju Jaya") || strings.Contains(qa, "Siti Rahayu") {
		t.Fatalf("the questions name their asker:\n%s", qa)
	}
	other.get(tender).sees(t, "the question is public", "Apakah kerangka kerja bebas dipilih?")

	// The bid form: bad input refused, what was typed kept, nothing stored.
	form := vendor.get(tender + "/bid")
	form.sees(t, "bid form", "Ajukan penawaran", "Harga penawaran (Rupiah)", "Penawaran teknis", "disegel saat diterima", "Sisa waktu:")
	vendorScreens.look(t, base, tender+"/bid", "Harga penawaran (Rupiah)")
	key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(form.html)[1]
	bad := vendor.postFiles(tender+"/bid", tender+"/bid", url.Values{"key": {key}, "price": {"empat ratus juta"}, "technical_offer": {""}}, nil, false)
	bad.refused(t, "bad bid", http.StatusBadRequest, "Harga harus berupa angka rupiah lebih dari nol", "Tuliskan penawaran teknis",
		"Berkas yang Anda pilih tadi tidak ikut tersimpan")
	if !strings.Contains(bad.html, `value="empat ratus juta"`) {
		t.Fatalf("the refused price is not kept:\n%s", bad.html)
	}
	if _, body := p.get("tender", "/v1/tenders/"+tid+"/bids", vendorToken); len(decode(t, body)["items"].([]any)) != 0 {
		t.Fatalf("a refused bid was stored: %s", body)
	}

	// The bid, with a document: the receipt at once.
	offer := url.Values{"key": {key}, "price": {"Rp 437.500.000"}, "technical_offer": {"Tim 6 orang, 5 bulan, garansi 12 bulan."}}
	docs := []formFile{{"documents", "metodologi.pdf", pdf("Metodologi")}}
	receipt := vendor.postFiles(tender+"/bid", tender+"/bid", offer, docs, false)
	receipt.sees(t, "receipt", "Tanda terima penawaran", "Penawaran Anda diterima dan disegel pada", "WIB", "Tanda tangan (Ed25519)", "Unduh tanda terima (JSON)", "Tarik penawaran")
	bidPath := regexp.MustCompile(`/tenders/[0-9a-f-]+/bids/([0-9a-f-]{36})/receipt\.json`).FindStringSubmatch(receipt.html)
	if bidPath == nil {
		t.Fatalf("the receipt page links to no receipt:\n%s", receipt.html)
	}
	bidPage := tender + "/bids/" + bidPath[1]
	vendorScreens.look(t, base, bidPage, "Tanda terima penawaran", "Tanda tangan (Ed25519)")
	// The same form sent twice is the same bid, not a second or a replacement;
	// the same key with other content is refused.
	if again := vendor.postFiles(tender+"/bid", tender+"/bid", offer, docs, false); !strings.Contains(again.text, "Tanda terima penawaran") || !strings.Contains(again.html, bidPath[1]) {
		t.Fatalf("a second press of the same form:\n%s", again.text)
	}
	vendor.postFiles(tender+"/bid", tender+"/bid", offer, nil, false).refused(t, "the key again, other content", http.StatusUnprocessableEntity, "Formulir ini sudah pernah dikirim dengan isi lain")

	// The bid security: its invoice on the receipt page, paid in the sandbox.
	receipt.sees(t, "security asked", "Jaminan penawaran", "Jaminan Rp 10.000.000", "Belum dibayar")
	p.eventually("the security's invoice on the receipt page", func() bool { return strings.Contains(vendor.get(bidPage).text, "Kode billing") })
	vendor.get(bidPage).sees(t, "security invoice", "Bayar sekarang Rp 10.000.000 (sandbox)")
	vendor.post(bidPage, bidPage+"/security/pay", url.Values{})
	p.eventually("the security held, on the receipt page", func() bool { return strings.Contains(vendor.get(bidPage).text, "Jaminan Anda diterima") })
	vendorScreens.look(t, base, bidPage, "Jaminan Anda diterima")

	// The receipt as tender signed it, checked on the public page.
	js := vendor.get(bidPage + "/receipt.json")
	if js.code != http.StatusOK || !strings.Contains(js.hdr.Get("Content-Disposition"), "attachment") {
		t.Fatalf("receipt JSON: %d %v", js.code, js.hdr)
	}
	var kept map[string]any
	if err := json.Unmarshal([]byte(js.html), &kept); err != nil {
		t.Fatalf("receipt JSON: %v\n%s", err, js.html)
	}
	_, mine := p.get("tender", "/v1/tenders/"+tid+"/bids/"+bidPath[1], vendorToken)
	if bid := decode(t, mine); kept["sealed_sha256"] != bid["sealed_sha256"] || !strings.Contains(receipt.text, bid["sealed_sha256"].(string)) {
		t.Fatalf("the receipt's hash %v is not the sealed bid's %v:\n%s", kept["sealed_sha256"], bid["sealed_sha256"], receipt.text)
	}
	jar, _ := cookiejar.New(nil)
	anon := &person{t: t, base: base, http: &http.Client{Jar: jar, Timeout: time.Minute}} // nobody signed in: the check is public
	anon.post("/receipts/check", "/receipts/check", url.Values{"receipt": {js.html}}).sees(t, "genuine receipt", "Tanda terima ini asli", bidPath[1])
	forged := strings.Replace(js.html, kept["sealed_sha256"].(string), hex.EncodeToString(sha256.New().Sum(nil)), 1)
	anon.post("/receipts/check", "/receipts/check", url.Values{"receipt": {forged}}).sees(t, "changed receipt", "tidak dapat dipastikan asli", "Tanda tangan tidak cocok dengan isinya")
	anon.post("/receipts/check", "/receipts/check", url.Values{"receipt": {""}}).refused(t, "nothing pasted", http.StatusBadRequest, "Tempel tanda terima yang akan diperiksa")
	vendorScreens.look(t, base, "/receipts/check", "Periksa tanda terima penawaran")

	// Replace, then withdraw (confirmed), then bid again.
	vendor.get(tender).sees(t, "the bid on the tender's page", "Penawaran Anda tersimpan tersegel sejak", "Ganti penawaran", "Lihat tanda terima penawaran")
	form = vendor.get(tender + "/bid")
	form.sees(t, "replace form", "Ganti penawaran", "menggantikan penawaran Anda yang dikirim")
	if !strings.Contains(form.html, `name="replaces" value="`+bidPath[1]+`"`) {
		t.Fatalf("the replace form does not name the bid it replaces:\n%s", form.html)
	}
	replaced := vendor.postFiles(tender+"/bid", tender+"/bid", url.Values{"replaces": {bidPath[1]}, "price": {"425.000.000"}, "technical_offer": {"Tim 7 orang, 5 bulan."}}, nil, false)
	replaced.sees(t, "replaced", "Penawaran Anda diterima dan disegel pada", "versi 2")
	vendor.post(bidPage, bidPage+"/withdraw", url.Values{}).refused(t, "withdraw unconfirmed", http.StatusBadRequest, "Centang kotak ini untuk menarik penawaran")
	vendor.post(bidPage, bidPage+"/withdraw", url.Values{"confirm": {"yes"}}).sees(t, "withdrawn", "Penawaran Anda ditarik pada")
	form = vendor.get(tender + "/bid")
	form.sees(t, "bid again", "Ajukan penawaran")
	key = regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(form.html)[1]
	vendor.postFiles(tender+"/bid", tender+"/bid", url.Values{"key": {key}, "price": {"430000000"}, "technical_offer": {"Tim 6 orang."}}, nil, false).
		sees(t, "bid again", "Penawaran Anda diterima dan disegel pada")

	// After the deadline: a form left open is refused by tender's clock, and
	// the page says so with the server's time.
	for time.Now().Before(deadline.Add(time.Second)) {
		time.Sleep(200 * time.Millisecond)
	}
	late := vendor.postFiles(tender+"/bid", tender+"/bid", url.Values{"key": {"0193a6f0-0000-7000-8000-0000000000ff"}, "price": {"400000000"}, "technical_offer": {"Terlambat."}}, nil, false)
	late.refused(t, "late bid", http.StatusConflict, "Batas waktu penawaran", "telah lewat (waktu server")
	vendor.get(tender).sees(t, "closed", "telah lewat")
	vendorScreens.look(t, base, tender, "telah lewat")
}
