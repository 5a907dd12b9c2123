package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// A business registers, applies for a high-risk hotel license, uploads its
// documents; the officer reviews and approves; payment invoices the fee from
// licensing's event; the business pays through the sandbox gateway; licensing
// issues the license once payment's event arrives; the public verifies it;
// tender learns that the business may bid; the audit chains of the three
// services verify. Four processes, one NATS, real PostgreSQL.
func TestALicenseFromApplicationToCertificateAcrossTheServices(t *testing.T) {
	p := startPlatform(t, nil)
	business := p.login("usaha@demo.gerbang.id")
	officer := p.login("petugas.izin@demo.gerbang.id")
	auditor := p.login("auditor@demo.gerbang.id")

	code, body := p.do("POST", "licensing", "/v1/businesses", business, map[string]any{
		"name": "Hotel Melati Indah", "npwp": "01.234.567.8-901.000", "address": "Jl. Malioboro 10, Yogyakarta",
		"scale": "medium", "kbli": []string{"55110"},
	})
	if code != http.StatusCreated {
		t.Fatalf("register business: %d %s", code, body)
	}
	biz := decode(t, body)
	if biz["id"] != "01930000-0000-7000-8000-00000000b001" || len(biz["nib"].(string)) != 13 {
		t.Fatalf("business %s: want the id of the organisation the user acts for and a 13-digit NIB", body)
	}

	code, body = p.do("POST", "licensing", "/v1/applications", business,
		map[string]any{"business_id": biz["id"], "kbli": "55110", "size": 150}, "Idempotency-Key", "e2e-hotel-1")
	if code != http.StatusCreated {
		t.Fatalf("create application: %d %s", code, body)
	}
	app := decode(t, body)
	id := app["id"].(string)
	need := decode(t, mustStatus(t, "what do I need", http.StatusOK)(p.get("licensing", "/v1/catalog/requirements?kbli=55110&scale=medium&size=150", "")))
	if need["risk"] != "high" || need["needs_review"] != true {
		t.Fatalf("a 150-room hotel: %v, want high risk with review", need)
	}
	for _, req := range requirementCodes(t, need["license_type"].(map[string]any)) {
		if code, body := p.upload(business, id, req); code != http.StatusCreated {
			t.Fatalf("upload %s: %d %s", req, code, body)
		}
	}
	mustStatus(t, "submit", http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+id+"/submit", business, nil))
	mustStatus(t, "start review", http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+id+"/start-review", officer, nil))
	approved := decode(t, mustStatus(t, "approve", http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+id+"/approve", officer, nil)))
	if approved["state"] != "awaiting_payment" {
		t.Fatalf("approved application is %v, want awaiting_payment", approved["state"])
	}

	// Payment makes the invoice from licensing.fee.requested; the payer sees it.
	var billingCode string
	var amount float64
	p.eventually("the fee invoice appears for the business", func() bool {
		code, body := p.get("payment", "/v1/invoices", business)
		if code != http.StatusOK {
			return false
		}
		for _, it := range decode(t, body)["items"].([]any) {
			inv := it.(map[string]any)
			if inv["reference"] == id {
				billingCode, _ = inv["billing_code"].(string)
				amount = inv["amount"].(map[string]any)["amount"].(float64)
				return inv["state"] == "pending"
			}
		}
		return false
	})
	if len(billingCode) != 15 || amount <= 0 {
		t.Fatalf("invoice billing code %q amount %v", billingCode, amount)
	}
	mustStatus(t, "sandbox pay", http.StatusOK)(p.do("POST", "payment", "/v1/sandbox/pay", business, map[string]any{"billing_code": billingCode}))

	// Licensing issues the license on payment.invoice.paid.
	p.eventually("the license is issued", func() bool {
		_, body := p.get("licensing", "/v1/applications/"+id, business)
		return decode(t, body)["state"] == "issued"
	})
	lic := decode(t, mustStatus(t, "license", http.StatusOK)(p.get("licensing", "/v1/applications/"+id+"/license", business)))
	number := lic["number"].(string)
	verified := decode(t, mustStatus(t, "public verification", http.StatusOK)(p.get("licensing", "/v1/public/licenses/"+number, "")))
	if verified["genuine"] != true || verified["status"] != "active" {
		t.Fatalf("verification of %s: %v", number, verified)
	}
	pdf := mustStatus(t, "certificate", http.StatusOK)(p.get("licensing", "/v1/applications/"+id+"/license/certificate", business))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatal("the certificate is not a PDF")
	}
	// Another business sees none of it.
	other := p.login("vendor2@demo.gerbang.id")
	mustStatus(t, "another business reading the application", http.StatusNotFound)(p.get("licensing", "/v1/applications/"+id, other))
	code, body = p.get("payment", "/v1/invoices", other)
	if code != http.StatusOK || strings.Contains(string(body), billingCode) {
		t.Fatalf("another business's invoice list: %d %s", code, body)
	}

	// Every change was audited, and each chain verifies.
	for _, s := range []string{"licensing", "payment"} {
		p.eventually(s+" audit chain sealed and intact", func() bool {
			code, body := p.get(s, "/v1/audit/verify", auditor)
			r := decode(t, body)
			return code == http.StatusOK && r["ok"] == true && r["chain_length"].(float64) > 0 && r["unsealed"].(float64) == 0
		})
	}
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", body)
	}
	return m
}

// mustStatus checks a (status, body) answer and returns the body.
func mustStatus(t *testing.T, what string, want int) func(int, []byte) []byte {
	return func(code int, body []byte) []byte {
		t.Helper()
		if code != want {
			t.Fatalf("%s: %d %s, want %d", what, code, body, want)
		}
		return body
	}
}

// requirementCodes lists the documents a license type requires.
func requirementCodes(t *testing.T, licenseType map[string]any) []string {
	t.Helper()
	reqs, ok := licenseType["requirements"].([]any)
	if !ok || len(reqs) == 0 {
		t.Fatalf("license type lists no requirements: %v", licenseType)
	}
	var codes []string
	for _, r := range reqs {
		codes = append(codes, r.(map[string]any)["code"].(string))
	}
	return codes
}

// upload sends a small PDF for one requirement of an application.
func (p *platform) upload(token, applicationID, requirement string) (int, []byte) {
	p.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("requirement", requirement)
	part, _ := w.CreateFormFile("file", requirement+".pdf")
	fmt.Fprintf(part, "%%PDF-1.7\n%% %s\n%%%%EOF\n", requirement)
	w.Close()
	req, _ := http.NewRequest("POST", p.url("licensing")+"/v1/applications/"+applicationID+"/documents", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
