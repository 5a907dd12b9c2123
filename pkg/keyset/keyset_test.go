package keyset

import (
	"slices"
	"testing"

	"gerbang/pkg/apperr"
)

func TestPageSizeIsBetweenOneAndTheMaximum(t *testing.T) {
	for limit, want := range map[int]int{-1: DefaultLimit, 0: DefaultLimit, 1: 1, 50: 50, 100: 100, 101: MaxLimit, 1 << 20: MaxLimit} {
		if got := (Page{Limit: limit}).Size(); got != want {
			t.Errorf("Page{Limit: %d}.Size() = %d, want %d", limit, got, want)
		}
	}
}

func TestACursorGivesBackTheKeysItWasMadeOf(t *testing.T) {
	c := Encode("2026-01-02T03:04:05Z", "0190f0c8-0000-7000-8000-000000000001")
	keys, err := Page{Cursor: c}.After(2)
	if err != nil || !slices.Equal(keys, []string{"2026-01-02T03:04:05Z", "0190f0c8-0000-7000-8000-000000000001"}) {
		t.Fatalf("After = %v, %v", keys, err)
	}
	if keys, err := (Page{}).After(2); keys != nil || err != nil {
		t.Fatalf("first page: %v, %v", keys, err)
	}
}

func TestACursorNotMadeHereIsABadRequest(t *testing.T) {
	for _, c := range []string{"!!", "bm90IGpzb24", Encode("one"), Encode("a", "b", "c")} {
		if _, err := (Page{Cursor: c}).After(2); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("After(%q) = %v, want Invalid", c, err)
		}
	}
}

func TestTrimCutsTheExtraRowAndPointsAfterTheLastKept(t *testing.T) {
	p := Page{Limit: 2}
	rows, next := Trim([]string{"a", "b", "c"}, p, func(r string) []string { return []string{r} })
	if !slices.Equal(rows, []string{"a", "b"}) {
		t.Fatalf("rows = %v", rows)
	}
	if keys, err := (Page{Cursor: next}).After(1); err != nil || keys[0] != "b" {
		t.Fatalf("next cursor names %v, %v", keys, err)
	}
	if rows, next := Trim([]string{"a", "b"}, p, func(r string) []string { return []string{r} }); len(rows) != 2 || next != "" {
		t.Fatalf("last page: %v, %q", rows, next)
	}
}
