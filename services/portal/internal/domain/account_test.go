package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/domain"
)

const hash = "$2a$04$abcdefghijklmnopqrstuuVfWwq0mbWzX2JZaGmJm3p3pC3iNw2yq"

func TestEmailIsComparedTrimmedAndLowerCased(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"Siti@CV-Maju.co.id", "siti@cv-maju.co.id", true},
		{"  usaha@demo.gerbang.id ", "usaha@demo.gerbang.id", true},
		{"", "", false},
		{"no-at-sign", "", false},
		{"Siti <siti@cv.co.id>", "", false},
		{"siti@localhost", "", false},
		{"a@b.c" + string(make([]byte, 260)), "", false},
	}
	for _, c := range cases {
		got, err := domain.NormalizeEmail(c.in)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, ok=%v", c.in, got, err, c.want, c.ok)
		}
		if err != nil && !apperr.Is(err, apperr.Invalid) {
			t.Errorf("NormalizeEmail(%q) error %v is not Invalid", c.in, err)
		}
	}
}

func TestAccountNeedsValidFields(t *testing.T) {
	id := uuid.Must(uuid.NewV7())
	org := uuid.Must(uuid.NewV7())
	nilOrg := uuid.Nil
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		id        uuid.UUID
		email     string
		display   string
		hash      string
		roles     []string
		org       *uuid.UUID
		wantField string // "" = valid
	}{
		{"business with org", id, "Usaha@Demo.Gerbang.id", "Usaha", hash, []string{"business"}, &org, ""},
		{"officer without org", id, "pokja@demo.gerbang.id", "Pokja", hash, []string{"procurement_officer"}, nil, ""},
		{"bad email", id, "pokja", "Pokja", hash, []string{"auditor"}, nil, "email"},
		{"empty name", id, "a@b.id", "  ", hash, []string{"auditor"}, nil, "display_name"},
		{"plain password", id, "a@b.id", "A", "demo12345", []string{"auditor"}, nil, "password"},
		{"no role", id, "a@b.id", "A", hash, nil, nil, "roles"},
		{"unknown role", id, "a@b.id", "A", hash, []string{"superuser"}, nil, "roles"},
		{"nil org", id, "a@b.id", "A", hash, []string{"business"}, &nilOrg, "org"},
		{"nil id", uuid.Nil, "a@b.id", "A", hash, []string{"business"}, nil, "id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := domain.NewAccount(c.id, c.email, c.display, c.hash, c.roles, c.org, now)
			if c.wantField == "" {
				if err != nil {
					t.Fatalf("NewAccount: %v", err)
				}
				if a.Email != "usaha@demo.gerbang.id" && a.Email != "pokja@demo.gerbang.id" {
					t.Errorf("email %q not normalised", a.Email)
				}
				p := a.Principal()
				if p.Subject != c.id.String() || (c.org != nil && p.Org != c.org.String()) || (c.org == nil && p.Org != "") {
					t.Errorf("principal %+v", p)
				}
				return
			}
			var ae *apperr.Error
			if err == nil || !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("NewAccount = %v, want Invalid", err)
			}
			ae = err.(*apperr.Error)
			found := false
			for _, f := range ae.Fields {
				found = found || f.Field == c.wantField
			}
			if !found {
				t.Errorf("fields %+v lack %q", ae.Fields, c.wantField)
			}
		})
	}
}
