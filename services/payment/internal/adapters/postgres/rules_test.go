package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/pgtest"
	"gerbang/services/payment/internal/adapters/postgres"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
	"gerbang/services/payment/migrations"
)

// errRollback ends a case's transaction without keeping what it wrote, so
// that each case sees only its own rows.
var errRollback = errors.New("rollback")

func inRolledBackTx(t *testing.T, store *postgres.Store, fn func(app.Tx) error) {
	t.Helper()
	err := store.InTx(context.Background(), func(tx app.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
}

// invoiceIn returns a new fee invoice, as stored, in state st.
func invoiceIn(t *testing.T, st domain.InvoiceState, ref string, expires time.Time) *domain.Invoice {
	t.Helper()
	inv, err := domain.NewInvoice(domain.NewInvoiceInput{Purpose: domain.PurposeLicenseFee, Reference: ref, Payer: "ORG-1",
		Amount: domain.IDR(1000), ExpiresAt: expires}, t0)
	if err != nil {
		t.Fatal(err)
	}
	r := inv.Record()
	r.State = st
	return domain.UnmarshalInvoiceFromDatabase(r)
}

// TestDueInvoicesAgreeWithTheDomain is the table test of the expiry query:
// for every invoice state and an expiry before, at and after the
// scheduler's now, the query takes the invoice exactly when the domain
// expires it (expire starts from its state and it is past its expiry).
// Each case also states the outcome, so that a rule changed in both places
// at once is caught too.
func TestDueInvoicesAgreeWithTheDomain(t *testing.T) {
	store := postgres.New(pgtest.New(t, migrations.FS).DB)
	now := t0.Add(48 * time.Hour)
	for _, st := range domain.InvoiceStates() {
		for _, c := range []struct {
			name    string
			expires time.Time
		}{{"expired an hour ago", now.Add(-time.Hour)}, {"expiring now", now}, {"expiring in a second", now.Add(time.Second)}} {
			t.Run(string(st)+"/"+c.name, func(t *testing.T) {
				inv := invoiceIn(t, st, "DUE-"+string(st)+c.name, t0.Add(2*time.Hour))
				r := inv.Record()
				r.ExpiresAt = c.expires
				inv = domain.UnmarshalInvoiceFromDatabase(r)
				domainSays := inv.Expired(now) && inv.Apply(domain.ActExpire, domain.ActorSystem, now) == nil
				want := st == domain.InvoicePending && !c.expires.After(now)
				if domainSays != want {
					t.Fatalf("the domain expires it: %v; the case says %v", domainSays, want)
				}
				inRolledBackTx(t, store, func(tx app.Tx) error {
					if _, _, err := tx.InsertInvoice(context.Background(), domain.UnmarshalInvoiceFromDatabase(r)); err != nil {
						return err
					}
					due, err := tx.DueInvoices(context.Background(), now, 100)
					if err != nil {
						return err
					}
					got := slices.ContainsFunc(due, func(d *domain.Invoice) bool { return d.ID() == r.ID })
					if got != want || len(due) > 1 {
						t.Errorf("the query takes it: %v (%d due); want %v", got, len(due), want)
					}
					return nil
				})
			})
		}
	}
}

// TestPayableRefundsAgreeWithTheDomain: the payout query takes a refund
// exactly when the domain lets it complete.
func TestPayableRefundsAgreeWithTheDomain(t *testing.T) {
	store := postgres.New(pgtest.New(t, migrations.FS).DB)
	for _, st := range domain.RefundStates() {
		t.Run(string(st), func(t *testing.T) {
			inv := invoiceIn(t, domain.InvoiceRefundPending, "REFUND-"+string(st), t0.Add(24*time.Hour))
			r, err := domain.NewRefund(inv, inv.Amount(), domain.AccountPNBPRevenue, "fin-1", "paid twice", t0)
			if err != nil {
				t.Fatal(err)
			}
			r.State = st
			if st != domain.RefundRequested {
				r.DecidedBy, r.DecidedAt = "fin-2", t0
			}
			_, err = domain.NextRefundState(st, domain.RefundComplete, domain.ActorSystem)
			domainSays, want := err == nil, st == domain.RefundApproved
			if domainSays != want {
				t.Fatalf("the domain pays it out: %v; the case says %v", domainSays, want)
			}
			inRolledBackTx(t, store, func(tx app.Tx) error {
				ctx := context.Background()
				if _, _, err := tx.InsertInvoice(ctx, inv); err != nil {
					return err
				}
				if err := tx.InsertRefund(ctx, r); err != nil {
					return err
				}
				payable, err := tx.PayableRefunds(ctx, 100)
				if err != nil {
					return err
				}
				if got := len(payable) == 1 && payable[0].ID == r.ID; got != want || len(payable) > 1 {
					t.Errorf("the query pays it out: %v (%d payable); want %v", got, len(payable), want)
				}
				return nil
			})
		})
	}
}

// TestSuspendedAmountIsThePaymentsUnderReview: the sum finance accepts or
// refunds is that of the invoice's payments whose outcome is
// domain.OutcomeManualReview, and of no other.
func TestSuspendedAmountIsThePaymentsUnderReview(t *testing.T) {
	store := postgres.New(pgtest.New(t, migrations.FS).DB)
	ctx := context.Background()
	inv := invoiceIn(t, domain.InvoiceManualReview, "SUSPENDED", t0.Add(24*time.Hour))
	inRolledBackTx(t, store, func(tx app.Tx) error {
		if _, _, err := tx.InsertInvoice(ctx, inv); err != nil {
			return err
		}
		var want int64
		for i, p := range []struct {
			outcome domain.PaymentOutcome
			amount  int64
		}{{domain.OutcomeManualReview, 900}, {domain.OutcomePaid, 1000}, {domain.OutcomeManualReview, 50}} {
			id, _ := uuid.NewV7()
			if _, err := tx.InsertPayment(ctx, domain.Payment{ID: id, GatewayReference: fmt.Sprintf("GW-%d", i), InvoiceID: inv.ID(),
				BillingCode: string(inv.BillingCode()), Amount: domain.IDR(p.amount), Proof: "NTPN", PaidAt: t0, ReceivedAt: t0,
				Outcome: p.outcome}); err != nil {
				return err
			}
			if p.outcome == domain.OutcomeManualReview {
				want += p.amount
			}
		}
		got, err := tx.SuspendedAmount(ctx, inv.ID())
		if err != nil || got != want || want != 950 {
			t.Errorf("suspended %d, %v; want %d (950)", got, err, want)
		}
		return nil
	})
}

// TestStatementLinesAreInsertedInOneStatement stores statements of 1 and of
// 2,000 lines (every tenth matched to a payment): the rows of each share
// one command id (cmin), which PostgreSQL gives every statement of a
// transaction anew, so they were written by one statement; and every line
// is stored as given.
func TestStatementLinesAreInsertedInOneStatement(t *testing.T) {
	pg := pgtest.New(t, migrations.FS)
	store := postgres.New(pg.DB)
	ctx := context.Background()
	inv := invoiceIn(t, domain.InvoicePaid, "STATEMENT", t0.Add(24*time.Hour))
	var payments []uuid.UUID
	if err := store.InTx(ctx, func(tx app.Tx) error {
		if _, _, err := tx.InsertInvoice(ctx, inv); err != nil {
			return err
		}
		for i := range 200 {
			id, _ := uuid.NewV7()
			payments = append(payments, id)
			if _, err := tx.InsertPayment(ctx, domain.Payment{ID: id, GatewayReference: fmt.Sprintf("GW-%d", i), InvoiceID: inv.ID(),
				BillingCode: string(inv.BillingCode()), Amount: domain.IDR(1000), Proof: "NTPN", PaidAt: t0, ReceivedAt: t0,
				Outcome: domain.OutcomePaid}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 2000} {
		recID, _ := uuid.NewV7()
		lines := make([]app.StatementMatch, size)
		for i := range lines {
			lines[i].Line = domain.StatementLine{LineNo: i + 2, ValueDate: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
				BillingCode: string(inv.BillingCode()), Amount: int64(1000 + i), BankReference: fmt.Sprintf("BANK-%d", i)}
			if i%10 == 0 && size > 1 {
				lines[i].PaymentID = payments[i/10]
			}
		}
		err := store.InTx(ctx, func(tx app.Tx) error {
			if err := tx.InsertReconciliation(ctx, recID, "fin-1", fmt.Sprintf("sha-%d", size), t0); err != nil {
				return err
			}
			return tx.InsertStatementLines(ctx, recID, lines)
		})
		if err != nil {
			t.Fatal(err)
		}
		var statements int
		if err := pg.GetContext(ctx, &statements, `
			SELECT count(DISTINCT cmin::text) FROM reconciliation_line WHERE reconciliation_id = $1`, recID); err != nil {
			t.Fatal(err)
		}
		if statements != 1 {
			t.Errorf("%d lines were written by %d statements, want 1", size, statements)
		}
		rep, err := store.ReconciliationReport(ctx, recID)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(rep.Matched) + len(rep.UnmatchedLines); got != size {
			t.Fatalf("%d lines stored, want %d", got, size)
		}
		all := append(append([]app.ReportLine{}, rep.Matched...), rep.UnmatchedLines...)
		slices.SortFunc(all, func(a, b app.ReportLine) int { return a.LineNo - b.LineNo })
		for i, l := range all {
			w := lines[i]
			if l.LineNo != w.Line.LineNo || !l.ValueDate.Equal(w.Line.ValueDate) || l.BillingCode != w.Line.BillingCode ||
				l.Amount != w.Line.Amount || l.BankReference != w.Line.BankReference || l.PaymentID != w.PaymentID ||
				(w.PaymentID != uuid.Nil) != (l.InvoiceID == inv.ID()) {
				t.Fatalf("line %d stored as %+v, given %+v", i, l, w)
			}
		}
	}
}
