package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/dbx"
	"gerbang/pkg/pgtest"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/migrations"
)

var t0 = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

const kbli = "46512"

type fixture struct {
	t     testing.TB
	db    *pgtest.DB
	store *postgres.Store
	svc   *app.Service
	clock *clock.Fake
	pub   ed25519.PublicKey
	priv  ed25519.PrivateKey
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := pgtest.New(t, migrations.FS)
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	kek, err := domain.NewKEK(raw)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	clk := clock.NewFake(t0)
	store := postgres.New(db.DB)
	return &fixture{t: t, db: db, store: store, svc: app.New(store, kek, priv, "receipt-key-1", clk), clock: clk, pub: pub, priv: priv}
}

func officer(sub string) app.Caller {
	return app.Caller{Principal: auth.Principal{Subject: sub, Roles: []string{auth.RoleProcurementOfficer}}}
}

func vendor(org string) app.Caller {
	return app.Caller{Principal: auth.Principal{Subject: "user-of-" + org, Roles: []string{auth.RoleBusiness}, Org: org}}
}

func terms() domain.Terms {
	return domain.Terms{
		BuyerAgency: "Dinas Pendidikan Provinsi Jawa Barat", Title: "Pengadaan laptop sekolah", Category: domain.CategoryGoods,
		HPS: 1_000_000_000, KBLI: kbli, ProcurementMethod: "tender",
		Evaluation:     domain.EvaluationTerms{Method: domain.MethodLowestPrice},
		BidPeriodStart: t0.Add(24 * time.Hour), BidDeadline: t0.Add(10 * 24 * time.Hour),
		Committee: []string{"pokja-1", "pokja-2"},
	}
}

// license gives vendor an active license for kbli in the read model, as
// the licensing consumer would.
func (f *fixture) license(vendor, status string) {
	f.t.Helper()
	err := dbx.WithTx(context.Background(), f.db.DB, func(tx *sqlx.Tx) error {
		return f.svc.ApplyLicense(context.Background(), postgres.InTx(tx), domain.VendorLicense{
			LicenseID: "lic-" + vendor, BusinessID: vendor, KBLI: kbli, Status: domain.LicenseStatus(status), EventTime: f.clock.Now()}, "ev")
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// tendering creates, publishes and opens the bid period of a tender.
func (f *fixture) tendering(tm domain.Terms) *domain.Tender {
	f.t.Helper()
	ctx := context.Background()
	tn, err := f.svc.CreateTender(ctx, officer("pokja-1"), tm)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.PublishTender(ctx, officer("pokja-1"), tn.ID, 0); err != nil {
		f.t.Fatal(err)
	}
	f.clock.Set(tm.BidPeriodStart)
	if _, err := f.svc.AdvanceDueTenders(ctx); err != nil {
		f.t.Fatal(err)
	}
	tn, err = f.store.Tender(ctx, tn.ID)
	if err != nil || tn.State != domain.StateTendering {
		f.t.Fatalf("tender not tendering: %v %v", tn, err)
	}
	return tn
}

func (f *fixture) bid(tenderID, org string, price int64) domain.Bid {
	f.t.Helper()
	b, _, err := f.svc.SubmitBid(context.Background(), vendor(org), tenderID,
		domain.BidContent{Price: price, TechnicalOffer: fmt.Sprintf("penawaran teknis %s", org)}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// closeAndOpen passes the deadline, lets the scheduler close, and opens.
func (f *fixture) closeAndOpen(tn *domain.Tender) (*domain.Tender, app.Opening) {
	f.t.Helper()
	ctx := context.Background()
	f.clock.Set(tn.BidDeadline.Add(time.Second))
	if _, err := f.svc.AdvanceDueTenders(ctx); err != nil {
		f.t.Fatal(err)
	}
	out, op, err := f.svc.OpenBids(ctx, officer("pokja-2"), tn.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return out, op
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.GetContext(context.Background(), &n, query, args...); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func dbxTx(f *fixture, fn func(tx *sqlx.Tx) error) error {
	return dbx.WithTx(context.Background(), f.db.DB, fn)
}

// termsFrom returns terms whose periods start a day after now.
func termsFrom(now time.Time) domain.Terms {
	tm := terms()
	shift := now.Sub(t0)
	tm.BidPeriodStart, tm.BidDeadline = tm.BidPeriodStart.Add(shift), tm.BidDeadline.Add(shift)
	return tm
}

// licenseUntil gives vendor an active license for kbli valid until until.
func (f *fixture) licenseUntil(vendor string, until time.Time) {
	f.t.Helper()
	err := dbx.WithTx(context.Background(), f.db.DB, func(tx *sqlx.Tx) error {
		return f.svc.ApplyLicense(context.Background(), postgres.InTx(tx), domain.VendorLicense{
			LicenseID: "lic-" + vendor, BusinessID: vendor, KBLI: kbli, Status: domain.LicenseActive, ValidUntil: &until,
			EventTime: f.clock.Now()}, "ev")
	})
	if err != nil {
		f.t.Fatal(err)
	}
}
