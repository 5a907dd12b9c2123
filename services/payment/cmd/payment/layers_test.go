package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayersImportOnlyWhatTheyMay reads `go list -deps` of each layer of
// the service and fails on an import the layer rules forbid: the domain
// imports nothing of the infrastructure, app no adapter and no port, the
// ports no adapter, the adapters no port. (The repository-wide test of
// every service replaces this one when it lands.)
func TestLayersImportOnlyWhatTheyMay(t *testing.T) {
	const svc = "gerbang/services/payment/internal/"
	rules := map[string][]string{
		svc + "domain": {"github.com/gofiber/", "github.com/valyala/fasthttp", "github.com/jmoiron/sqlx", "github.com/lib/pq",
			"github.com/nats-io/", "github.com/oapi-codegen/", "github.com/getkin/", svc + "adapters/", svc + "ports/", svc + "app"},
		svc + "app":               {svc + "adapters/", svc + "ports/"},
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
