package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// renderK8s renders deploy/k8s as `kubectl apply -k deploy/k8s` would, with
// kustomize's own Go API (no kubectl needed), into objects as maps.
func renderK8s(t *testing.T) []map[string]any {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot(t), "deploy", "k8s"))
	if err != nil {
		t.Fatalf("kustomize build deploy/k8s: %v", err)
	}
	var out []map[string]any
	for _, r := range rm.Resources() {
		m, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// at walks a rendered object by keys; a missing step gives nil.
func at(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func asInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return -1
}

func list(v any) []any { l, _ := v.([]any); return l }

// TestK8sManifestsAreFitForProduction checks the rendered manifests:
// PostgreSQL is a three-instance CloudNativePG cluster; NATS three nodes
// and the streams at three replicas; every service at least two replicas
// with probes, requests and limits, and a disruption budget; keys and
// passwords only from Secrets, and no Secret with values among the
// resources.
func TestK8sManifestsAreFitForProduction(t *testing.T) {
	objs := renderK8s(t)
	byKind := map[string]map[string]map[string]any{}
	for _, o := range objs {
		kind, name := at(o, "kind").(string), at(o, "metadata", "name").(string)
		if byKind[kind] == nil {
			byKind[kind] = map[string]map[string]any{}
		}
		byKind[kind][name] = o
		if ns := at(o, "metadata", "namespace"); kind != "Namespace" && ns != "gerbang" {
			t.Errorf("%s %s in namespace %v, want gerbang", kind, name, ns)
		}
	}

	if len(byKind["Secret"]) > 0 {
		t.Errorf("Secrets rendered from the repository (%d): keys and passwords are applied from a filled copy of secrets.example.yaml, never committed", len(byKind["Secret"]))
	}
	pg := byKind["Cluster"]["gerbang-pg"]
	if at(pg, "apiVersion") != "postgresql.cnpg.io/v1" || asInt(at(pg, "spec", "instances")) != 3 {
		t.Errorf("PostgreSQL: %v instances of %v, want a CloudNativePG Cluster of 3", at(pg, "spec", "instances"), at(pg, "apiVersion"))
	}
	if sts := byKind["StatefulSet"]["postgres"]; sts != nil {
		t.Error("a hand-made PostgreSQL StatefulSet is still rendered beside the operator's Cluster")
	}
	nats := byKind["StatefulSet"]["nats"]
	if asInt(at(nats, "spec", "replicas")) != 3 {
		t.Errorf("NATS: %v nodes, want 3", at(nats, "spec", "replicas"))
	}

	budgets := map[string]bool{}
	for _, pdb := range byKind["PodDisruptionBudget"] {
		app, _ := at(pdb, "spec", "selector", "matchLabels", "app").(string)
		if at(pdb, "spec", "minAvailable") == nil && at(pdb, "spec", "maxUnavailable") == nil {
			t.Errorf("disruption budget of %s allows nothing and forbids nothing", app)
		}
		budgets[app] = true
	}
	workloads := map[string]map[string]any{"nats": nats}
	for _, s := range services {
		workloads[s] = byKind["Deployment"][s]
	}
	for name, w := range workloads {
		if w == nil {
			t.Errorf("no workload %s", name)
			continue
		}
		if n := asInt(at(w, "spec", "replicas")); n < 2 {
			t.Errorf("%s: %d replicas, want at least 2", name, n)
		}
		if !budgets[name] {
			t.Errorf("%s has no PodDisruptionBudget", name)
		}
		containers := list(at(w, "spec", "template", "spec", "containers"))
		if len(containers) == 0 {
			t.Errorf("%s: no containers", name)
		}
		for _, c := range containers {
			for _, probe := range []string{"readinessProbe", "livenessProbe"} {
				if at(c, probe) == nil {
					t.Errorf("%s: no %s", name, probe)
				}
			}
			for _, r := range [][]string{{"requests", "cpu"}, {"requests", "memory"}, {"limits", "memory"}} {
				if at(c, append([]string{"resources"}, r...)...) == nil {
					t.Errorf("%s: no resources.%s", name, strings.Join(r, "."))
				}
			}
			env := map[string]any{}
			for _, e := range list(at(c, "env")) {
				n := at(e, "name").(string)
				env[n] = e
				secretish := strings.Contains(n, "KEY") || strings.Contains(n, "SECRET") || strings.Contains(n, "PASSWORD") || strings.Contains(n, "KEK")
				if secretish && !strings.HasSuffix(n, "_FILE") && at(e, "valueFrom", "secretKeyRef") == nil {
					t.Errorf("%s: %s is not taken from a Secret", name, n)
				}
				if v, _ := at(e, "value").(string); strings.Contains(v, "://") && strings.Contains(v, ":") && strings.Contains(v, "@") &&
					strings.Contains(strings.SplitN(strings.SplitN(v, "://", 2)[1], "@", 2)[0], ":") {
					t.Errorf("%s: %s has a password in its URL", name, n)
				}
			}
			if name == "nats" {
				continue
			}
			if r, _ := at(env["NATS_REPLICAS"], "value").(string); r != "3" {
				t.Errorf("%s: NATS_REPLICAS %q, want 3: the streams and consumers on all three NATS nodes", name, r)
			}
			if u, _ := at(env["DATABASE_URL"], "value").(string); !strings.Contains(u, "@gerbang-pg-rw:") {
				t.Errorf("%s: DATABASE_URL %q, want the CloudNativePG primary (gerbang-pg-rw)", name, u)
			}
			mountsKeys := false
			for _, v := range list(at(w, "spec", "template", "spec", "volumes")) {
				if at(v, "secret", "secretName") == "gerbang-keys" {
					mountsKeys = true
				}
			}
			if !mountsKeys {
				t.Errorf("%s: its keys are not mounted from the gerbang-keys Secret", name)
			}
		}
	}
}
