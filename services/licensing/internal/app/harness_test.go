package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"gerbang/pkg/caller"
	"gerbang/pkg/clock"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/pgtest"
	"gerbang/services/licensing/internal/adapters/blob"
	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/app"
	"gerbang/services/licensing/internal/domain"
	"gerbang/services/licensing/migrations"
)

type harness struct {
	t     testing.TB
	ctx   context.Context
	db    *pgtest.DB
	store *postgres.Store
	clock *clock.Fake
	svc   *app.Service
	// blobDir holds the documents' bytes.
	blobDir string
}

// monday is Monday 9 March 2026, 09:00 WIB.
func monday() time.Time { return wib("2026-03-09 09:00") }

func wib(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, domain.Jakarta())
	if err != nil {
		panic(err)
	}
	return t
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	db := pgtest.New(t, migrations.FS)
	store := postgres.New(db.DB)
	clk := clock.NewFake(monday())
	blobDir := t.TempDir()
	blobs, err := blob.NewFiles(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, ctx: context.Background(), db: db, store: store, clock: clk, blobDir: blobDir,
		svc: app.New(store, clk, nil, app.Options{Blobs: blobs})}
}

var (
	owner   = caller.Caller{Subject: "user-owner", Roles: []string{"business"}}
	other   = caller.Caller{Subject: "user-other", Roles: []string{"business"}}
	officer = caller.Caller{Subject: "user-officer", Roles: []string{"licensing_officer"}}
)

func (h *harness) business(c caller.Caller, scale string, kbli ...string) app.BusinessRecord {
	h.t.Helper()
	b, err := h.svc.RegisterBusiness(h.ctx, c, idempotency.Key{}, domain.BusinessInput{
		Name: "PT Contoh " + c.Subject, NPWP: "01.234.567.8-901.000", Address: "Jl. Thamrin 1, Jakarta", Scale: scale, KBLI: kbli,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

// submitted creates an application with a document for every requirement
// and submits it.
func (h *harness) submitted(c caller.Caller, b app.BusinessRecord, kbli string, size int64) app.ApplicationRecord {
	h.t.Helper()
	a, err := h.svc.CreateApplication(h.ctx, c, idempotency.Key{}, b.ID, kbli, size, "")
	if err != nil {
		h.t.Fatal(err)
	}
	d, err := h.svc.Requirements(h.ctx, kbli, b.Scale, size, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, r := range d.LicenseType.Requirements {
		if _, err := h.svc.UploadDocument(h.ctx, c, a.ID, r.Code, r.Code+".pdf", pdfOf(2048)); err != nil {
			h.t.Fatal(err)
		}
	}
	rec, err := h.svc.Submit(h.ctx, c, a.ID, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return rec
}

type outboxEvent struct {
	Type string
	Data map[string]any
}

// events returns the outbox events about subject (the aggregate's id), in order.
func (h *harness) events(subject string) []outboxEvent {
	h.t.Helper()
	var rows []string
	if err := h.db.SelectContext(h.ctx, &rows, `SELECT payload::text FROM outbox WHERE payload->>'subject' = $1 ORDER BY seq`, subject); err != nil {
		h.t.Fatal(err)
	}
	out := make([]outboxEvent, len(rows))
	for i, r := range rows {
		var ev struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal([]byte(r), &ev); err != nil {
			h.t.Fatal(err)
		}
		out[i] = outboxEvent{Type: ev.Type, Data: ev.Data}
	}
	return out
}

func (h *harness) eventTypes(subject string) []string {
	var out []string
	for _, e := range h.events(subject) {
		out = append(out, e.Type)
	}
	return out
}

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.GetContext(h.ctx, &n, query, args...); err != nil {
		h.t.Fatal(err)
	}
	return n
}

type contextT = context.Context

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func businessInput(kbli ...string) domain.BusinessInput {
	return domain.BusinessInput{Name: "PT Bench", NPWP: "012345678901000", Address: "Jl. Sudirman 1", Scale: "medium", KBLI: kbli}
}
