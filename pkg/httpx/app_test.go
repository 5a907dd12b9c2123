package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"
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

// A body the generated handlers could not bind answers in terms of fields,
// never of Go types.
func TestDecodeFailuresSpeakOfFieldsNotGoTypes(t *testing.T) {
	tests := []struct {
		message, field, want string
	}{
		{"json: cannot unmarshal number 9223372036854775808 into Go struct field Money.amount.amount of type int64", "body.amount.amount", "must be a whole number in range"},
		{"json: cannot unmarshal string into Go struct field NewTender.hps.amount of type int64", "body.hps.amount", "must be a whole number"},
		{"json: cannot unmarshal array into Go value of type oapi.NewInvoice", "body", "must be an object"},
		{"json: cannot unmarshal bool into Go struct field X.tags of type []string", "body.tags", "must be an array"},
		{"unexpected end of JSON input", "body", "cannot be read as this request's fields"},
	}
	for _, tt := range tests {
		p := ProblemFor(fiber.NewError(http.StatusBadRequest, "json: "+strings.TrimPrefix(tt.message, "json: ")))
		if p.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != tt.field || p.Errors[0].Message != tt.want {
			t.Errorf("%q: problem %+v, want %s %q", tt.message, p, tt.field, tt.want)
		}
		if strings.Contains(p.Detail, "Go ") || strings.Contains(p.Detail, "int64") || strings.Contains(p.Errors[0].Message, "Go ") {
			t.Errorf("%q: the problem still speaks of Go: %+v", tt.message, p)
		}
	}
	if p := ProblemFor(fiber.NewError(http.StatusBadRequest, "Send a cursor this endpoint gave out.")); p.Detail != "Send a cursor this endpoint gave out." || p.Errors != nil {
		t.Errorf("a plain 400 detail changed: %+v", p)
	}
}

func TestDatabaseRefusalsOfRequestDataAreBadRequests(t *testing.T) {
	for code, want := range map[pq.ErrorCode]int{"22021": 400, "22P05": 400, "22003": 400, "42P01": 500} {
		err := fmt.Errorf("insert business: %w", &pq.Error{Code: code})
		if got := ProblemFor(err).Status; got != want {
			t.Errorf("SQLSTATE %s: status %d, want %d", code, got, want)
		}
	}
}
