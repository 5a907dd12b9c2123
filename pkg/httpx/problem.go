package httpx

import (
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// ProblemTypeBase prefixes the type URI of every problem Gerbang answers.
const ProblemTypeBase = "https://gerbang.go.id/problems/"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
	Extra     map[string]any      `json:"-"`
}

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[apperr.Code]int{
	apperr.Invalid:            http.StatusBadRequest,
	apperr.Unauthenticated:    http.StatusUnauthorized,
	apperr.Forbidden:          http.StatusForbidden,
	apperr.NotFound:           http.StatusNotFound,
	apperr.Conflict:           http.StatusConflict,
	apperr.PreconditionFailed: http.StatusPreconditionFailed,
	apperr.TooLarge:           http.StatusRequestEntityTooLarge,
	apperr.Unsupported:        http.StatusUnsupportedMediaType,
	apperr.Unprocessable:      http.StatusUnprocessableEntity,
	apperr.TooManyRequests:    http.StatusTooManyRequests,
	apperr.Unavailable:        http.StatusServiceUnavailable,
}

// StatusOf returns the HTTP status for an error code (500 for unknown codes).
func StatusOf(code apperr.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// codeOfStatus names the problem type of a bare HTTP status (from fiber itself).
func codeOfStatus(status int) string {
	for c, s := range statusOf {
		if s == status {
			return string(c)
		}
	}
	switch status {
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestTimeout:
		return "timeout"
	case http.StatusRequestHeaderFieldsTooLarge:
		return "headers_too_large"
	}
	return "http_" + http.StatusText(status)
}

// RetryAfterUnavailable is the Retry-After of a 503 that set none of its
// own, in seconds: about how long PostgreSQL takes to restart, or a
// NATS client to reconnect.
const RetryAfterUnavailable = "2"

// ProblemFor turns any error into a problem. Unknown errors become a 500
// whose detail reveals nothing but the request id.
func ProblemFor(err error) Problem {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		status := StatusOf(ae.Code)
		return Problem{
			Type:   ProblemTypeBase + string(ae.Code),
			Title:  http.StatusText(status),
			Status: status,
			Detail: ae.Message,
			Errors: ae.Fields,
			Extra:  ae.Extra,
		}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		detail := fe.Message
		if fe.Code == http.StatusNotFound {
			detail = "No such resource. Check the address."
		}
		if fe.Code == http.StatusRequestEntityTooLarge {
			detail = "The request body is larger than this endpoint accepts."
		}
		var fields []apperr.FieldError
		if fe.Code == http.StatusBadRequest {
			detail, fields = decodeFailure(detail)
		}
		return Problem{
			Type:   ProblemTypeBase + codeOfStatus(fe.Code),
			Title:  http.StatusText(fe.Code),
			Status: fe.Code,
			Detail: detail,
			Errors: fields,
		}
	}
	if p, ok := dataException(err); ok {
		return p
	}
	if dbx.IsUnavailable(err) {
		// PostgreSQL restarting or away: nothing was changed, and the same
		// request will succeed once it is back.
		return Problem{
			Type:   ProblemTypeBase + string(apperr.Unavailable),
			Title:  http.StatusText(http.StatusServiceUnavailable),
			Status: http.StatusServiceUnavailable,
			Detail: "The service cannot reach its database just now. Nothing was changed by this request; send it again in a few seconds.",
		}
	}
	return Problem{
		Type:   ProblemTypeBase + "internal",
		Title:  http.StatusText(http.StatusInternalServerError),
		Status: http.StatusInternalServerError,
		Detail: "Something went wrong on our side. Nothing was changed by this request; quote the request id if you contact support.",
	}
}

// dataException is the last line of defence for values the edge should have
// refused: PostgreSQL's refusal of a text or a number is the request's
// fault (400), not the service's (500). The validator (pkg/oapi) normally
// answers first, naming the field.
func dataException(err error) (Problem, bool) {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return Problem{}, false
	}
	var detail string
	switch pqErr.Code {
	case "22021", "22P05": // character_not_in_repertoire (NUL, invalid UTF-8), untranslatable_character
		detail = "A text in the request holds a character that cannot be stored (a NUL or invalid UTF-8); send text without control characters."
	case "22003": // numeric_value_out_of_range
		detail = "A number in the request is out of the range this service stores."
	default:
		return Problem{}, false
	}
	return Problem{
		Type:   ProblemTypeBase + string(apperr.Invalid),
		Title:  http.StatusText(http.StatusBadRequest),
		Status: http.StatusBadRequest,
		Detail: detail,
	}, true
}

// goField reads the field and kind out of encoding/json's type errors:
// "json: cannot unmarshal number 92233720368547758080 into Go struct field
// Money.amount.amount of type int64" (the path after the struct's name).
var goField = regexp.MustCompile(`^json: cannot unmarshal (\w+)(?: [^ ]*)? into Go (?:struct field [A-Za-z0-9_]+\.([^ ]+)|value) of type (\S+)$`)

// decodeFailure rewords a body that could not be bound to its Go type
// (fiber's and the generated handlers' 400s carry encoding/json's text) in
// terms of fields and rules; other details pass unchanged.
func decodeFailure(detail string) (string, []apperr.FieldError) {
	if !strings.HasPrefix(detail, "json: ") && !strings.Contains(detail, "Go struct field") && !strings.Contains(detail, "Go value") {
		return detail, nil
	}
	const generic = "The request body does not match the API contract."
	m := goField.FindStringSubmatch(detail)
	if m == nil {
		return generic, []apperr.FieldError{apperr.Field("body", "cannot be read as this request's fields")}
	}
	field := "body"
	if m[2] != "" {
		field += "." + m[2]
	}
	want := "a value of another type"
	switch {
	case strings.HasPrefix(m[3], "int"), strings.HasPrefix(m[3], "uint"):
		want = "a whole number in range"
		if m[1] != "number" {
			want = "a whole number"
		}
	case strings.HasPrefix(m[3], "float"):
		want = "a number"
	case m[3] == "string":
		want = "a string"
	case m[3] == "bool":
		want = "true or false"
	case strings.HasPrefix(m[3], "[]"):
		want = "an array"
	case strings.HasPrefix(m[3], "map[") || !strings.ContainsAny(m[3], "[]"):
		want = "an object"
	}
	return generic, []apperr.FieldError{apperr.Field(field, "must be %s", want)}
}

// WriteProblem answers with the problem as application/problem+json.
func WriteProblem(c *fiber.Ctx, p Problem) error {
	body := map[string]any{
		"type":   p.Type,
		"title":  p.Title,
		"status": p.Status,
	}
	if p.Detail != "" {
		body["detail"] = p.Detail
	}
	if p.Instance != "" {
		body["instance"] = p.Instance
	}
	if p.RequestID != "" {
		body["request_id"] = p.RequestID
	}
	if len(p.Errors) > 0 {
		body["errors"] = p.Errors
	}
	for k, v := range p.Extra {
		if _, taken := body[k]; !taken {
			body[k] = v
		}
	}
	c.Status(p.Status)
	if err := c.JSON(body); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ProblemContentType)
	return nil
}

// ErrorHandler is the one place where errors become HTTP answers.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p := ProblemFor(err)
		p.Instance = string(c.Request().URI().Path())
		p.RequestID = RequestID(c)
		if p.Status == http.StatusServiceUnavailable && len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) == 0 {
			c.Set(fiber.HeaderRetryAfter, RetryAfterUnavailable)
		}
		if p.Status >= 500 {
			log.ErrorContext(c.UserContext(), "request failed", "request_id", p.RequestID, "method", c.Method(), "path", p.Instance, "status", p.Status, "error", err.Error())
		}
		return WriteProblem(c, p)
	}
}
