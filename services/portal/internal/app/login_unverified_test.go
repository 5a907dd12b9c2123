package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/pgtest"
	"gerbang/services/portal/internal/adapters/postgres"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
	"gerbang/services/portal/migrations"
)

func TestAnUnverifiedEmailLogsInOnlyOnceVerified(t *testing.T) {
	ctx := context.Background()
	store := postgres.NewAccounts(pgtest.New(t, migrations.FS).DB)
	pw, err := app.NewPasswords(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	hash, _ := pw.Hash("kopi tubruk pagi hari")
	acc, err := domain.NewAccount(uuid.Must(uuid.NewV7()), "siti@contoh.co.id", "Siti", hash, app.SignUpRoles, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	link, _ := domain.NewLinkToken(domain.PurposeVerifyEmail, now.Add(time.Hour))
	if _, err := store.SignUp(ctx, acc, link); err != nil {
		t.Fatal(err)
	}
	key, _ := auth.NewSigningKey()
	login := &app.Login{Accounts: store, Passwords: pw, Clock: clock.NewFake(now), Issuer: auth.Issuer{Key: key, Issuer: "i", Audience: "a"}}

	// A wrong password learns nothing of the verification.
	if _, err := login.Login(ctx, "siti@contoh.co.id", "salah"); errors.Is(err, app.ErrEmailNotVerified) || !apperr.Is(err, apperr.Unauthenticated) {
		t.Errorf("wrong password: %v", err)
	}
	tok, err := login.Login(ctx, "siti@contoh.co.id", "kopi tubruk pagi hari")
	if !errors.Is(err, app.ErrEmailNotVerified) || !apperr.Is(err, apperr.Unauthenticated) || tok.Value != "" || tok.Account.ID != acc.ID {
		t.Fatalf("right password, unverified: %+v, %v", tok, err)
	}
	if _, err := store.VerifyEmail(ctx, link.Hash, now); err != nil {
		t.Fatal(err)
	}
	if tok, err := login.Login(ctx, "siti@contoh.co.id", "kopi tubruk pagi hari"); err != nil || tok.Value == "" {
		t.Fatalf("verified: %v", err)
	}
}
