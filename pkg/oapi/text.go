package oapi

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"gerbang/pkg/plaintext"
)

// MultilineExtension marks a string schema whose text may hold line breaks
// and tabs (a description, a question, a reason). Every other string takes
// no control character at all.
const MultilineExtension = "x-multiline"

// TextProblem says what is wrong with s as the text of a field, or "" when
// nothing is (plaintext.Problem).
func TextProblem(s string, multiline bool) string { return plaintext.Problem(s, multiline) }

// checkValues refuses what the schema check lets through but no handler
// can take: text with control characters or invalid UTF-8, and integers
// outside the range of their format (which would otherwise fail, with a
// Go type in the message, when the body is bound to its struct).
func checkValues(where string, value any, sch *openapi3.Schema, f *findings) {
	switch v := value.(type) {
	case string:
		if sch != nil && (sch.Format == "binary" || sch.Format == "byte") {
			return // a file's content or base64, not text
		}
		if msg := TextProblem(v, isMultiline(sch)); msg != "" {
			f.add(where, msg)
		}
	case json.Number:
		if msg := integerProblem(v, sch); msg != "" {
			f.add(where, msg)
		}
	case map[string]any:
		for k, item := range v {
			name := join(where, k)
			if msg := TextProblem(k, false); msg != "" {
				f.add(join(where, strconv.QuoteToASCII(k)), "is not a field of this request: the name "+strings.TrimPrefix(msg, "must not contain "))
				continue
			}
			checkValues(name, item, propertySchema(sch, k), f)
		}
	case []any:
		var items *openapi3.Schema
		if sch != nil && sch.Items != nil {
			items = sch.Items.Value
		}
		for i, item := range v {
			checkValues(join(where, strconv.Itoa(i)), item, items, f)
		}
	}
}

func isMultiline(sch *openapi3.Schema) bool {
	if sch == nil {
		return false
	}
	if m, ok := sch.Extensions[MultilineExtension].(bool); ok && m {
		return true
	}
	for _, refs := range []openapi3.SchemaRefs{sch.AllOf, sch.OneOf, sch.AnyOf} {
		for _, r := range refs {
			if r.Value != nil && isMultiline(r.Value) {
				return true
			}
		}
	}
	return false
}

// propertySchema finds the schema of member name of an object schema,
// looking through allOf, oneOf and anyOf.
func propertySchema(sch *openapi3.Schema, name string) *openapi3.Schema {
	if sch == nil {
		return nil
	}
	if p := sch.Properties[name]; p != nil && p.Value != nil {
		return p.Value
	}
	for _, refs := range []openapi3.SchemaRefs{sch.AllOf, sch.OneOf, sch.AnyOf} {
		for _, r := range refs {
			if p := propertySchema(r.Value, name); p != nil {
				return p
			}
		}
	}
	if ap := sch.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
		return ap.Value
	}
	return nil
}

var (
	minInt64 = big.NewInt(-1 << 63)
	maxInt64 = big.NewInt(1<<63 - 1)
	minInt32 = big.NewInt(-1 << 31)
	maxInt32 = big.NewInt(1<<31 - 1)
)

func integerProblem(n json.Number, sch *openapi3.Schema) string {
	if sch == nil || sch.Type == nil || !sch.Type.Is(openapi3.TypeInteger) {
		return ""
	}
	lo, hi := minInt64, maxInt64
	if sch.Format == "int32" {
		lo, hi = minInt32, maxInt32
	}
	i, ok := new(big.Int).SetString(n.String(), 10)
	if !ok {
		// 1e3 or 1.0: the schema check has said whether it is a whole number.
		return ""
	}
	if i.Cmp(lo) < 0 || i.Cmp(hi) > 0 {
		return fmt.Sprintf("must be between %s and %s", lo, hi)
	}
	return ""
}

// markInvalidUTF8 returns body with every byte that is not UTF-8 replaced
// by the JSON escape of plaintext.NotUTF8 (outside a string the body stays invalid
// JSON, as it was).
func markInvalidUTF8(body []byte) []byte {
	if utf8.Valid(body) {
		return body
	}
	out := make([]byte, 0, len(body)+32)
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size <= 1 {
			out = append(out, `\udbff\udfff`...)
			i++
			continue
		}
		out = append(out, body[i:i+size]...)
		i += size
	}
	return out
}

// parameterProblems checks the text of every parameter the request sends.
func parameterProblems(op *openapi3.Operation, pathParams map[string]string, query map[string][]string, header func(string) string, f *findings) {
	if op == nil {
		return
	}
	for _, ref := range op.Parameters {
		p := ref.Value
		if p == nil {
			continue
		}
		where := p.In + "." + p.Name
		var values []string
		switch p.In {
		case openapi3.ParameterInPath:
			if v, ok := pathParams[p.Name]; ok {
				values = []string{v}
			}
		case openapi3.ParameterInQuery:
			values = query[p.Name]
		case openapi3.ParameterInHeader:
			if v := header(p.Name); v != "" {
				values = []string{v}
			}
		}
		for _, v := range values {
			if msg := TextProblem(v, false); msg != "" {
				f.add(where, msg)
				break
			}
		}
	}
}

// textFindings runs the checks above on a request the schema check passed.
func textFindings(route *openapi3.Operation, pathParams map[string]string, query map[string][]string, header func(string) string, body any, bodySchema *openapi3.Schema) error {
	var f findings
	parameterProblems(route, pathParams, query, header, &f)
	if body != nil {
		checkValues("body", body, bodySchema, &f)
	}
	if len(f.fields) == 0 {
		return nil
	}
	return toAppErrorFields(f.fields)
}

// MaxJSONDepth is how deep a request body's arrays and objects may nest.
// No contract nests deeper than a few levels; a body of thousands of nested
// arrays costs the decoder and the schema check far more than it is worth
// (found by the contract fuzzer: 10,000 levels held a request 30 s).
const MaxJSONDepth = 32

// jsonDepth returns how deep the arrays and objects of a JSON text nest,
// stopping as soon as it passes limit.
func jsonDepth(body []byte, limit int) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, b := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '[' || b == '{':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > limit {
					return deepest
				}
			}
		case b == ']' || b == '}':
			depth--
		}
	}
	return deepest
}
