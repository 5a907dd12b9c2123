package etag_test

import (
	"testing"

	"gerbang/pkg/apperr"
	"gerbang/pkg/etag"
)

// FuzzIfMatch feeds any header to IfMatch: it never panics, refuses with a
// 400 (apperr.Invalid) and version 0, or reads a version of at least 1 that
// the ETag of that version reads back the same.
func FuzzIfMatch(f *testing.F) {
	for _, seed := range []string{"", "*", `"3"`, `W/"3"`, "3", `"0"`, `"-1"`, `"+2"`, `"1", "2"`, `"abc"`, `"`, "W/", `"99999999999999999999"`, " \"7\" ", "\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		v, err := etag.IfMatch(&header)
		if err != nil {
			if v != 0 || !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("IfMatch(%q) = %d, %v; a refusal is version 0 and a 400", header, v, err)
			}
			return
		}
		if v < 0 {
			t.Fatalf("IfMatch(%q) = %d; a version is never negative", header, v)
		}
		if v == 0 {
			return // no check asked for
		}
		if back, err := etag.IfMatch(etag.Ptr(v)); err != nil || back != v {
			t.Fatalf("IfMatch(%q) = %d, but the ETag of %d reads back as %d, %v", header, v, v, back, err)
		}
	})
}
