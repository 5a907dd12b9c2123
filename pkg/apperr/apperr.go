// Package apperr carries the kinds of failure that services report to their
// callers. Domain and application code return these; the HTTP edge
// (pkg/httpx) turns them into RFC 9457 problems in one place.
package apperr

import (
	"errors"
	"fmt"
)

// Code is the kind of a failure; httpx maps each to one HTTP status.
type Code string

const (
	Invalid            Code = "invalid"             // 400: the request is malformed or breaks a rule of its fields
	Unauthenticated    Code = "unauthenticated"     // 401: no or bad credentials
	Forbidden          Code = "forbidden"           // 403: known caller, not allowed
	NotFound           Code = "not_found"           // 404: absent, or not the caller's to see
	Conflict           Code = "conflict"            // 409: the record's state refuses the action
	PreconditionFailed Code = "precondition_failed" // 412: a stale version (If-Match)
	TooLarge           Code = "too_large"           // 413: body or upload over its limit
	Unsupported        Code = "unsupported"         // 415: content type not accepted
	Unprocessable      Code = "unprocessable"       // 422: well-formed but cannot be processed
	TooManyRequests    Code = "too_many_requests"   // 429: rate limited
	Unavailable        Code = "unavailable"         // 503: a dependency is down
)

// FieldError names one field of a request and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a failure with a code a caller can act on.
type Error struct {
	Code    Code
	Message string         // a sentence for a person: what is wrong and what to do
	Fields  []FieldError   // for Invalid: each field at fault
	Extra   map[string]any // extra members of the problem (e.g. current_state)
	Err     error          // the cause, if any; never shown to the caller
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// With returns a copy of e with an extra problem member set.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Extra = make(map[string]any, len(e.Extra)+1)
	for k, v := range e.Extra {
		c.Extra[k] = v
	}
	c.Extra[key] = value
	return &c
}

// New returns an error of the given code.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidFields returns an Invalid error listing the fields at fault.
func InvalidFields(message string, fields ...FieldError) *Error {
	return &Error{Code: Invalid, Message: message, Fields: fields}
}

// Field is shorthand for a FieldError.
func Field(field, format string, args ...any) FieldError {
	return FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err, or "" when err carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return CodeOf(err) == code }
