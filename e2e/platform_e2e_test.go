package e2e

import (
	"encoding/json"
	"net/http"
	"syscall"
	"testing"
)

// The four processes come up, trust the portal's tokens, refuse the wrong
// roles, and stop cleanly on SIGTERM.
func TestFourServicesTrustThePortalsTokensAndStopCleanly(t *testing.T) {
	p := startPlatform(t, nil)
	auditor := p.login("auditor@demo.gerbang.id")
	business := p.login("usaha@demo.gerbang.id")
	for _, s := range []string{"licensing", "tender", "payment"} {
		code, body := p.get(s, "/v1/audit/verify", auditor)
		if code != http.StatusOK {
			t.Fatalf("%s audit verify as auditor: %d %s", s, code, body)
		}
		var report struct {
			OK bool `json:"ok"`
		}
		if err := json.Unmarshal(body, &report); err != nil || !report.OK {
			t.Fatalf("%s audit chain not intact: %s", s, body)
		}
		if code, _ := p.get(s, "/v1/audit/verify", business); code != http.StatusForbidden {
			t.Fatalf("%s audit verify as business: %d, want 403", s, code)
		}
		if code, _ := p.get(s, "/v1/audit/verify", ""); code != http.StatusUnauthorized {
			t.Fatalf("%s audit verify without a token: %d, want 401", s, code)
		}
		// Through the portal's proxy, as the web UI calls them.
		if code, body := p.get("portal", "/api/"+s+"/v1/audit/verify", auditor); code != http.StatusOK {
			t.Fatalf("portal proxy to %s: %d %s", s, code, body)
		}
	}
	for _, s := range services {
		if err := p.signal(s, syscall.SIGTERM); err != nil {
			t.Fatalf("%s on SIGTERM: %v\n%s", s, err, p.logs(s))
		}
	}
}
