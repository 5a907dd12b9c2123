package oapi_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"gerbang/pkg/apperr"
	"gerbang/pkg/oapi"
)

const validBody = `{"amount":{"amount":1500000,"currency":"IDR"},"purpose":"license_fee"}`

// testApp is a fiber app with the validator in front of handlers for the
// contract's routes and one route outside it. Handlers answer 200 with the
// body they read; the error handler keeps the error for the test to inspect.
type testApp struct {
	app  *fiber.App
	errs chan error
}

func newTestApp(t *testing.T, opts oapi.Options) *testApp {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromFile("testdata/contract.yaml")
	if err != nil {
		t.Fatalf("load contract: %v", err)
	}
	validate, err := oapi.Validator(spec, opts)
	if err != nil {
		t.Fatalf("Validator: %v", err)
	}
	ta := &testApp{errs: make(chan error, 1)}
	ta.app = fiber.New(fiber.Config{
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			ta.errs <- err
			return c.SendStatus(http.StatusTeapot)
		},
	})
	ta.app.Use(validate)
	echo := func(c *fiber.Ctx) error {
		if _, ok := c.Locals(oapi.ValidatedBodyLocalsKey).(map[string]any); ok {
			c.Set("X-Validated-Body", "yes")
		}
		return c.Send(c.Body())
	}
	ta.app.Get("/v1/payments", echo)
	ta.app.Post("/v1/payments", echo)
	ta.app.Get("/v1/payments/:id", echo)
	ta.app.Post("/v1/payments/:id/cancel", echo)
	ta.app.Post("/v1/uploads", echo)
	ta.app.Get("/internal/debug", echo)
	ta.app.Delete("/v1/payments", echo)
	return ta
}

// do sends req and returns the response and the error the app's error
// handler received (nil when a handler answered).
func (ta *testApp) do(t *testing.T, req *http.Request) (*http.Response, error) {
	t.Helper()
	resp, err := ta.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	select {
	case err := <-ta.errs:
		return resp, err
	default:
		return resp, nil
	}
}

func newPayment(body string) *http.Request {
	return newPaymentAt("/v1/payments", body)
}

func newPaymentAt(target, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "key-0001-abcdef")
	return req
}

func TestRequestMatchingTheContractReachesTheHandlerWithItsBodyIntact(t *testing.T) {
	ta := newTestApp(t, oapi.Options{})
	resp, err := ta.do(t, newPayment(validBody))
	if err != nil {
		t.Fatalf("valid request refused: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(got) != validBody {
		t.Fatalf("handler answered %d %q, want 200 with the body sent", resp.StatusCode, got)
	}
	if resp.Header.Get("X-Validated-Body") != "yes" {
		t.Fatalf("the validated body was not left in Locals[%q]", oapi.ValidatedBodyLocalsKey)
	}

	for _, target := range []string{"/v1/payments?limit=100&state=paid", "/v1/payments/0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77"} {
		resp, err := ta.do(t, httptest.NewRequest(http.MethodGet, target, nil))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d, error %v; want 200", target, resp.StatusCode, err)
		}
	}
}

func TestAnOptionalBodyLeftOutReachesTheHandlerAsAnEmptyObject(t *testing.T) {
	ta := newTestApp(t, oapi.Options{})
	const target = "/v1/payments/0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77/cancel"
	resp, err := ta.do(t, httptest.NewRequest(http.MethodPost, target, nil))
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("X-Validated-Body") != "yes" {
		t.Fatalf("no body: status %d, error %v, validated body %q; want 200 with an empty object", resp.StatusCode, err, resp.Header.Get("X-Validated-Body"))
	}
	if _, err := ta.do(t, newPaymentAt(target, `{"reason":"`+strings.Repeat("x", 21)+`"}`)); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("a body given is still validated: %v", err)
	}
	if _, err := ta.do(t, httptest.NewRequest(http.MethodPost, "/v1/payments", nil)); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("a required body left out: %v; want invalid", err)
	}
}

func TestContractViolationsAreInvalidErrorsNamingEachField(t *testing.T) {
	tests := []struct {
		name string
		req  *http.Request
		want []string // fields, sorted
	}{
		{
			name: "missing required nested field",
			req:  newPayment(`{"amount":{"currency":"IDR"},"purpose":"license_fee"}`),
			want: []string{"body.amount.amount"},
		},
		{
			name: "wrong type",
			req:  newPayment(`{"amount":{"amount":"lots","currency":"IDR"},"purpose":"license_fee"}`),
			want: []string{"body.amount.amount"},
		},
		{
			name: "query parameter out of range",
			req:  httptest.NewRequest(http.MethodGet, "/v1/payments?limit=500", nil),
			want: []string{"query.limit"},
		},
		{
			name: "query parameter of the wrong type",
			req:  httptest.NewRequest(http.MethodGet, "/v1/payments?limit=ten", nil),
			want: []string{"query.limit"},
		},
		{
			name: "unknown enum value in the query",
			req:  httptest.NewRequest(http.MethodGet, "/v1/payments?state=lost", nil),
			want: []string{"query.state"},
		},
		{
			name: "unknown enum value in the body",
			req:  newPayment(`{"amount":{"amount":1,"currency":"USD"},"purpose":"license_fee"}`),
			want: []string{"body.amount.currency"},
		},
		{
			name: "path parameter not a uuid",
			req:  httptest.NewRequest(http.MethodGet, "/v1/payments/42", nil),
			want: []string{"path.id"},
		},
		{
			name: "missing required header",
			req: func() *http.Request {
				r := newPayment(validBody)
				r.Header.Del("Idempotency-Key")
				return r
			}(),
			want: []string{"header.Idempotency-Key"},
		},
		{
			name: "unknown body member",
			req:  newPayment(`{"amount":{"amount":1,"currency":"IDR"},"purpose":"license_fee","discount":5}`),
			want: []string{"body.discount"},
		},
		{
			name: "body not JSON",
			req:  newPayment(`{"amount":`),
			want: []string{"body"},
		},
		{
			name: "missing body",
			req:  newPayment(""),
			want: []string{"body"},
		},
		{
			name: "two bad fields give two entries",
			req:  newPayment(`{"amount":{"amount":0,"currency":"IDR"},"purpose":"gift"}`),
			want: []string{"body.amount.amount", "body.purpose"},
		},
		{
			name: "bad header and bad query together",
			req: func() *http.Request {
				r := newPayment(`{"amount":{"amount":1,"currency":"IDR"},"purpose":"license_fee","note":"` + strings.Repeat("x", 141) + `"}`)
				r.Header.Set("Idempotency-Key", "short")
				return r
			}(),
			want: []string{"body.note", "header.Idempotency-Key"},
		},
	}
	ta := newTestApp(t, oapi.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ta.do(t, tt.req)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
				t.Fatalf("got status %d, error %v; want an *apperr.Error of code %q", resp.StatusCode, err, apperr.Invalid)
			}
			if ae.Message != oapi.ContractMismatch {
				t.Errorf("message %q, want %q", ae.Message, oapi.ContractMismatch)
			}
			var fields []string
			for _, f := range ae.Fields {
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tt.want) {
				t.Fatalf("fields %v (%+v), want %v", fields, ae.Fields, tt.want)
			}
		})
	}
}

func TestFieldMessagesTellAPersonWhatIsExpected(t *testing.T) {
	tests := []struct {
		target string
		field  string
		want   string
	}{
		{"/v1/payments?limit=500", "query.limit", "must be at most 100"},
		{"/v1/payments?limit=ten", "query.limit", "must be an integer"},
		{"/v1/payments?state=lost", "query.state", "must be one of: pending, paid"},
		{"/v1/payments/42", "path.id", "must be a UUID such as 0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77"},
	}
	ta := newTestApp(t, oapi.Options{})
	for _, tt := range tests {
		_, err := ta.do(t, httptest.NewRequest(http.MethodGet, tt.target, nil))
		var ae *apperr.Error
		if !errors.As(err, &ae) || len(ae.Fields) != 1 {
			t.Fatalf("GET %s: error %v, want one invalid field", tt.target, err)
		}
		if got := ae.Fields[0]; got.Field != tt.field || got.Message != tt.want {
			t.Errorf("GET %s: field %+v, want {%s %s}", tt.target, got, tt.field, tt.want)
		}
	}
	_, err := ta.do(t, newPayment(`{"amount":{"currency":"IDR"},"purpose":"license_fee"}`))
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Message != "is required" {
		t.Errorf("missing member: error %v, want one field saying it is required", err)
	}
}

func TestRouteNotInTheContractPassesThrough(t *testing.T) {
	ta := newTestApp(t, oapi.Options{})
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/internal/debug?limit=anything", nil),
		httptest.NewRequest(http.MethodDelete, "/v1/payments", nil),
		httptest.NewRequest(http.MethodGet, "/nowhere", nil),
	} {
		resp, err := ta.do(t, req)
		want := http.StatusOK
		if req.URL.Path == "/nowhere" {
			want = http.StatusTeapot // fiber's own 404, through the error handler
			var fe *fiber.Error
			if !errors.As(err, &fe) || fe.Code != http.StatusNotFound {
				t.Errorf("GET /nowhere: error %v, want fiber's 404", err)
			}
		} else if err != nil {
			t.Errorf("%s %s: error %v, want the handler to answer", req.Method, req.URL, err)
		}
		if resp.StatusCode != want {
			t.Errorf("%s %s: status %d, want %d", req.Method, req.URL, resp.StatusCode, want)
		}
	}
}

func TestContractPathsCannotSkipValidationByCaseOrTrailingSlash(t *testing.T) {
	ta := newTestApp(t, oapi.Options{})

	_, err := ta.do(t, newPaymentAt("/v1/payments/", `{"purpose":"gift"}`))
	if !apperr.Is(err, apperr.Invalid) {
		t.Errorf("trailing slash: error %v, want invalid", err)
	}

	_, err = ta.do(t, newPaymentAt("/V1/Payments", `{"purpose":"gift"}`))
	if !apperr.Is(err, apperr.NotFound) {
		t.Errorf("other case: error %v, want not found", err)
	}

	resp, err := ta.do(t, httptest.NewRequest(http.MethodHead, "/v1/payments?limit=500", nil))
	if !apperr.Is(err, apperr.Invalid) {
		t.Errorf("HEAD: status %d, error %v; want invalid like the GET", resp.StatusCode, err)
	}
}

func TestBodyOfAnotherMediaTypeIsUnsupported(t *testing.T) {
	ta := newTestApp(t, oapi.Options{})
	req := newPayment(validBody)
	req.Header.Set("Content-Type", "text/plain")
	_, err := ta.do(t, req)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Unsupported || !strings.Contains(ae.Message, "application/json") {
		t.Fatalf("error %v, want unsupported naming application/json", err)
	}
}

func multipartUpload(t *testing.T, kind string) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("kind", kind); err != nil {
		t.Fatal(err)
	}
	part, err := w.CreateFormFile("file", "npwp.pdf")
	if err != nil {
		t.Fatal(err)
	}
	part.Write([]byte("%PDF-1.7 test"))
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "/v1/uploads", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

func TestMultipartBodiesAreValidatedUnlessLeftToTheHandler(t *testing.T) {
	_, err := newTestApp(t, oapi.Options{}).do(t, multipartUpload(t, "passport"))
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "body.kind" {
		t.Fatalf("validated multipart: error %v, want invalid body.kind", err)
	}

	resp, err := newTestApp(t, oapi.Options{SkipMultipartBody: true}).do(t, multipartUpload(t, "passport"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("skipped multipart: status %d, error %v; want the handler to answer", resp.StatusCode, err)
	}
	got, _ := io.ReadAll(resp.Body)
	if !bytes.Contains(got, []byte("%PDF-1.7 test")) {
		t.Fatalf("the handler did not get the upload intact")
	}
}

func TestValidatorRefusesAnInvalidSpec(t *testing.T) {
	spec := &openapi3.T{OpenAPI: "3.0.3"} // no info, no paths
	if _, err := oapi.Validator(spec, oapi.Options{}); err == nil {
		t.Fatal("Validator accepted a spec without info and paths")
	}
	if _, err := oapi.Validator(nil, oapi.Options{}); err == nil {
		t.Fatal("Validator accepted a nil spec")
	}
}

func TestConcurrentRequestsAreValidatedIndependently(t *testing.T) {
	ta := newTestApp(t, oapi.Options{})
	ta.errs = make(chan error, 64) // the error handler must not block
	done := make(chan error)
	for i := range 32 {
		go func() {
			body := validBody
			if i%2 == 1 {
				body = `{"amount":{"amount":0,"currency":"IDR"},"purpose":"gift"}`
			}
			resp, err := ta.app.Test(newPayment(body), -1)
			if err != nil {
				done <- err
				return
			}
			got := resp.StatusCode
			if want := []int{http.StatusOK, http.StatusTeapot}[i%2]; got != want {
				done <- fmt.Errorf("request %d: status %d, want %d", i, got, want)
				return
			}
			done <- nil
		}()
	}
	for range 32 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	close(ta.errs)
	n := 0
	for err := range ta.errs {
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("error %v, want invalid", err)
		}
		n++
	}
	if n != 16 {
		t.Errorf("%d requests refused, want 16", n)
	}
}

func BenchmarkValidatedPost(b *testing.B) {
	spec, err := openapi3.NewLoader().LoadFromFile("testdata/contract.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, withValidator := range []bool{false, true} {
		b.Run(fmt.Sprintf("validator=%v", withValidator), func(b *testing.B) {
			app := fiber.New()
			if withValidator {
				validate, err := oapi.Validator(spec, oapi.Options{})
				if err != nil {
					b.Fatal(err)
				}
				app.Use(validate)
			}
			app.Post("/v1/payments", func(c *fiber.Ctx) error { return c.SendStatus(http.StatusCreated) })
			h := app.Handler()
			var ctx fasthttp.RequestCtx
			b.ReportAllocs()
			for b.Loop() {
				ctx.Request.Reset()
				ctx.Request.Header.SetMethod(http.MethodPost)
				ctx.Request.SetRequestURI("/v1/payments")
				ctx.Request.Header.SetContentType("application/json")
				ctx.Request.Header.Set("Idempotency-Key", "key-0001-abcdef")
				ctx.Request.SetBodyString(validBody)
				h(&ctx)
				if ctx.Response.StatusCode() != http.StatusCreated {
					b.Fatalf("status %d", ctx.Response.StatusCode())
				}
			}
		})
	}
}
