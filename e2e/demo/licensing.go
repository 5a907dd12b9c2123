package demo

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"slices"
)

// A business of the demo: its owner's account and what it registers.
type business struct {
	owner, org, name, npwp, address string
	kbli                            []string
}

var businesses = []business{
	{Usaha, UsahaOrg, "CV Maju Jaya", "02.345.678.9-012.000", "Jl. Asia Afrika 8, Bandung",
		[]string{"62010", "55110", "41011", "56101", "86101"}},
	{Vendor2, Vendor2Org, "PT Karya Nusantara", "03.456.789.0-123.000", "Jl. Pemuda 21, Semarang",
		[]string{"62010", "55110", "41011", "49431"}},
}

// An application of the demo and the state it is taken to. Its key is
// its Idempotency-Key (the same key on every load).
type application struct {
	key, owner, org, kbli string
	size                  int
	target                string
	note                  string // the officer's revision note or rejection reason
}

var applications = []application{
	{"demo-it-0", Usaha, UsahaOrg, "62010", 0, "issued", ""},
	{"demo-it-1", Vendor2, Vendor2Org, "62010", 0, "issued", ""},
	{"demo-hotel-1", Usaha, UsahaOrg, "55110", 150, "submitted", ""},
	{"demo-usaha-rs", Usaha, UsahaOrg, "86101", 0, "revision_requested",
		"Dokumen ini belum ditandatangani pejabat yang berwenang. Unggah ulang versi yang sudah ditandatangani dan dicap."},
	{"demo-usaha-konstruksi", Usaha, UsahaOrg, "41011", 0, "awaiting_payment", ""},
	{"demo-usaha-restoran", Usaha, UsahaOrg, "56101", 0, "draft", ""},
	{"demo-vendor2-hotel", Vendor2, Vendor2Org, "55110", 40, "in_review", ""},
	{"demo-vendor2-konstruksi", Vendor2, Vendor2Org, "41011", 0, "issued", ""},
	{"demo-vendor2-angkutan", Vendor2, Vendor2Org, "49431", 0, "rejected",
		"Kendaraan yang didaftarkan belum lulus uji KIR. Ajukan kembali setelah uji KIR selesai."},
}

func (l *Loader) licensing(ctx context.Context, s *Summary) error {
	for _, b := range businesses {
		if err := l.business(ctx, b); err != nil {
			return fmt.Errorf("%s: %w", b.name, err)
		}
	}
	s.Applications = map[string]string{}
	for _, a := range applications {
		id, err := l.application(ctx, a)
		if err != nil {
			return fmt.Errorf("application %s: %w", a.key, err)
		}
		s.Applications[a.key] = id
	}
	return nil
}

// business registers the owner's business unless it is registered, and
// adds the KBLI activities it lacks.
func (l *Loader) business(ctx context.Context, b business) error {
	c, err := l.as(ctx, b.owner)
	if err != nil {
		return err
	}
	var list struct {
		Items []struct {
			ID   string   `json:"id"`
			KBLI []string `json:"kbli"`
		} `json:"items"`
	}
	if err := c.get("/api/licensing/v1/businesses", &list); err != nil {
		return err
	}
	if len(list.Items) == 0 {
		l.logf("%s registers %s", b.owner, b.name)
		return c.post("/api/licensing/v1/businesses", map[string]any{
			"name": b.name, "npwp": b.npwp, "address": b.address, "scale": "small", "kbli": b.kbli,
		}, nil, 201)
	}
	have := list.Items[0].KBLI
	missing := false
	for _, k := range b.kbli {
		if !slices.Contains(have, k) {
			have, missing = append(have, k), true
		}
	}
	if !missing {
		return nil
	}
	return l.call(ctx, "PATCH", "/api/licensing/v1/businesses/"+list.Items[0].ID, c.tok, map[string]any{"kbli": have}, nil, 200)
}

type applicationState struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Scale string `json:"scale"`
}

// application creates a (by its key, once), then takes it step by step
// from the state it is in to its target, each step by whom the step
// belongs to.
func (l *Loader) application(ctx context.Context, a application) (string, error) {
	owner, err := l.as(ctx, a.owner)
	if err != nil {
		return "", err
	}
	officer, err := l.as(ctx, Officer)
	if err != nil {
		return "", err
	}
	body := map[string]any{"business_id": a.org, "kbli": a.kbli}
	if a.size > 0 {
		body["size"] = a.size
	}
	var app applicationState
	if err := owner.post("/api/licensing/v1/applications", body, &app, 201, "Idempotency-Key", a.key); err != nil {
		return "", err
	}
	path := "/api/licensing/v1/applications/" + app.ID
	for step := 0; ; step++ {
		// A repeated key answers the first creation (a draft) again: the
		// state now is read, never taken from that answer.
		if err := owner.get(path, &app); err != nil {
			return app.ID, err
		}
		if app.State == a.target {
			if a.target == "draft" {
				return app.ID, l.uploadRequirements(owner, app, a, 1)
			}
			if a.target == "awaiting_payment" {
				_, err := l.invoiceFor(owner, app.ID)
				return app.ID, err
			}
			return app.ID, nil
		}
		if step == 12 {
			return app.ID, fmt.Errorf("stuck in %s on the way to %s", app.State, a.target)
		}
		l.logf("%s: %s, on the way to %s", a.key, app.State, a.target)
		switch app.State {
		case "draft":
			if err := l.uploadRequirements(owner, app, a, -1); err != nil {
				return app.ID, err
			}
			err = owner.post(path+"/submit", nil, nil, 200)
		case "submitted":
			err = officer.post(path+"/start-review", nil, nil, 200)
		case "in_review":
			switch a.target {
			case "revision_requested":
				var reqs []string
				if reqs, err = l.requirements(app, a); err == nil && len(reqs) == 0 {
					err = fmt.Errorf("KBLI %s needs no document to revise", a.kbli)
				}
				if err == nil {
					err = officer.post(path+"/request-revision", map[string]any{"requirement": reqs[0], "note": a.note}, nil, 200)
				}
			case "rejected":
				err = officer.post(path+"/reject", map[string]any{"reason": a.note}, nil, 200)
			default:
				err = officer.post(path+"/approve", nil, nil, 200)
			}
		case "approved":
			// payment invoices the fee; licensing hears of it by an event
			err = l.eventually(ctx, a.key+" awaits its fee", func() (bool, error) {
				var now applicationState
				err := owner.get(path, &now)
				return now.State != "approved", err
			})
		case "awaiting_payment":
			var code string
			if code, err = l.invoiceFor(owner, app.ID); err == nil {
				l.logf("%s pays the fee, billing code %s", a.owner, code)
				err = owner.post("/api/payment/v1/sandbox/pay", map[string]any{"billing_code": code}, nil, 200)
			}
			if err == nil {
				err = l.eventually(ctx, a.key+" is issued once paid", func() (bool, error) {
					var now applicationState
					err := owner.get(path, &now)
					return now.State == "issued", err
				})
			}
		default:
			return app.ID, fmt.Errorf("is %s, and %s cannot be reached from there", app.State, a.target)
		}
		if err != nil {
			return app.ID, err
		}
	}
}

// requirements are the codes of the documents the application needs.
func (l *Loader) requirements(app applicationState, a application) ([]string, error) {
	query := "kbli=" + a.kbli + "&scale=small"
	if a.size > 0 {
		query += fmt.Sprintf("&size=%d", a.size)
	}
	var need struct {
		LicenseType struct {
			Requirements []struct {
				Code string `json:"code"`
			} `json:"requirements"`
		} `json:"license_type"`
	}
	if err := l.call(context.Background(), "GET", "/api/licensing/v1/catalog/requirements?"+query, "", nil, &need, 200); err != nil {
		return nil, err
	}
	var codes []string
	for _, r := range need.LicenseType.Requirements {
		codes = append(codes, r.Code)
	}
	return codes, nil
}

// uploadRequirements uploads a document for each requirement not yet
// uploaded, at most n of them (n < 0: all).
func (l *Loader) uploadRequirements(owner *caller, app applicationState, a application, n int) error {
	codes, err := l.requirements(app, a)
	if err != nil {
		return err
	}
	var docs struct {
		Items []struct {
			Requirement string `json:"requirement"`
		} `json:"items"`
	}
	if err := owner.get("/api/licensing/v1/applications/"+app.ID+"/documents", &docs); err != nil {
		return err
	}
	have := len(docs.Items)
	for _, code := range codes {
		if n >= 0 && have >= n {
			return nil
		}
		if slices.ContainsFunc(docs.Items, func(d struct {
			Requirement string `json:"requirement"`
		}) bool {
			return d.Requirement == code
		}) {
			continue
		}
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField("requirement", code)
		part, _ := w.CreateFormFile("file", code+".pdf")
		fmt.Fprintf(part, "%%PDF-1.7\n%% dokumen contoh Gerbang: %s untuk KBLI %s\n%%%%EOF\n", code, a.kbli)
		w.Close()
		if err := owner.post("/api/licensing/v1/applications/"+app.ID+"/documents", buf.Bytes(), nil, 201,
			"Content-Type", w.FormDataContentType()); err != nil {
			return fmt.Errorf("upload %s: %w", code, err)
		}
		have++
	}
	return nil
}

// invoiceFor waits for payment's invoice of the reference (an
// application, a bid) and returns its billing code.
func (l *Loader) invoiceFor(payer *caller, reference string) (string, error) {
	var code string
	err := l.eventually(payer.ctx, "the invoice of "+reference, func() (bool, error) {
		inv, err := l.invoices(payer)
		for _, i := range inv {
			if i.Reference == reference {
				code = i.BillingCode
				return true, nil
			}
		}
		return false, err
	})
	return code, err
}

type invoice struct {
	ID          string `json:"id"`
	BillingCode string `json:"billing_code"`
	Purpose     string `json:"purpose"`
	Reference   string `json:"reference"`
	Description string `json:"description"`
	State       string `json:"state"`
	Amount      struct {
		Amount int64 `json:"amount"`
	} `json:"amount"`
}

// invoices are the caller's invoices, every page of them.
func (l *Loader) invoices(c *caller) ([]invoice, error) {
	var all []invoice
	cursor := ""
	for {
		var page struct {
			Items      []invoice `json:"items"`
			NextCursor *string   `json:"next_cursor"`
		}
		path := "/api/payment/v1/invoices?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if err := c.get(path, &page); err != nil {
			return all, err
		}
		all = append(all, page.Items...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return all, nil
		}
		cursor = *page.NextCursor
	}
}
