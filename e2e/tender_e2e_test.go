package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A committee publishes a tender for KBLI 62010 with a bid security; the
// vendor whose license licensing issued may bid, the other gets a 403
// naming the license; the vendor pays the security through payment; at the
// deadline the scheduler closes the tender; the committee opens the bids and
// the public sees the opening record with the price.
func TestATenderFromAnnouncementToOpeningAcrossTheServices(t *testing.T) {
	p := startPlatform(t, map[string]string{"TENDER_SCHEDULER_INTERVAL": "200ms"})
	vendor := p.login("usaha@demo.gerbang.id")
	unlicensed := p.login("vendor2@demo.gerbang.id")
	pokja := p.login("pokja@demo.gerbang.id")

	// The vendor's business gets a low-risk license at submission (no review, no fee).
	p.licensed(t, vendor, "CV Maju Jaya", "02.345.678.9-012.000", "01930000-0000-7000-8000-00000000b001", "62010", "e2e-it-1")

	now := time.Now().UTC()
	tid := p.tenderOpenForBids(t, pokja, "Pengembangan aplikasi layanan perizinan", "62010", 10000000, now.Add(2*time.Second), now.Add(25*time.Second))

	bid := map[string]any{
		"price":           map[string]any{"amount": 437500000, "currency": "IDR"},
		"technical_offer": "Tim 6 orang, 5 bulan, metodologi agile, garansi 12 bulan.",
	}
	p.eventually("tender knows the vendor's license from licensing's events", func() bool {
		code, _ := p.do("POST", "tender", "/v1/tenders/"+tid+"/bids", vendor, bid, "Idempotency-Key", "e2e-bid-1")
		return code == http.StatusCreated
	})
	code, body := p.do("POST", "tender", "/v1/tenders/"+tid+"/bids", unlicensed, bid, "Idempotency-Key", "e2e-bid-2")
	if code != http.StatusForbidden || !strings.Contains(string(body), "62010") {
		t.Fatalf("a vendor without the license: %d %s, want 403 naming KBLI 62010", code, body)
	}
	// Nobody reads the price before the opening: not the public, not the committee.
	for who, tok := range map[string]string{"public": "", "committee": pokja} {
		code, body := p.get("tender", "/v1/public/tenders/"+tid, tok)
		if code == http.StatusOK && strings.Contains(string(body), "437500000") {
			t.Fatalf("%s reads the price before the opening: %s", who, body)
		}
	}

	// The bid security: tender asks payment, the vendor pays with the billing code.
	var billingCode string
	p.eventually("payment invoices the bid security", func() bool {
		_, body := p.get("payment", "/v1/invoices", vendor)
		for _, it := range decode(t, body)["items"].([]any) {
			inv := it.(map[string]any)
			if inv["purpose"] == "bid_security" && inv["state"] == "pending" {
				billingCode = inv["billing_code"].(string)
				return true
			}
		}
		return false
	})
	mustStatus(t, "pay the bid security", http.StatusOK)(p.do("POST", "payment", "/v1/sandbox/pay", vendor, map[string]any{"billing_code": billingCode}))

	p.eventually("the deadline passes and the scheduler closes the bidding", func() bool {
		_, body := p.get("tender", "/v1/public/tenders/"+tid, "")
		return decode(t, body)["state"] == "opening"
	})
	opening := decode(t, mustStatus(t, "open bids", http.StatusOK)(p.do("POST", "tender", "/v1/tenders/"+tid+"/opening", pokja, nil)))
	bids := opening["bids"].([]any)
	if len(bids) != 1 || opening["valid_bids"].(float64) != 1 {
		t.Fatalf("opening record: %v, want the one paid, licensed bid valid", opening)
	}
	first := bids[0].(map[string]any)
	if first["vendor"] != "01930000-0000-7000-8000-00000000b001" || first["price"].(map[string]any)["amount"].(float64) != 437500000 || first["disqualified"] != "" {
		t.Fatalf("opened bid: %v", first)
	}
	public := mustStatus(t, "public opening record", http.StatusOK)(p.get("tender", "/v1/public/tenders/"+tid+"/opening", ""))
	if !strings.Contains(string(public), "437500000") {
		t.Fatalf("the public opening record lacks the price: %s", public)
	}
	auditor := p.login("auditor@demo.gerbang.id")
	for _, s := range []string{"licensing", "tender", "payment"} {
		p.eventually(fmt.Sprintf("%s audit chain intact", s), func() bool {
			code, body := p.get(s, "/v1/audit/verify", auditor)
			return code == http.StatusOK && decode(t, body)["ok"] == true
		})
	}
}

// licensed registers the business orgID of the person with token (name,
// npwp) for kbli and gets it the license, low-risk: issued at submission,
// no review, no fee.
func (p *platform) licensed(t *testing.T, token, name, npwp, orgID, kbli, key string) {
	t.Helper()
	mustStatus(t, "register business", http.StatusCreated)(p.do("POST", "licensing", "/v1/businesses", token, map[string]any{
		"name": name, "npwp": npwp, "address": "Jl. Asia Afrika 8, Bandung", "scale": "small", "kbli": []string{kbli},
	}))
	need := decode(t, mustStatus(t, "what do I need", http.StatusOK)(p.get("licensing", "/v1/catalog/requirements?kbli="+kbli+"&scale=small", "")))
	app := decode(t, mustStatus(t, "apply", http.StatusCreated)(p.do("POST", "licensing", "/v1/applications", token,
		map[string]any{"business_id": orgID, "kbli": kbli}, "Idempotency-Key", key)))
	id := app["id"].(string)
	if lt, ok := need["license_type"].(map[string]any); ok {
		if reqs, _ := lt["requirements"].([]any); len(reqs) > 0 {
			for _, code := range requirementCodes(t, lt) {
				mustStatus(t, "upload "+code, http.StatusCreated)(p.upload(token, id, code))
			}
		}
	}
	mustStatus(t, "submit", http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+id+"/submit", token, nil))
	p.eventually("the low-risk license is issued at submission", func() bool {
		_, body := p.get("licensing", "/v1/applications/"+id, token)
		return decode(t, body)["state"] == "issued"
	})
}

// tenderOpenForBids creates and publishes, as the committee member with
// token, a lowest-price tender for kbli with a bid security of security
// rupiah (0 for none), taking bids from start to deadline, and waits until
// its bid period opens; it returns the tender's id.
func (p *platform) tenderOpenForBids(t *testing.T, token, title, kbli string, security int64, start, deadline time.Time) string {
	t.Helper()
	terms := map[string]any{
		"buyer_agency": "Dinas Komunikasi dan Informatika Kota Bandung", "title": title,
		"description": "Aplikasi web perizinan untuk 30 kecamatan.", "category": "consulting",
		"hps": map[string]any{"amount": 500000000, "currency": "IDR"}, "hps_public": true, "kbli": kbli,
		"procurement_method": "tender", "evaluation": map[string]any{"method": "lowest_price"},
		"bid_period_start": start.UTC().Format(time.RFC3339), "bid_deadline": deadline.UTC().Format(time.RFC3339),
		"committee": []string{"01930000-0000-7000-8000-00000000a004"},
	}
	if security > 0 {
		terms["bid_security"] = map[string]any{"amount": security, "currency": "IDR"}
	}
	tid := decode(t, mustStatus(t, "create tender", http.StatusCreated)(p.do("POST", "tender", "/v1/tenders", token, terms)))["id"].(string)
	mustStatus(t, "publish", http.StatusOK)(p.do("POST", "tender", "/v1/tenders/"+tid+"/publish", token, nil))
	p.eventually("the bid period opens by the clock", func() bool {
		_, body := p.get("tender", "/v1/public/tenders/"+tid, "")
		return decode(t, body)["state"] == "tendering"
	})
	return tid
}
