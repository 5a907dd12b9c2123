package oapi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gerbang/pkg/apperr"
	"gerbang/pkg/oapi"
)

// Text that PostgreSQL, a log line or a page cannot hold faithfully is
// refused at the edge, naming the field, whatever the handler.
func TestTextWithControlCharactersOrInvalidUTF8IsRefusedNamingTheField(t *testing.T) {
	body := func(extra string) string {
		return `{"amount":{"amount":1500000,"currency":"IDR"},"purpose":"license_fee",` + extra + `}`
	}
	tests := []struct {
		name  string
		req   *http.Request
		field string // "" when the request passes
		want  string
	}{
		{"NUL escaped in a one-line field", newPayment(body(`"note":"PT Maju\u0000Jaya"`)), "body.note", "U+0000"},
		{"raw control character (not JSON)", newPayment(body("\"note\":\"a\x1bb\"")), "body", "not valid JSON"},
		{"escaped escape character", newPayment(body(`"note":"a\u001bb"`)), "body.note", "U+001B"},
		{"DEL", newPayment(body("\"note\":\"a\x7fb\"")), "body.note", "U+007F"},
		{"C1 control", newPayment(body(`"note":"a\u0085b"`)), "body.note", "U+0085"},
		{"line break in a one-line field", newPayment(body(`"note":"a\nb"`)), "body.note", "one line"},
		{"invalid UTF-8 in a string", newPayment(body("\"note\":\"PT \xff\xfe Jaya\"")), "body.note", "not valid UTF-8"},
		{"lone surrogate escape", newPayment(body(`"note":"a\udbff\udfffb"`)), "body.note", "not valid UTF-8"},
		{"control character in a multiline field", newPayment(body(`"memo":"a\u0000b"`)), "body.memo", "U+0000"},
		{"line breaks and tabs in a multiline field", newPayment(body(`"memo":"line one\r\n\tline two"`)), "", ""},
		{"non-ASCII text", newPayment(body(`"note":"Kopi Ñusantara — 咖啡 ☕"`)), "", ""},
		{"NUL in a query parameter", httptest.NewRequest(http.MethodGet, "/v1/payments?q=a%00b", nil), "query.q", "U+0000"},
		{"invalid UTF-8 in a query parameter", httptest.NewRequest(http.MethodGet, "/v1/payments?q=a%FFb", nil), "query.q", "not valid UTF-8"},
		{"integer beyond int64", newPayment(`{"amount":{"amount":9223372036854775808,"currency":"IDR"},"purpose":"license_fee"}`), "body.amount.amount", "must be between"},
	}
	ta := newTestApp(t, oapi.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ta.do(t, tt.req)
			if tt.field == "" {
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, error %v; want the request to reach the handler", resp.StatusCode, err)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
				t.Fatalf("status %d, error %v; want an invalid error", resp.StatusCode, err)
			}
			if len(ae.Fields) != 1 || ae.Fields[0].Field != tt.field || !strings.Contains(ae.Fields[0].Message, tt.want) {
				t.Fatalf("fields %+v, want one for %s saying %q", ae.Fields, tt.field, tt.want)
			}
			if strings.Contains(ae.Fields[0].Message, "Go ") || strings.Contains(ae.Fields[0].Message, "int64") {
				t.Errorf("message %q speaks of Go types", ae.Fields[0].Message)
			}
		})
	}
}

func TestTextProblemAllowsWhitespaceOnlyWhereMultiline(t *testing.T) {
	for _, tt := range []struct {
		s         string
		multiline bool
		ok        bool
	}{
		{"PT Maju Jaya", false, true},
		{"a\tb", false, false},
		{"a\tb\nc\r\n", true, true},
		{"a\u2028b", false, true}, // a line separator is a format character, not a control
		{"\x00", true, false},
		{"\xc3\x28", false, false},
	} {
		if got := oapi.TextProblem(tt.s, tt.multiline) == ""; got != tt.ok {
			t.Errorf("TextProblem(%q, %v) ok=%v, want %v", tt.s, tt.multiline, got, tt.ok)
		}
	}
}

func TestDeeplyNestedBodiesAreRefusedAtOnce(t *testing.T) {
	ta := newTestApp(t, oapi.Options{})
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	_, err := ta.do(t, newPayment(deep))
	var ae *apperr.Error
	if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "body" || !strings.Contains(ae.Fields[0].Message, "deeper") {
		t.Fatalf("error %v, want the body refused for its depth", err)
	}
	// Brackets inside strings do not count.
	resp, err := ta.do(t, newPayment(`{"amount":{"amount":1,"currency":"IDR"},"purpose":"license_fee","note":"`+strings.Repeat("[{", 60)+`\"]"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("brackets in a string: %d %v", resp.StatusCode, err)
	}
}
