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

// The procurement committee (Pokja) in the portal's pages, against the real
// services: "my tenders" with what waits and by when, a tender written in
// the form (bad input refused with the error summary, what was typed kept,
// nothing stored; the service's period rule said beside its field), saved
// as a draft, changed, refused when stale, and announced; a vendor's
// question then waits on both members' lists. Every page is seen by the
// officer in headless chromium on a phone and on a desktop, checked by
// axe-core and for sideways scrolling.

var committeeTenderLink = regexp.MustCompile(`/committee/tenders/([0-9a-f-]{36})`)

// wibTime writes t as the tender form takes it (WIB).
func wibTime(t time.Time) string {
	return t.In(time.FixedZone("WIB", 7*60*60)).Format("02-01-2006 15:04")
}

func TestPokjaWritesAndAnnouncesATenderAndSeesWhatWaits(t *testing.T) {
	p := startPlatform(t, nil)
	base := p.url("portal")
	pokja := newPerson(t, p, "pokja@demo.gerbang.id")
	pokja2 := newPerson(t, p, "pokja2@demo.gerbang.id")
	br := webtest.Start(t)
	screens := signIn(t, br, base, "pokja@demo.gerbang.id")

	pokja.get("/").sees(t, "the navigation", "Tender saya")
	pokja.get("/committee").sees(t, "no tenders yet", "Tender saya sebagai Pokja", "Anda belum duduk di Pokja tender mana pun.", "Buat tender baru")
	screens.look(t, base, "/committee", "Anda belum duduk di Pokja tender mana pun.")
	if pg := newPerson(t, p, "usaha@demo.gerbang.id").get("/committee"); pg.code != http.StatusForbidden || !strings.Contains(pg.text, "Halaman ini bukan untuk peran Anda.") {
		t.Fatalf("a business on the committee's page: %d %s", pg.code, pg.text)
	}
	pokja.get("/committee?state=sideways").refused(t, "a state that is none", http.StatusBadRequest, "Pilih status dari daftar")

	// The form: what the portal can tell is wrong, each beside its field.
	screens.look(t, base, "/committee/tenders/new", "Buat tender baru", "Harga perkiraan sendiri (HPS), rupiah", "Waktu server sekarang")
	start, deadline := time.Now().Add(2*time.Hour), time.Now().Add(10*24*time.Hour)
	good := url.Values{
		"buyer_agency": {"Dinas Pendidikan Provinsi Jawa Barat"}, "title": {"Pengadaan laptop sekolah"},
		"description": {"120 unit laptop untuk SMA negeri."}, "category": {"goods"}, "hps": {"1.000.000.000"}, "hps_public": {"1"},
		"kbli": {"46512"}, "procurement_method": {"tender"}, "evaluation_method": {"lowest_price"}, "bid_security": {"20.000.000"},
		"bid_period_start": {wibTime(start)}, "bid_deadline": {wibTime(deadline)}, "objection_days": {"5"}, "min_bids": {"1"},
		"committee": {"pokja2@demo.gerbang.id"},
	}
	with := func(changes ...string) url.Values {
		v := url.Values{}
		for k, vs := range good {
			v[k] = append([]string(nil), vs...)
		}
		for i := 0; i+1 < len(changes); i += 2 {
			v.Set(changes[i], changes[i+1])
		}
		return v
	}
	bad := pokja.post("/committee/tenders/new", "/committee/tenders", with("title", " ", "hps", "banyak", "kbli", "465", "bid_deadline", "besok", "committee", "usaha@demo.gerbang.id"))
	bad.refused(t, "bad tender form", http.StatusBadRequest, "Tuliskan judul tender", "Masukkan HPS dalam rupiah", "Masukkan kode KBLI lima angka",
		"Tuliskan tanggal dan jam dalam WIB", "usaha@demo.gerbang.id bukan akun Pokja")
	for _, kept := range []string{`value="banyak"`, `value="465"`, `value="besok"`, `value="Dinas Pendidikan Provinsi Jawa Barat"`, "usaha@demo.gerbang.id</textarea>"} {
		if !strings.Contains(bad.html, kept) {
			t.Fatalf("bad tender form: %s is not kept:\n%s", kept, bad.html)
		}
	}
	// What only tender can tell: its period rule, beside the field.
	pokja.post("/committee/tenders/new", "/committee/tenders", with("bid_deadline", wibTime(start.Add(-time.Hour)))).
		refused(t, "deadline before the start", http.StatusBadRequest, "Batas akhir penawaran harus sesudah mulai masa penawaran")
	pokja.post("/committee/tenders/new", "/committee/tenders", with("evaluation_method", "quality_cost", "technical_weight", "70", "price_weight", "20")).
		refused(t, "weights not summing to 100", http.StatusBadRequest, "Bobot teknis dan bobot harga harus angka 1 sampai 100 yang berjumlah 100")
	pokja.get("/committee").sees(t, "nothing stored by the refused forms", "Anda belum duduk di Pokja tender mana pun.")

	// In the browser: the same refusal, the summary linking to the fields.
	for _, tab := range screens {
		tab.Go(base + "/committee/tenders/new")
		tab.Fill("#buyer_agency", "Dinas Pendidikan Provinsi Jawa Barat")
		tab.Fill("#hps", "satu milyar")
		tab.Submit(`main form[action="/committee/tenders"]`)
		tab.See("Ada yang perlu diperbaiki", "Tuliskan judul tender", "Masukkan HPS dalam rupiah")
		if got := webtest.Eval[string](tab, `document.getElementById("buyer_agency").value + "|" + document.getElementById("hps").value`); got != "Dinas Pendidikan Provinsi Jawa Barat|satu milyar" {
			t.Errorf("%s: the form kept %q", tab.Viewport.Name, got)
		}
		if to := webtest.Eval[string](tab, `(document.getElementById(document.querySelector('.error-summary a[href="#hps"]').hash.slice(1)) || {}).name || ""`); to != "hps" {
			t.Errorf("%s: the summary's link for hps leads to %q", tab.Viewport.Name, to)
		}
		tab.Accessible()
		tab.FitsTheScreen()
	}

	// The draft, saved.
	draft := pokja.post("/committee/tenders/new", "/committee/tenders", with())
	draft.sees(t, "the draft", "Pengadaan laptop sekolah", "Draf", "Rp 1.000.000.000", "Rp 20.000.000", "Harga terendah",
		"Agus Wijaya (Pokja Pemilihan)", "Rina Kusuma (Pokja Pemilihan)", "Umumkan tender", "Ubah draf", wibTime(deadline)+" WIB")
	m := committeeTenderLink.FindStringSubmatch(draft.html)
	if m == nil {
		t.Fatalf("the draft's page links to no tender:\n%s", draft.html)
	}
	page := "/committee/tenders/" + m[1]
	pokja.get("/committee").sees(t, "the draft on my list", "Draf (1)", "Pengadaan laptop sekolah", "Lengkapi dan umumkan draf")
	pokja2.get("/committee").sees(t, "the draft on the other member's list", "Pengadaan laptop sekolah")
	screens.look(t, base, page, "Pengadaan laptop sekolah", "Umumkan tender", "Rina Kusuma (Pokja Pemilihan)")

	// Changed, then a stale change refused.
	edit := pokja.get(page + "/edit")
	edit.sees(t, "the edit form", "Ubah draf: Pengadaan laptop sekolah")
	for _, kept := range []string{`value="1.000.000.000"`, `value="` + wibTime(start) + `"`, "pokja2@demo.gerbang.id</textarea>"} {
		if !strings.Contains(edit.html, kept) {
			t.Fatalf("the edit form does not start from the draft (%s):\n%s", kept, edit.html)
		}
	}
	screens.look(t, base, page+"/edit", "Ubah draf: Pengadaan laptop sekolah")
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(edit.html)[1]
	pokja.post(page+"/edit", page+"/edit", with("version", version, "title", "Pengadaan laptop SMA negeri")).
		sees(t, "changed", "Pengadaan laptop SMA negeri")
	stale := pokja.post(page+"/edit", page+"/edit", with("version", version, "title", "Judul lama"))
	stale.refused(t, "a stale change", http.StatusPreconditionFailed, "telah diubah orang lain")
	pokja.get(page).sees(t, "the stale change changed nothing", "Pengadaan laptop SMA negeri")

	// Announced.
	v := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(pokja.get(page).html)[1]
	pokja.post(page, page+"/publish", url.Values{"version": {v}}).sees(t, "announced", "Diumumkan", "Masa penawaran dimulai", "Halaman publik tender ini")
	pokja.post(page, page+"/publish", url.Values{"version": {v}}).sees(t, "announced twice (back button)", "Diumumkan")
	if code, body := p.get("tender", "/v1/public/tenders/"+m[1], ""); code != http.StatusOK || !strings.Contains(string(body), `"state":"announced"`) {
		t.Fatalf("the public tender: %d %s", code, body)
	}

	// A vendor asks; the question waits on both members' lists, with the deadline.
	vendor := p.login("usaha@demo.gerbang.id")
	if code, body := p.do("POST", "tender", "/v1/tenders/"+m[1]+"/clarifications", vendor, map[string]string{"question": "Apakah merek setara boleh?"}); code != http.StatusCreated {
		t.Fatalf("ask: %d %s", code, body)
	}
	waits := []string{"Diumumkan (1)", "1 pertanyaan penjelasan belum dijawab", "paling lambat " + wibTime(deadline) + " WIB"}
	pokja.get("/committee").sees(t, "a question waits", waits...)
	pokja2.get("/committee?state=announced").sees(t, "a question waits for the other member", waits...)
	pokja.get("/committee?state=draft").sees(t, "by state", "Tidak ada tender Anda dengan status ini.")
	screens.look(t, base, "/committee", waits...)

	// In English.
	for _, tab := range screens {
		tab.Go(base + "/language/en?back=/committee")
		tab.See("My tenders as a committee member", "Announced (1)", "1 clarification questions not yet answered", "by "+wibTime(deadline)+" WIB")
		tab.Accessible()
		tab.Go(base + "/language/id?back=/committee")
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	_, body := p.get("tender", "/v1/committee/tenders", p.login("pokja@demo.gerbang.id"))
	if err := json.Unmarshal(body, &list); err != nil || len(list.Items) != 1 {
		t.Fatalf("the committee holds %s", body)
	}
}
