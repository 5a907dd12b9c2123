package app_test

import (
	"testing"

	"golang.org/x/crypto/bcrypt"

	"gerbang/services/portal/internal/app"
)

func TestPasswordsMatchOnlyTheirOwnHash(t *testing.T) {
	p, err := app.NewPasswords(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h, err := p.Hash("demo12345")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Matches(h, "demo12345") || p.Matches(h, "demo1234") || p.Matches(h, "") || p.MatchesNone("demo12345") {
		t.Error("password checks disagree")
	}
	if _, err := app.NewPasswords(bcrypt.MaxCost + 1); err == nil {
		t.Error("a cost above bcrypt's maximum was taken")
	}
}

// BenchmarkPasswordCheck shows what one login costs at the production cost,
// and that an unknown account costs the same.
func BenchmarkPasswordCheck(b *testing.B) {
	p, err := app.NewPasswords(bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	h, _ := p.Hash("demo12345")
	b.Run("known account", func(b *testing.B) {
		for b.Loop() {
			p.Matches(h, "salah")
		}
	})
	b.Run("unknown account", func(b *testing.B) {
		for b.Loop() {
			p.MatchesNone("salah")
		}
	})
}
