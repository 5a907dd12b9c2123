package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/auth"
)

// Keys rotated while the platform runs, with the procedure an operator
// follows (gerbang/pkg/cmd/keys: stage, promote, retire) and no restart:
// the portal's token key, licensing's license key and licensing's audit
// checkpoint key. Whatever was signed before a rotation still verifies
// after it: tokens and sessions until the old token key is forgotten,
// signed licenses and audit checkpoints for good.
func TestKeysAreRotatedWhileTheServicesRunAndWhatTheySignedStillVerifies(t *testing.T) {
	// Each replica reads its rings every 200 ms; a service fetches the
	// portal's JWKS for an unknown key at most every second.
	const refresh = time.Second
	p := startPlatform(t, map[string]string{"KEY_RELOAD_INTERVAL": "200ms", "JWKS_REFRESH_INTERVAL": refresh.String(), "AUDIT_CHECKPOINT_INTERVAL": "1s"})
	keys := buildKeysCommand(t)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(keys, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("keys %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	stage := func(file string) string {
		t.Helper()
		out := run("stage", file)
		kid, _, ok := strings.Cut(strings.TrimPrefix(out, "staged "), ":")
		if !strings.HasPrefix(out, "staged ") || !ok {
			t.Fatalf("keys stage: %q, want the staged key's id", out)
		}
		return kid
	}
	tokenKey := filepath.Join(p.data, "portal", "keys", "signing.key")
	licenseKey := filepath.Join(p.data, "licensing", "license-signing-key.pem")
	auditKey := filepath.Join(p.data, "licensing", "keys", "audit.key")

	// Before: a session, a token, a license signed and the audit chain.
	session := newPerson(t, p, "usaha@demo.gerbang.id")
	business := p.login("usaha@demo.gerbang.id")
	oldTokenKid := tokenKid(t, business)
	auditor := p.login("auditor@demo.gerbang.id")
	signedBefore := issueSignedLicense(t, p, business)

	// The token key: staged, it is published before anything is signed
	// with it; promoted, it signs; the old key's tokens and sessions still
	// work until it is forgotten.
	newTokenKid := stage(tokenKey)
	p.eventually("the portal publishes the staged token key", func() bool {
		return slices.Equal(jwksKids(t, p, "portal", "/.well-known/jwks.json"), []string{oldTokenKid, newTokenKid})
	})
	if kid := tokenKid(t, p.login("usaha@demo.gerbang.id")); kid != oldTokenKid {
		t.Fatalf("a token minted while the new key is only staged is signed by %s, want the current %s", kid, oldTokenKid)
	}
	time.Sleep(refresh) // the procedure: promote once every verifier may fetch the staged key
	run("promote", tokenKey, newTokenKid)
	var after string
	p.eventually("the portal signs with the promoted key", func() bool {
		after = p.login("usaha@demo.gerbang.id")
		return tokenKid(t, after) == newTokenKid
	})
	for _, tok := range []struct{ what, token string }{{"before the rotation", business}, {"after it", after}} {
		if code, body := p.get("licensing", "/v1/businesses", tok.token); code != http.StatusOK {
			t.Fatalf("licensing refused the token signed %s: %d %s", tok.what, code, body)
		}
	}
	if pg := session.get("/"); pg.code != http.StatusOK || !strings.Contains(pg.text, "Keluar") {
		t.Fatalf("the session opened before the rotation is gone after it: %d %.300s", pg.code, pg.text)
	}
	fresh := newPerson(t, p, "usaha@demo.gerbang.id")

	// The license key: a license signed before still verifies, one signed
	// after carries the new key's id and verifies too.
	newLicenseKid := stage(licenseKey)
	run("promote", licenseKey, newLicenseKid)
	var signedAfter map[string]any
	p.eventually("licensing signs licenses with the promoted key", func() bool {
		signedAfter = signedLicense(t, p, business, signedBefore.application)
		return signedAfter["header"].(map[string]any)["kid"] == newLicenseKid
	})
	if kids := jwksKids(t, p, "licensing", "/.well-known/license-keys.json"); !slices.Contains(kids, newLicenseKid) || !slices.Contains(kids, signedBefore.kid) {
		t.Fatalf("license keys published: %v, want the new %s and the old %s", kids, newLicenseKid, signedBefore.kid)
	}
	run("retire", licenseKey, signedBefore.kid) // its public half stays published
	p.eventually("licensing no longer holds the retired license key", func() bool {
		return !strings.Contains(run("list", licenseKey), signedBefore.kid+"  published, private")
	})
	for _, s := range []struct {
		what string
		doc  map[string]any
	}{{"before the rotation", signedBefore.doc}, {"after it", signedAfter}} {
		code, body := p.do("POST", "licensing", "/v1/public/licenses/verify-signed", "", s.doc)
		var v struct {
			Genuine bool   `json:"genuine"`
			Reason  string `json:"reason"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &v) != nil || !v.Genuine {
			t.Fatalf("the license signed %s does not verify: %d %s", s.what, code, body)
		}
	}

	// The audit key: checkpoints signed before and after verify.
	newAuditKid := stage(auditKey)
	run("promote", auditKey, newAuditKid)
	p.eventually("licensing reads the promoted audit key", func() bool {
		return strings.HasPrefix(run("list", auditKey), newAuditKid+"  current")
	})
	time.Sleep(500 * time.Millisecond) // KEY_RELOAD_INTERVAL, twice
	issueSignedLicense(t, p, business) // something new to seal
	p.eventually("licensing's audit chain is sealed under the promoted key", func() bool {
		code, body := p.get("licensing", "/v1/audit/verify", auditor)
		var r struct {
			OK             bool `json:"ok"`
			LastCheckpoint *struct {
				KeyID string `json:"key_id"`
			} `json:"last_checkpoint"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &r) != nil {
			t.Fatalf("audit verify: %d %s", code, body)
		}
		if !r.OK {
			t.Fatalf("the audit chain does not verify after the rotation: %s", body)
		}
		return r.LastCheckpoint != nil && r.LastCheckpoint.KeyID == newAuditKid
	})

	// The old token key forgotten: what it signed no longer opens the
	// portal; what the new key signed still does.
	run("retire", "-forget", tokenKey, oldTokenKid)
	p.eventually("the portal forgets the old token key", func() bool {
		return slices.Equal(jwksKids(t, p, "portal", "/.well-known/jwks.json"), []string{newTokenKid})
	})
	if pg := session.get("/"); strings.Contains(pg.text, "Keluar") {
		t.Fatalf("a session of the forgotten key still opens the portal: %.300s", pg.text)
	}
	if pg := fresh.get("/"); pg.code != http.StatusOK || !strings.Contains(pg.text, "Keluar") {
		t.Fatalf("a session opened after the promotion is gone: %d %.300s", pg.code, pg.text)
	}
}

// buildKeysCommand builds gerbang/pkg/cmd/keys, the operator's tool.
func buildKeysCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "keys")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/keys")
	cmd.Dir = filepath.Join(repoRoot(t), "pkg")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build keys: %v\n%s", err, out)
	}
	return bin
}

// tokenKid is the kid in a token's header.
func tokenKid(t *testing.T, token string) string {
	t.Helper()
	head, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	var h struct {
		Kid string `json:"kid"`
	}
	if err != nil || json.Unmarshal(raw, &h) != nil {
		t.Fatalf("token header %q: %v", head, err)
	}
	return h.Kid
}

// jwksKids lists the key ids of a JWK Set a service publishes.
func jwksKids(t *testing.T, p *platform, service, path string) []string {
	t.Helper()
	code, body := p.get(service, path, "")
	keys, err := auth.ParseJWKS(body)
	if code != http.StatusOK || err != nil {
		t.Fatalf("%s %s: %d %s", service, path, code, body)
	}
	var out []string
	for _, k := range keys {
		out = append(out, k.ID)
	}
	return out
}

type signedCase struct {
	application, kid string
	doc              map[string]any
}

// issueSignedLicense has the business apply for a low-risk license (issued
// at submission) and returns its signed JSON form.
func issueSignedLicense(t *testing.T, p *platform, token string) signedCase {
	t.Helper()
	code, body := p.get("licensing", "/v1/businesses", token)
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &list) != nil {
		t.Fatalf("businesses: %d %s", code, body)
	}
	biz := ""
	if len(list.Items) > 0 {
		biz = list.Items[0].ID
	} else {
		b := decode(t, mustStatus(t, "register the business", http.StatusCreated)(p.do("POST", "licensing", "/v1/businesses", token, map[string]any{
			"name": "CV Putar Kunci", "npwp": "09.345.678.9-012.000", "address": "Jl. Merdeka 5, Bandung", "scale": "small", "kbli": []string{"62010"},
		})))
		biz = b["id"].(string)
	}
	a := decode(t, mustStatus(t, "apply", http.StatusCreated)(p.do("POST", "licensing", "/v1/applications", token, map[string]any{"business_id": biz, "kbli": "62010"},
		"Idempotency-Key", fmt.Sprintf("rotation-%d", time.Now().UnixNano()))))
	id := a["id"].(string)
	mustStatus(t, "submit", http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+id+"/submit", token, nil))
	var doc map[string]any
	p.eventually("the license of "+id+" is issued", func() bool {
		code, body := p.get("licensing", "/v1/applications/"+id+"/license/signed", token)
		return code == http.StatusOK && json.Unmarshal(body, &doc) == nil
	})
	return signedCase{application: id, kid: doc["header"].(map[string]any)["kid"].(string), doc: doc}
}

func signedLicense(t *testing.T, p *platform, token, application string) map[string]any {
	t.Helper()
	return decode(t, mustStatus(t, "signed license", http.StatusOK)(p.get("licensing", "/v1/applications/"+application+"/license/signed", token)))
}
