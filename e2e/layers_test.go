package e2e

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The layers of every service (../shared/STYLE.md, issue #16), kept by
// this test rather than by review. Of a service's packages:
//
//   - internal/domain imports nothing of fiber, sqlx, lib/pq, NATS, oapi
//     (kin-openapi, oapi-codegen, pkg/oapi, the generated package) and none
//     of the service's adapters, ports or app;
//   - internal/app imports none of its adapters and ports;
//   - a port (internal/ports/...) imports none of its adapters.
//
// Imports are read transitively: `go list` gives each package its Deps.
//
// enforcedServices are held to these rules. A service being moved into the
// shape (a new one, or one taken apart) goes to movingServices: its
// violations are logged, not failed, and whoever moves it puts its name back
// in enforcedServices in the commit that makes it keep them. Tender and
// payment started in movingServices and kept the rules by the time this
// test landed, so all four are enforced.
var (
	enforcedServices = []string{"licensing", "portal", "tender", "payment"}
	movingServices   = []string{}
)

// forbiddenInDomain are the import path prefixes a domain must not reach.
var forbiddenInDomain = []string{
	"github.com/gofiber/",
	"github.com/valyala/fasthttp",
	"github.com/jmoiron/sqlx",
	"github.com/lib/pq",
	"github.com/nats-io/",
	"github.com/getkin/kin-openapi",
	"github.com/oapi-codegen/",
	"gerbang/pkg/oapi",
}

// packageDeps returns, for each package of the service's module, the
// packages it imports, directly or not.
func packageDeps(t *testing.T, service string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...")
	cmd.Dir = filepath.Join("..", "services", service)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in services/%s: %v\n%s", service, err, stderr.String())
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 {
			deps[fields[0]] = fields[1:]
		}
	}
	if len(deps) == 0 {
		t.Fatalf("go list found no packages in services/%s", service)
	}
	return deps
}

func layerViolations(t *testing.T, service string) []string {
	return violations(service, packageDeps(t, service))
}

// violations lists every import in deps (package -> its dependencies) of
// the service's packages that breaks the rules above, as "package imports
// dependency (rule)".
func violations(service string, deps map[string][]string) []string {
	internal := "gerbang/services/" + service + "/internal/"
	under := func(pkg, layer string) bool {
		return pkg == internal+layer || strings.HasPrefix(pkg, internal+layer+"/")
	}
	var out []string
	for pkg, imported := range deps {
		for _, dep := range imported {
			var rule string
			switch {
			case under(pkg, "domain"):
				switch {
				case under(dep, "adapters"), under(dep, "ports"), under(dep, "app"):
					rule = "a domain imports no adapter, port or use case"
				case strings.Contains(dep, "/oapi"):
					rule = "a domain imports no generated or contract code"
				default:
					for _, f := range forbiddenInDomain {
						if strings.HasPrefix(dep, f) {
							rule = "a domain imports no HTTP, SQL, NATS or contract library"
						}
					}
				}
			case under(pkg, "app"):
				if under(dep, "adapters") || under(dep, "ports") {
					rule = "app imports no adapter and no port"
				}
			case under(pkg, "ports"):
				if under(dep, "adapters") {
					rule = "a port imports no adapter: it calls app"
				}
			}
			if rule != "" {
				out = append(out, pkg+" imports "+dep+" ("+rule+")")
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestEveryServiceKeepsItsLayers(t *testing.T) {
	for _, service := range enforcedServices {
		t.Run(service, func(t *testing.T) {
			for _, v := range layerViolations(t, service) {
				t.Error(v)
			}
		})
	}
	for _, service := range movingServices {
		t.Run(service+"_moving", func(t *testing.T) {
			v := layerViolations(t, service)
			t.Logf("%s is not yet held to the layers (%d imports break them); move it to enforcedServices once it keeps them", service, len(v))
			for _, line := range v {
				t.Log(line)
			}
		})
	}
}

// TestTheLayerRulesCatchEveryKindOfBrokenImport runs the rules on an
// import graph that breaks each of them once, and keeps one of each
// allowed import.
func TestTheLayerRulesCatchEveryKindOfBrokenImport(t *testing.T) {
	const in = "gerbang/services/x/internal/"
	deps := map[string][]string{
		in + "domain":            {"strings", "gerbang/pkg/apperr", "gerbang/pkg/caller", "github.com/gofiber/fiber/v2", "github.com/lib/pq"},
		in + "domain/rules":      {in + "adapters/postgres", in + "ports/http/oapi", "github.com/nats-io/nats.go"},
		in + "app":               {in + "domain", "gerbang/pkg/idempotency", in + "adapters/postgres", in + "ports/http"},
		in + "adapters/postgres": {in + "app", in + "domain", "github.com/jmoiron/sqlx"},
		in + "ports/http":        {in + "app", in + "ports/http/oapi", "github.com/gofiber/fiber/v2", in + "adapters/blob"},
		in + "ports/events":      {in + "app", "github.com/nats-io/nats.go"},
	}
	got := violations("x", deps)
	want := []string{
		in + "app imports " + in + "adapters/postgres (app imports no adapter and no port)",
		in + "app imports " + in + "ports/http (app imports no adapter and no port)",
		in + "domain imports github.com/gofiber/fiber/v2 (a domain imports no HTTP, SQL, NATS or contract library)",
		in + "domain imports github.com/lib/pq (a domain imports no HTTP, SQL, NATS or contract library)",
		in + "domain/rules imports " + in + "adapters/postgres (a domain imports no adapter, port or use case)",
		in + "domain/rules imports " + in + "ports/http/oapi (a domain imports no adapter, port or use case)",
		in + "domain/rules imports github.com/nats-io/nats.go (a domain imports no HTTP, SQL, NATS or contract library)",
		in + "ports/http imports " + in + "adapters/blob (a port imports no adapter: it calls app)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
