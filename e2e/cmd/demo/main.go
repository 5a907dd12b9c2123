// Command demo loads the demo data of `make run` through the services' APIs,
// as the demo users would: the two vendors register their businesses and get
// a low-risk license for KBLI 62010, a hotel applies for a license that
// waits in the officer's review queue, and the committee publishes a tender
// for 62010 that the vendors can bid on. Running it again changes nothing.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	portal := flag.String("portal", "http://127.0.0.1:8080", "the portal (login and /api proxy)")
	flag.Parse()
	d := &demo{base: strings.TrimRight(*portal, "/"), client: &http.Client{Timeout: 30 * time.Second}}
	if err := d.load(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type demo struct {
	base   string
	client *http.Client
}

const password = "demo12345"

func (d *demo) load() error {
	vendors := []struct{ email, name, npwp, address string }{
		{"usaha@demo.gerbang.id", "CV Maju Jaya", "02.345.678.9-012.000", "Jl. Asia Afrika 8, Bandung"},
		{"vendor2@demo.gerbang.id", "PT Karya Nusantara", "03.456.789.0-123.000", "Jl. Pemuda 21, Semarang"},
	}
	for i, v := range vendors {
		tok, err := d.login(v.email)
		if err != nil {
			return err
		}
		biz, err := d.business(tok, v.name, v.npwp, v.address)
		if err != nil {
			return fmt.Errorf("%s: %w", v.email, err)
		}
		if err := d.license(tok, biz, "62010", "small", 0, fmt.Sprintf("demo-it-%d", i)); err != nil {
			return fmt.Errorf("%s: license 62010: %w", v.email, err)
		}
	}
	usaha, _ := d.login("usaha@demo.gerbang.id")
	if err := d.license(usaha, "01930000-0000-7000-8000-00000000b001", "55110", "medium", 150, "demo-hotel-1"); err != nil {
		return fmt.Errorf("hotel application: %w", err)
	}
	pokja, err := d.login("pokja@demo.gerbang.id")
	if err != nil {
		return err
	}
	if err := d.tender(pokja); err != nil {
		return fmt.Errorf("tender: %w", err)
	}
	fmt.Println("demo data loaded: 2 vendors with a KBLI 62010 license, a hotel application in review, a published tender")
	return nil
}

func (d *demo) login(email string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := d.call("POST", "/api/auth/token", "", map[string]string{"email": email, "password": password}, &out, 200); err != nil {
		return "", fmt.Errorf("login %s: %w", email, err)
	}
	return out.AccessToken, nil
}

// business registers the user's business unless it has one, and returns its id.
func (d *demo) business(tok, name, npwp, address string) (string, error) {
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := d.call("GET", "/api/licensing/v1/businesses", tok, nil, &list, 200); err != nil {
		return "", err
	}
	if len(list.Items) > 0 {
		return list.Items[0].ID, nil
	}
	var b struct {
		ID string `json:"id"`
	}
	err := d.call("POST", "/api/licensing/v1/businesses", tok, map[string]any{
		"name": name, "npwp": npwp, "address": address, "scale": "small", "kbli": []string{"62010", "55110"},
	}, &b, 201)
	return b.ID, err
}

// license creates (idempotently, by key) an application with a document for
// each requirement and submits it, unless it was submitted before.
func (d *demo) license(tok, business, kbli, scale string, size int, key string) error {
	body := map[string]any{"business_id": business, "kbli": kbli}
	query := "kbli=" + kbli + "&scale=" + scale
	if size > 0 {
		body["size"] = size
		query += fmt.Sprintf("&size=%d", size)
	}
	var app struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if err := d.call("POST", "/api/licensing/v1/applications", tok, body, &app, 201, "Idempotency-Key", key); err != nil {
		return err
	}
	// A repeated key answers the first creation (a draft) again, so the
	// application's state now is read, not taken from that answer.
	if err := d.call("GET", "/api/licensing/v1/applications/"+app.ID, tok, nil, &app, 200); err != nil {
		return err
	}
	if app.State != "draft" {
		return nil // loaded before
	}
	var need struct {
		LicenseType struct {
			Requirements []struct {
				Code string `json:"code"`
			} `json:"requirements"`
		} `json:"license_type"`
	}
	if err := d.call("GET", "/api/licensing/v1/catalog/requirements?"+query, "", nil, &need, 200); err != nil {
		return err
	}
	for _, r := range need.LicenseType.Requirements {
		if err := d.upload(tok, app.ID, r.Code); err != nil {
			return fmt.Errorf("upload %s: %w", r.Code, err)
		}
	}
	return d.call("POST", "/api/licensing/v1/applications/"+app.ID+"/submit", tok, nil, nil, 200)
}

func (d *demo) tender(tok string) error {
	const title = "Pengembangan aplikasi layanan perizinan terpadu"
	var list struct {
		Items []struct {
			Title string `json:"title"`
		} `json:"items"`
	}
	if err := d.call("GET", "/api/tender/v1/public/tenders", "", nil, &list, 200); err != nil {
		return err
	}
	for _, t := range list.Items {
		if t.Title == title {
			return nil
		}
	}
	now := time.Now().UTC().Truncate(time.Minute)
	var t struct {
		ID string `json:"id"`
	}
	err := d.call("POST", "/api/tender/v1/tenders", tok, map[string]any{
		"buyer_agency": "Dinas Penanaman Modal dan PTSP Kota Bandung", "title": title,
		"description": "Aplikasi web layanan perizinan untuk 30 kecamatan, dengan pelatihan dan dukungan 12 bulan.",
		"category":    "consulting", "hps": map[string]any{"amount": 750000000, "currency": "IDR"}, "hps_public": true,
		"kbli": "62010", "procurement_method": "tender", "evaluation": map[string]any{"method": "lowest_price"},
		"bid_security":     map[string]any{"amount": 15000000, "currency": "IDR"},
		"bid_period_start": now.Add(2 * time.Minute).Format(time.RFC3339),
		"bid_deadline":     now.Add(7 * 24 * time.Hour).Format(time.RFC3339),
		"committee":        []string{"01930000-0000-7000-8000-00000000a004", "01930000-0000-7000-8000-00000000a005"},
	}, &t, 201)
	if err != nil {
		return err
	}
	return d.call("POST", "/api/tender/v1/tenders/"+t.ID+"/publish", tok, nil, nil, 200)
}

func (d *demo) upload(tok, applicationID, requirement string) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("requirement", requirement)
	part, _ := w.CreateFormFile("file", requirement+".pdf")
	fmt.Fprintf(part, "%%PDF-1.7\n%% demo document: %s\n%%%%EOF\n", requirement)
	w.Close()
	req, err := http.NewRequest("POST", d.base+"/api/licensing/v1/applications/"+applicationID+"/documents", &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	return d.send(req, nil, 201)
}

// call sends a JSON request and decodes the answer into out (when not nil).
func (d *demo) call(method, path, tok string, body, out any, want int, headers ...string) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return d.send(req, out, want)
}

func (d *demo) send(req *http.Request, out any, want int) error {
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return errors.New("unexpected answer: " + string(b))
	}
	return nil
}
