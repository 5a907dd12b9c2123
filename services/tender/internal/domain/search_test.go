package domain

import (
	"strings"
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

func TestASearchThatWouldFindNothingByMistakeIsRefusedNamingItsParameter(t *testing.T) {
	at := time.Date(2026, 12, 10, 3, 0, 0, 0, time.UTC)
	earlier := at.Add(-time.Hour)
	for _, c := range []struct {
		name                            string
		q, kbli, buyer, category, state string
		after, before                   *time.Time
		field                           string
	}{
		{name: "a long text", q: strings.Repeat("x", 201), field: "query.q"},
		{name: "many words", q: "a b c d e f g h i j k", field: "query.q"},
		{name: "a short KBLI", kbli: "6201", field: "query.kbli"},
		{name: "a KBLI of letters", kbli: "6201a", field: "query.kbli"},
		{name: "a long buyer", buyer: strings.Repeat("b", 201), field: "query.buyer"},
		{name: "an unknown category", category: "weapons", field: "query.category"},
		{name: "a draft", state: "draft", field: "query.state"},
		{name: "an unknown state", state: "open", field: "query.state"},
		{name: "a window that ends first", after: &at, before: &earlier, field: "query.deadline_before"},
		{name: "an empty window", after: &at, before: &at, field: "query.deadline_before"},
	} {
		_, err := NewTenderSearch(c.q, c.kbli, c.buyer, c.category, c.state, c.after, c.before)
		var e *apperr.Error
		if !apperrAs(err, &e) || e.Code != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
			t.Errorf("%s: %v; want invalid %s", c.name, err, c.field)
		}
	}
	s, err := NewTenderSearch("  Laptop  SEKOLAH ", " 46512 ", " pupr ", "goods", "tendering", &earlier, &at)
	if err != nil || strings.Join(s.Words, ",") != "laptop,sekolah" || s.KBLI != "46512" || s.Buyer != "pupr" || s.Category != CategoryGoods || s.State != StateTendering {
		t.Fatalf("a good search read as %+v, %v", s, err)
	}
}
