package etag

import (
	"testing"

	"gerbang/pkg/apperr"
)

func TestIfMatchReadsAVersionOrRefusesTheHeaderWith400(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name   string
		header *string
		want   int
		bad    bool
	}{
		{"absent", nil, 0, false},
		{"empty", str(""), 0, false},
		{"any", str("*"), 0, false},
		{"quoted", str(`"3"`), 3, false},
		{"weak", str(`W/"12"`), 12, false},
		{"bare", str("7"), 7, false},
		{"padded", str(`  "4" `), 4, false},
		{"word", str(`"abc"`), 0, true},
		{"zero", str(`"0"`), 0, true},
		{"negative", str(`"-2"`), 0, true},
		{"plus", str(`"+2"`), 0, true},
		{"list", str(`"1", "2"`), 0, true},
		{"unbalanced", str(`"3`), 0, true},
		{"huge", str(`"99999999999999999999"`), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := IfMatch(tc.header)
			if tc.bad {
				if !apperr.Is(err, apperr.Invalid) {
					t.Fatalf("IfMatch(%q) = %d, %v; want an Invalid error", *tc.header, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("IfMatch = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestAnETagIsReadBackAsItsVersion(t *testing.T) {
	for _, v := range []int{1, 2, 42, 1 << 30} {
		if got, err := IfMatch(Ptr(v)); err != nil || got != v {
			t.Fatalf("IfMatch(Of(%d)) = %d, %v", v, got, err)
		}
	}
}
