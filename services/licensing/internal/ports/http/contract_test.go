package http

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

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
	// Every operation with an x-roles list has its roles in operationRoles, and the other way round.
	roles := operationRoles()
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			_, listed := roles[upperFirst(op.OperationID)]
			_, declared := op.Extensions["x-roles"]
			if id := upperFirst(op.OperationID); id == "VerifyAuditChain" || id == "ListDeadLetters" { // served by pkg/service
				continue
			}
			if listed != declared {
				t.Errorf("%s %s (%s): x-roles in the contract %v, roles in operationRoles %v", method, path, op.OperationID, declared, listed)
			}
		}
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
