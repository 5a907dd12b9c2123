package demo

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The demo's tenders, by title (a title is how a second load finds them).
const (
	tenderOpen      = "Pengembangan aplikasi layanan perizinan terpadu"
	tenderAnnounced = "Sistem informasi pengaduan masyarakat terpadu"
	tenderDraft     = "Pengadaan perangkat komputer untuk 40 sekolah dasar"
	tenderCancelled = "Jasa kebersihan gedung kantor dinas 2027"
)

type tenderState struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Title string `json:"title"`
}

func (l *Loader) procurement(ctx context.Context, s *Summary) error {
	pokja, err := l.as(ctx, Pokja)
	if err != nil {
		return err
	}
	usaha, err := l.as(ctx, Usaha)
	if err != nil {
		return err
	}
	vendor2, err := l.as(ctx, Vendor2)
	if err != nil {
		return err
	}
	published, err := l.publicTenders(ctx)
	if err != nil {
		return err
	}
	s.Tenders = map[string]string{}

	// Open for bids for a week: both vendors bid, one bid security is
	// paid, the other paid short (it waits in finance's manual review);
	// a question answered and one waiting for the committee.
	open, found := published[tenderOpen]
	if !found {
		l.logf("the committee announces %q", tenderOpen)
		if open, err = l.announce(pokja, terms(tenderOpen, "Dinas Penanaman Modal dan PTSP Kota Bandung",
			"Aplikasi web layanan perizinan untuk 30 kecamatan, dengan pelatihan petugas dan dukungan 12 bulan.",
			"consulting", 750_000_000, 15_000_000, in(startsIn), in(7*24*time.Hour), pokjaID, pokja2ID)); err != nil {
			return err
		}
	}
	s.Tenders[tenderOpen] = open.ID
	if err := l.waitTendering(pokja, open.ID); err != nil {
		return err
	}
	if err := l.question(usaha, pokja, open.ID, "Apakah tim boleh bekerja jarak jauh sebagian waktu?",
		"Boleh, paling banyak dua hari dalam seminggu; rapat mingguan di kantor dinas."); err != nil {
		return err
	}
	if err := l.question(vendor2, nil, open.ID, "Apakah aplikasi harus terhubung dengan OSS RBA sejak tahap pertama?", ""); err != nil {
		return err
	}
	if err := l.bid(usaha, open.ID, 698_500_000, "Tim 7 orang, 6 bulan, metode agile dengan rilis tiap dua minggu, garansi 12 bulan.", 1); err != nil {
		return err
	}
	if err := l.bid(vendor2, open.ID, 712_000_000, "Tim 6 orang, 7 bulan, pengembangan bertahap per kecamatan, pelatihan 60 petugas.", 2); err != nil {
		return err
	}

	// Announced with an objection: a short bid window (BidWindow), both
	// vendors bid and pay, the deadline passes, the committee opens,
	// evaluates, proposes and announces; the runner-up objects.
	announced, found := published[tenderAnnounced]
	if !found {
		l.logf("the committee announces %q; its bids close in %s", tenderAnnounced, l.BidWindow)
		if announced, err = l.announce(pokja, terms(tenderAnnounced, "Dinas Komunikasi dan Informatika Kota Bandung",
			"Aplikasi web dan seluler untuk pengaduan warga, terhubung dengan SP4N-LAPOR!, dengan pemeliharaan 24 bulan.",
			"consulting", 480_000_000, 9_600_000, in(startsIn), in(startsIn+l.BidWindow), pokjaID, pokja2ID)); err != nil {
			return err
		}
	}
	s.Tenders[tenderAnnounced] = announced.ID
	if err := l.toObjectionPeriod(ctx, pokja, usaha, vendor2, announced.ID); err != nil {
		return fmt.Errorf("%s: %w", tenderAnnounced, err)
	}

	// A draft the committee is still writing, and a cancelled tender with
	// its reason. Drafts are not public: a second load finds the draft in
	// the committee's own list; it is written by the load that announces the
	// cancelled one, once.
	var drafts struct {
		Items []struct {
			Tender tenderState `json:"tender"`
		} `json:"items"`
	}
	if err := pokja.get("/api/tender/v1/committee/tenders?state=draft&limit=100", &drafts); err != nil {
		return err
	}
	for _, it := range drafts.Items {
		if it.Tender.Title == tenderDraft {
			s.Tenders[tenderDraft] = it.Tender.ID
		}
	}
	cancelled, found := published[tenderCancelled]
	if !found {
		var draft tenderState
		if err := pokja.post("/api/tender/v1/tenders", terms(tenderDraft, "Dinas Pendidikan Kota Bandung",
			"120 unit komputer meja dan 40 printer untuk laboratorium sekolah dasar.", "goods", 1_200_000_000, 24_000_000,
			in(5*24*time.Hour), in(19*24*time.Hour), pokjaID, pokja2ID), &draft, 201); err != nil {
			return err
		}
		s.Tenders[tenderDraft] = draft.ID
		l.logf("the committee announces and cancels %q", tenderCancelled)
		if cancelled, err = l.announce(pokja, terms(tenderCancelled, "Sekretariat Daerah Kota Bandung",
			"Jasa kebersihan tiga gedung kantor selama 12 bulan.", "other_services", 360_000_000, 0,
			in(24*time.Hour), in(14*24*time.Hour), pokjaID)); err != nil {
			return err
		}
	}
	s.Tenders[tenderCancelled] = cancelled.ID
	if cancelled.State != "cancelled" {
		if err := pokja.post("/api/tender/v1/tenders/"+cancelled.ID+"/cancel",
			map[string]any{"reason": "Anggaran dialihkan untuk penanganan banjir; tender akan diulang tahun depan."}, nil, 200); err != nil {
			return err
		}
	}
	return nil
}

// startsIn is how soon after its creation a demo tender's bid period
// begins: time to publish it first (publishing needs a start in the
// future), on a loaded machine too.
const startsIn = 10 * time.Second

// in is the time d from now, to the second.
func in(d time.Duration) time.Time { return time.Now().UTC().Truncate(time.Second).Add(d) }

// terms are a tender's terms, priced lowest-wins, for KBLI 62010 (both
// demo vendors hold that license).
func terms(title, agency, description, category string, hps, security int64, start, deadline time.Time, committee ...string) map[string]any {
	t := map[string]any{
		"buyer_agency": agency, "title": title, "description": description, "category": category,
		"hps": map[string]any{"amount": hps, "currency": "IDR"}, "hps_public": true, "kbli": "62010",
		"procurement_method": "tender", "evaluation": map[string]any{"method": "lowest_price"},
		"bid_period_start": start.Format(time.RFC3339), "bid_deadline": deadline.Format(time.RFC3339),
		"committee": committee,
	}
	if security > 0 {
		t["bid_security"] = map[string]any{"amount": security, "currency": "IDR"}
	}
	return t
}

// announce creates the tender as a draft and publishes it.
func (l *Loader) announce(pokja *caller, terms map[string]any) (tenderState, error) {
	var t tenderState
	if err := pokja.post("/api/tender/v1/tenders", terms, &t, 201); err != nil {
		return t, err
	}
	if err := pokja.post("/api/tender/v1/tenders/"+t.ID+"/publish", nil, &t, 200); err != nil {
		return t, err
	}
	return t, nil
}

// publicTenders are the published tenders by title, every page of them.
func (l *Loader) publicTenders(ctx context.Context) (map[string]tenderState, error) {
	out := map[string]tenderState{}
	cursor := ""
	for {
		var page struct {
			Items      []tenderState `json:"items"`
			NextCursor *string       `json:"next_cursor"`
		}
		path := "/api/tender/v1/public/tenders?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if err := l.call(ctx, "GET", path, "", nil, &page, 200); err != nil {
			return out, err
		}
		for _, t := range page.Items {
			out[t.Title] = t
		}
		if page.NextCursor == nil || *page.NextCursor == "" {
			return out, nil
		}
		cursor = *page.NextCursor
	}
}

func (l *Loader) tenderNow(c *caller, id string) (tenderState, error) {
	var t tenderState
	err := c.get("/api/tender/v1/tenders/"+id, &t)
	return t, err
}

// waitTendering waits for the scheduler to open the bid period.
func (l *Loader) waitTendering(pokja *caller, id string) error {
	return l.eventually(pokja.ctx, "the bid period opens", func() (bool, error) {
		t, err := l.tenderNow(pokja, id)
		return t.State != "announced" && t.State != "draft", err
	})
}

// question asks q unless it was asked, and answers it when answer is given.
func (l *Loader) question(vendor, pokja *caller, tender, q, answer string) error {
	var list struct {
		Items []struct {
			ID       string `json:"id"`
			Question string `json:"question"`
			Answer   string `json:"answer"`
		} `json:"items"`
	}
	if err := vendor.get("/api/tender/v1/public/tenders/"+tender+"/clarifications", &list); err != nil {
		return err
	}
	id, answered := "", false
	for _, it := range list.Items {
		if it.Question == q {
			id, answered = it.ID, it.Answer != ""
		}
	}
	if id == "" {
		var asked struct {
			ID string `json:"id"`
		}
		if err := vendor.post("/api/tender/v1/tenders/"+tender+"/clarifications", map[string]any{"question": q}, &asked, 201); err != nil {
			return err
		}
		id = asked.ID
	}
	if pokja == nil || answered {
		return nil
	}
	return pokja.post("/api/tender/v1/tenders/"+tender+"/clarifications/"+id+"/answer", map[string]any{"answer": answer}, nil, 200)
}

// bid submits the vendor's bid once (by its idempotency key) and pays its
// bid security: in full, or (short > 1) a short amount, which payment
// holds for finance's manual review.
func (l *Loader) bid(vendor *caller, tender string, price int64, offer string, short int64) error {
	key := "demo-bid-" + tender + "-" + vendor.who
	err := l.eventually(vendor.ctx, "tender knows "+vendor.who+"'s license", func() (bool, error) {
		err := vendor.post("/api/tender/v1/tenders/"+tender+"/bids", map[string]any{
			"price": map[string]any{"amount": price, "currency": "IDR"}, "technical_offer": offer,
		}, nil, 201, "Idempotency-Key", key)
		if isStatus(err, 403) {
			return false, err // licensing's event has not reached tender yet
		}
		return err == nil, err
	})
	if err != nil {
		return err
	}
	var inv invoice
	err = l.eventually(vendor.ctx, "payment invoices "+vendor.who+"'s bid security", func() (bool, error) {
		all, err := l.invoices(vendor)
		for _, i := range all {
			// one bid security per vendor and tender, named in its description
			if i.Purpose == "bid_security" && strings.Contains(i.Description, tender) {
				inv = i
				return true, nil
			}
		}
		return false, err
	})
	if err != nil || inv.State != "pending" {
		return err
	}
	pay := map[string]any{"billing_code": inv.BillingCode}
	if short > 1 {
		pay["amount"] = inv.Amount.Amount / short
	}
	l.logf("%s pays the bid security %s", vendor.who, inv.BillingCode)
	return vendor.post("/api/payment/v1/sandbox/pay", pay, nil, 200)
}

// toObjectionPeriod takes the tender from wherever it is to its objection
// period, with an objection by the runner-up.
func (l *Loader) toObjectionPeriod(ctx context.Context, pokja, winner, runnerUp *caller, id string) error {
	if err := l.waitTendering(pokja, id); err != nil {
		return err
	}
	t, err := l.tenderNow(pokja, id)
	if err != nil {
		return err
	}
	if t.State == "tendering" {
		if err := l.bid(winner, id, 412_300_000, "Tim 5 orang, 4 bulan, aplikasi web dan Android, integrasi SP4N-LAPOR!, pemeliharaan 24 bulan.", 1); err != nil {
			return err
		}
		if err := l.bid(runnerUp, id, 446_000_000, "Tim 4 orang, 5 bulan, aplikasi web, integrasi SP4N-LAPOR!, pemeliharaan 24 bulan.", 1); err != nil {
			return err
		}
		l.logf("waiting for the bid deadline of %q (the scheduler closes it)", tenderAnnounced)
	}
	if err := l.eventually(ctx, "the deadline passes", func() (bool, error) {
		t, err = l.tenderNow(pokja, id)
		return t.State != "tendering", err
	}); err != nil && !strings.Contains(err.Error(), "within a minute") {
		return err
	} else if err != nil {
		// a long BidWindow: wait it out, a minute at a time
		return l.toObjectionPeriod(ctx, pokja, winner, runnerUp, id)
	}
	for step := 0; t.State != "objection_period"; step++ {
		if step == 6 {
			return fmt.Errorf("stuck in %s", t.State)
		}
		path := "/api/tender/v1/tenders/" + id
		switch t.State {
		case "opening":
			l.logf("the committee opens the bids")
			err = pokja.post(path+"/opening", nil, nil, 200)
		case "evaluation":
			var opened struct {
				Bids []struct {
					BidID string `json:"bid_id"`
				} `json:"bids"`
			}
			if err = pokja.get("/api/tender/v1/public/tenders/"+id+"/opening", &opened); err != nil {
				return err
			}
			var assessments []map[string]any
			for _, b := range opened.Bids {
				assessments = append(assessments, map[string]any{"bid_id": b.BidID, "administrative_pass": true, "technical_pass": true,
					"reasons": []string{"Dokumen administrasi lengkap; spesifikasi teknis memenuhi."}})
			}
			l.logf("the committee evaluates %d bids and proposes the winner", len(assessments))
			if err = l.call(ctx, "PUT", path+"/evaluation", pokja.tok, map[string]any{"assessments": assessments}, nil, 204); err == nil {
				err = pokja.post(path+"/award/propose", nil, nil, 200)
			}
		case "award_proposed":
			err = pokja.post(path+"/award/announce", nil, nil, 200)
		default:
			return fmt.Errorf("is %s, and its objection period cannot be reached from there", t.State)
		}
		if err != nil {
			return err
		}
		if t, err = l.tenderNow(pokja, id); err != nil {
			return err
		}
	}
	var mine struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := runnerUp.get("/api/tender/v1/tenders/"+id+"/objections", &mine); err != nil {
		return err
	}
	if len(mine.Items) > 0 {
		return nil
	}
	l.logf("%s files an objection", runnerUp.who)
	return runnerUp.post("/api/tender/v1/tenders/"+id+"/objections", map[string]any{
		"arguments": "Penawaran pemenang tidak mencantumkan sertifikat keahlian analis sistem yang disyaratkan dokumen pemilihan bab III.2.",
		"evidence":  []string{"Dokumen pemilihan bab III.2, halaman 14"},
	}, nil, 201)
}
