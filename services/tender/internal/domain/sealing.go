package domain

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hpke"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gerbang/pkg/apperr"
)

// The sealing suite: HPKE (RFC 9180) base mode with the hybrid
// ML-KEM-768 + X25519 KEM, HKDF-SHA256 and AES-256-GCM.
func sealingSuite() (hpke.KEM, hpke.KDF, hpke.AEAD) {
	return hpke.MLKEM768X25519(), hpke.HKDFSHA256(), hpke.AES256GCM()
}

// bidInfo binds a sealed bid to its tender and its vendor: a ciphertext
// copied to another tender or vendor does not open.
func bidInfo(tenderID, vendor string) []byte {
	return []byte("gerbang/tender/bid/v1\x00" + tenderID + "\x00" + vendor)
}

// keyAAD binds a wrapped private key to its tender.
func keyAAD(tenderID string) []byte {
	return []byte("gerbang/tender/key/v1\x00" + tenderID)
}

// KEK is the key-encryption key that wraps every tender's private key
// (AES-256-GCM); in production it lives in a KMS.
type KEK struct{ aead cipher.AEAD }

// NewKEK builds the key-encryption key from 32 bytes.
func NewKEK(key []byte) (KEK, error) {
	if len(key) != 32 {
		return KEK{}, fmt.Errorf("key-encryption key: %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return KEK{}, fmt.Errorf("key-encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return KEK{}, fmt.Errorf("key-encryption key: %w", err)
	}
	return KEK{aead: aead}, nil
}

// NewTenderKey generates a tender's key pair and returns the public key and
// the private key wrapped by the KEK (nonce || AES-256-GCM ciphertext). The
// private key exists in clear only inside this call.
func (k KEK) NewTenderKey(tenderID string) (public, wrapped []byte, err error) {
	kem, _, _ := sealingSuite()
	priv, err := kem.GenerateKey()
	if err != nil {
		return nil, nil, fmt.Errorf("generate tender key: %w", err)
	}
	raw, err := priv.Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("serialise tender key: %w", err)
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("wrap tender key: %w", err)
	}
	wrapped = k.aead.Seal(nonce, nonce, raw, keyAAD(tenderID))
	clear(raw)
	return priv.PublicKey().Bytes(), wrapped, nil
}

// UnwrapForOpening returns the tender's bid opener. It refuses, whatever the
// caller, unless the deadline has passed by now and the committee has
// started the opening.
func (k KEK) UnwrapForOpening(t *Tender, now time.Time) (*BidOpener, error) {
	if t.OpeningStartedAt == nil || !now.After(t.BidDeadline) || t.State != StateOpening {
		return nil, apperr.New(apperr.Conflict, "the tender's key is unwrapped only after the deadline, once the committee has started the opening").
			With("current_state", string(t.State))
	}
	n := k.aead.NonceSize()
	if len(t.WrappedKey) < n {
		return nil, errors.New("unwrap tender key: wrapped key too short")
	}
	raw, err := k.aead.Open(nil, t.WrappedKey[:n], t.WrappedKey[n:], keyAAD(t.ID))
	if err != nil {
		return nil, fmt.Errorf("unwrap key of tender %s: %w", t.ID, err)
	}
	kem, _, _ := sealingSuite()
	priv, err := kem.NewPrivateKey(raw)
	clear(raw)
	if err != nil {
		return nil, fmt.Errorf("load key of tender %s: %w", t.ID, err)
	}
	return &BidOpener{tenderID: t.ID, key: priv}, nil
}

// BidContent is what a vendor seals: the price, the technical offer and the
// documents. None of it is stored in clear before the opening.
type BidContent struct {
	Price          int64         `json:"price"`
	TechnicalOffer string        `json:"technical_offer"`
	Documents      []BidDocument `json:"documents,omitempty"`
}

// BidDocument is one document of a bid, carried inside the seal.
type BidDocument struct {
	Name    string `json:"name"`
	Content []byte `json:"content"` // base64 in JSON
}

// Validate checks a bid before it is sealed.
func (b BidContent) Validate() error {
	var f []apperr.FieldError
	if b.Price <= 0 || b.Price > MaxBidPrice {
		f = append(f, apperr.Field("price.amount", "must be a positive amount of rupiah, at most %d", MaxBidPrice))
	}
	if len(b.TechnicalOffer) == 0 {
		f = append(f, apperr.Field("technical_offer", "is required"))
	}
	for i, d := range b.Documents {
		if d.Name == "" {
			f = append(f, apperr.Field(fmt.Sprintf("documents[%d].name", i), "is required"))
		}
	}
	if len(f) > 0 {
		return apperr.InvalidFields("the bid is incomplete", f...)
	}
	return nil
}

// SealBid encrypts a bid to the tender's public key. The result is the
// HPKE encapsulated key followed by the AES-256-GCM ciphertext.
func SealBid(publicKey []byte, tenderID, vendor string, b BidContent) ([]byte, error) {
	kem, kdf, aead := sealingSuite()
	pk, err := kem.NewPublicKey(publicKey)
	if err != nil {
		return nil, fmt.Errorf("tender public key: %w", err)
	}
	plain, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode bid: %w", err)
	}
	sealed, err := hpke.Seal(pk, kdf, aead, bidInfo(tenderID, vendor), plain)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("seal bid: %w", err)
	}
	return sealed, nil
}

// BidOpener decrypts the bids of one tender at its opening.
type BidOpener struct {
	tenderID string
	key      hpke.PrivateKey
}

// Open decrypts one sealed bid of vendor.
func (o *BidOpener) Open(vendor string, sealed []byte) (BidContent, error) {
	_, kdf, aead := sealingSuite()
	plain, err := hpke.Open(o.key, kdf, aead, bidInfo(o.tenderID, vendor), sealed)
	if err != nil {
		return BidContent{}, fmt.Errorf("open bid of %s: %w", vendor, err)
	}
	var b BidContent
	if err := json.Unmarshal(plain, &b); err != nil {
		return BidContent{}, fmt.Errorf("decode bid of %s: %w", vendor, err)
	}
	return b, nil
}
