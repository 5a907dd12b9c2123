package oapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"gerbang/pkg/oapi"
)

// The contracts live in api/ at the repository root; these tests keep them
// honest: valid documents, complete operations, one shared vocabulary.
const apiDir = "../../api"

var contracts = []struct {
	service string
	port    string
}{
	{"licensing", "8081"},
	{"tender", "8082"},
	{"payment", "8083"},
	{"portal", "8080"},
}

func loadContract(t *testing.T, service string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(apiDir, service+".yaml"))
	if err != nil {
		t.Fatalf("load api/%s.yaml: %v", service, err)
	}
	return doc
}

func TestContractsAreValidOpenAPIWithValidExamples(t *testing.T) {
	for _, c := range contracts {
		t.Run(c.service, func(t *testing.T) {
			doc := loadContract(t, c.service)
			if doc.OpenAPI != "3.0.3" {
				t.Errorf("openapi %q, want 3.0.3", doc.OpenAPI)
			}
			if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
				t.Fatalf("api/%s.yaml is not valid: %v", c.service, err)
			}
			if len(doc.Servers) == 0 || !strings.HasSuffix(doc.Servers[0].URL, ":"+c.port) {
				t.Errorf("first server %v, want one on port %s", doc.Servers, c.port)
			}
			if _, err := oapi.Validator(doc, oapi.Options{}); err != nil {
				t.Errorf("no request validator for api/%s.yaml: %v", c.service, err)
			}
		})
	}
}

func TestEveryOperationHasAnIDASummaryAndExamples(t *testing.T) {
	for _, c := range contracts {
		doc := loadContract(t, c.service)
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				where := fmt.Sprintf("api/%s.yaml %s %s", c.service, method, path)
				if op.OperationID == "" {
					t.Errorf("%s: no operationId", where)
				}
				if op.Summary == "" {
					t.Errorf("%s: no summary", where)
				}
				if rb := op.RequestBody; rb != nil {
					for mt, media := range rb.Value.Content {
						if isJSON(mt) && !hasExample(media) {
							t.Errorf("%s: request body %s has no example", where, mt)
						}
					}
				}
				for status, resp := range op.Responses.Map() {
					for mt, media := range resp.Value.Content {
						if isJSON(mt) && !hasExample(media) {
							t.Errorf("%s: response %s %s has no example", where, status, mt)
						}
					}
				}
			}
		}
	}
}

// hasExample: on the media type, or on the schema it refers to.
func hasExample(media *openapi3.MediaType) bool {
	if media.Example != nil || len(media.Examples) > 0 {
		return true
	}
	return media.Schema != nil && media.Schema.Value != nil && media.Schema.Value.Example != nil
}

// isJSON tells the media types whose examples a reader needs; a PDF, a file
// or a multipart upload is described by its schema.
func isJSON(mediaType string) bool { return strings.Contains(mediaType, "json") }

func TestPlatformEndpointsArePublicAndTaggedPlatform(t *testing.T) {
	for _, c := range contracts {
		doc := loadContract(t, c.service)
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			item := doc.Paths.Value(path)
			if item == nil || item.Get == nil {
				t.Errorf("api/%s.yaml: no GET %s", c.service, path)
				continue
			}
			op := item.Get
			if len(op.Tags) != 1 || op.Tags[0] != "platform" {
				t.Errorf("api/%s.yaml GET %s: tags %v, want [platform] (served by the platform, not generated)", c.service, path, op.Tags)
			}
			if op.Security == nil || len(*op.Security) != 0 {
				t.Errorf("api/%s.yaml GET %s: want security: [] (public)", c.service, path)
			}
		}
	}
}

// An operation is public only on purpose: `security: []` must come with
// `x-public: true` (the platform endpoints and the portal's key set and login
// are public by construction), so a forgotten security block cannot open an
// endpoint unnoticed.
func TestOperationsNeedABearerTokenUnlessMarkedPublic(t *testing.T) {
	public := map[string]bool{
		"/healthz": true, "/readyz": true, "/metrics": true,
		"/.well-known/jwks.json": true, "/api/auth/token": true,
	}
	for _, c := range contracts {
		doc := loadContract(t, c.service)
		if len(doc.Security) != 1 || doc.Security[0]["bearerAuth"] == nil {
			t.Errorf("api/%s.yaml: the default security is %v, want bearerAuth", c.service, doc.Security)
		}
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				isPublic := op.Security != nil && len(*op.Security) == 0
				marked := public[path] || op.Extensions["x-public"] == true
				if isPublic != marked {
					t.Errorf("api/%s.yaml %s %s: public=%v but marked public=%v (public operations carry x-public: true)", c.service, method, path, isPublic, marked)
				}
			}
		}
	}
}

// The documents share one vocabulary: a Problem, a Money, ... is the same
// thing in every service.
func TestSharedComponentsAreTheSameInEveryContract(t *testing.T) {
	schemas := []string{"Problem", "FieldError", "Money", "Health"}
	responses := []string{"BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "PreconditionFailed", "TooLarge", "Unprocessable", "TooManyRequests", "InternalError"}
	first := loadContract(t, contracts[0].service)
	for _, c := range contracts[1:] {
		doc := loadContract(t, c.service)
		for _, name := range schemas {
			if !sameJSON(t, first.Components.Schemas[name], doc.Components.Schemas[name]) {
				t.Errorf("schema %s differs between api/%s.yaml and api/%s.yaml", name, contracts[0].service, c.service)
			}
		}
		for _, name := range responses {
			a, b := first.Components.Responses[name], doc.Components.Responses[name]
			if a == nil || b == nil {
				t.Errorf("response %s missing in api/%s.yaml or api/%s.yaml", name, contracts[0].service, c.service)
				continue
			}
			if *a.Value.Description != *b.Value.Description || !sameJSON(t, a.Value.Content.Get("application/problem+json").Schema, b.Value.Content.Get("application/problem+json").Schema) {
				t.Errorf("response %s differs between api/%s.yaml and api/%s.yaml", name, contracts[0].service, c.service)
			}
		}
		if !sameJSON(t, first.Components.SecuritySchemes, doc.Components.SecuritySchemes) {
			t.Errorf("security schemes differ between api/%s.yaml and api/%s.yaml", contracts[0].service, c.service)
		}
		for _, name := range []string{"Limit", "Cursor"} {
			if !sameJSON(t, first.Components.Parameters[name], doc.Components.Parameters[name]) {
				t.Errorf("parameter %s differs between api/%s.yaml and api/%s.yaml", name, contracts[0].service, c.service)
			}
		}
	}
}

func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var va, vb any
	if err := json.Unmarshal(ja, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(jb, &vb); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(va, vb)
}

func compileEventSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join(apiDir, "events", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("api/events/%s is not JSON: %v", file, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(file)
	if err != nil {
		t.Fatalf("api/events/%s is not a valid JSON Schema: %v", file, err)
	}
	return sch
}

// examplesOf returns the schema's own "examples".
func examplesOf(t *testing.T, file string) []any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(apiDir, "events", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Examples []any `json:"examples"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Examples
}

func TestEventEnvelopeAcceptsGerbangEventsAndRefusesBrokenOnes(t *testing.T) {
	envelope := compileEventSchema(t, "cloudevent.json")
	examples := examplesOf(t, "cloudevent.json")
	if len(examples) == 0 {
		t.Fatal("cloudevent.json has no examples")
	}
	for _, ex := range examples {
		if err := envelope.Validate(ex); err != nil {
			t.Errorf("the envelope's own example is refused: %v", err)
		}
	}

	good := `{"specversion":"1.0","id":"0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77","source":"/licensing","type":"licensing.license.issued","subject":"0193a6f0-0000-7000-8000-000000000001","time":"2026-11-25T02:41:10Z","datacontenttype":"application/json","data":{}}`
	tests := []struct {
		name   string
		change func(map[string]any)
		valid  bool
	}{
		{"a well-formed event", func(map[string]any) {}, true},
		{"without subject", func(e map[string]any) { delete(e, "subject") }, true},
		{"with an extension attribute", func(e map[string]any) { e["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }, true},
		{"without id", func(e map[string]any) { delete(e, "id") }, false},
		{"id not a UUIDv7", func(e map[string]any) { e["id"] = "6f1c2a9e-4d1b-4f7e-9a43-3c2b1d0e9f88" }, false},
		{"other specversion", func(e map[string]any) { e["specversion"] = "0.3" }, false},
		{"type with a wildcard", func(e map[string]any) { e["type"] = "licensing.license.*" }, false},
		{"time not in UTC", func(e map[string]any) { e["time"] = "2026-11-25T09:41:10+07:00" }, false},
		{"data not JSON object", func(e map[string]any) { e["data"] = "aGVsbG8=" }, false},
		{"other content type", func(e map[string]any) { e["datacontenttype"] = "application/xml" }, false},
		{"attribute name in camel case", func(e map[string]any) { e["traceParent"] = "x" }, false},
	}
	for _, tt := range tests {
		var ev map[string]any
		if err := json.Unmarshal([]byte(good), &ev); err != nil {
			t.Fatal(err)
		}
		tt.change(ev)
		err := envelope.Validate(ev)
		if (err == nil) != tt.valid {
			t.Errorf("%s: valid=%v, want %v (%v)", tt.name, err == nil, tt.valid, err)
		}
	}
}

// Every data schema is named after an event type and validates its examples.
func TestEventDataSchemasAreNamedAfterTheirSubjectAndAcceptTheirExamples(t *testing.T) {
	subject := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}\.json$`)
	entries, err := os.ReadDir(filepath.Join(apiDir, "events"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == "cloudevent.json" || !strings.HasSuffix(name, ".json") {
			continue
		}
		if !subject.MatchString(name) {
			t.Errorf("api/events/%s: not named <service>.<aggregate>.<event>.json", name)
			continue
		}
		sch := compileEventSchema(t, name)
		examples := examplesOf(t, name)
		if len(examples) == 0 {
			t.Errorf("api/events/%s has no examples", name)
		}
		for _, ex := range examples {
			if err := sch.Validate(ex); err != nil {
				t.Errorf("api/events/%s refuses its own example: %v", name, err)
			}
		}
	}
}
