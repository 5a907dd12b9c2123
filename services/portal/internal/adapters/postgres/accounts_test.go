package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"gerbang/pkg/apperr"
	"gerbang/pkg/pgtest"
	"gerbang/services/portal/internal/adapters/postgres"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
	"gerbang/services/portal/migrations"
)

func newStore(t *testing.T) (*postgres.Accounts, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t, migrations.FS)
	return postgres.NewAccounts(db.DB), db
}

func passwords(t *testing.T) *app.Passwords {
	t.Helper()
	p, err := app.NewPasswords(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDemoAccountsAreSeededOnceWithAuditRecords(t *testing.T) {
	ctx := context.Background()
	store, db := newStore(t)
	pw := passwords(t)
	now := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)

	n, err := app.SeedDemoAccounts(ctx, store, pw, now)
	if err != nil || n != len(app.DemoAccounts()) {
		t.Fatalf("first seed created %d, %v; want %d", n, err, len(app.DemoAccounts()))
	}
	n, err = app.SeedDemoAccounts(ctx, store, pw, now)
	if err != nil || n != 0 {
		t.Fatalf("second seed created %d, %v; want 0", n, err)
	}
	var users, records int
	if err := db.Get(&users, `SELECT count(*) FROM users`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&records, `SELECT count(*) FROM audit_record WHERE action = 'account.create' AND actor = 'system:demo-accounts'`); err != nil {
		t.Fatal(err)
	}
	if users != 8 || records != 8 {
		t.Errorf("users %d, audit records %d; want 8 and 8", users, records)
	}
	var leaked int
	if err := db.Get(&leaked, `SELECT count(*) FROM audit_record WHERE after::text LIKE '%$2%'`); err != nil {
		t.Fatal(err)
	}
	if leaked != 0 {
		t.Errorf("%d audit records hold a password hash", leaked)
	}

	usaha, err := store.ByEmail(ctx, "usaha@demo.gerbang.id")
	if err != nil {
		t.Fatal(err)
	}
	if usaha.Org == nil || *usaha.Org != app.DemoOrgUsaha || len(usaha.Roles) != 1 || usaha.Roles[0] != "business" {
		t.Errorf("usaha = %+v", usaha)
	}
	if !pw.Matches(usaha.PasswordHash, app.DemoPassword) {
		t.Error("usaha's password is not demo12345")
	}
	byID, err := store.ByID(ctx, usaha.ID)
	if err != nil || byID.Email != usaha.Email {
		t.Errorf("ByID = %+v, %v", byID, err)
	}
	pokja, err := store.ByEmail(ctx, "pokja2@demo.gerbang.id")
	if err != nil || pokja.Org != nil || pokja.Roles[0] != "procurement_officer" {
		t.Errorf("pokja2 = %+v, %v", pokja, err)
	}
}

func TestUnknownAccountIsNotFound(t *testing.T) {
	store, _ := newStore(t)
	if _, err := store.ByEmail(context.Background(), "nobody@demo.gerbang.id"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("ByEmail of unknown = %v, want NotFound", err)
	}
	if _, err := store.ByID(context.Background(), uuid.Must(uuid.NewV7())); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("ByID of unknown = %v, want NotFound", err)
	}
}

func TestOneAccountPerEmail(t *testing.T) {
	ctx := context.Background()
	store, db := newStore(t)
	hash, _ := passwords(t).Hash("rahasia123")
	a, err := domain.NewAccount(uuid.Must(uuid.NewV7()), "siti@cv-maju.co.id", "Siti", hash, []string{"business"}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := store.CreateIfAbsent(ctx, a, "test"); !ok || err != nil {
		t.Fatalf("create = %v, %v", ok, err)
	}
	b := a
	b.ID = uuid.Must(uuid.NewV7())
	if ok, err := store.CreateIfAbsent(ctx, b, "test"); ok || err != nil {
		t.Fatalf("create with a taken email = %v, %v; want false, nil", ok, err)
	}
	// The table itself refuses an email that is not lower-cased.
	_, err = db.Exec(`INSERT INTO users (id, email, display_name, password_hash, roles) VALUES ($1, 'Siti@CV-Maju.co.id', 'S', $2, '{business}')`, uuid.Must(uuid.NewV7()), hash)
	if err == nil {
		t.Error("a mixed-case email was stored")
	}
	_, err = db.Exec(`INSERT INTO users (id, email, display_name, password_hash, roles) VALUES ($1, 'x@y.id', 'S', $2, '{root}')`, uuid.Must(uuid.NewV7()), hash)
	if err == nil {
		t.Error("an unknown role was stored")
	}
}
