package http

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	pkgoapi "gerbang/pkg/oapi"
	"gerbang/services/licensing/internal/ports/http/oapi"
)

// TestContractIsValidWithItsExamples checks api/licensing.yaml (embedded)
// and that every example matches its schema.
func TestContractIsValidWithItsExamples(t *testing.T) {
	spec, err := oapi.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
	// The roles of every operation are read from x-roles (pkg/oapi, enforced
	// by the validator): an operation that needs a token lists its roles, a
	// public one (security: []) lists none.
	if _, err := pkgoapi.Roles(spec); err != nil {
		t.Fatal(err)
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			_, declared := op.Extensions[pkgoapi.RolesExtension]
			public := op.Security != nil && len(*op.Security) == 0
			if declared == public {
				t.Errorf("%s %s (%s): public %v, x-roles %v", method, path, op.OperationID, public, declared)
			}
		}
	}
}
