package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/pgtest"
	"gerbang/services/payment/internal/adapters/postgres"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
	"gerbang/services/payment/migrations"
)

var (
	t0     = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	secret = []byte("test-gateway-secret")
)

type fixture struct {
	db    *pgtest.DB
	clock *clock.Fake
	svc   *app.Service
	store *postgres.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := pgtest.New(t, migrations.FS)
	// As in production (pkg/dbx), a bounded pool: PostgreSQL's connection
	// slots are shared by every test on the machine.
	db.SetMaxOpenConns(16)
	f := &fixture{db: db, clock: clock.NewFake(t0), store: postgres.New(db.DB)}
	f.svc = app.New(app.Config{Store: f.store, Clock: f.clock, GatewaySecret: secret})
	return f
}

var (
	finance  = auth.Principal{Subject: "fin-1", Roles: []string{auth.RoleFinance}}
	finance2 = auth.Principal{Subject: "fin-2", Roles: []string{auth.RoleFinance}}
	auditor  = auth.Principal{Subject: "aud-1", Roles: []string{auth.RoleAuditor}}
)

func business(org string) auth.Principal {
	return auth.Principal{Subject: "user-" + org, Roles: []string{auth.RoleBusiness}, Org: org}
}

func (f *fixture) fee(t *testing.T, ref, payer string, amount int64) *domain.Invoice {
	t.Helper()
	inv, _, err := f.svc.CreateInvoice(context.Background(), app.CreateInvoice{Purpose: domain.PurposeLicenseFee,
		Reference: ref, Payer: payer, Amount: domain.IDR(amount), ExpiresAt: f.clock.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func (f *fixture) security(t *testing.T, tender, vendor string, amount int64) *domain.Invoice {
	t.Helper()
	inv, _, err := f.svc.CreateInvoice(context.Background(), app.CreateInvoice{Purpose: domain.PurposeBidSecurity,
		Reference: tender + "/" + vendor, Payer: vendor, TenderID: tender, Amount: domain.IDR(amount),
		ExpiresAt: f.clock.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// signedCallback returns the headers and body a gateway sends.
func signedCallback(t *testing.T, key []byte, at time.Time, ref, code string, amount int64) (ts, sig string, body []byte) {
	t.Helper()
	body = []byte(`{"gateway_reference":"` + ref + `","billing_code":"` + code + `","amount":{"amount":` +
		itoa(amount) + `,"currency":"IDR"},"paid_at":"` + at.Format(time.RFC3339) + `","proof":"NTPN-` + ref + `"}`)
	ts, sig = domain.SignCallback(key, at, body)
	return ts, sig, body
}

func itoa(n int64) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func (f *fixture) pay(t *testing.T, inv *domain.Invoice, ref string) app.CallbackResult {
	t.Helper()
	ts, sig, body := signedCallback(t, secret, f.clock.Now(), ref, string(inv.BillingCode()), inv.Amount().Amount)
	res, err := f.svc.ReceiveCallback(context.Background(), ts, sig, body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) state(t *testing.T, id uuid.UUID) domain.InvoiceState {
	t.Helper()
	inv, err := f.store.GetInvoice(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inv.State()
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// events counts the outbox events of a type.
func (f *fixture) events(t *testing.T, typ string) int {
	return f.count(t, `SELECT count(*) FROM outbox WHERE type = $1`, typ)
}

// snapshot is everything a callback could change, to show that a refused
// one changed nothing.
func (f *fixture) snapshot(t *testing.T) [5]int {
	return [5]int{
		f.count(t, `SELECT count(*) FROM payment`),
		f.count(t, `SELECT count(*) FROM ledger_transaction`),
		f.count(t, `SELECT count(*) FROM outbox`),
		f.count(t, `SELECT count(*) FROM audit_record`),
		f.count(t, `SELECT coalesce(sum(version), 0) FROM invoice`),
	}
}

// assertLedgerBalanced checks every stored transaction and the whole ledger.
func (f *fixture) assertLedgerBalanced(t *testing.T) domain.Balances {
	t.Helper()
	if n := f.count(t, `SELECT count(*) FROM (SELECT transaction_id FROM ledger_posting GROUP BY transaction_id, currency HAVING sum(amount) <> 0) u`); n != 0 {
		t.Fatalf("%d ledger transactions do not balance", n)
	}
	txs, err := f.store.Transactions(context.Background(), uuid.Nil)
	if err != nil {
		t.Fatal(err)
	}
	replayed := domain.Balances{}
	for _, tx := range txs {
		if err := tx.Balanced(); err != nil {
			t.Fatal(err)
		}
		replayed.Add(tx)
	}
	derived, err := f.store.Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(derived) != len(replayed) {
		t.Fatalf("derived balances %v, replayed %v", derived, replayed)
	}
	for a := range replayed {
		if derived.Of(a, "IDR") != replayed.Of(a, "IDR") {
			t.Fatalf("balance of %s: derived %d, replayed %d", a, derived.Of(a, "IDR"), replayed.Of(a, "IDR"))
		}
	}
	return derived
}
