// Command keys rotates a signing key without downtime: the portal's token
// key, licensing's license key and every service's audit checkpoint key are
// key rings (gerbang/pkg/auth.KeyRing) that each running replica reads again
// every KEY_RELOAD_INTERVAL (default 30 s).
//
//	keys list    FILE          the ring: the current key, those published beside it
//	keys stage   FILE          a new key, published but not signing yet; prints its kid
//	keys promote FILE KID      the staged key signs from now on; the old one stays published
//	keys retire  FILE KID      the old key's private half deleted, its public half still published
//	keys retire  -forget FILE KID   the old key forgotten: what it signed no longer verifies
//
// Between stage and promote, wait for every replica to publish the new key
// and every verifier to be able to fetch it (KEY_RELOAD_INTERVAL plus the
// verifiers' cache, 30 s for the portal's JWKS). Retire a token key only
// after the longest session has ended (SESSION_TTL); keep the public half
// of a license or audit key for as long as what it signed must verify.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"gerbang/pkg/auth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "keys:", err)
		os.Exit(2)
	}
}

const usage = `usage:
  keys list FILE
  keys stage FILE
  keys promote FILE KID
  keys retire [-forget] FILE KID`

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	forget := fs.Bool("forget", false, "retire: forget the key entirely")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%v\n%s", err, usage)
	}
	rest := fs.Args()
	need := func(n int) error {
		if len(rest) != n {
			return errors.New(usage)
		}
		return nil
	}
	switch args[0] {
	case "list":
		if err := need(1); err != nil {
			return err
		}
		return list(rest[0], out)
	case "stage":
		if err := need(1); err != nil {
			return err
		}
		kid, err := auth.StageKey(rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "staged %s: published, not signing; promote it once every replica publishes it\n", kid)
		return nil
	case "promote":
		if err := need(2); err != nil {
			return err
		}
		if err := auth.PromoteKey(rest[0], rest[1]); err != nil {
			return err
		}
		fmt.Fprintf(out, "promoted %s: it signs from now on; the previous key stays published until retired\n", rest[1])
		return nil
	case "retire":
		if err := need(2); err != nil {
			return err
		}
		if err := auth.RetireKey(rest[0], rest[1], !*forget); err != nil {
			return err
		}
		if *forget {
			fmt.Fprintf(out, "forgot %s: what it signed no longer verifies\n", rest[1])
		} else {
			fmt.Fprintf(out, "retired %s: its private half is deleted, its public half stays published\n", rest[1])
		}
		return nil
	}
	return errors.New(usage)
}

func list(file string, out io.Writer) error {
	ring, err := auth.ReadKeyRing(file)
	if err != nil {
		return err
	}
	cur := ring.Current().ID
	held := map[string]bool{}
	for _, k := range ring.Private() {
		held[k.ID] = true
	}
	for _, k := range ring.Published() {
		switch {
		case k.ID == cur:
			fmt.Fprintf(out, "%s  current (signs)\n", k.ID)
		case held[k.ID]:
			fmt.Fprintf(out, "%s  published, private half held (staged or previous)\n", k.ID)
		default:
			fmt.Fprintf(out, "%s  retired, public half published\n", k.ID)
		}
	}
	return nil
}
