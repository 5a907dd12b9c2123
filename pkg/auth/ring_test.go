package auth_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
)

func ids(keys []auth.PublicKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.ID)
	}
	return out
}

// A key staged, promoted and retired: at every step a token signed before
// still verifies against what the ring publishes until the key is
// forgotten, and a second process reading the same files (another
// replica) sees each step once it reloads.
func TestAKeyIsStagedPromotedAndRetiredWithoutBreakingWhatItSigned(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys", "signing.key")
	ring, err := auth.OpenKeyRing(file)
	if err != nil {
		t.Fatal(err)
	}
	replica, err := auth.OpenKeyRing(file) // the same key: it exists now
	if err != nil {
		t.Fatal(err)
	}
	old := ring.Current()
	if replica.Current().ID != old.ID {
		t.Fatalf("a second replica read key %s, want the first's %s", replica.Current().ID, old.ID)
	}
	clk := clock.NewFake(base)
	verifier := &auth.Verifier{Keys: ring, Issuer: testIssuer, Audience: testAudience, Clock: clk}
	issuer := auth.Issuer{Ring: ring, Issuer: testIssuer, Audience: testAudience}
	mint := func() string {
		t.Helper()
		tok, err := issuer.Mint(auth.Principal{Subject: "user-1", Roles: []string{auth.RoleBusiness}}, time.Hour, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	verifies := func(tok string) bool {
		_, err := verifier.Verify(context.Background(), tok)
		return err == nil
	}
	before := mint()

	staged, err := auth.StageKey(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*auth.KeyRing{ring, replica} {
		if err := r.Reload(); err != nil {
			t.Fatal(err)
		}
		if r.Current().ID != old.ID || !slices.Equal(ids(r.Published()), []string{old.ID, staged}) {
			t.Fatalf("staged: current %s, published %v; want %s still signing and %s published beside it", r.Current().ID, ids(r.Published()), old.ID, staged)
		}
	}

	if err := auth.PromoteKey(file, staged); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*auth.KeyRing{ring, replica} {
		if err := r.Reload(); err != nil {
			t.Fatal(err)
		}
		if r.Current().ID != staged || !slices.Equal(ids(r.Published()), []string{staged, old.ID}) {
			t.Fatalf("promoted: current %s, published %v; want %s signing and %s still published", r.Current().ID, ids(r.Published()), staged, old.ID)
		}
		if got := r.Private(); len(got) != 2 || got[0].ID != staged || got[1].ID != old.ID {
			t.Fatalf("promoted: private keys %v, want the new then the old", got)
		}
	}
	after := mint()
	if !verifies(before) || !verifies(after) {
		t.Fatalf("after the promotion, the token signed before verifies: %v, the one signed after: %v; want both", verifies(before), verifies(after))
	}

	if err := auth.RetireKey(file, old.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := ring.Reload(); err != nil {
		t.Fatal(err)
	}
	if len(ring.Private()) != 1 || !slices.Contains(ids(ring.Published()), old.ID) {
		t.Fatalf("retired: private %d keys, published %v; want only the current held and %s still published", len(ring.Private()), ids(ring.Published()), old.ID)
	}
	if _, err := os.Stat(filepath.Join(auth.RingDir(file), old.ID+".pem")); !os.IsNotExist(err) {
		t.Fatalf("the retired key's private half is still on disk: %v", err)
	}
	if !verifies(before) {
		t.Fatal("a token signed by the retired key no longer verifies while its public half is published")
	}

	if err := auth.RetireKey(file, old.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := ring.Reload(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(ring.Published()), []string{staged}) {
		t.Fatalf("forgotten: published %v, want only %s", ids(ring.Published()), staged)
	}
	_, err = verifier.Verify(context.Background(), before)
	if !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("a token of the forgotten key: %v, want unauthenticated", err)
	}
	if !verifies(after) {
		t.Fatal("the current key's token no longer verifies")
	}
}

// The steps refuse what would lose the signing key or name no key, and
// say what to do instead.
func TestRotationStepsRefuseWhatWouldBreakTheRing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "signing.key")
	if _, err := auth.StageKey(file); err == nil {
		t.Fatal("a key staged beside no key file: no error")
	}
	ring, err := auth.OpenKeyRing(file)
	if err != nil {
		t.Fatal(err)
	}
	cur := ring.Current().ID
	for _, c := range []struct {
		what string
		err  error
		want string
	}{
		{"retire the current key", auth.RetireKey(file, cur, true), "promote another first"},
		{"promote a key never staged", auth.PromoteKey(file, "nosuchkid"), "stage one first"},
		{"retire a key not in the ring", auth.RetireKey(file, "nosuchkid", false), "no key nosuchkid"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.what, c.err, c.want)
		}
	}
	if ring.Reload() != nil || ring.Current().ID != cur || len(ring.Published()) != 1 {
		t.Fatalf("after refused steps the ring is %v, want its one key %s", ids(ring.Published()), cur)
	}
}

// A file in the ring that cannot be read fails the reload, and the ring
// keeps signing and verifying with the keys it had.
func TestARingThatCannotBeReadKeepsItsKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "signing.key")
	ring, err := auth.OpenKeyRing(file)
	if err != nil {
		t.Fatal(err)
	}
	staged, err := auth.StageKey(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(auth.RingDir(file), "broken.pem"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ring.Reload(); err == nil || !strings.Contains(err.Error(), "broken.pem") {
		t.Fatalf("reload with a broken file: %v, want an error naming it", err)
	}
	if !slices.Contains(ids(ring.Published()), staged) || len(ring.Current().Private) == 0 {
		t.Fatalf("after a failed reload the ring publishes %v, want the keys it had", ids(ring.Published()))
	}
}
