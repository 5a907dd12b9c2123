package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/pgtest"
	"gerbang/services/portal/internal/adapters/postgres"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/migrations"
)

func TestLoginMintsATokenOnlyForTheRightPassword(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, migrations.FS)
	store := postgres.NewAccounts(db.DB)
	pw, err := app.NewPasswords(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	if _, err := app.SeedDemoAccounts(ctx, store, pw, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE users SET disabled_at = now() WHERE email = 'keuangan2@demo.gerbang.id'`); err != nil {
		t.Fatal(err)
	}
	key, err := auth.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(now)
	login := &app.Login{Accounts: store, Passwords: pw, Clock: clk,
		Issuer: auth.Issuer{Key: key, Issuer: "http://portal.test", Audience: "gerbang"}}
	verifier := &auth.Verifier{Keys: auth.StaticKeys{key.Public()}, Issuer: "http://portal.test", Audience: "gerbang", Clock: clk}

	tok, err := login.Login(ctx, "  USAHA@demo.gerbang.id", "demo12345")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if tok.TTL != 8*time.Hour || !tok.ExpiresAt.Equal(now.Add(8*time.Hour)) {
		t.Errorf("token ttl %s, expires %s", tok.TTL, tok.ExpiresAt)
	}
	p, err := verifier.Verify(ctx, tok.Value)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if p.Subject != tok.Account.ID.String() || p.Org != app.DemoOrgUsaha.String() || !p.HasRole(auth.RoleBusiness) {
		t.Errorf("principal %+v", p)
	}
	clk.Advance(8*time.Hour + time.Minute)
	if _, err := verifier.Verify(ctx, tok.Value); !apperr.Is(err, apperr.Unauthenticated) {
		t.Errorf("token verified after 8 h: %v", err)
	}

	for _, c := range []struct{ name, email, password string }{
		{"wrong password", "usaha@demo.gerbang.id", "demo123456"},
		{"unknown email", "nobody@demo.gerbang.id", "demo12345"},
		{"not an email", "usaha", "demo12345"},
		{"empty password", "usaha@demo.gerbang.id", ""},
		{"disabled account", "keuangan2@demo.gerbang.id", "demo12345"},
	} {
		_, err := login.Login(ctx, c.email, c.password)
		if !apperr.Is(err, apperr.Unauthenticated) || err.(*apperr.Error).Message != app.WrongCredentials {
			t.Errorf("%s: %v, want Unauthenticated %q", c.name, err, app.WrongCredentials)
		}
	}
}

func TestDemoLoginsListEveryRole(t *testing.T) {
	text := app.DemoLogins()
	for _, d := range app.DemoAccounts() {
		if !strings.Contains(text, d.Email) {
			t.Errorf("demo logins lack %s", d.Email)
		}
	}
	roles := map[string]bool{}
	for _, d := range app.DemoAccounts() {
		for _, r := range d.Roles {
			roles[r] = true
		}
	}
	for _, r := range []string{auth.RoleBusiness, auth.RoleLicensingOfficer, auth.RoleProcurementOfficer, auth.RoleFinance, auth.RoleAuditor} {
		if !roles[r] {
			t.Errorf("no demo account has role %s", r)
		}
	}
}
