package audit

import (
	"crypto/ed25519"
	"errors"
	"time"
)

// Signer signs checkpoints. KeyID names the key in the set that Verify is
// given, so keys can be rotated while old checkpoints stay verifiable.
type Signer struct {
	KeyID string
	Key   ed25519.PrivateKey
	// Current, when set, gives the key in force at each signing instead of
	// KeyID and Key (a key ring being rotated).
	Current func() (keyID string, key ed25519.PrivateKey)
}

func (s Signer) now() Signer {
	if s.Current != nil {
		s.KeyID, s.Key = s.Current()
		s.Current = nil
	}
	return s
}

func (s Signer) validate() error {
	s = s.now()
	if s.KeyID == "" {
		return errors.New("audit: signer has no key id")
	}
	if len(s.Key) != ed25519.PrivateKeySize {
		return errors.New("audit: signer key is not an Ed25519 private key")
	}
	return nil
}

// checkpoint is an audit_checkpoint row.
type checkpoint struct {
	Position  int64
	Hash      []byte
	CreatedAt time.Time
	KeyID     string
	Signature []byte
}

// message is what the signature covers, as documented in doc.go.
func (c *checkpoint) message() []byte {
	var e encoder
	e.str(checkpointDomain)
	e.str(c.KeyID)
	e.int(c.Position)
	e.bytes(c.Hash)
	e.int(c.CreatedAt.UnixMicro())
	return e.b
}

func (s Signer) sign(position int64, hash []byte, at time.Time) checkpoint {
	s = s.now()
	c := checkpoint{Position: position, Hash: hash, CreatedAt: at.Truncate(time.Microsecond), KeyID: s.KeyID}
	c.Signature = ed25519.Sign(s.Key, c.message())
	return c
}
