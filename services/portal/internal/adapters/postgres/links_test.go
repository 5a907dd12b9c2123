package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/adapters/postgres"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

func signUp(t *testing.T, store *postgres.Accounts, email string, now time.Time, ttl time.Duration) (domain.Account, domain.LinkToken) {
	t.Helper()
	acc, err := domain.NewAccount(uuid.Must(uuid.NewV7()), email, "Siti Aminah", hash, app.SignUpRoles, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	acc.Phone = "+6281234567890"
	link, err := domain.NewLinkToken(domain.PurposeVerifyEmail, now.Add(ttl))
	if err != nil {
		t.Fatal(err)
	}
	created, err := store.SignUp(context.Background(), acc, link)
	if err != nil || !created {
		t.Fatalf("sign up %s: %v, %v", email, created, err)
	}
	return acc, link
}

const hash = "$2a$04$abcdefghijklmnopqrstuuVfWwq0mbWzX2JZaGmJm3p3pC3iNw2yq"

func TestASignUpIsStoredUnverifiedWithItsLinkHashed(t *testing.T) {
	ctx := context.Background()
	store, db := newStore(t)
	now := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	acc, link := signUp(t, store, "siti@contoh.co.id", now, time.Hour)

	got, err := store.ByEmail(ctx, "siti@contoh.co.id")
	if err != nil || got.EmailVerified() || got.Phone != "+6281234567890" || len(got.Roles) != 1 || got.Roles[0] != "business" || got.Org != nil {
		t.Fatalf("stored %+v, %v", got, err)
	}
	var stored int
	if err := db.Get(&stored, `SELECT count(*) FROM account_links WHERE token_hash = $1 AND user_id = $2`, link.Hash, acc.ID); err != nil || stored != 1 {
		t.Fatalf("links stored by hash: %d, %v", stored, err)
	}
	var leaked int
	if err := db.Get(&leaked, `SELECT count(*) FROM account_links WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'`, link.Secret); err != nil || leaked != 0 {
		t.Errorf("the secret itself is stored: %d, %v", leaked, err)
	}
	var audits int
	if err := db.Get(&audits, `SELECT count(*) FROM audit_record WHERE action = 'account.sign_up' AND entity_id = $1 AND after::text NOT LIKE '%$2%'`, acc.ID.String()); err != nil || audits != 1 {
		t.Errorf("sign-up audit records without the hash: %d, %v", audits, err)
	}
	// The same email again stores nothing.
	again, err := domain.NewAccount(uuid.Must(uuid.NewV7()), "SITI@contoh.co.id", "Other", hash, app.SignUpRoles, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := domain.NewLinkToken(domain.PurposeVerifyEmail, now.Add(time.Hour))
	if created, err := store.SignUp(ctx, again, other); err != nil || created {
		t.Fatalf("second sign-up of the same email: %v, %v", created, err)
	}
	if _, err := store.OpenLink(ctx, domain.PurposeVerifyEmail, other.Hash, now); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("the refused sign-up's link works: %v", err)
	}
}

func TestALinkWorksOnceUntilItExpiresOrIsReplaced(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t)
	now := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	acc, first := signUp(t, store, "budi@contoh.co.id", now, time.Hour)

	// Another purpose, or after the expiry: not found.
	if _, err := store.OpenLink(ctx, domain.PurposeResetPassword, first.Hash, now); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a verification link opens as a reset link: %v", err)
	}
	if _, err := store.VerifyEmail(ctx, first.Hash, now.Add(time.Hour)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("an expired link verifies: %v", err)
	}
	// A newer link replaces it.
	second, _ := domain.NewLinkToken(domain.PurposeVerifyEmail, now.Add(2*time.Hour))
	if err := store.IssueLink(ctx, acc.ID, second, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.VerifyEmail(ctx, first.Hash, now.Add(2*time.Minute)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a replaced link verifies: %v", err)
	}
	if _, err := store.OpenLink(ctx, domain.PurposeVerifyEmail, second.Hash, now.Add(2*time.Minute)); err != nil {
		t.Fatalf("the newest link does not open: %v", err)
	}
	got, err := store.VerifyEmail(ctx, second.Hash, now.Add(2*time.Minute))
	if err != nil || !got.EmailVerified() || !got.EmailVerifiedAt.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("verify: %+v, %v", got, err)
	}
	if _, err := store.VerifyEmail(ctx, second.Hash, now.Add(3*time.Minute)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a used link verifies again: %v", err)
	}
}

func TestAResetLinkSetsThePasswordOnceAndRetiresTheOthers(t *testing.T) {
	ctx := context.Background()
	store, db := newStore(t)
	now := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	acc, _ := signUp(t, store, "rina@contoh.co.id", now, time.Hour)
	reset, _ := domain.NewLinkToken(domain.PurposeResetPassword, now.Add(time.Hour))
	if err := store.IssueLink(ctx, acc.ID, reset, now); err != nil {
		t.Fatal(err)
	}
	const newHash = "$2a$04$zyxwvutsrqponmlkjihgfeuVfWwq0mbWzX2JZaGmJm3p3pC3iNw2yq"
	got, err := store.ResetPassword(ctx, reset.Hash, newHash, now.Add(time.Minute))
	if err != nil || got.PasswordHash != newHash || !got.EmailVerified() {
		t.Fatalf("reset: %+v, %v", got, err)
	}
	if _, err := store.ResetPassword(ctx, reset.Hash, hash, now.Add(2*time.Minute)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a used reset link resets again: %v", err)
	}
	// Changing the password retires open reset links, and refuses a stale hash.
	later, _ := domain.NewLinkToken(domain.PurposeResetPassword, now.Add(time.Hour))
	if err := store.IssueLink(ctx, acc.ID, later, now.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ChangePassword(ctx, acc.ID, hash, "$2a$04$stale", now.Add(4*time.Minute)); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a change from a stale hash: %v", err)
	}
	if _, err := store.ChangePassword(ctx, acc.ID, newHash, hash, now.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenLink(ctx, domain.PurposeResetPassword, later.Hash, now.Add(5*time.Minute)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a reset link outlives a password change: %v", err)
	}
	var actions []string
	if err := db.Select(&actions, `SELECT action FROM audit_record WHERE entity_id = $1 ORDER BY id`, acc.ID.String()); err != nil {
		t.Fatal(err)
	}
	want := []string{"account.sign_up", "account.reset_password", "account.change_password"}
	if len(actions) != len(want) {
		t.Fatalf("audit actions %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Errorf("audit actions %v, want %v", actions, want)
		}
	}
}

func TestALinkOfADisabledAccountDoesNotWork(t *testing.T) {
	ctx := context.Background()
	store, db := newStore(t)
	now := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	acc, link := signUp(t, store, "andi@contoh.co.id", now, time.Hour)
	if _, err := db.Exec(`UPDATE users SET disabled_at = $2 WHERE id = $1`, acc.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := store.VerifyEmail(ctx, link.Hash, now); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a disabled account's link verifies: %v", err)
	}
}
