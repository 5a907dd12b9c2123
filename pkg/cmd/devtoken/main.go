// Command devtoken mints a development access token for any role and prints
// it, signed with the same key file the portal uses in development:
//
//	go run gerbang/pkg/cmd/devtoken -role business -sub user-1 -org <org-id> -ttl 8h
//
// The key file (default var/portal/keys/signing.key, the portal's key under
// `make run`, or $GERBANG_SIGNING_KEY) is created when missing, so the token verifies against the JWKS the portal
// publishes once it starts with the same file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gerbang/pkg/auth"
)

// DefaultKeyFile is the development signing key, relative to the current
// directory.
const DefaultKeyFile = "var/portal/keys/signing.key"

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "devtoken:", err)
		}
		os.Exit(2)
	}
}

func run(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	keyFile := DefaultKeyFile
	if env := getenv("GERBANG_SIGNING_KEY"); env != "" {
		keyFile = env
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		roles = fs.String("role", auth.RoleBusiness, "role(s), comma-separated: "+strings.Join(auth.AllRoles(), ", "))
		sub   = fs.String("sub", "dev-user", "subject (user id)")
		org   = fs.String("org", "", "the business the user acts for")
		ttl   = fs.Duration("ttl", 8*time.Hour, "validity")
		key   = fs.String("key", keyFile, "signing key file (PEM PKCS #8 Ed25519), created when missing; env GERBANG_SIGNING_KEY")
		iss   = fs.String("iss", auth.DefaultIssuer, "issuer (iss)")
		aud   = fs.String("aud", auth.DefaultAudience, "audience (aud)")
	)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var list []string
	for _, r := range strings.Split(*roles, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !auth.IsRole(r) {
			return fmt.Errorf("unknown role %q: use one of %s", r, strings.Join(auth.AllRoles(), ", "))
		}
		list = append(list, r)
	}
	signing, err := auth.LoadOrCreateSigningKey(*key)
	if err != nil {
		return err
	}
	issuer := auth.Issuer{Key: signing, Issuer: *iss, Audience: *aud}
	token, err := issuer.Mint(auth.Principal{Subject: *sub, Roles: list, Org: *org}, *ttl, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}
