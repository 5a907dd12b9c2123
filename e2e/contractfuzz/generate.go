// Package contractfuzz generates HTTP requests from the operations of an
// OpenAPI contract (valid, boundary and invalid values of every parameter and
// body field, wrong types, missing and extra fields, huge and tiny numbers,
// long and control-character strings, content types the operation does not
// take) and checks each answer against the same contract: no 5xx, a status
// and body the contract declares, and a problem+json body for every error.
package contractfuzz

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Case is one request to send. It is JSON so that a failing one is kept as
// a regression seed (e2e/testdata/contractfuzz) and replayed first.
type Case struct {
	Service     string            `json:"service"`
	Operation   string            `json:"operation"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`            // escaped, parameters filled in
	Query       string            `json:"query,omitempty"` // raw, escaped
	Headers     map[string]string `json:"headers,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Body        []byte            `json:"body,omitempty"`
	Role        string            `json:"role"` // "" for no token
	What        string            `json:"what"` // what the case tries
}

// Operation is one operation of a contract.
type Operation struct {
	Service string
	Method  string
	Path    string // the contract's template, /v1/invoices/{id}
	Op      *openapi3.Operation
	Params  openapi3.Parameters // the path item's and the operation's
}

// ID names the operation in reports.
func (o Operation) ID() string { return o.Service + "." + o.Op.OperationID }

// Operations lists every operation of doc, sorted.
func Operations(service string, doc *openapi3.T) []Operation {
	var ops []Operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			params := slices.Clone(item.Parameters)
			for _, p := range op.Parameters {
				params = slices.DeleteFunc(params, func(q *openapi3.ParameterRef) bool {
					return q.Value != nil && p.Value != nil && q.Value.In == p.Value.In && q.Value.Name == p.Value.Name
				})
				params = append(params, p)
			}
			ops = append(ops, Operation{Service: service, Method: method, Path: path, Op: op, Params: params})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops
}

// IDs are values the generator uses for uuid path parameters besides
// random ones: ids the services answered with, so that requests reach
// existing records.
type IDs interface {
	Pick(r *rand.Rand, service string) (string, bool)
}

// Generator builds cases for operations.
type Generator struct {
	Rand *rand.Rand
	IDs  IDs
	Now  time.Time
}

// Cases returns every case the generator knows for op: the valid request,
// then one mutation at a time of each parameter, of each body field and of
// the body as a whole. The caller picks roles and a budget.
func (g *Generator) Cases(op Operation) []Case {
	base := g.valid(op)
	base.What = "valid request"
	cases := []Case{base}
	for _, ref := range op.Params {
		p := ref.Value
		if p == nil {
			continue
		}
		if p.Required && p.In != openapi3.ParameterInPath {
			c := g.valid(op)
			c.What = fmt.Sprintf("%s %s missing", p.In, p.Name)
			c.drop(p)
			cases = append(cases, c)
		}
		for _, v := range badStrings(schemaOf(p.Schema), p.In) {
			c := g.valid(op)
			c.What = fmt.Sprintf("%s %s = %q", p.In, p.Name, short(v))
			c.set(op, p, v)
			cases = append(cases, c)
		}
	}
	if media, ct := jsonBody(op.Op); media != nil {
		value := g.bodyValue(media)
		for _, m := range mutations(value, schemaOf(media.Schema), "body", 0) {
			c := g.valid(op)
			c.What = m.what
			if m.raw != nil {
				c.Body = m.raw
			} else {
				c.Body = mustJSON(m.value)
			}
			c.ContentType = ct
			cases = append(cases, c)
		}
		for _, raw := range []string{"", "{", "[]", "null", "1", `"x"`, `{"a":1,"a":2}`, strings.Repeat("[", 10000) + strings.Repeat("]", 10000), `{"x":` + strings.Repeat("9", 400) + `}`} {
			c := g.valid(op)
			c.What = "body " + short(raw)
			c.Body, c.ContentType = []byte(raw), ct
			cases = append(cases, c)
		}
	}
	if op.Op.RequestBody != nil {
		for _, ct := range []string{"text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream", "application/json; charset=latin1"} {
			if op.Op.RequestBody.Value.Content.Get(ct) != nil || strings.HasPrefix(ct, "multipart/") && op.Op.RequestBody.Value.Content.Get("multipart/form-data") != nil {
				continue
			}
			c := g.valid(op)
			c.What = "content type " + ct
			c.ContentType = ct
			if len(c.Body) == 0 {
				c.Body = []byte("x=1")
			}
			cases = append(cases, c)
		}
		c := g.valid(op)
		c.What = "no content type"
		c.ContentType = ""
		cases = append(cases, c)
	}
	return cases
}

// valid is a request every parameter and the body of which the schema takes.
func (g *Generator) valid(op Operation) Case {
	c := Case{Service: op.Service, Operation: op.Op.OperationID, Method: strings.ToUpper(op.Method), Path: op.Path, Headers: map[string]string{}}
	q := url.Values{}
	for _, ref := range op.Params {
		p := ref.Value
		if p == nil {
			continue
		}
		if !p.Required && p.In != openapi3.ParameterInPath && g.Rand.IntN(2) == 0 {
			continue
		}
		v := g.paramValue(op.Service, p)
		switch p.In {
		case openapi3.ParameterInPath:
			c.Path = strings.ReplaceAll(c.Path, "{"+p.Name+"}", url.PathEscape(v))
		case openapi3.ParameterInQuery:
			q.Set(p.Name, v)
		case openapi3.ParameterInHeader:
			c.Headers[p.Name] = v
		}
	}
	c.Query = q.Encode()
	if media, ct := jsonBody(op.Op); media != nil {
		c.Body, c.ContentType = mustJSON(g.bodyValue(media)), ct
	} else if rb := op.Op.RequestBody; rb != nil {
		for ct, media := range rb.Value.Content {
			c.ContentType = ct
			if ex := exampleOf(media); ex != nil {
				if s, ok := ex.(string); ok {
					c.Body = []byte(s)
				}
			}
			if strings.HasPrefix(ct, "multipart/") {
				c.ContentType, c.Body = multipartBody()
			}
			break
		}
	}
	return c
}

func multipartBody() (string, []byte) {
	body := "--fuzzb\r\nContent-Disposition: form-data; name=\"requirement\"\r\n\r\nnpwp\r\n" +
		"--fuzzb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n--fuzzb--\r\n"
	return "multipart/form-data; boundary=fuzzb", []byte(body)
}

func (c *Case) drop(p *openapi3.Parameter) {
	switch p.In {
	case openapi3.ParameterInQuery:
		q, _ := url.ParseQuery(c.Query)
		q.Del(p.Name)
		c.Query = q.Encode()
	case openapi3.ParameterInHeader:
		delete(c.Headers, p.Name)
	}
}

func (c *Case) set(op Operation, p *openapi3.Parameter, v string) {
	switch p.In {
	case openapi3.ParameterInPath:
		// The valid value was filled in already: rebuild the path.
		path := op.Path
		for _, seg := range strings.Split(strings.Trim(op.Path, "/"), "/") {
			if strings.HasPrefix(seg, "{") {
				name := strings.Trim(seg, "{}")
				fill := strings.Split(strings.Trim(c.Path, "/"), "/")
				idx := slices.Index(strings.Split(strings.Trim(op.Path, "/"), "/"), seg)
				val := fill[idx]
				if name == p.Name {
					val = url.PathEscape(v)
					if v == "" {
						val = ""
					}
				}
				path = strings.Replace(path, seg, val, 1)
			}
		}
		c.Path = path
	case openapi3.ParameterInQuery:
		q, _ := url.ParseQuery(c.Query)
		q.Set(p.Name, v)
		c.Query = q.Encode()
	case openapi3.ParameterInHeader:
		c.Headers[p.Name] = v
	}
}

func (g *Generator) paramValue(service string, p *openapi3.Parameter) string {
	if p.Example != nil {
		return fmt.Sprint(p.Example)
	}
	sch := schemaOf(p.Schema)
	if sch != nil && sch.Format == "uuid" && g.IDs != nil && g.Rand.IntN(4) != 0 {
		if id, ok := g.IDs.Pick(g.Rand, service); ok {
			return id
		}
	}
	if strings.EqualFold(p.Name, "Idempotency-Key") {
		return fmt.Sprintf("fuzz-%016x", g.Rand.Uint64())
	}
	if strings.EqualFold(p.Name, "If-Match") {
		return `"1"`
	}
	v := g.value(sch, 0)
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		return strings.Trim(string(mustJSON(x)), `"`)
	}
}

func (g *Generator) bodyValue(media *openapi3.MediaType) any {
	if ex := exampleOf(media); ex != nil && g.Rand.IntN(3) != 0 {
		return ex
	}
	return g.value(schemaOf(media.Schema), 0)
}

// value is a value the schema takes (as far as formats and patterns allow).
func (g *Generator) value(sch *openapi3.Schema, depth int) any {
	if sch == nil || depth > 6 {
		return nil
	}
	if sch.Example != nil {
		return sch.Example
	}
	if len(sch.Enum) > 0 {
		return sch.Enum[g.Rand.IntN(len(sch.Enum))]
	}
	for _, refs := range []openapi3.SchemaRefs{sch.AllOf} {
		if len(refs) > 0 {
			merged := map[string]any{}
			for _, r := range refs {
				if m, ok := g.value(r.Value, depth+1).(map[string]any); ok {
					for k, v := range m {
						merged[k] = v
					}
				}
			}
			return merged
		}
	}
	for _, refs := range []openapi3.SchemaRefs{sch.OneOf, sch.AnyOf} {
		if len(refs) > 0 {
			return g.value(refs[g.Rand.IntN(len(refs))].Value, depth+1)
		}
	}
	switch {
	case sch.Type.Is(openapi3.TypeObject) || len(sch.Properties) > 0:
		obj := map[string]any{}
		for name, p := range sch.Properties {
			if slices.Contains(sch.Required, name) || g.Rand.IntN(2) == 0 {
				if p.Value != nil && p.Value.ReadOnly {
					continue
				}
				obj[name] = g.value(p.Value, depth+1)
			}
		}
		return obj
	case sch.Type.Is(openapi3.TypeArray):
		n := max(int(sch.MinItems), 1)
		var items []any
		for range n {
			if sch.Items != nil {
				items = append(items, g.value(sch.Items.Value, depth+1))
			}
		}
		return items
	case sch.Type.Is(openapi3.TypeInteger), sch.Type.Is(openapi3.TypeNumber):
		lo := 1.0
		if sch.Min != nil {
			lo = *sch.Min
		}
		if sch.Max != nil && *sch.Max < lo {
			lo = *sch.Max
		}
		return int64(lo)
	case sch.Type.Is(openapi3.TypeBoolean):
		return g.Rand.IntN(2) == 0
	case sch.Type.Is(openapi3.TypeString):
		switch sch.Format {
		case "uuid":
			return fmt.Sprintf("0193%04x-%04x-7%03x-8%03x-%012x", g.Rand.IntN(1<<16), g.Rand.IntN(1<<16), g.Rand.IntN(1<<12), g.Rand.IntN(1<<12), g.Rand.Int64N(1<<48))
		case "date-time":
			return g.Now.Add(time.Duration(g.Rand.IntN(72)) * time.Hour).UTC().Format(time.RFC3339)
		case "date":
			return g.Now.UTC().Format(time.DateOnly)
		case "email":
			return "fuzz@demo.gerbang.id"
		case "byte":
			return "eA=="
		}
		n := max(int(sch.MinLength), 1)
		return strings.Repeat("x", n)
	}
	return nil
}

// mutation is one change of a valid body.
type mutation struct {
	what  string
	value any
	raw   []byte // when the body is not JSON of a value
}

// mutations changes one place of value at a time, recursively.
func mutations(value any, sch *openapi3.Schema, where string, depth int) []mutation {
	var out []mutation
	obj, ok := value.(map[string]any)
	if !ok || depth > 3 {
		return out
	}
	replace := func(key string, v any) map[string]any {
		c := make(map[string]any, len(obj))
		for k, x := range obj {
			c[k] = x
		}
		if v == deleteMarker {
			delete(c, key)
		} else {
			c[key] = v
		}
		return c
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field := where + "." + k
		var fs *openapi3.Schema
		if sch != nil && sch.Properties[k] != nil {
			fs = sch.Properties[k].Value
		}
		out = append(out, mutation{what: field + " missing", value: replace(k, deleteMarker)})
		for _, v := range badValues(fs) {
			out = append(out, mutation{what: fmt.Sprintf("%s = %s", field, short(string(mustJSON(v)))), value: replace(k, v)})
		}
		// Bytes that are not UTF-8, raw in the JSON text.
		raw := mustJSON(replace(k, "\x00marker\x00"))
		raw = []byte(strings.Replace(string(raw), `\u0000marker\u0000`, "PT \xff\xfe Jaya", 1))
		out = append(out, mutation{what: field + " = invalid UTF-8", raw: raw})
		for _, m := range mutations(obj[k], fs, field, depth+1) {
			m.value = replace(k, m.value)
			if m.raw != nil {
				continue
			}
			out = append(out, m)
		}
	}
	out = append(out, mutation{what: where + " with an extra field", value: replace("fuzz_extra", "x")})
	return out
}

var deleteMarker = &struct{ x int }{}

// badValues are values to put in place of a field: wrong types, bounds and
// beyond, huge and tiny numbers, long and control-character strings.
func badValues(sch *openapi3.Schema) []any {
	vals := []any{nil, "", true, []any{}, map[string]any{}, json.Number("9223372036854775808"), json.Number("-9223372036854775809"),
		json.Number("1e308"), json.Number("-0"), json.Number("0.5"), json.Number("0"), json.Number("-1"),
		strings.Repeat("x", 10000), "a\u0000b", "a\u001b[31mb", "a\nb", "\u202eabc", "😀 Ñ", "' OR 1=1 --", "../../etc/passwd"}
	if sch != nil {
		if sch.Max != nil {
			vals = append(vals, json.Number(strconv.FormatFloat(*sch.Max+1, 'f', -1, 64)))
			vals = append(vals, json.Number(strconv.FormatFloat(*sch.Max, 'f', -1, 64)))
		}
		if sch.Min != nil {
			vals = append(vals, json.Number(strconv.FormatFloat(*sch.Min-1, 'f', -1, 64)))
		}
		if sch.MaxLength != nil {
			vals = append(vals, strings.Repeat("é", int(*sch.MaxLength)), strings.Repeat("é", int(*sch.MaxLength)+1))
		}
		if sch.Type.Is(openapi3.TypeArray) {
			vals = append(vals, []any{nil}, []any{"\u0000"}, make([]any, 1000))
		}
	}
	return vals
}

// badStrings are parameter values to try.
func badStrings(sch *openapi3.Schema, in string) []string {
	vals := []string{"", "x", strings.Repeat("x", 5000), "-1", "0", "9223372036854775808", "1e400", "1.5", "null",
		"00000000-0000-0000-0000-000000000000", "😀", "' OR 1=1 --", "%"}
	if in != openapi3.ParameterInHeader {
		vals = append(vals, "a\x00b", "a\x1b[31mb", "a\nb", "\xff\xfe")
	}
	if in == openapi3.ParameterInPath {
		vals = append(vals, "..", "a/b")
	}
	if sch != nil {
		if sch.Max != nil {
			vals = append(vals, strconv.FormatFloat(*sch.Max+1, 'f', -1, 64))
		}
		if sch.Min != nil {
			vals = append(vals, strconv.FormatFloat(*sch.Min-1, 'f', -1, 64))
		}
		if sch.MaxLength != nil {
			vals = append(vals, strings.Repeat("x", int(*sch.MaxLength)+1))
		}
	}
	return vals
}

func jsonBody(op *openapi3.Operation) (*openapi3.MediaType, string) {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil, ""
	}
	for ct, media := range op.RequestBody.Value.Content {
		if strings.Contains(ct, "json") {
			return media, ct
		}
	}
	return nil, ""
}

func exampleOf(media *openapi3.MediaType) any {
	if media.Example != nil {
		return media.Example
	}
	for _, ex := range media.Examples {
		if ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value
		}
	}
	if s := schemaOf(media.Schema); s != nil && s.Example != nil {
		return s.Example
	}
	return nil
}

func schemaOf(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil {
		return nil
	}
	return ref.Value
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return b
}

func short(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%s... (%d bytes)", strings.ToValidUTF8(s[:40], "?"), len(s))
	}
	return s
}
