package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"gerbang/pkg/apperr"
)

// Gateway callback signing. The gateway sends, with the raw JSON body:
//
//	X-Gateway-Timestamp: <unix seconds>
//	X-Gateway-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
//
// The receiver recomputes the HMAC over the bytes it received (never a
// re-encoded body), compares in constant time (hmac.Equal), and refuses a
// timestamp more than CallbackTolerance away from its clock. A replay inside
// the tolerance carries a gateway reference already recorded and changes
// nothing.
const (
	HeaderGatewayTimestamp = "X-Gateway-Timestamp"
	HeaderGatewaySignature = "X-Gateway-Signature"
	signatureScheme        = "v1="
	CallbackTolerance      = 5 * time.Minute
)

// SignCallback returns the X-Gateway-Signature value for body sent at ts.
func SignCallback(secret []byte, ts time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	return timestamp, signatureScheme + hex.EncodeToString(callbackMAC(secret, timestamp, body))
}

func callbackMAC(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// VerifyCallback checks a callback's signature and freshness. Every refusal
// is an apperr Unauthenticated that says what to fix, never which byte
// differed.
func VerifyCallback(secret []byte, timestamp, signature string, body []byte, now time.Time) error {
	if timestamp == "" || signature == "" {
		return apperr.New(apperr.Unauthenticated, "The callback must carry the %s and %s headers.", HeaderGatewayTimestamp, HeaderGatewaySignature)
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return apperr.New(apperr.Unauthenticated, "%s must be Unix seconds.", HeaderGatewayTimestamp)
	}
	if skew := now.Sub(time.Unix(secs, 0)).Abs(); skew > CallbackTolerance {
		return apperr.New(apperr.Unauthenticated, "The callback timestamp is more than %s away from the server clock; sign it again.", CallbackTolerance)
	}
	hexSig, ok := strings.CutPrefix(signature, signatureScheme)
	if !ok {
		return apperr.New(apperr.Unauthenticated, "%s must be %q followed by the hex HMAC-SHA256.", HeaderGatewaySignature, signatureScheme)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || !hmac.Equal(got, callbackMAC(secret, timestamp, body)) {
		return apperr.New(apperr.Unauthenticated, "The callback signature does not match its timestamp and body.")
	}
	return nil
}
