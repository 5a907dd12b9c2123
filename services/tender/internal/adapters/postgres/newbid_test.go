package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/pgtest"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/migrations"
)

var t0 = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

// TestBidStatementAgreesWithTheDomain is the table test of the one-statement
// bid path: for every case of the tender's state, the time of the bid
// against the bid window, and the vendor's licenses, the statement stores
// the bid exactly when domain.MayBid takes it. Each case also states the
// outcome, so that a rule changed in both places at once is caught too.
func TestBidStatementAgreesWithTheDomain(t *testing.T) {
	db := pgtest.New(t, migrations.FS)
	s := New(db.DB)
	ctx := context.Background()
	start, deadline := t0.Add(24*time.Hour), t0.Add(10*24*time.Hour)
	future, past := deadline.Add(30*24*time.Hour), deadline.Add(-time.Hour)
	const kbli = "46512"
	lic := func(status domain.LicenseStatus, until *time.Time) domain.VendorLicense {
		return domain.VendorLicense{KBLI: kbli, Status: status, ValidUntil: until}
	}
	other := domain.VendorLicense{KBLI: "46511", Status: domain.LicenseActive}
	active := []domain.VendorLicense{lic(domain.LicenseActive, nil)}
	type tcase struct {
		name     string
		state    domain.State
		at       time.Time
		licenses []domain.VendorLicense
		want     bool
	}
	cases := []tcase{
		{"on time, active license", domain.StateTendering, deadline.Add(-time.Hour), active, true},
		{"at the bid period's start", domain.StateTendering, start, active, true},
		{"a second before the bid period", domain.StateTendering, start.Add(-time.Second), active, false},
		{"at the deadline instant", domain.StateTendering, deadline, active, true},
		{"a second late", domain.StateTendering, deadline.Add(time.Second), active, false},
		{"a microsecond late", domain.StateTendering, deadline.Add(time.Microsecond), active, false},
		{"license valid until after the bid", domain.StateTendering, deadline, []domain.VendorLicense{lic(domain.LicenseActive, &future)}, true},
		{"license expired by valid_until", domain.StateTendering, deadline, []domain.VendorLicense{lic(domain.LicenseActive, &past)}, false},
		{"license valid until the bid's very time", domain.StateTendering, deadline, []domain.VendorLicense{lic(domain.LicenseActive, &deadline)}, false},
		{"only license suspended", domain.StateTendering, deadline, []domain.VendorLicense{lic(domain.LicenseSuspended, nil)}, false},
		{"only license revoked", domain.StateTendering, deadline, []domain.VendorLicense{lic(domain.LicenseRevoked, nil)}, false},
		{"only license expired", domain.StateTendering, deadline, []domain.VendorLicense{lic(domain.LicenseExpired, nil)}, false},
		{"no license", domain.StateTendering, deadline, nil, false},
		{"active license for another KBLI", domain.StateTendering, deadline, []domain.VendorLicense{other}, false},
		{"a suspended and an active license", domain.StateTendering, deadline,
			[]domain.VendorLicense{lic(domain.LicenseSuspended, nil), lic(domain.LicenseActive, nil)}, true},
		{"an expired and an unexpired active license", domain.StateTendering, deadline,
			[]domain.VendorLicense{lic(domain.LicenseActive, &past), lic(domain.LicenseActive, &future)}, true},
	}
	for _, st := range domain.AllStates() {
		if st != domain.StateTendering {
			cases = append(cases, tcase{"tender in " + string(st), st, deadline.Add(-time.Hour), active, false})
		}
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tn := &domain.Tender{ID: uuid.NewString(), Number: fmt.Sprintf("TND-2026-%04d", i+1), State: c.state, Version: 1,
				Terms: domain.Terms{BuyerAgency: "Dinas", Title: "Laptop", Category: domain.CategoryGoods, HPS: 1_000_000, KBLI: kbli,
					ProcurementMethod: "tender", Evaluation: domain.EvaluationTerms{Method: domain.MethodLowestPrice},
					BidPeriodStart: start, BidDeadline: deadline, ObjectionDays: 5, MinBids: 1, Committee: []string{"pokja-1"}},
				CreatedBy: "pokja-1", CreatedAt: t0}
			if err := s.CreateTender(ctx, tn, app.Who{Subject: "pokja-1"}, t0); err != nil {
				t.Fatal(err)
			}
			vendor := fmt.Sprintf("vendor-%02d", i)
			tx := db.MustBegin()
			for j, l := range c.licenses {
				l.LicenseID, l.BusinessID, l.EventTime = fmt.Sprintf("lic-%02d-%d", i, j), vendor, t0
				if err := InTx(tx).ApplyLicense(ctx, l, "ev"); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}

			domainTakes := domain.MayBid(tn, c.licenses, c.at) == nil
			sum := sha256.Sum256([]byte("sealed"))
			bid := domain.Bid{ID: uuid.NewString(), TenderID: tn.ID, Vendor: vendor, State: domain.BidSubmitted, Version: 1,
				SealedSHA256: sum[:], SubmittedAt: c.at}
			stored, err := s.InsertNewBid(ctx, app.NewBidWrite{Bid: bid, Sealed: []byte("sealed"), Terms: tn, Who: app.Who{Subject: "user-of-" + vendor},
				Receipt:   domain.Receipt{TenderID: tn.ID, BidID: bid.ID, KeyID: "k", Signature: ""},
				Submitted: app.BidSubmitted{BidID: bid.ID, TenderID: tn.ID, Vendor: vendor, Version: 1, SubmittedAt: c.at},
				After:     map[string]any{"version": 1}})
			if err != nil {
				t.Fatal(err)
			}
			if domainTakes != c.want || stored != c.want {
				t.Fatalf("domain takes it: %v, the statement stored it: %v; want %v", domainTakes, stored, c.want)
			}
			var rows int
			if err := db.GetContext(ctx, &rows, `SELECT count(*) FROM bid WHERE tender_id = $1`, tn.ID); err != nil || (rows == 1) != c.want {
				t.Fatalf("%d bids stored (%v), want stored=%v", rows, err, c.want)
			}
		})
	}
}

// TestGeneralBidTransactionRefusesWhatTheDomainRefuses runs the general
// transaction (replacements, and new bids the statement did not store)
// with the domain's rule: a replacement by a vendor whose license expired
// by valid_until, or is suspended, is refused naming the license; one a
// second after the deadline is refused as late.
func TestGeneralBidTransactionRefusesWhatTheDomainRefuses(t *testing.T) {
	db := pgtest.New(t, migrations.FS)
	s := New(db.DB)
	ctx := context.Background()
	start, deadline := t0.Add(24*time.Hour), t0.Add(10*24*time.Hour)
	tn := &domain.Tender{ID: uuid.NewString(), Number: "TND-2026-0001", State: domain.StateTendering, Version: 1,
		Terms: domain.Terms{BuyerAgency: "Dinas", Title: "Laptop", Category: domain.CategoryGoods, HPS: 1_000_000, KBLI: "46512",
			ProcurementMethod: "tender", Evaluation: domain.EvaluationTerms{Method: domain.MethodLowestPrice},
			BidPeriodStart: start, BidDeadline: deadline, ObjectionDays: 5, MinBids: 1, Committee: []string{"pokja-1"}},
		CreatedBy: "pokja-1", CreatedAt: t0}
	if err := s.CreateTender(ctx, tn, app.Who{Subject: "pokja-1"}, t0); err != nil {
		t.Fatal(err)
	}
	expired := deadline.Add(-time.Hour)
	tx := db.MustBegin()
	for _, l := range []domain.VendorLicense{
		{LicenseID: "l-ok", BusinessID: "v-ok", KBLI: "46512", Status: domain.LicenseActive},
		{LicenseID: "l-exp", BusinessID: "v-exp", KBLI: "46512", Status: domain.LicenseActive, ValidUntil: &expired},
		{LicenseID: "l-sus", BusinessID: "v-sus", KBLI: "46512", Status: domain.LicenseSuspended},
	} {
		l.EventTime = t0
		if err := InTx(tx).ApplyLicense(ctx, l, "ev"); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Every vendor's bid went in before its license lapsed.
	bids := map[string]string{}
	for _, v := range []string{"v-ok", "v-exp", "v-sus"} {
		id := uuid.NewString()
		if _, err := db.ExecContext(ctx, `INSERT INTO bid (id, tender_id, vendor, submitted_by, state, version, sealed, sealed_sha256, submitted_at, confirmed_amendment)
			VALUES ($1, $2, $3, 'u', $4, 1, 'x', 'x', $5, 0)`, id, tn.ID, v, domain.BidSubmitted, start); err != nil {
			t.Fatal(err)
		}
		bids[v] = id
	}
	replace := func(vendor string, at time.Time) error {
		_, err := s.WriteBid(ctx, app.BidWrite{TenderID: tn.ID, BidID: bids[vendor], Vendor: vendor, Who: app.Who{Subject: "u"}, At: at},
			func(t *domain.Tender, current *domain.Bid, licenses []domain.VendorLicense) (app.BidChange, error) {
				if err := domain.MayBid(t, licenses, at); err != nil {
					return app.BidChange{}, err
				}
				b := *current
				if err := b.Replace(t, domain.BidActorOwner, []byte("y"), at); err != nil {
					return app.BidChange{}, err
				}
				return app.BidChange{Bid: b, Sealed: []byte("y"), Effect: app.Effect{Action: "bid.replace"}}, nil
			})
		return err
	}
	for _, c := range []struct {
		vendor string
		at     time.Time
		want   apperr.Code
	}{
		{"v-ok", deadline, ""},
		{"v-ok", deadline.Add(time.Second), apperr.Conflict},
		{"v-exp", deadline, apperr.Forbidden},
		{"v-sus", deadline, apperr.Forbidden},
	} {
		if got := apperr.CodeOf(replace(c.vendor, c.at)); got != c.want {
			t.Errorf("replacement by %s at %s: %q, want %q", c.vendor, c.at, got, c.want)
		}
	}
	var version int
	if err := db.GetContext(ctx, &version, `SELECT version FROM bid WHERE id = $1`, bids["v-ok"]); err != nil || version != 2 {
		t.Fatalf("replaced bid at version %d (%v), want 2", version, err)
	}
}
