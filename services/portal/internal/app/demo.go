package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/auth"
	"gerbang/services/portal/internal/domain"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "demo12345"

// The businesses the demo business accounts act for (their org claim). The
// licensing demo data registers businesses with these ids, so that the
// accounts' tokens name businesses that exist.
var (
	DemoOrgUsaha   = uuid.MustParse("01930000-0000-7000-8000-00000000b001") // CV Maju Jaya (demo)
	DemoOrgVendor2 = uuid.MustParse("01930000-0000-7000-8000-00000000b002") // PT Karya Nusantara (demo)
)

// DemoAccount is one demo login.
type DemoAccount struct {
	ID          uuid.UUID
	Email       string
	DisplayName string
	Roles       []string
	Org         *uuid.UUID
	OrgName     string
}

// DemoAccounts returns the demo logins, one or two per role. Their ids are
// fixed, so other services' demo data can name them (e.g. a business's
// owner).
func DemoAccounts() []DemoAccount {
	usaha, vendor2 := DemoOrgUsaha, DemoOrgVendor2
	id := func(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("01930000-0000-7000-8000-%012x", 0xa000+n)) }
	return []DemoAccount{
		{id(1), "usaha@demo.gerbang.id", "Siti Rahayu (CV Maju Jaya)", []string{auth.RoleBusiness}, &usaha, "CV Maju Jaya"},
		{id(2), "vendor2@demo.gerbang.id", "Budi Santoso (PT Karya Nusantara)", []string{auth.RoleBusiness}, &vendor2, "PT Karya Nusantara"},
		{id(3), "petugas.izin@demo.gerbang.id", "Dewi Lestari (Petugas Perizinan)", []string{auth.RoleLicensingOfficer}, nil, ""},
		{id(4), "pokja@demo.gerbang.id", "Agus Wijaya (Pokja Pemilihan)", []string{auth.RoleProcurementOfficer}, nil, ""},
		{id(5), "pokja2@demo.gerbang.id", "Rina Kusuma (Pokja Pemilihan)", []string{auth.RoleProcurementOfficer}, nil, ""},
		{id(6), "keuangan@demo.gerbang.id", "Hendra Gunawan (Keuangan)", []string{auth.RoleFinance}, nil, ""},
		{id(7), "keuangan2@demo.gerbang.id", "Maya Sari (Keuangan)", []string{auth.RoleFinance}, nil, ""},
		{id(8), "auditor@demo.gerbang.id", "Yusuf Hakim (Auditor)", []string{auth.RoleAuditor}, nil, ""},
	}
}

// AccountCreator stores new accounts (adapters/postgres.Accounts).
type AccountCreator interface {
	// CreateIfAbsent stores a unless an account with its email exists, with
	// an audit record naming actor; it reports whether it stored it.
	CreateIfAbsent(ctx context.Context, a domain.Account, actor string) (bool, error)
	// Emails returns which of emails have accounts.
	Emails(ctx context.Context, emails []string) (map[string]bool, error)
}

// SeedDemoAccounts creates the demo accounts that do not exist yet (so a
// restart changes nothing, and a demo password changed by hand stays) and
// returns how many it created.
func SeedDemoAccounts(ctx context.Context, store AccountCreator, passwords *Passwords, now time.Time) (int, error) {
	demo := DemoAccounts()
	emails := make([]string, len(demo))
	for i, d := range demo {
		emails[i] = d.Email
	}
	have, err := store.Emails(ctx, emails)
	if err != nil {
		return 0, fmt.Errorf("seed demo accounts: %w", err)
	}
	created := 0
	for _, d := range demo {
		if have[d.Email] {
			continue
		}
		hash, err := passwords.Hash(DemoPassword)
		if err != nil {
			return created, fmt.Errorf("seed demo account %s: %w", d.Email, err)
		}
		acc, err := domain.NewAccount(d.ID, d.Email, d.DisplayName, hash, d.Roles, d.Org, now)
		if err != nil {
			return created, fmt.Errorf("seed demo account %s: %w", d.Email, err)
		}
		acc.EmailVerifiedAt = &now // the operator vouches for the demo addresses
		ok, err := store.CreateIfAbsent(ctx, acc, "system:demo-accounts")
		if err != nil {
			return created, fmt.Errorf("seed demo account %s: %w", d.Email, err)
		}
		if ok {
			created++
		}
	}
	return created, nil
}

// DemoLogins returns the demo logins as a text table for people.
func DemoLogins() string {
	var b strings.Builder
	b.WriteString("Akun demo Gerbang / Gerbang demo accounts (kata sandi / password: " + DemoPassword + ")\n")
	for _, d := range DemoAccounts() {
		org := ""
		if d.Org != nil {
			org = "  org " + d.Org.String() + " (" + d.OrgName + ")"
		}
		fmt.Fprintf(&b, "  %-30s %-20s%s\n", d.Email, strings.Join(d.Roles, ","), org)
	}
	return b.String()
}

// WriteDemoLogins writes DemoLogins to path (the run script shows it).
func WriteDemoLogins(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write demo logins: %w", err)
	}
	if err := os.WriteFile(path, []byte(DemoLogins()), 0o644); err != nil {
		return fmt.Errorf("write demo logins: %w", err)
	}
	return nil
}
