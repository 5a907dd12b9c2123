package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/pgtest"
	"gerbang/services/payment/internal/adapters/postgres"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
	"gerbang/services/payment/migrations"
)

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func TestDatabaseRefusesAnUnbalancedLedgerTransactionAtCommit(t *testing.T) {
	db := pgtest.New(t, migrations.FS)
	ctx := context.Background()
	id, _ := uuid.NewV7()
	tx := db.MustBegin()
	tx.MustExec(`INSERT INTO ledger_transaction (id, kind, created_at) VALUES ($1, 'x', now())`, id)
	tx.MustExec(`INSERT INTO ledger_posting (transaction_id, account, currency, amount) VALUES ($1, 'a', 'IDR', 5), ($1, 'b', 'IDR', -4)`, id)
	if err := tx.Commit(); err == nil {
		t.Fatal("an unbalanced transaction committed")
	}
	id2, _ := uuid.NewV7()
	tx = db.MustBegin()
	tx.MustExec(`INSERT INTO ledger_transaction (id, kind, created_at) VALUES ($1, 'x', now())`, id2)
	tx.MustExec(`INSERT INTO ledger_posting (transaction_id, account, currency, amount) VALUES ($1, 'a', 'IDR', 5)`, id2)
	if err := tx.Commit(); err == nil {
		t.Fatal("a one-line transaction committed")
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM ledger_posting`); err != nil || n != 0 {
		t.Fatalf("%d postings left, %v", n, err)
	}
}

func TestLedgerIsAppendOnlyAndCorrectedByReversal(t *testing.T) {
	db := pgtest.New(t, migrations.FS)
	store := postgres.New(db.DB)
	ctx := context.Background()
	inv, err := domain.NewInvoice(domain.NewInvoiceInput{Purpose: domain.PurposeLicenseFee, Reference: "A", Payer: "ORG",
		Amount: domain.IDR(900)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	issued, _ := domain.IssuedTransaction(inv, t0)
	err = store.InTx(ctx, func(tx app.Tx) error {
		if _, _, err := tx.InsertInvoice(ctx, inv); err != nil {
			return err
		}
		return tx.AppendTransaction(ctx, issued)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE ledger_posting SET amount = 1`,
		`DELETE FROM ledger_posting`,
		`UPDATE ledger_transaction SET kind = 'x'`,
		`DELETE FROM ledger_transaction`,
		`TRUNCATE ledger_posting CASCADE`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err == nil {
			t.Fatalf("%s was allowed", stmt)
		}
	}
	rev, _ := domain.Reverse(issued, t0)
	if err := store.InTx(ctx, func(tx app.Tx) error { return tx.AppendTransaction(ctx, rev) }); err != nil {
		t.Fatal(err)
	}
	again, _ := domain.Reverse(issued, t0)
	if err := store.InTx(ctx, func(tx app.Tx) error { return tx.AppendTransaction(ctx, again) }); err == nil {
		t.Fatal("a transaction was reversed twice")
	}
	b, err := store.Balances(ctx)
	if err != nil || len(b) != 0 {
		t.Fatalf("balances after reversal %v, %v", b, err)
	}
}

func TestInsertInvoiceDrawsAnotherCodeOnCollision(t *testing.T) {
	db := pgtest.New(t, migrations.FS)
	store := postgres.New(db.DB)
	ctx := context.Background()
	first, _ := domain.NewInvoice(domain.NewInvoiceInput{Purpose: domain.PurposeLicenseFee, Reference: "A", Payer: "ORG", Amount: domain.IDR(1)}, t0)
	r := first.Record()
	r.ID, _ = uuid.NewV7()
	r.Reference = "B"
	clash := domain.UnmarshalInvoiceFromDatabase(r) // same billing code, another request
	err := store.InTx(ctx, func(tx app.Tx) error {
		if _, _, err := tx.InsertInvoice(ctx, first); err != nil {
			return err
		}
		stored, created, err := tx.InsertInvoice(ctx, clash)
		if err != nil || !created || stored.BillingCode() == first.BillingCode() {
			t.Fatalf("clash: created %v, code %s (first %s), %v", created, stored.BillingCode(), first.BillingCode(), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
