package domain_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/domain"
)

func TestPhoneNumbersAreReadAsPeopleWriteThem(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0812-3456-7890", "+6281234567890"},
		{"+62 812 3456 7890", "+6281234567890"},
		{"6281234567890", "+6281234567890"},
		{"(021) 555-0123", "+62215550123"},
		{"+62 21 5550 1234", "+622155501234"},
		{"", ""},
		{"0812", ""},              // too short
		{"08123456789012345", ""}, // too long
		{"+1 202 555 0100", ""},   // not Indonesian
		{"0800-abc-1234", ""},
		{"00812345678", ""},     // a trunk prefix twice
		{"0812 3456 7890+", ""}, // a plus sign not in front
	}
	for _, c := range cases {
		got, err := domain.NormalizePhone(c.in)
		if (c.want == "") != (err != nil) || got != c.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestPasswordsEasyToGuessAreRefused(t *testing.T) {
	weak := []string{"password", "12345678", "demo12345", "qwertyuiop", "gerbang2026", "Jakarta123", "sitirahayu1"}
	for _, p := range weak {
		if domain.PasswordIsStrong(p, "Siti Rahayu", "siti@contoh.co.id") {
			t.Errorf("%q passes as strong", p)
		}
	}
	strong := []string{"kopi tubruk pagi hari", "Lampu-Merah-Sawah-Ketupat", "v9#Qm2!xTz7&pL"}
	for _, p := range strong {
		if !domain.PasswordIsStrong(p, "Siti Rahayu", "siti@contoh.co.id") {
			t.Errorf("%q is refused as weak", p)
		}
	}
	// What the person gave makes a password built from it weak.
	if domain.PasswordIsStrong("aminahkusumawati", "Aminah Kusumawati") {
		t.Error("a password made of the person's name passes")
	}
}

func rulesOf(err error) map[string]string {
	out := map[string]string{}
	var e *apperr.Error
	if ae, ok := err.(*apperr.Error); ok {
		e = ae
		for _, f := range e.Fields {
			out[f.Field] = f.Message
		}
	}
	return out
}

func TestSignUpChecksEveryField(t *testing.T) {
	good := domain.SignUp{DisplayName: " Siti Aminah ", Email: "Siti@Contoh.co.id", Phone: "0812-3456-7890", Password: "kopi tubruk pagi hari", PasswordConfirm: "kopi tubruk pagi hari"}
	a, err := good.Check()
	if err != nil || a.DisplayName != "Siti Aminah" || a.Email != "siti@contoh.co.id" || a.Phone != "+6281234567890" {
		t.Fatalf("good sign-up: %+v, %v", a, err)
	}
	cases := []struct {
		name string
		edit func(*domain.SignUp)
		want map[string]string
	}{
		{"all empty", func(s *domain.SignUp) { *s = domain.SignUp{} }, map[string]string{
			"display_name": domain.RuleRequired, "email": domain.RuleRequired, "phone": domain.RuleRequired, "password": domain.RuleRequired,
		}},
		{"long name", func(s *domain.SignUp) { s.DisplayName = strings.Repeat("a", 101) }, map[string]string{"display_name": domain.RuleTooLong}},
		{"bad email", func(s *domain.SignUp) { s.Email = "siti@" }, map[string]string{"email": domain.RuleEmail}},
		{"bad phone", func(s *domain.SignUp) { s.Phone = "12" }, map[string]string{"phone": domain.RulePhone}},
		{"short password", func(s *domain.SignUp) { s.Password, s.PasswordConfirm = "a1b2c3", "a1b2c3" }, map[string]string{"password": domain.RuleTooShort}},
		{"long password", func(s *domain.SignUp) { s.Password = strings.Repeat("ab", 40); s.PasswordConfirm = s.Password }, map[string]string{"password": domain.RulePasswordMax}},
		{"weak password", func(s *domain.SignUp) { s.Password, s.PasswordConfirm = "password123", "password123" }, map[string]string{"password": domain.RuleTooWeak}},
		{"no confirmation", func(s *domain.SignUp) { s.PasswordConfirm = "" }, map[string]string{"password_confirm": domain.RuleRequired}},
		{"other confirmation", func(s *domain.SignUp) { s.PasswordConfirm = "kopi tubruk sore hari" }, map[string]string{"password_confirm": domain.RuleMismatch}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := good
			c.edit(&s)
			_, err := s.Check()
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("error %v, want Invalid", err)
			}
			got := rulesOf(err)
			for f, rule := range c.want {
				if got[f] != rule {
					t.Errorf("field %s: rule %q, want %q (all: %v)", f, got[f], rule, got)
				}
			}
			for f := range got {
				if _, ok := c.want[f]; !ok {
					t.Errorf("field %s is at fault too (%q)", f, got[f])
				}
			}
		})
	}
}

func TestLinkTokensAreRandomAndStoredHashed(t *testing.T) {
	var secrets []string
	for range 3 {
		tok, err := domain.NewLinkToken(domain.PurposeResetPassword, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(tok.Secret) != 43 || len(tok.Hash) != 32 || string(tok.Hash) == tok.Secret || !slices.Equal(tok.Hash, domain.HashLinkSecret(tok.Secret)) {
			t.Errorf("token %+v", tok)
		}
		if slices.Contains(secrets, tok.Secret) {
			t.Error("a secret came twice")
		}
		secrets = append(secrets, tok.Secret)
	}
}
