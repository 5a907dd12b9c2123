// Package ocdstest validates OCDS output in tests against the OCDS 1.1.5
// schema files kept in ../testdata (copies of ../shared/ocds), with a
// draft-04 validator that fetches nothing.
package ocdstest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The schema URLs the packages refer to.
const (
	SchemaBase   = "https://standard.open-contracting.org/schema/1__1__5/"
	ReleaseURL   = SchemaBase + "release-schema.json"
	PackageURL   = SchemaBase + "release-package-schema.json"
	RecordURL    = SchemaBase + "record-package-schema.json"
	versionedURL = SchemaBase + "versioned-release-validation-schema.json"
)

// Dir is the directory of the schema files.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Compile returns the schema at root (PackageURL or RecordURL), every file
// registered under its URL.
func Compile(t testing.TB, root string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	for url, file := range map[string]string{ReleaseURL: "release-schema.json", PackageURL: "release-package-schema.json", RecordURL: "record-package-schema.json"} {
		f, err := os.Open(filepath.Join(Dir(), file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	// The record package refers to the versioned-release schema, which is
	// not among the files of ../shared/ocds; Gerbang publishes no versioned
	// release, so an empty schema stands in for it and nothing is fetched.
	if err := c.AddResource(versionedURL, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(root)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Validate checks v (a Go value or raw JSON bytes) against s.
func Validate(t testing.TB, s *jsonschema.Schema, v any) {
	t.Helper()
	raw, ok := v.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("not valid OCDS: %v\n%s", err, raw)
	}
}
