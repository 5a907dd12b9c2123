// Package etag is the one reading of record versions in HTTP: a record's
// ETag is its version in quotes ("3"), and a change carries If-Match with
// the version the caller read; a stale one answers 412 (the use case
// compares), a header that names no version answers 400 (here).
//
// Use, in a port:
//
//	v, err := etag.IfMatch(r.Params.IfMatch) // 0: no check asked for
//	if err != nil { return nil, err }
//	... Headers: {ETag: etag.Ptr(rec.Version)}
package etag

import (
	"strconv"
	"strings"

	"gerbang/pkg/apperr"
)

// Of is the ETag of a record version: "3" with the quotes.
func Of(version int) string { return `"` + strconv.Itoa(version) + `"` }

// Ptr is Of for generated response headers, which are pointers.
func Ptr(version int) *string {
	s := Of(version)
	return &s
}

// IfMatch reads the version an If-Match header names: `"3"`, `W/"3"` or
// `3`. No header, an empty one or `*` asks for no check (0). Anything else
// (a list, a word, a version below 1) is an apperr.Invalid (400) naming the
// header.
func IfMatch(h *string) (int, error) {
	if h == nil {
		return 0, nil
	}
	v := strings.TrimSpace(*h)
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "W/")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || strings.ContainsAny(v, "+-") {
		return 0, apperr.InvalidFields(`If-Match must be the ETag of the version you read, e.g. "3"`,
			apperr.Field("header.If-Match", "is not a version"))
	}
	return n, nil
}
