package oapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"gerbang/pkg/apperr"
)

// toAppError turns what openapi3filter.ValidateRequest reports into one
// apperr error: Unsupported for a body of a media type the operation does
// not take, otherwise Invalid with one field error per problem.
func toAppError(err error) error {
	var f findings
	f.collect(err, "")
	if f.unsupported != nil {
		return f.unsupported
	}
	if len(f.fields) == 0 {
		f.fields = []apperr.FieldError{apperr.Field("request", "%s", err.Error())}
	}
	return toAppErrorFields(f.fields)
}

// toAppErrorFields is the one Invalid error of a request, its fields sorted.
func toAppErrorFields(fields []apperr.FieldError) error {
	slices.SortFunc(fields, func(a, b apperr.FieldError) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Message, b.Message))
	})
	return apperr.InvalidFields(ContractMismatch, slices.Compact(fields)...)
}

type findings struct {
	fields      []apperr.FieldError
	unsupported *apperr.Error
}

func (f *findings) add(field, message string) {
	f.fields = append(f.fields, apperr.FieldError{Field: field, Message: message})
}

// collect walks err; where is the location of the value err is about
// ("query.limit", "body", ...), "" until a RequestError names it.
func (f *findings) collect(err error, where string) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, inner := range e {
			f.collect(inner, where)
		}
	case *openapi3filter.RequestError:
		f.collectRequestError(e)
	case *openapi3.SchemaError:
		f.add(schemaField(where, e), schemaMessage(e))
	case *openapi3filter.ParseError:
		f.add(join(where, pathStrings(e.Path())...), parseMessage(e))
	case *openapi3filter.SecurityRequirementsError:
		// pkg/auth decides about credentials; NoopAuthenticationFunc never fails.
	default:
		f.add(cmp.Or(where, "request"), err.Error())
	}
}

func (f *findings) collectRequestError(e *openapi3filter.RequestError) {
	var where string
	switch {
	case e.Parameter != nil:
		where = e.Parameter.In + "." + e.Parameter.Name
	case e.RequestBody != nil:
		where = "body"
	default:
		where = "request"
	}
	switch {
	case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
		f.add(where, "is required")
	case errors.Is(e.Err, openapi3filter.ErrInvalidEmptyValue):
		f.add(where, "must not be empty")
	case e.Err == nil && e.RequestBody != nil && strings.HasPrefix(e.Reason, "header Content-Type"):
		f.unsupported = apperr.New(apperr.Unsupported, "Send the request body as %s.", strings.Join(mediaTypes(e.RequestBody), " or "))
	case e.Err == nil:
		f.add(where, e.Reason)
	case e.RequestBody != nil && isDecodeFailure(e.Err):
		f.add(where, "is not valid JSON: "+rootCause(e.Err).Error())
	default:
		f.collect(e.Err, where)
	}
}

func isDecodeFailure(err error) bool {
	var syntax *json.SyntaxError
	var unmarshal *json.UnmarshalTypeError
	return errors.As(err, &syntax) || errors.As(err, &unmarshal) || strings.Contains(rootCause(err).Error(), "unexpected EOF")
}

func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

func mediaTypes(body *openapi3.RequestBody) []string {
	types := make([]string, 0, len(body.Content))
	for t := range body.Content {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// schemaMessage says what is wrong with a value, for a person, without
// repeating the value.
func schemaMessage(e *openapi3.SchemaError) string {
	sch := e.Schema
	switch {
	case e.SchemaField == "required":
		return "is required"
	case e.SchemaField == "properties" && strings.HasSuffix(e.Reason, "is unsupported"):
		return "is not a field of this request"
	case sch == nil:
	case e.SchemaField == "enum":
		allowed := make([]string, 0, len(sch.Enum))
		for _, v := range sch.Enum {
			allowed = append(allowed, fmt.Sprint(v))
		}
		return "must be one of: " + strings.Join(allowed, ", ")
	case e.SchemaField == "format":
		return formatMessage(sch.Format)
	case e.SchemaField == "minLength":
		return fmt.Sprintf("must be at least %d characters long", sch.MinLength)
	case e.SchemaField == "maxLength" && sch.MaxLength != nil:
		return fmt.Sprintf("must be at most %d characters long", *sch.MaxLength)
	case e.SchemaField == "minItems":
		return fmt.Sprintf("must have at least %d items", sch.MinItems)
	case e.SchemaField == "maxItems" && sch.MaxItems != nil:
		return fmt.Sprintf("must have at most %d items", *sch.MaxItems)
	case e.SchemaField == "maximum" && sch.Max != nil:
		return "must be at most " + strconv.FormatFloat(*sch.Max, 'f', -1, 64)
	case e.SchemaField == "minimum" && sch.Min != nil:
		return "must be at least " + strconv.FormatFloat(*sch.Min, 'f', -1, 64)
	case e.SchemaField == "pattern":
		return fmt.Sprintf("must match the pattern %s", sch.Pattern)
	}
	reason := e.Reason
	if reason == "" && e.Origin != nil {
		reason = e.Origin.Error()
	}
	for _, noun := range []string{"value ", "number ", "string "} {
		if rest, ok := strings.CutPrefix(reason, noun); ok && strings.HasPrefix(rest, "must ") {
			return rest
		}
	}
	return reason
}

func formatMessage(format string) string {
	switch format {
	case "uuid":
		return "must be a UUID such as 0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77"
	case "date-time":
		return "must be an RFC 3339 time such as 2026-11-25T03:15:07Z"
	case "date":
		return "must be a date such as 2026-11-25"
	case "email":
		return "must be an email address"
	case "int32":
		return "must be a whole number between -2147483648 and 2147483647"
	case "int64":
		return "must be a whole number between -9223372036854775808 and 9223372036854775807"
	}
	return "must be in the format " + format
}

// schemaField names the value a schema error is about; an unknown member
// is named itself rather than the object holding it.
func schemaField(where string, e *openapi3.SchemaError) string {
	path := e.JSONPointer()
	if e.SchemaField == "properties" {
		if name, ok := strings.CutPrefix(e.Reason, "property "); ok {
			if name, ok = strings.CutSuffix(name, " is unsupported"); ok {
				if unquoted, err := strconv.Unquote(name); err == nil {
					path = append(path, unquoted)
				}
			}
		}
	}
	return join(where, path...)
}

// parseMessage explains a parameter or body value that could not be
// decoded as its schema's type.
func parseMessage(e *openapi3filter.ParseError) string {
	deepest := e
	for {
		next, ok := deepest.Cause.(*openapi3filter.ParseError)
		if !ok {
			break
		}
		deepest = next
	}
	if typ, ok := strings.CutPrefix(deepest.Reason, "an invalid "); ok {
		switch typ {
		case "integer":
			return "must be an integer"
		case "boolean":
			return "must be true or false"
		default:
			return "must be a " + typ
		}
	}
	if deepest.Reason != "" {
		return deepest.Reason
	}
	if deepest.Cause != nil {
		return deepest.Cause.Error()
	}
	return "cannot be read"
}

func pathStrings(path []any) []string {
	out := make([]string, len(path))
	for i, p := range path {
		out[i] = fmt.Sprint(p)
	}
	return out
}

// join names a field: the location, then the JSON path inside it
// ("body", "fee", "amount" → "body.fee.amount").
func join(where string, path ...string) string {
	parts := make([]string, 0, len(path)+1)
	if where != "" {
		parts = append(parts, where)
	}
	parts = append(parts, path...)
	if len(parts) == 0 {
		return "request"
	}
	return strings.Join(parts, ".")
}
