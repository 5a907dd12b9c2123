package auth_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gerbang/pkg/auth"
)

func TestKeyIDIsTheRFC7638Thumbprint(t *testing.T) {
	// RFC 8037, appendix A.3.
	x, err := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := auth.KeyID(ed25519.PublicKey(x)), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; got != want {
		t.Fatalf("KeyID = %q, want %q", got, want)
	}
}

func TestSigningKeyIsCreatedOnFirstStartWithMode0600AndReusedAfter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "signing.key")
	first, err := auth.LoadOrCreateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("key file mode = %o, want 600", mode)
	}
	if first.ID != auth.KeyID(first.Public().Key) {
		t.Fatalf("key id %q is not the thumbprint of the key", first.ID)
	}
	again, err := auth.LoadOrCreateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || !again.Private.Equal(first.Private) {
		t.Fatal("a second start made a new key instead of reading the stored one")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("key directory holds %d files, want only the key", len(entries))
	}
}

func TestProcessesStartingTogetherShareOneSigningKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := auth.LoadOrCreateSigningKey(path)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("key ids differ: %v", ids)
		}
	}
}

func TestAMalformedKeyFileIsAnErrorNotReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateSigningKey(path); err == nil {
		t.Fatal("a malformed key file was accepted")
	}
	data, _ := os.ReadFile(path)
	if string(data) != "not a key" {
		t.Fatal("the malformed key file was overwritten")
	}
}

func TestJWKSPublishesEd25519KeysThatParseBack(t *testing.T) {
	k, err := auth.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(auth.JWKS(k.Public()))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": k.ID,
		"x": base64.RawURLEncoding.EncodeToString(k.Public().Key),
	}
	if len(doc.Keys) != 1 || len(doc.Keys[0]) != len(want) {
		t.Fatalf("JWKS = %s", data)
	}
	for name, v := range want {
		if doc.Keys[0][name] != v {
			t.Errorf("%s = %q, want %q", name, doc.Keys[0][name], v)
		}
	}
	keys, err := auth.ParseJWKS(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != k.ID || !keys[0].Key.Equal(k.Public().Key) {
		t.Fatalf("ParseJWKS = %+v", keys)
	}
}

func TestParseJWKSSkipsKeysOfOtherKinds(t *testing.T) {
	data := []byte(`{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"},{"kty":"OKP","crv":"X25519","kid":"x","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},` +
		`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`)
	keys, err := auth.ParseJWKS(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Fatalf("ParseJWKS = %+v, want the one Ed25519 key with its thumbprint as id", keys)
	}
}
