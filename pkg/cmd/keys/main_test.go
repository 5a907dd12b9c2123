package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"gerbang/pkg/auth"
)

// The operator's steps, as typed: each says what it did, list shows the
// ring after it, and a wrong invocation answers with the usage.
func TestTheOperatorRotatesAKeyStepByStep(t *testing.T) {
	file := filepath.Join(t.TempDir(), "signing.key")
	first, err := auth.LoadOrCreateSigningKey(file)
	if err != nil {
		t.Fatal(err)
	}
	step := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(args, &out); err != nil {
			t.Fatalf("keys %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	out := step("stage", file)
	kid, _, _ := strings.Cut(strings.TrimPrefix(out, "staged "), ":")
	if got := step("list", file); got != first.ID+"  current (signs)\n"+kid+"  published, private half held (staged or previous)\n" {
		t.Fatalf("list after stage:\n%s", got)
	}
	step("promote", file, kid)
	step("retire", file, first.ID)
	if got := step("list", file); got != kid+"  current (signs)\n"+first.ID+"  retired, public half published\n" {
		t.Fatalf("list after promote and retire:\n%s", got)
	}
	if got := step("retire", "-forget", file, first.ID); !strings.HasPrefix(got, "forgot "+first.ID) {
		t.Fatalf("retire -forget: %q", got)
	}
	if got := step("list", file); got != kid+"  current (signs)\n" {
		t.Fatalf("list after forgetting:\n%s", got)
	}
	for _, args := range [][]string{nil, {"rotate", file}, {"promote", file}, {"stage"}} {
		if err := run(args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("keys %v: %v, want the usage", args, err)
		}
	}
}
