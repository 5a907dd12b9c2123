package domain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"
)

// ReceiptDomain starts every receipt message, so a receipt signature cannot
// be taken for a signature over anything else.
const ReceiptDomain = "gerbang-bid-receipt-v1"

// Receipt is what a vendor gets when its sealed bid is stored: the SHA-256
// of the sealed bid, the server time, and the service's Ed25519 signature
// over both (with the ids that say which bid it is).
type Receipt struct {
	TenderID     string    `json:"tender_id"`
	BidID        string    `json:"bid_id"`
	SealedSHA256 string    `json:"sealed_sha256"` // lowercase hex
	ReceivedAt   time.Time `json:"received_at"`   // server clock, UTC
	KeyID        string    `json:"key_id"`
	Signature    string    `json:"signature"` // standard base64 of the 64-byte Ed25519 signature
}

// Message is the exact byte string signed, one field per line, no
// trailing newline:
//
//	gerbang-bid-receipt-v1
//	<tender_id>
//	<bid_id>
//	<sealed_sha256, lowercase hex>
//	<received_at, RFC 3339 UTC with nanoseconds as Go's time.RFC3339Nano prints it>
func (r Receipt) Message() []byte {
	return []byte(ReceiptDomain + "\n" + r.TenderID + "\n" + r.BidID + "\n" + r.SealedSHA256 + "\n" +
		r.ReceivedAt.UTC().Format(time.RFC3339Nano))
}

// IssueReceipt signs the receipt of a sealed bid stored at receivedAt.
func IssueReceipt(key ed25519.PrivateKey, keyID, tenderID, bidID string, sealed []byte, receivedAt time.Time) Receipt {
	sum := sha256.Sum256(sealed)
	r := Receipt{TenderID: tenderID, BidID: bidID, SealedSHA256: hex.EncodeToString(sum[:]),
		ReceivedAt: receivedAt.UTC(), KeyID: keyID}
	r.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, r.Message()))
	return r
}

// VerifyReceipt checks a receipt offline with the service's public key and,
// when the vendor kept it, the sealed bid it names.
func VerifyReceipt(pub ed25519.PublicKey, r Receipt, sealed []byte) error {
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil {
		return errors.New("receipt signature is not base64")
	}
	if !ed25519.Verify(pub, r.Message(), sig) {
		return errors.New("receipt signature does not verify")
	}
	if sealed != nil {
		sum := sha256.Sum256(sealed)
		if hex.EncodeToString(sum[:]) != r.SealedSHA256 {
			return errors.New("the sealed bid does not match the receipt's hash")
		}
	}
	return nil
}
