package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// A KeyRing is a signing key and the other keys published beside it, so
// that a key can be rotated without downtime and without breaking what the
// old key signed. On disk, for the key file F:
//
//	F               the current key (PKCS #8 PEM): it signs
//	F.d/<kid>.pem   a key published but not signing: staged to become
//	                current, or the previous one, still held privately
//	F.d/<kid>.pub   a retired key's public half (PKIX PEM), still published
//	                so that what it signed verifies, offline too
//
// Rotation is three steps, each a command (gerbang/pkg/cmd/keys), each
// picked up by every running replica within the ring's reload interval:
// stage a new key (published before anything is signed with it, so that
// verifiers holding a cached key set learn it first), promote it (it signs
// from now on; the old one stays published), retire the old one (its
// private half is deleted; its public half stays published for as long as
// its signatures matter, or is forgotten).
type KeyRing struct {
	path string

	mu      sync.RWMutex
	current SigningKey
	others  []SigningKey // published, private half held
	retired []PublicKey  // published, public half only
}

// RingDir is the directory of the keys published beside the key file path.
func RingDir(path string) string { return path + ".d" }

// OpenKeyRing reads the ring of the key file path, creating the key (as
// LoadOrCreateSigningKey does) when there is none.
func OpenKeyRing(path string) (*KeyRing, error) {
	if _, err := LoadOrCreateSigningKey(path); err != nil {
		return nil, err
	}
	return ReadKeyRing(path)
}

// ReadKeyRing reads the ring of the key file path, which must exist.
func ReadKeyRing(path string) (*KeyRing, error) {
	r := &KeyRing{path: path}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the ring from disk again. A ring that cannot be read keeps
// what it had and says why.
func (r *KeyRing) Reload() error {
	if r.path == "" {
		return nil
	}
	current, err := readSigningKey(r.path)
	if err != nil {
		return err
	}
	others, retired, err := readRingDir(RingDir(r.path), current.ID)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.current, r.others, r.retired = current, others, retired
	r.mu.Unlock()
	return nil
}

// Watch reloads the ring every interval until ctx ends, logging a failure
// (the ring keeps its keys) and each change of the current key.
func (r *KeyRing) Watch(ctx context.Context, every time.Duration, log *slog.Logger) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		before := r.Current().ID
		if err := r.Reload(); err != nil {
			log.Warn("key ring not reloaded: keeping its keys", "file", r.path, "err", err.Error())
			continue
		}
		if now := r.Current().ID; now != before {
			log.Info("signing key rotated", "file", r.path, "kid", now, "previous", before)
		}
	}
}

// Current is the key that signs.
func (r *KeyRing) Current() SigningKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current
}

// Private is every key whose private half the ring holds, the current one
// first (for secrets derived from the keys: the first makes, any checks).
func (r *KeyRing) Private() []SigningKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]SigningKey{r.current}, r.others...)
}

// Published is every key a verifier should trust, the current one first.
func (r *KeyRing) Published() []PublicKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := []PublicKey{r.current.Public()}
	for _, k := range r.others {
		out = append(out, k.Public())
	}
	return append(out, r.retired...)
}

// Key returns the published key with id kid (a KeySource).
func (r *KeyRing) Key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	return StaticKeys(r.Published()).Key(ctx, kid)
}

func readRingDir(dir, currentID string) (others []SigningKey, retired []PublicKey, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read key ring %s: %w", dir, err)
	}
	seen := map[string]bool{currentID: true}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
			continue // a key being written
		case strings.HasSuffix(name, ".pem"):
			k, err := readSigningKey(filepath.Join(dir, name))
			if err != nil {
				return nil, nil, err
			}
			if !seen[k.ID] {
				seen[k.ID] = true
				others = append(others, k)
			}
		case strings.HasSuffix(name, ".pub"):
			k, err := readPublicKey(filepath.Join(dir, name))
			if err != nil {
				return nil, nil, err
			}
			if !seen[k.ID] {
				seen[k.ID] = true
				retired = append(retired, k)
			}
		}
	}
	slices.SortFunc(others, func(a, b SigningKey) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(retired, func(a, b PublicKey) int { return strings.Compare(a.ID, b.ID) })
	return others, retired, nil
}

func readPublicKey(path string) (PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return PublicKey{}, fmt.Errorf("read public key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return PublicKey{}, fmt.Errorf("public key %s: not a PEM \"PUBLIC KEY\" block", path)
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return PublicKey{}, fmt.Errorf("public key %s: %w", path, err)
	}
	pub, ok := parsed.(ed25519.PublicKey)
	if !ok {
		return PublicKey{}, fmt.Errorf("public key %s: a %T, want an Ed25519 key", path, parsed)
	}
	return PublicKey{ID: KeyID(pub), Key: pub}, nil
}

// StageKey generates a new key into the ring of the key file path,
// published but not yet signing, and returns its id.
func StageKey(path string) (string, error) {
	if _, err := readSigningKey(path); err != nil {
		return "", err
	}
	k, err := NewSigningKey()
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return "", fmt.Errorf("encode key: %w", err)
	}
	if err := writeAtomically(filepath.Join(RingDir(path), k.ID+".pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return "", err
	}
	return k.ID, nil
}

// PromoteKey makes the staged key kid the current one; the key it replaces
// stays published (F.d/<its kid>.pem) until it is retired.
func PromoteKey(path, kid string) error {
	dir := RingDir(path)
	staged := filepath.Join(dir, kid+".pem")
	k, err := readSigningKey(staged)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no staged key %s in %s: stage one first", kid, dir)
	}
	if err != nil {
		return err
	}
	if k.ID != kid {
		return fmt.Errorf("%s holds key %s, not %s", staged, k.ID, kid)
	}
	old, err := readSigningKey(path)
	if err != nil {
		return err
	}
	// The old key is kept first, then the new one replaces the file: at
	// every moment each key is on disk, and a reader sees one of the two
	// as current, never none.
	if err := copyFile(path, filepath.Join(dir, old.ID+".pem")); err != nil {
		return err
	}
	if err := os.Rename(staged, path); err != nil {
		return fmt.Errorf("promote %s: %w", kid, err)
	}
	return nil
}

// RetireKey deletes the private half of the published key kid. With
// keepPublic its public half stays published (what it signed still
// verifies); without, the key is forgotten.
func RetireKey(path, kid string, keepPublic bool) error {
	cur, err := readSigningKey(path)
	if err != nil {
		return err
	}
	if cur.ID == kid {
		return fmt.Errorf("key %s is the current one: promote another first", kid)
	}
	dir := RingDir(path)
	priv := filepath.Join(dir, kid+".pem")
	pub := filepath.Join(dir, kid+".pub")
	k, err := readSigningKey(priv)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, perr := os.Stat(pub); perr != nil {
			return fmt.Errorf("no key %s in %s", kid, dir)
		}
		if keepPublic {
			return nil // already retired
		}
		return os.Remove(pub)
	case err != nil:
		return err
	}
	if keepPublic {
		der, err := x509.MarshalPKIXPublicKey(k.Private.Public())
		if err != nil {
			return fmt.Errorf("encode public key: %w", err)
		}
		if err := writeAtomically(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})); err != nil {
			return err
		}
	}
	return os.Remove(priv)
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("read %s: %w", from, err)
	}
	return writeAtomically(to, data)
}

// writeAtomically writes data to path (mode 0600) through a hidden file
// renamed into place: a reader sees the whole file or none.
func writeAtomically(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
