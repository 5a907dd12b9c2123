package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

func TestTenderLifecycleWritesStateOutboxAndAuditTogether(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	f.license("vendor-b", "active")
	tn := f.tendering(terms())
	f.bid(tn.ID, "vendor-a", 900_000_000)
	f.bid(tn.ID, "vendor-b", 750_000_000)
	out, op := f.closeAndOpen(tn)
	if out.State != domain.StateEvaluation || op.ValidBids != 2 || len(op.Bids) != 2 {
		t.Fatalf("after opening: state %s valid %d bids %d", out.State, op.ValidBids, len(op.Bids))
	}
	prices := map[string]int64{}
	for _, b := range op.Bids {
		prices[b.Vendor] = *b.Price
	}
	if prices["vendor-a"] != 900_000_000 || prices["vendor-b"] != 750_000_000 {
		t.Fatalf("opened prices %v", prices)
	}
	for _, typ := range []string{"tender.tender.published", "tender.tender.tendering_started", "tender.bid.submitted",
		"tender.tender.bidding_closed", "tender.bids.opened"} {
		if f.count(`SELECT count(*) FROM outbox WHERE type = $1`, typ) == 0 {
			t.Errorf("no %s in the outbox", typ)
		}
	}
	for _, action := range []string{"tender.create", "tender.publish", "tender.start_tendering", "bid.submit",
		"tender.close_bidding", "tender.open_bids"} {
		if f.count(`SELECT count(*) FROM audit_record WHERE action = $1`, action) == 0 {
			t.Errorf("no audit record %s", action)
		}
	}
	// No bid event carries a price.
	if n := f.count(`SELECT count(*) FROM outbox WHERE type LIKE 'tender.bid.%' AND payload::text ~ '(900000000|750000000|price)'`); n != 0 {
		t.Fatalf("%d bid events mention a price", n)
	}
}

func TestOnlyCommitteeMembersActOnTheTender(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tn, err := f.svc.CreateTender(ctx, officer("pokja-1"), terms())
	if err != nil {
		t.Fatal(err)
	}
	// Another officer, not on the committee, does not even see the draft.
	if _, err := f.svc.PublishTender(ctx, officer("pokja-9"), tn.ID, 0); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("outsider published a draft: %v", err)
	}
	if _, err := f.svc.CreateTender(ctx, vendor("vendor-a"), terms()); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("vendor created a tender: %v", err)
	}
	if _, err := f.svc.PublishTender(ctx, officer("pokja-1"), tn.ID, tn.Version+1); !apperr.Is(err, apperr.PreconditionFailed) {
		t.Fatalf("stale version published: %v", err)
	}
	if _, err := f.svc.PublishTender(ctx, officer("pokja-2"), tn.ID, tn.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CancelTender(ctx, officer("pokja-9"), tn.ID, "no"); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("outsider cancelled: %v", err)
	}
	if _, err := f.svc.PublishTender(ctx, officer("pokja-1"), tn.ID, 0); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("published twice: %v", err)
	}
}

func TestBidOneSecondAfterDeadlineIsRefusedByServerClock(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	tn := f.tendering(terms())
	b := f.bid(tn.ID, "vendor-a", 900_000_000)
	ctx := context.Background()
	f.clock.Set(tn.BidDeadline)
	if _, _, err := f.svc.ReplaceBid(ctx, vendor("vendor-a"), tn.ID, b.ID, domain.BidContent{Price: 850_000_000, TechnicalOffer: "x"}); err != nil {
		t.Fatalf("replace at the deadline refused: %v", err)
	}
	f.clock.Set(tn.BidDeadline.Add(time.Second))
	if _, _, err := f.svc.ReplaceBid(ctx, vendor("vendor-a"), tn.ID, b.ID, domain.BidContent{Price: 800_000_000, TechnicalOffer: "x"}); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("replace after the deadline: %v", err)
	}
	if _, err := f.svc.WithdrawBid(ctx, vendor("vendor-a"), tn.ID, b.ID); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("withdraw after the deadline: %v", err)
	}
	f.license("vendor-b", "active")
	if _, _, err := f.svc.SubmitBid(ctx, vendor("vendor-b"), tn.ID, domain.BidContent{Price: 1, TechnicalOffer: "x"}, nil); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("new bid after the deadline: %v", err)
	}
	// The store's own check refuses too (a request that passed the early
	// check just before the deadline): the one statement stores nothing.
	late := f.clock.Now().Truncate(time.Microsecond)
	lateBid := domain.Bid{ID: "0195f3a0-0000-7000-8000-000000000001", TenderID: tn.ID, Vendor: "vendor-b", State: domain.BidSubmitted,
		Version: 1, SealedSHA256: make([]byte, 32), SubmittedAt: late}
	receipt := domain.IssueReceipt(f.priv, "k", tn.ID, lateBid.ID, []byte("x"), late)
	cur, _ := f.svc.PublicTender(ctx, tn.ID)
	stored, err := f.store.InsertNewBid(ctx, app.NewBidWrite{Bid: lateBid, Sealed: []byte("x"), Receipt: receipt, Terms: cur, Who: app.Who{Subject: "user-of-vendor-b"},
		Submitted: app.BidSubmitted{BidID: lateBid.ID, TenderID: tn.ID, Vendor: "vendor-b", Version: 1, SubmittedAt: late}, After: map[string]any{}})
	if err != nil || stored {
		t.Fatalf("store took a late bid: %v %v", stored, err)
	}
	_, op := f.closeAndOpen(tn)
	if len(op.Bids) != 1 || *op.Bids[0].Price != 850_000_000 {
		t.Fatalf("opening %+v, want the replaced price", op.Bids)
	}
}

func TestWithdrawnBidIsNotOpened(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	f.license("vendor-b", "active")
	tn := f.tendering(terms())
	a := f.bid(tn.ID, "vendor-a", 900_000_000)
	f.bid(tn.ID, "vendor-b", 950_000_000)
	if _, err := f.svc.WithdrawBid(context.Background(), vendor("vendor-a"), tn.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	_, op := f.closeAndOpen(tn)
	if len(op.Bids) != 1 || op.Bids[0].Vendor != "vendor-b" {
		t.Fatalf("opened %+v", op.Bids)
	}
}

func TestUnlicensedOrSuspendedVendorIsRefusedNamingTheLicense(t *testing.T) {
	f := newFixture(t)
	tn := f.tendering(terms())
	ctx := context.Background()
	content := domain.BidContent{Price: 1_000, TechnicalOffer: "x"}
	_, _, err := f.svc.SubmitBid(ctx, vendor("vendor-x"), tn.ID, content, nil)
	var e *apperr.Error
	if !apperr.Is(err, apperr.Forbidden) || !strings.Contains(err.Error(), kbli) {
		t.Fatalf("unlicensed vendor: %v", err)
	}
	e = err.(*apperr.Error)
	if e.Extra["missing_license"] == nil {
		t.Fatalf("problem does not name the missing license: %+v", e.Extra)
	}
	f.license("vendor-x", "active")
	if _, _, err := f.svc.SubmitBid(ctx, vendor("vendor-x"), tn.ID, content, nil); err != nil {
		t.Fatalf("licensed vendor refused: %v", err)
	}
	f.clock.Advance(time.Minute)
	f.license("vendor-x", "suspended")
	f.license("vendor-y", "active")
	if _, _, err := f.svc.SubmitBid(ctx, vendor("vendor-x"), tn.ID, content, nil); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("suspended vendor: %v", err)
	}
}

func TestVendorSeesOnlyItsOwnBids(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	f.license("vendor-b", "active")
	tn := f.tendering(terms())
	f.clock.Advance(123456789 * time.Nanosecond) // a time finer than PostgreSQL keeps
	a := f.bid(tn.ID, "vendor-a", 900_000_000)
	ctx := context.Background()
	if _, _, err := f.svc.Bid(ctx, vendor("vendor-b"), tn.ID, a.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another vendor read the bid: %v", err)
	}
	if _, err := f.svc.WithdrawBid(ctx, vendor("vendor-b"), tn.ID, a.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another vendor withdrew the bid: %v", err)
	}
	if _, _, err := f.svc.Bid(ctx, officer("pokja-1"), tn.ID, a.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("an officer read a bid before the opening: %v", err)
	}
	got, receipts, err := f.svc.Bid(ctx, vendor("vendor-a"), tn.ID, a.ID)
	if err != nil || got.ID != a.ID || len(receipts) != 1 {
		t.Fatalf("own bid: %+v %v %v", got, receipts, err)
	}
	if err := domain.VerifyReceipt(f.pub, receipts[0], nil); err != nil {
		t.Fatalf("stored receipt does not verify: %v", err)
	}
}

// TestDatabaseDumpBeforeOpeningHoldsNoPriceOrTechnicalText dumps the whole
// tender database with pg_dump while bids are in and finds neither the
// prices nor the technical offers, in any encoding a dump would use.
func TestDatabaseDumpBeforeOpeningHoldsNoPriceOrTechnicalText(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	tn := f.tendering(terms())
	const price, offer = int64(987_654_321), "Spesifikasi rahasia: prosesor 8 inti, RAM 32 GB"
	ctx := context.Background()
	if _, _, err := f.svc.SubmitBid(ctx, vendor("vendor-a"), tn.ID, domain.BidContent{Price: price, TechnicalOffer: offer,
		Documents: []domain.BidDocument{{Name: "teknis.txt", Content: []byte("Metodologi pelaksanaan rahasia")}}}, nil); err != nil {
		t.Fatal(err)
	}
	dump := pgDump(t, f.db.URL)
	if !bytes.Contains(dump, []byte("CREATE TABLE public.bid")) || !bytes.Contains(dump, []byte("vendor-a")) {
		t.Fatal("the dump does not hold the bid table and its row: the check would prove nothing")
	}
	for _, secret := range []string{"987654321", "987.654.321", "987,654,321", "Spesifikasi rahasia", "prosesor 8 inti",
		"Metodologi pelaksanaan", fmt.Sprintf("%x", "Spesifikasi rahasia")} {
		if bytes.Contains(dump, []byte(secret)) {
			t.Errorf("the dump holds %q before the opening", secret)
		}
	}
	f.closeAndOpen(tn)
	if after := pgDump(t, f.db.URL); !bytes.Contains(after, []byte("987654321")) {
		t.Fatal("after the opening the price should be in the opening record")
	}
}

func pgDump(t *testing.T, url string) []byte {
	t.Helper()
	bin := "/usr/lib/postgresql/15/bin/pg_dump"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("pg_dump"); err != nil {
			t.Fatalf("pg_dump not found: %v", err)
		}
	}
	out, err := exec.Command(bin, "--no-owner", "--dbname", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return out
}

// TestBidsInFlightAtTheDeadlineAreRefusedOrCounted submits a stream of
// bids from many vendors while the clock passes the deadline and the
// scheduler tries to close the tender at the same time: every bid that was
// acknowledged is in the opening; every other one was refused.
func TestBidsInFlightAtTheDeadlineAreRefusedOrCounted(t *testing.T) {
	f := newFixture(t)
	const vendors = 60
	for i := range vendors {
		f.license(fmt.Sprintf("v%02d", i), "active")
	}
	tn := f.tendering(terms())
	f.clock.Set(tn.BidDeadline.Add(-time.Second))
	ctx := context.Background()
	var mu sync.Mutex
	acked := map[string]bool{}
	refused := 0
	var wg sync.WaitGroup
	start := make(chan struct{})
	ackCh := make(chan struct{}, vendors)
	for i := range vendors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			org := fmt.Sprintf("v%02d", i)
			_, _, err := f.svc.SubmitBid(ctx, vendor(org), tn.ID, domain.BidContent{Price: int64(500_000_000 + i), TechnicalOffer: "x"}, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				acked[org] = true
				ackCh <- struct{}{}
			case apperr.Is(err, apperr.Conflict):
				refused++
			default:
				t.Errorf("bid of %s: %v", org, err)
			}
		}()
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-start
		// The deadline passes once a third of the bids are in, with the
		// others in flight.
		for range vendors / 3 {
			<-ackCh
		}
		f.clock.Set(tn.BidDeadline.Add(time.Second))
		for {
			if _, err := f.svc.AdvanceDueTenders(ctx); err != nil {
				t.Errorf("scheduler: %v", err)
				return
			}
			cur, _ := f.store.Tender(ctx, tn.ID)
			if cur.State != domain.StateTendering {
				return
			}
		}
	}()
	close(start)
	wg.Wait()
	<-closed
	if len(acked)+refused != vendors {
		t.Fatalf("acked %d + refused %d != %d", len(acked), refused, vendors)
	}
	_, op, err := f.svc.OpenBids(ctx, officer("pokja-1"), tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	opened := map[string]bool{}
	for _, b := range op.Bids {
		opened[b.Vendor] = true
		if b.Price == nil {
			t.Errorf("bid of %s did not decrypt", b.Vendor)
		}
	}
	for org := range acked {
		if !opened[org] {
			t.Errorf("bid of %s was acknowledged but is missing at the opening", org)
		}
	}
	if len(opened) != len(acked) {
		t.Fatalf("opened %d bids, acknowledged %d", len(opened), len(acked))
	}
	t.Logf("acknowledged %d, refused %d", len(acked), refused)
}

func TestSchedulerInstancesMoveEachTenderOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n = 12
	for range n {
		tn, err := f.svc.CreateTender(ctx, officer("pokja-1"), terms())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PublishTender(ctx, officer("pokja-1"), tn.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set(terms().BidPeriodStart)
	var wg sync.WaitGroup
	moved := make([]int, 3)
	for i := range moved {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := f.svc.AdvanceDueTenders(ctx)
			if err != nil {
				t.Error(err)
			}
			moved[i] = m
		}()
	}
	wg.Wait()
	if total := moved[0] + moved[1] + moved[2]; total != n {
		t.Fatalf("instances moved %v = %d tenders, want %d", moved, total, n)
	}
	if got := f.count(`SELECT count(*) FROM audit_record WHERE action = 'tender.start_tendering'`); got != n {
		t.Fatalf("%d start_tendering records, want %d", got, n)
	}
	// Before its time, nothing moves.
	f.clock.Set(terms().BidDeadline)
	if m, _ := f.svc.AdvanceDueTenders(ctx); m != 0 {
		t.Fatalf("moved %d tenders at the deadline instant", m)
	}
}

func TestNoBidsAtTheDeadlineFailsTheTender(t *testing.T) {
	f := newFixture(t)
	tn := f.tendering(terms())
	f.clock.Set(tn.BidDeadline.Add(time.Second))
	if _, err := f.svc.AdvanceDueTenders(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.Tender(context.Background(), tn.ID)
	if got.State != domain.StateFailed || got.Reason == "" {
		t.Fatalf("state %s reason %q", got.State, got.Reason)
	}
	if f.count(`SELECT count(*) FROM outbox WHERE type = 'tender.tender.failed'`) != 1 {
		t.Fatal("no tender.tender.failed event")
	}
}

func TestOpeningOnlyByCommitteeAfterDeadline(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	tn := f.tendering(terms())
	f.bid(tn.ID, "vendor-a", 900_000_000)
	ctx := context.Background()
	if _, _, err := f.svc.OpenBids(ctx, officer("pokja-1"), tn.ID); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("opened before the deadline: %v", err)
	}
	f.clock.Set(tn.BidDeadline.Add(time.Second))
	if _, _, err := f.svc.OpenBids(ctx, officer("pokja-1"), tn.ID); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("opened before the scheduler closed bidding: %v", err)
	}
	_, _ = f.svc.AdvanceDueTenders(ctx)
	if _, _, err := f.svc.OpenBids(ctx, officer("pokja-9"), tn.ID); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("outsider opened: %v", err)
	}
	if _, _, err := f.svc.OpenBids(ctx, vendor("vendor-a"), tn.ID); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("vendor opened: %v", err)
	}
	if _, err := f.svc.OpeningRecord(ctx, tn.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("opening record before the opening: %v", err)
	}
	if _, _, err := f.svc.OpenBids(ctx, officer("pokja-1"), tn.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.OpenBids(ctx, officer("pokja-1"), tn.ID); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("opened twice: %v", err)
	}
}

func TestAmendmentAsksBiddersToConfirmAgain(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	f.license("vendor-b", "active")
	tn := f.tendering(terms())
	a := f.bid(tn.ID, "vendor-a", 900_000_000)
	f.bid(tn.ID, "vendor-b", 950_000_000)
	ctx := context.Background()
	f.clock.Set(tn.BidDeadline.Add(-time.Hour))
	amended := tn.Terms
	amended.Description = "Addendum 1: jumlah unit menjadi 120"
	got, extended, err := f.svc.AmendTender(ctx, officer("pokja-1"), tn.ID, 0, amended)
	if err != nil || !extended || !got.BidDeadline.Equal(f.clock.Now().Add(domain.AmendmentNotice)) {
		t.Fatalf("amend: %v extended %v deadline %s", err, extended, got.BidDeadline)
	}
	// vendor-a confirms by replacing its bid; vendor-b does not.
	if _, _, err := f.svc.ReplaceBid(ctx, vendor("vendor-a"), tn.ID, a.ID, domain.BidContent{Price: 910_000_000, TechnicalOffer: "x"}); err != nil {
		t.Fatal(err)
	}
	_, op := f.closeAndOpen(got)
	reasons := map[string]string{}
	for _, b := range op.Bids {
		reasons[b.Vendor] = b.Disqualified
	}
	if reasons["vendor-a"] != "" || reasons["vendor-b"] != "not confirmed after addendum 1" {
		t.Fatalf("reasons %v", reasons)
	}
	if f.count(`SELECT count(*) FROM addendum WHERE tender_id = $1`, tn.ID) != 1 {
		t.Fatal("addendum not stored")
	}
}

// A new bid is stored in one statement rendered with the tender's terms
// as read (and reused for a second) before it; a bid right after an
// addendum, rendered with the terms before it, must still be stored
// under the addendum, with the bid security due by the new deadline.
func TestABidRightAfterAnAddendumIsStoredUnderIt(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	f.license("vendor-b", "active")
	tm := terms()
	tm.BidSecurityAmount = 20_000_000
	tn := f.tendering(tm)
	ctx := context.Background()
	f.clock.Set(tn.BidDeadline.Add(-time.Hour))
	f.bid(tn.ID, "vendor-a", 900_000_000) // reads the terms before the addendum
	amended := tn.Terms
	amended.Description = "Addendum 1: jumlah unit menjadi 120"
	got, _, err := f.svc.AmendTender(ctx, officer("pokja-1"), tn.ID, 0, amended)
	if err != nil {
		t.Fatal(err)
	}
	b := f.bid(tn.ID, "vendor-b", 950_000_000)
	if b.ConfirmedAmendment != 1 || b.Version != 1 {
		t.Fatalf("bid after the addendum: amendment %d version %d, want 1 and 1", b.ConfirmedAmendment, b.Version)
	}
	var payBefore time.Time
	err = f.db.GetContext(ctx, &payBefore, `
		SELECT (payload->'data'->>'pay_before')::timestamptz FROM outbox
		WHERE type = 'tender.bid_security.requested' AND payload->'data'->>'vendor' = 'vendor-b'`)
	if err != nil || !payBefore.Equal(got.BidDeadline) {
		t.Fatalf("security of vendor-b due %s (%v), want the new deadline %s", payBefore, err, got.BidDeadline)
	}
	if n := f.count(`SELECT count(*) FROM outbox WHERE type = 'tender.bid.submitted'`); n != 2 {
		t.Fatalf("%d bid events, want 2", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_record WHERE action = 'bid.submit'`); n != 2 {
		t.Fatalf("%d audit records of bids, want 2", n)
	}
	confirmed := map[string]int{}
	rows, err := f.db.QueryContext(ctx, `SELECT vendor, confirmed_amendment FROM bid WHERE tender_id = $1`, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		var a int
		if err := rows.Scan(&v, &a); err != nil {
			t.Fatal(err)
		}
		confirmed[v] = a
	}
	if confirmed["vendor-a"] != 0 || confirmed["vendor-b"] != 1 {
		t.Fatalf("stored amendments %v, want vendor-a 0 and vendor-b 1", confirmed)
	}
}

func TestClarificationAnswersArePublicWithoutTheAsker(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tn, _ := f.svc.CreateTender(ctx, officer("pokja-1"), terms())
	if _, err := f.svc.AskQuestion(ctx, vendor("vendor-a"), tn.ID, "Boleh merek lain?"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("question on a draft: %v", err)
	}
	_, _ = f.svc.PublishTender(ctx, officer("pokja-1"), tn.ID, 0)
	q, err := f.svc.AskQuestion(ctx, vendor("vendor-a"), tn.ID, "Boleh merek lain?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AnswerQuestion(ctx, officer("pokja-9"), tn.ID, q.ID, "Ya"); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("outsider answered: %v", err)
	}
	if _, err := f.svc.AnswerQuestion(ctx, officer("pokja-2"), tn.ID, q.ID, "Ya, setara."); err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.Clarifications(ctx, tn.ID)
	if err != nil || len(list) != 1 || *list[0].Answer != "Ya, setara." {
		t.Fatalf("list %+v %v", list, err)
	}
	f.clock.Set(tn.BidDeadline.Add(time.Second))
	if _, err := f.svc.AskQuestion(ctx, vendor("vendor-a"), tn.ID, "Terlambat?"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("question after the deadline: %v", err)
	}
}

func TestUnpaidBidSecurityIsDisqualifiedAtTheOpening(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	f.license("vendor-b", "active")
	tm := terms()
	tm.BidSecurityAmount = 20_000_000
	tn := f.tendering(tm)
	f.bid(tn.ID, "vendor-a", 900_000_000)
	b := f.bid(tn.ID, "vendor-b", 950_000_000)
	// A replacement does not ask for a second security.
	if _, _, err := f.svc.ReplaceBid(context.Background(), vendor("vendor-b"), tn.ID, b.ID, domain.BidContent{Price: 940_000_000, TechnicalOffer: "x"}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM outbox WHERE type = 'tender.bid_security.requested'`); n != 2 {
		t.Fatalf("%d security requests, want one per vendor", n)
	}
	var secID string
	if err := f.db.GetContext(context.Background(), &secID, `SELECT id FROM bid_security WHERE vendor = 'vendor-a'`); err != nil {
		t.Fatal(err)
	}
	// Each vendor reads its own security, not another's.
	sec, err := f.svc.BidSecurity(context.Background(), vendor("vendor-a"), tn.ID)
	if err != nil || sec.ID != secID || sec.Amount != 20_000_000 || sec.State != domain.SecurityRequested || sec.HeldAt != nil {
		t.Fatalf("vendor-a's security before payment: %+v %v", sec, err)
	}
	if _, err := f.svc.BidSecurity(context.Background(), vendor("vendor-c"), tn.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("the security of a vendor who did not bid: %v, want not found", err)
	}
	err = dbxTx(f, func(tx *sqlx.Tx) error {
		ok, err := postgres.InTx(tx).MarkSecurityHeld(context.Background(), secID, "inv-1", f.clock.Now(), "ev-1")
		if !ok {
			t.Error("security not marked held")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if sec, err := f.svc.BidSecurity(context.Background(), vendor("vendor-a"), tn.ID); err != nil || sec.State != domain.SecurityHeld || sec.HeldAt == nil {
		t.Fatalf("vendor-a's security once paid: %+v %v", sec, err)
	}
	_, op := f.closeAndOpen(tn)
	reasons := map[string]string{}
	for _, o := range op.Bids {
		reasons[o.Vendor] = o.Disqualified
	}
	if reasons["vendor-a"] != "" || reasons["vendor-b"] != app.ReasonSecurityUnpaid || op.ValidBids != 1 {
		t.Fatalf("reasons %v valid %d", reasons, op.ValidBids)
	}
}

func TestUndecryptableBidIsRecordedAndShownAtTheOpening(t *testing.T) {
	f := newFixture(t)
	f.license("vendor-a", "active")
	f.license("vendor-b", "active")
	tn := f.tendering(terms())
	broken := f.bid(tn.ID, "vendor-a", 900_000_000)
	f.bid(tn.ID, "vendor-b", 950_000_000)
	if _, err := f.db.Exec(`UPDATE bid SET sealed = overlay(sealed placing '\xff'::bytea from length(sealed) for 1) WHERE id = $1`, broken.ID); err != nil {
		t.Fatal(err)
	}
	out, op := f.closeAndOpen(tn)
	if out.State != domain.StateEvaluation || len(op.Bids) != 2 || op.ValidBids != 1 {
		t.Fatalf("state %s bids %d valid %d", out.State, len(op.Bids), op.ValidBids)
	}
	rec, err := f.svc.OpeningRecord(context.Background(), tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rec.Bids {
		if b.BidID == broken.ID && (b.DecryptError == nil || b.Disqualified != app.ReasonUndecryptable || b.Price != nil) {
			t.Fatalf("the broken bid is not shown as undecryptable: %+v", b)
		}
	}
}

func TestTenderEndingWithoutAwardReleasesSecuritiesThroughPayment(t *testing.T) {
	f := newFixture(t)
	tm := terms()
	tm.BidSecurityAmount = 20_000_000
	tn := f.tendering(tm)
	if _, err := f.svc.CancelTender(context.Background(), officer("pokja-1"), tn.ID, "anggaran ditarik"); err != nil {
		t.Fatal(err)
	}
	var vendor, outcome string
	err := f.db.QueryRow(`SELECT payload->'data'->>'vendor', payload->'data'->>'outcome' FROM outbox WHERE type = 'tender.award.finalised'`).Scan(&vendor, &outcome)
	if err != nil || vendor != "" || outcome != "cancelled" {
		t.Fatalf("award.finalised vendor %q outcome %q: %v", vendor, outcome, err)
	}
}

// TestFirstBidOfAVendorWhoseOnlyLicenseIsSuspendedIsRefused: the vendor
// never bid while active; its one license is suspended before its first bid.
func TestFirstBidOfAVendorWhoseOnlyLicenseIsSuspendedIsRefused(t *testing.T) {
	f := newFixture(t)
	tn := f.tendering(terms())
	f.license("vendor-s", "active")
	f.clock.Advance(time.Minute)
	f.license("vendor-s", "suspended")
	_, _, err := f.svc.SubmitBid(context.Background(), vendor("vendor-s"), tn.ID, domain.BidContent{Price: 1_000, TechnicalOffer: "x"}, nil)
	if !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("first bid with a suspended license: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM bid WHERE vendor = 'vendor-s'`); n != 0 {
		t.Fatalf("%d bids stored", n)
	}
}

// TestBidAndReplacementAfterTheLicenseExpiredAreRefused: a license past its
// valid_until qualifies no bid, new or replacing one made before.
func TestBidAndReplacementAfterTheLicenseExpiredAreRefused(t *testing.T) {
	f := newFixture(t)
	tn := f.tendering(terms())
	ctx := context.Background()
	until := f.clock.Now().Add(time.Hour)
	f.licenseUntil("vendor-e", until)
	f.licenseUntil("vendor-n", until)
	b := f.bid(tn.ID, "vendor-e", 900_000_000)
	f.clock.Set(until.Add(time.Second))
	content := domain.BidContent{Price: 800_000_000, TechnicalOffer: "x"}
	if _, _, err := f.svc.ReplaceBid(ctx, vendor("vendor-e"), tn.ID, b.ID, content); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("replacement after the license expired: %v", err)
	}
	if _, _, err := f.svc.SubmitBid(ctx, vendor("vendor-n"), tn.ID, content, nil); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("new bid after the license expired: %v", err)
	}
	if v := f.count(`SELECT version FROM bid WHERE id = $1`, b.ID); v != 1 {
		t.Fatalf("the bid is at version %d, want 1", v)
	}
}
