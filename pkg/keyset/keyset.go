// Package keyset is the one keyset cursor of every list: `?limit=` (1 to
// 100, default 50) and an opaque `cursor` naming the keys of the last row
// of the previous page, answered with `next_cursor`.
//
// Use, in an adapter that lists rows ordered by (due, id):
//
//	keys, err := p.After(2)      // nil on the first page; a bad cursor is a 400 problem
//	... WHERE (due, id) > ($1, $2) ORDER BY due, id LIMIT p.Size()+1 ...
//	rows, next := keyset.Trim(rows, p, func(r row) []string { return []string{r.Due, r.ID} })
//
// A port builds the Page from the request (keyset.Of(limit, cursor)) and
// answers next ("" on the last page) as next_cursor.
package keyset

import (
	"encoding/base64"
	"encoding/json"

	"gerbang/pkg/apperr"
)

const (
	// DefaultLimit is the page size when the request names none.
	DefaultLimit = 50
	// MaxLimit is the largest page.
	MaxLimit = 100
)

// Page is a keyset page request: at most Limit rows after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// Of returns the page a request asks for (either may be nil).
func Of[N ~int | ~int32 | ~int64](limit *N, cursor *string) Page {
	var p Page
	if limit != nil {
		p.Limit = int(*limit)
	}
	if cursor != nil {
		p.Cursor = *cursor
	}
	return p
}

// Size returns the page size: Limit within 1 and MaxLimit, DefaultLimit
// when none was given.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// Encode makes an opaque cursor of the keys of a row.
func Encode(keys ...string) string {
	b, _ := json.Marshal(keys)
	return base64.RawURLEncoding.EncodeToString(b)
}

// After returns the n keys of the cursor: nil for the first page, an
// apperr.Invalid (400, field "cursor") for a cursor that is not one of n
// keys. The caller checks the keys' form (a uuid, a time) and answers
// BadCursor when they are not what it made.
func (p Page) After(n int) ([]string, error) {
	if p.Cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	if err != nil {
		return nil, BadCursor()
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil || len(keys) != n {
		return nil, BadCursor()
	}
	return keys, nil
}

// Trim cuts rows, read with LIMIT Size()+1, to the page and returns the
// cursor of the next page ("" when this one is the last).
func Trim[R any](rows []R, p Page, keys func(R) []string) ([]R, string) {
	if len(rows) <= p.Size() {
		return rows, ""
	}
	rows = rows[:p.Size()]
	return rows, Encode(keys(rows[len(rows)-1])...)
}

// BadCursor is the error of a cursor this service did not make.
func BadCursor() error {
	return apperr.InvalidFields("the cursor is not valid", apperr.Field("cursor", "pass the next_cursor of the previous page as it was given"))
}
