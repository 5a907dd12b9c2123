package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SigningKey is the private key the portal signs tokens with.
type SigningKey struct {
	ID      string // the key id (kid): the RFC 7638 thumbprint of the public key
	Private ed25519.PrivateKey
}

// PublicKey is a verification key and its id.
type PublicKey struct {
	ID  string
	Key ed25519.PublicKey
}

// Public returns the key's public half.
func (k SigningKey) Public() PublicKey {
	return PublicKey{ID: k.ID, Key: k.Private.Public().(ed25519.PublicKey)}
}

// NewSigningKey returns a fresh random signing key.
func NewSigningKey() (SigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return SigningKey{ID: KeyID(pub), Private: priv}, nil
}

// KeyID returns the RFC 7638 JWK thumbprint of an Ed25519 public key
// (SHA-256, base64url without padding), used as its kid.
func KeyID(pub ed25519.PublicKey) string {
	// RFC 7638 §3.2: the required members in lexicographic order, no spaces.
	canonical := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// LoadOrCreateSigningKey reads the PEM (PKCS #8) private key at path, or,
// when there is none, generates one and stores it there with mode 0600 (the
// development setup: the key appears on first start). Two processes starting
// together end up with the same key.
func LoadOrCreateSigningKey(path string) (SigningKey, error) {
	k, err := readSigningKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err = NewSigningKey()
	if err != nil {
		return SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return SigningKey{}, fmt.Errorf("encode signing key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return SigningKey{}, fmt.Errorf("create directory of signing key: %w", err)
	}
	// Written aside and linked into place: a reader never sees half a key, and
	// a key another process linked first wins.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".signing-key-*")
	if err != nil {
		return SigningKey{}, fmt.Errorf("write signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return SigningKey{}, fmt.Errorf("write signing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return SigningKey{}, fmt.Errorf("write signing key: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return SigningKey{}, fmt.Errorf("write signing key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readSigningKey(path)
		}
		return SigningKey{}, fmt.Errorf("store signing key at %s: %w", path, err)
	}
	return k, nil
}

func readSigningKey(path string) (SigningKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return SigningKey{}, fmt.Errorf("read signing key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return SigningKey{}, fmt.Errorf("signing key %s: not a PEM \"PRIVATE KEY\" block", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return SigningKey{}, fmt.Errorf("signing key %s: %w", path, err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return SigningKey{}, fmt.Errorf("signing key %s: a %T, want an Ed25519 key", path, parsed)
	}
	return SigningKey{ID: KeyID(priv.Public().(ed25519.PublicKey)), Private: priv}, nil
}

// JWK is one public key of a JWK Set (RFC 7517, OKP keys of RFC 8037).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// JWKSet is the document served at JWKSPath.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// JWKS returns the JWK Set publishing keys.
func JWKS(keys ...PublicKey) JWKSet {
	set := JWKSet{Keys: make([]JWK, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, JWK{
			Kty: "OKP",
			Crv: "Ed25519",
			X:   base64.RawURLEncoding.EncodeToString(k.Key),
			Kid: k.ID,
			Alg: "EdDSA",
			Use: "sig",
		})
	}
	return set
}

// ParseJWKS reads the Ed25519 signing keys of a JWK Set. Keys of other types
// or uses are skipped (a provider may publish several kinds); a malformed
// Ed25519 key is an error. A key without a kid gets its thumbprint.
func ParseJWKS(data []byte) ([]PublicKey, error) {
	var set JWKSet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("decode JWK set: %w", err)
	}
	var keys []PublicKey
	for i, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "EdDSA") {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("JWK set key %d (%q): x is not a base64url Ed25519 public key", i, k.Kid)
		}
		id := k.Kid
		if id == "" {
			id = KeyID(x)
		}
		keys = append(keys, PublicKey{ID: id, Key: ed25519.PublicKey(x)})
	}
	return keys, nil
}
