package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
)

func TestDevTokenVerifiesAgainstTheKeyFileItSignedWith(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "keys", "portal.key")
	var out bytes.Buffer
	args := []string{"devtoken", "-role", "procurement_officer,auditor", "-sub", "officer-7", "-org", "org-3", "-ttl", "1h", "-key", keyFile}
	if err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	key, err := auth.LoadOrCreateSigningKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	v := &auth.Verifier{Keys: auth.StaticKeys{key.Public()}, Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience}
	p, err := v.Verify(context.Background(), strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "officer-7" || p.Org != "org-3" || !p.HasRole(auth.RoleProcurementOfficer) || !p.HasRole(auth.RoleAuditor) {
		t.Fatalf("principal = %+v", p)
	}
}

func TestDevTokenTakesTheKeyFileFromTheEnvironment(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "env.key")
	getenv := func(name string) string {
		if name == "GERBANG_SIGNING_KEY" {
			return keyFile
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"devtoken", "-aud", "tender"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	key, err := auth.LoadOrCreateSigningKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	v := &auth.Verifier{Keys: auth.StaticKeys{key.Public()}, Issuer: auth.DefaultIssuer, Audience: "tender"}
	if _, err := v.Verify(context.Background(), strings.TrimSpace(out.String())); err != nil {
		t.Fatalf("token not signed with the key named by GERBANG_SIGNING_KEY: %v", err)
	}
	v.Audience = auth.DefaultAudience
	if _, err := v.Verify(context.Background(), strings.TrimSpace(out.String())); !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("-aud was not applied: %v", err)
	}
}

func TestDevTokenRefusesAnUnknownRole(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "k")
	err := run(context.Background(), []string{"devtoken", "-role", "superuser", "-key", keyFile}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Fatalf("err = %v, want unknown role", err)
	}
}
