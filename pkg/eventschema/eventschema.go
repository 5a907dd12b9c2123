// Package eventschema checks, in tests, that the events a service produces
// match the JSON Schemas of their data in api/events/<type>.json: the event
// catalog is a contract, like the OpenAPI documents.
package eventschema

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"gerbang/pkg/events"
)

// Dir finds api/events above the working directory (a test runs in its
// package's directory, somewhere below the repository root).
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "api", "events")
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			return candidate, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no api/events above %s", wd)
		}
	}
}

// Set validates event data against the schemas of one directory.
type Set struct {
	dir      string
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
}

// Load returns the schemas of dir (formats asserted).
func Load(dir string) *Set {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	return &Set{dir: dir, compiler: c, schemas: map[string]*jsonschema.Schema{}}
}

// Validate checks the data of an event of type typ against its schema.
func (s *Set) Validate(typ string, data []byte) error {
	sch, ok := s.schemas[typ]
	if !ok {
		path := filepath.Join(s.dir, typ+".json")
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s has no schema: %w", typ, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("schema %s: %w", path, err)
		}
		if err := s.compiler.AddResource(path, doc); err != nil {
			return fmt.Errorf("schema %s: %w", path, err)
		}
		if sch, err = s.compiler.Compile(path); err != nil {
			return fmt.Errorf("schema %s: %w", path, err)
		}
		s.schemas[typ] = sch
	}
	value, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s data is not JSON: %w", typ, err)
	}
	if err := sch.Validate(value); err != nil {
		return fmt.Errorf("%s data %s does not match its schema: %w", typ, data, err)
	}
	return nil
}

// CheckOutbox validates every event in the outbox of db against its schema,
// failing the test for each that does not match, and returns how many events
// of each type it saw.
func CheckOutbox(t testing.TB, db sqlx.QueryerContext) map[string]int {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	set := Load(dir)
	var payloads [][]byte
	if err := sqlx.SelectContext(context.Background(), db, &payloads, `SELECT payload FROM outbox ORDER BY seq`); err != nil {
		t.Fatalf("read the outbox: %v", err)
	}
	seen := map[string]int{}
	for _, p := range payloads {
		ev, err := events.Parse(p)
		if err != nil {
			t.Errorf("outbox row is not an event: %v", err)
			continue
		}
		seen[ev.Type]++
		if err := set.Validate(ev.Type, ev.Data); err != nil {
			t.Error(err)
		}
	}
	return seen
}
