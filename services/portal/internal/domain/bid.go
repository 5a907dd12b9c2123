package domain

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// A vendor's bid as tender answers it to the vendor: never a price, the
// sealed bid's hash and the receipts the service signed for it.

// Bid states in tender.
const (
	BidSubmitted = "submitted"
	BidWithdrawn = "withdrawn"
)

// Bid is one of the vendor's bids on a tender.
type Bid struct {
	ID, TenderID, State string
	Version             int
	SealedSHA256        string
	SubmittedAt         time.Time
	ConfirmedAmendment  int // the addendum the bid answers (0: the tender as first published)
	WithdrawnAt         *time.Time
	Receipts            []Receipt // oldest first
}

// Live is whether the bid stands (not withdrawn).
func (b Bid) Live() bool { return b.State == BidSubmitted }

// Receipt is the latest receipt, zero when tender gave none.
func (b Bid) Receipt() Receipt {
	if len(b.Receipts) == 0 {
		return Receipt{}
	}
	return b.Receipts[len(b.Receipts)-1]
}

// Receipt is what tender signs when it stores a sealed bid: anyone holding
// the published receipt keys can check it.
type Receipt struct {
	TenderID     string `json:"tender_id"`
	BidID        string `json:"bid_id"`
	SealedSHA256 string `json:"sealed_sha256"`
	ReceivedAt   string `json:"received_at"` // RFC 3339 UTC with nanoseconds, signed as given
	KeyID        string `json:"key_id"`
	Signature    string `json:"signature"` // base64 Ed25519
}

// At is the receipt's time, zero when it does not parse.
func (r Receipt) At() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, r.ReceivedAt)
	return t
}

// receiptDomain is the first line of what a receipt's signature covers
// (services/tender/README.md).
const receiptDomain = "gerbang-bid-receipt-v1"

// signed is the message a receipt's signature covers.
func (r Receipt) signed() []byte {
	return []byte(strings.Join([]string{receiptDomain, r.TenderID, r.BidID, r.SealedSHA256, r.ReceivedAt}, "\n"))
}

// ReceiptKey is one of tender's published receipt keys.
type ReceiptKey struct {
	ID        string
	PublicKey ed25519.PublicKey
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ReceiptCheck is the answer about a pasted receipt: genuine, or why not.
type ReceiptCheck struct {
	Receipt Receipt
	Genuine bool
	Problem string // a message key (receipt.problem.*) when not genuine
}

// CheckReceipt reads a receipt pasted as JSON and checks its signature
// against keys: genuine only when a published key with its key id verifies
// the signature over its fields exactly as given.
func CheckReceipt(pasted string, keys []ReceiptKey) ReceiptCheck {
	var r Receipt
	dec := json.NewDecoder(strings.NewReader(pasted))
	if err := dec.Decode(&r); err != nil {
		return ReceiptCheck{Problem: "receipt.problem.not_json"}
	}
	out := ReceiptCheck{Receipt: r}
	if r.TenderID == "" || r.BidID == "" || r.ReceivedAt == "" || r.KeyID == "" || r.Signature == "" || !hex64.MatchString(r.SealedSHA256) {
		out.Problem = "receipt.problem.incomplete"
		return out
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		out.Problem = "receipt.problem.signature"
		return out
	}
	for _, k := range keys {
		if k.ID == r.KeyID {
			if ed25519.Verify(k.PublicKey, r.signed(), sig) {
				out.Genuine = true
				return out
			}
			out.Problem = "receipt.problem.signature"
			return out
		}
	}
	out.Problem = "receipt.problem.unknown_key"
	return out
}

// ParseReceiptKey reads a published key: base64 of the 32-byte Ed25519
// public key.
func ParseReceiptKey(id, b64 string) (ReceiptKey, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return ReceiptKey{}, fmt.Errorf("receipt key %s: %w", id, err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return ReceiptKey{}, fmt.Errorf("receipt key %s: %d bytes is not an Ed25519 public key", id, len(raw))
	}
	return ReceiptKey{ID: id, PublicKey: ed25519.PublicKey(raw)}, nil
}

// BidInput is what the vendor's bid form sends: the price in whole
// rupiah, the technical offer, the documents.
type BidInput struct {
	Price          int64
	TechnicalOffer string
	Documents      []BidDocument
}

// BidDocument is one file of a bid.
type BidDocument struct {
	Name    string
	Content []byte
}

// BidSecurity is the vendor's bid security on a tender, as tender knows
// it: asked at its first bid (payment's invoice refers to its ID), held
// once paid, released or forfeited after the award.
type BidSecurity struct {
	ID          string
	Amount      Money
	State       string // requested, held, released, forfeited
	RequestedAt time.Time
	HeldAt      *time.Time
}

// Clarification is a question about a tender and its answer, public; the
// asker is never shown.
type Clarification struct {
	ID, Question, Answer string
	AskedAt              time.Time
	AnsweredAt           *time.Time
}
