package eventschema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataIsCheckedAgainstItsSchema(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	set := Load(dir)
	good := `{"invoice_id":"0193a6f0-0000-7000-8000-000000000001"}`
	err = set.Validate("payment.invoice.paid", []byte(good))
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("an incomplete payment.invoice.paid passed: %v", err)
	}
	// Every schema's own examples pass.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		typ, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || typ == "cloudevent" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Examples []json.RawMessage `json:"examples"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		for _, ex := range doc.Examples {
			if err := set.Validate(typ, ex); err != nil {
				t.Errorf("the example of %s: %v", typ, err)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no schema in api/events has an example")
	}
	if err := set.Validate("no.such.event", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "no schema") {
		t.Fatalf("an event without a schema passed: %v", err)
	}
}
