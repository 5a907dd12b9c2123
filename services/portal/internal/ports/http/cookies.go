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
	secret []byte // a fixed secret, or
	// secrets are the secrets in force: the first signs, any opens (the
	// signing key's ring rotated: cookies signed before still open).
	secrets func() [][]byte
}

func (s cookieSigner) keys() [][]byte {
	if s.secrets != nil {
		return s.secrets()
	}
	return [][]byte{s.secret}
}

func mac(secret []byte, purpose, value string) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// sign returns value~mac.
func (s cookieSigner) sign(purpose, value string) string {
	return value + "~" + mac(s.keys()[0], purpose, value)
}

// open returns the value of a signed cookie; false when it is absent or its
// signature does not match.
func (s cookieSigner) open(purpose, cookie string) (string, bool) {
	i := strings.LastIndexByte(cookie, '~')
	if i < 0 {
		return "", false
	}
	value, sig := cookie[:i], cookie[i+1:]
	for _, secret := range s.keys() {
		if hmac.Equal([]byte(sig), []byte(mac(secret, purpose, value))) {
			return value, true
		}
	}
	return "", false
}

// randomToken returns 32 random bytes, base64url.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
