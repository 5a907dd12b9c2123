package auth_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
)

// statusOf stands in for the HTTP edge's error handler.
func statusOf(err error) int {
	switch apperr.CodeOf(err) {
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return http.StatusInternalServerError
}

func newApp(v *auth.Verifier) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		return c.Status(statusOf(err)).SendString(err.Error())
	}})
	app.Use(auth.Authenticate(v))
	app.Get("/tenders", func(c *fiber.Ctx) error {
		if p, ok := auth.PrincipalFrom(c); ok {
			return c.SendString("hello " + p.Subject)
		}
		return c.SendString("hello stranger")
	})
	app.Post("/licenses/approve", auth.RequireRoles(auth.RoleLicensingOfficer, auth.RoleAdmin), func(c *fiber.Ctx) error {
		p, ok := auth.FromContext(c.UserContext())
		if !ok {
			return errors.New("use case sees no principal")
		}
		return c.SendString("approved by " + p.Subject)
	})
	return app
}

func do(t *testing.T, app *fiber.App, method, path, authorization string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func TestRoutesRefuseOrAdmitByToken(t *testing.T) {
	f := newFixture(t)
	app := newApp(f.verifier)
	officer := "Bearer " + f.mint(t, auth.Principal{Subject: "officer-1", Roles: []string{auth.RoleLicensingOfficer}})
	admin := "bearer " + f.mint(t, auth.Principal{Subject: "admin-1", Roles: []string{auth.RoleAdmin}})
	business := "Bearer " + f.mint(t, auth.Principal{Subject: "user-1", Roles: []string{auth.RoleBusiness}, Org: "org-1"})
	forged := "Bearer " + func() string {
		tok, err := auth.Issuer{Key: f.other, Issuer: testIssuer, Audience: testAudience}.Mint(auth.Principal{Subject: "x", Roles: []string{auth.RoleAdmin}}, 3600e9, base)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}()
	tests := []struct {
		name          string
		method, path  string
		authorization string
		wantStatus    int
		wantBody      string
	}{
		{"public route admits anonymous callers", "GET", "/tenders", "", 200, "hello stranger"},
		{"public route knows a signed-in caller", "GET", "/tenders", business, 200, "hello user-1"},
		{"a bad token is refused even on a public route", "GET", "/tenders", forged, 401, "does not know"},
		{"a header that is not Bearer is refused", "GET", "/tenders", "Basic dXNlcjpwYXNz", 401, "Bearer <token>"},
		{"protected route without a token is 401", "POST", "/licenses/approve", "", 401, "sign in"},
		{"protected route with the wrong role is 403", "POST", "/licenses/approve", business, 403, "licensing_officer or admin"},
		{"protected route with the right role is 200", "POST", "/licenses/approve", officer, 200, "approved by officer-1"},
		{"any one of the roles is enough", "POST", "/licenses/approve", admin, 200, "approved by admin-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, header := do(t, app, tt.method, tt.path, tt.authorization)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("got %d %q, want %d containing %q", status, body, tt.wantStatus, tt.wantBody)
			}
			if status == 401 && !strings.HasPrefix(header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without a Bearer challenge: %q", header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestForbiddenNamesTheRolesNeeded(t *testing.T) {
	var got error
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		got = err
		return c.SendStatus(statusOf(err))
	}})
	app.Post("/x", func(c *fiber.Ctx) error {
		auth.SetPrincipal(c, auth.Principal{Subject: "u", Roles: []string{auth.RoleBusiness}})
		return c.Next()
	}, auth.RequireRoles(auth.RoleFinance))
	if status, _, _ := do(t, app, "POST", "/x", ""); status != 403 {
		t.Fatalf("status %d, want 403", status)
	}
	var ae *apperr.Error
	if !errors.As(got, &ae) || ae.Code != apperr.Forbidden {
		t.Fatalf("error = %v, want forbidden", got)
	}
	roles, _ := ae.Extra["required_roles"].([]string)
	if len(roles) != 1 || roles[0] != auth.RoleFinance {
		t.Fatalf("required_roles = %v", ae.Extra["required_roles"])
	}
}

func TestJWKSHandlerServesTheKeySet(t *testing.T) {
	f := newFixture(t)
	app := fiber.New()
	app.Get(auth.JWKSPath, auth.JWKSHandler(f.key.Public()))
	status, body, header := do(t, app, "GET", auth.JWKSPath, "")
	if status != 200 || header.Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("got %d %s", status, header.Get("Content-Type"))
	}
	keys, err := auth.ParseJWKS([]byte(body))
	if err != nil || len(keys) != 1 || keys[0].ID != f.key.ID {
		t.Fatalf("served set %s: %v", body, err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
}
