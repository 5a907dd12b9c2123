package domain

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestReceiptVerifiesOfflineAndDetectsTampering(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sealed := []byte("sealed bid bytes")
	at := time.Date(2026, 11, 12, 9, 59, 59, 123456789, time.UTC)
	r := IssueReceipt(priv, "kid-1", "tender-1", "bid-1", sealed, at)

	if err := VerifyReceipt(pub, r, sealed); err != nil {
		t.Fatalf("genuine receipt refused: %v", err)
	}
	later := r
	later.ReceivedAt = at.Add(time.Second)
	if VerifyReceipt(pub, later, nil) == nil {
		t.Fatal("a receipt with a moved time verified")
	}
	if VerifyReceipt(pub, r, []byte("another bid")) == nil {
		t.Fatal("a receipt verified against another sealed bid")
	}
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	if VerifyReceipt(otherPub, r, nil) == nil {
		t.Fatal("a receipt verified under another key")
	}
}

// TestReceiptVerificationProcedureOfTheREADME follows the documented
// offline procedure with nothing of this package: rebuild the message from
// the receipt's fields, check the hash of the sealed bid, verify the
// signature with the published key (with openssl when it is installed, as
// the README shows, and with the standard library always).
func TestReceiptVerificationProcedureOfTheREADME(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sealed := []byte("sealed bid bytes \x00\x01")
	r := IssueReceipt(priv, "kid-1", "019a0000-0000-7000-8000-000000000001", "019a0000-0000-7000-8000-000000000002",
		sealed, time.Date(2026, 11, 12, 9, 59, 59, 5000, time.UTC))

	msg := fmt.Sprintf("gerbang-bid-receipt-v1\n%s\n%s\n%s\n%s", r.TenderID, r.BidID, r.SealedSHA256,
		r.ReceivedAt.Format(time.RFC3339Nano))
	sum := sha256.Sum256(sealed)
	if hex.EncodeToString(sum[:]) != r.SealedSHA256 {
		t.Fatal("sealed_sha256 is not the SHA-256 of the sealed bid")
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil || !ed25519.Verify(pub, []byte(msg), sig) {
		t.Fatalf("documented message does not verify: %v", err)
	}

	if _, err := exec.LookPath("openssl"); err == nil {
		dir := t.TempDir()
		der, _ := x509.MarshalPKIXPublicKey(pub)
		write := func(name string, b []byte) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		key := write("receipt-key.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		msgFile := write("msg", []byte(msg))
		sigFile := write("sig", sig)
		out, err := exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", key, "-rawin",
			"-in", msgFile, "-sigfile", sigFile).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl refused the receipt: %v\n%s", err, out)
		}
	}
}
