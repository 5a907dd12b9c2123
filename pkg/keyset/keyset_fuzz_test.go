package keyset_test

import (
	"slices"
	"testing"
	"unicode/utf8"

	"gerbang/pkg/apperr"
	"gerbang/pkg/keyset"
)

// FuzzCursor feeds any cursor to After: it never panics, answers nil for
// the first page, a 400 (apperr.Invalid) for a cursor that is not n keys, or
// exactly n keys; and the cursor made of two keys reads back as those keys.
func FuzzCursor(f *testing.F) {
	f.Add("", 2, "2026-12-04T00:00:00Z", "0193")
	f.Add(keyset.Encode("2026-12-04T00:00:00Z", "01930000-0000-7000-8000-000000000001"), 2, "a", "b")
	f.Add(keyset.Encode("only one"), 2, "", "")
	f.Add("not base64!", 1, "x", "y")
	f.Add("bnVsbA", 1, "null", "")   // base64 of null
	f.Add("WzEsMl0", 2, "1", "2")    // base64 of [1,2]
	f.Add("eyJhIjoxfQ", 1, "{", "}") // base64 of {"a":1}
	f.Fuzz(func(t *testing.T, cursor string, n int, a, b string) {
		n = 1 + (n%4+4)%4 // one to four keys, as the lists use
		keys, err := keyset.Page{Cursor: cursor}.After(n)
		switch {
		case err != nil:
			if keys != nil || !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("After(%d) of %q = %v, %v; a refusal is no keys and a 400", n, cursor, keys, err)
			}
		case cursor == "":
			if keys != nil {
				t.Fatalf("the first page has no keys, got %v", keys)
			}
		case len(keys) != n:
			t.Fatalf("After(%d) of %q = %d keys", n, cursor, len(keys))
		}
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return // JSON would replace the invalid bytes; no list makes such keys
		}
		back, err := keyset.Page{Cursor: keyset.Encode(a, b)}.After(2)
		if err != nil || !slices.Equal(back, []string{a, b}) {
			t.Fatalf("the cursor of %q, %q reads back as %v, %v", a, b, back, err)
		}
	})
}
