package httpx

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"gerbang/pkg/apperr"
)

func testApp(t *testing.T) *fiber.App {
	t.Helper()
	app := New(Options{
		Name:             "test",
		DefaultBodyLimit: 64,
		BodyLimits:       []RouteLimit{{Method: "POST", Pattern: "/uploads/:id", Bytes: 1024}},
		Log:              slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Registry:         prometheus.NewRegistry(),
	})
	app.Get("/panic", func(c *fiber.Ctx) error { panic("boom") })
	app.Get("/ok", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) })
	app.Post("/echo", func(c *fiber.Ctx) error { return c.Send(c.Body()) })
	app.Post("/uploads/:id", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusCreated) })
	app.Post("/invalid", func(c *fiber.Ctx) error {
		return apperr.InvalidFields("Fix the fields below.", apperr.Field("npwp", "must be 15 or 16 digits"), apperr.Field("name", "is required"))
	})
	app.Post("/conflict", func(c *fiber.Ctx) error {
		return apperr.New(apperr.Conflict, "The application is already approved.").With("current_state", "approved")
	})
	return app
}

type problem struct {
	Type         string              `json:"type"`
	Title        string              `json:"title"`
	Status       int                 `json:"status"`
	Detail       string              `json:"detail"`
	RequestID    string              `json:"request_id"`
	Errors       []apperr.FieldError `json:"errors"`
	CurrentState string              `json:"current_state"`
}

func do(t *testing.T, app *fiber.App, method, path string, body []byte) (int, string, problem) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p problem
	if strings.HasPrefix(resp.Header.Get("Content-Type"), ProblemContentType) {
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("problem body %q: %v", raw, err)
		}
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), p
}

func TestPanicBecomesProblemWithRequestIDAndAppLivesOn(t *testing.T) {
	app := testApp(t)
	status, ct, p := do(t, app, "GET", "/panic", nil)
	if status != 500 || ct != ProblemContentType {
		t.Fatalf("got %d %q, want 500 problem", status, ct)
	}
	if p.RequestID == "" || strings.Contains(p.Detail, "boom") {
		t.Fatalf("problem must carry a request id and hide the panic: %+v", p)
	}
	if status, _, _ := do(t, app, "GET", "/ok", nil); status != 200 {
		t.Fatalf("after a panic the app answered %d", status)
	}
}

func TestValidationErrorsListTheirFields(t *testing.T) {
	status, _, p := do(t, testApp(t), "POST", "/invalid", []byte(`{}`))
	if status != 400 || len(p.Errors) != 2 || p.Errors[0].Field != "npwp" || p.Errors[1].Field != "name" {
		t.Fatalf("got %d %+v", status, p)
	}
	if p.Type != ProblemTypeBase+"invalid" || p.Detail == "" {
		t.Fatalf("problem lacks type or detail: %+v", p)
	}
}

func TestConflictCarriesExtraMembers(t *testing.T) {
	status, _, p := do(t, testApp(t), "POST", "/conflict", nil)
	if status != 409 || p.CurrentState != "approved" {
		t.Fatalf("got %d %+v", status, p)
	}
}

func TestBodyLimitsPerRoute(t *testing.T) {
	app := testApp(t)
	cases := []struct {
		name, path string
		size, want int
	}{
		{"default route within limit", "/echo", 64, 200},
		{"default route over limit", "/echo", 65, 413},
		{"upload route over default within its own", "/uploads/abc", 1000, 201},
		{"upload route over its own", "/uploads/abc", 1025, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, ct, _ := do(t, app, "POST", tc.path, bytes.Repeat([]byte("x"), tc.size))
			if status != tc.want {
				t.Fatalf("got %d, want %d", status, tc.want)
			}
			if tc.want == 413 && ct != ProblemContentType {
				t.Fatalf("413 answered as %q", ct)
			}
		})
	}
}

func TestUnknownRouteIsProblem404(t *testing.T) {
	status, ct, p := do(t, testApp(t), "GET", "/nowhere", nil)
	if status != 404 || ct != ProblemContentType || p.Detail == "" {
		t.Fatalf("got %d %q %+v", status, ct, p)
	}
}

func TestRoutePatterns(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/uploads/:id", "/uploads/abc", true},
		{"/uploads/:id", "/uploads/abc/more", false},
		{"/uploads/:id", "/other/abc", false},
		{"/api/licensing/*", "/api/licensing/v1/applications/1/documents", true},
		{"/api/licensing/*", "/api/licensing", true},
		{"/api/licensing/*", "/api/tender/v1/bids", false},
		{"/api/licensing/*", "/api", false},
	}
	for _, tc := range cases {
		if got := matchPattern(tc.pattern, tc.path); got != tc.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}
