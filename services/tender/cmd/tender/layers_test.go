package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayersImportOnlyWhatTheyMay reads `go list -deps` of each layer of
// the service and fails on an import the layer rules forbid: the domain
// imports nothing of the infrastructure, app no adapter and no port (nor
// the database, NATS, oapi or the OCDS format), the ports no adapter, the
// adapters no port. (A repository-wide test of every service replaces this
// one when it exists. app still reaches fiber through pkg/auth's Principal,
// until the platform's Caller moves out of pkg/auth.)
func TestLayersImportOnlyWhatTheyMay(t *testing.T) {
	const svc = "gerbang/services/tender/internal/"
	infra := []string{"github.com/gofiber/", "github.com/jmoiron/sqlx", "github.com/lib/pq", "github.com/nats-io/",
		"github.com/oapi-codegen/", "github.com/getkin/", svc + "adapters/", svc + "ports/"}
	rules := map[string][]string{
		svc + "domain":            infra,
		svc + "app":               {"github.com/jmoiron/sqlx", "github.com/lib/pq", "github.com/nats-io/", "github.com/oapi-codegen/", svc + "adapters/", svc + "ports/", svc + "ocds"},
		svc + "ports/http":        {svc + "adapters/"},
		svc + "ports/events":      {svc + "adapters/"},
		svc + "adapters/postgres": {svc + "ports/"},
	}
	for pkg, forbidden := range rules {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
		}
	}
}
