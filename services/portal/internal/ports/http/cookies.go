package http

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// cookieSigner signs cookie values with HMAC-SHA256, each purpose with its
// own derived key, so a CSRF cookie can never pass for a session.
type cookieSigner struct {
	secret []byte
}

func (s cookieSigner) mac(purpose, value string) string {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// sign returns value~mac.
func (s cookieSigner) sign(purpose, value string) string {
	return value + "~" + s.mac(purpose, value)
}

// open returns the value of a signed cookie; false when it is absent or its
// signature does not match.
func (s cookieSigner) open(purpose, cookie string) (string, bool) {
	i := strings.LastIndexByte(cookie, '~')
	if i < 0 {
		return "", false
	}
	value, sig := cookie[:i], cookie[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(purpose, value))) {
		return "", false
	}
	return value, true
}

// randomToken returns 32 random bytes, base64url.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
