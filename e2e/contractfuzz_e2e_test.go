package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"gerbang/e2e/contractfuzz"
	"gerbang/pkg/auth"
)

// seedDir keeps every case the fuzzer ever failed on; each run replays them
// first.
const seedDir = "testdata/contractfuzz"

// fuzzRoles are the callers every operation is tried as ("" is no token).
var fuzzRoles = []string{"", auth.RoleBusiness, auth.RoleLicensingOfficer, auth.RoleProcurementOfficer, auth.RoleFinance, auth.RoleAuditor, auth.RoleAdmin}

// TestContractFuzz sends requests generated from every operation of every
// api/*.yaml to the four services (real processes, PostgreSQL and NATS) as
// every role, and fails on any 5xx, any answer the contract does not
// declare (status, content type, schema), any error that is not a problem,
// and any answer slower than contractfuzz.SlowRequest. CONTRACTFUZZ_REQUESTS
// sets the budget (make test: 2500; make fuzz: more), CONTRACTFUZZ_SEED
// the generator's seed (default: the time, printed).
func TestContractFuzz(t *testing.T) {
	budget := 2500
	if v, err := strconv.Atoi(os.Getenv("CONTRACTFUZZ_REQUESTS")); err == nil && v > 0 {
		budget = v
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("CONTRACTFUZZ_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("contract fuzz: budget %d requests, seed %d (CONTRACTFUZZ_SEED=%d replays it)", budget, seed, seed)

	p := startPlatform(t, nil)
	tokens := fuzzTokens(t, p)
	contracts := map[string]*contractfuzz.Contract{}
	var ops []contractfuzz.Operation
	for _, s := range services {
		doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(repoRoot(t), "api", s+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if contracts[s], err = contractfuzz.NewContract(s, doc); err != nil {
			t.Fatal(err)
		}
		for _, op := range contractfuzz.Operations(s, doc) {
			if op.Path == "/metrics" {
				continue // Prometheus text, not the contract's JSON
			}
			ops = append(ops, op)
		}
	}

	pool := &contractfuzz.Pool{}
	gen := &contractfuzz.Generator{Rand: rand.New(rand.NewPCG(seed, seed>>1)), IDs: pool, Now: time.Now()}
	// The seeds first, then round-robin over the operations: case i of
	// every operation before case i+1 of any, each as the next role.
	queue := loadSeeds(t)
	seeds := len(queue)
	perOp := make([][]contractfuzz.Case, len(ops))
	for i, op := range ops {
		perOp[i] = gen.Cases(op)
		// Keep the valid request first; shuffle the mutations.
		rest := perOp[i][1:]
		gen.Rand.Shuffle(len(rest), func(a, b int) { rest[a], rest[b] = rest[b], rest[a] })
	}
	for round := 0; len(queue) < seeds+budget; round++ {
		added := false
		for i := range ops {
			if len(queue) >= seeds+budget {
				break
			}
			// Each operation's valid request goes out as every role.
			if round < len(fuzzRoles) {
				c := perOp[i][0]
				c.Role = fuzzRoles[round]
				queue = append(queue, c)
				added = true
				continue
			}
			j := 1 + (round-len(fuzzRoles))%max(len(perOp[i])-1, 1)
			if j >= len(perOp[i]) {
				continue
			}
			c := perOp[i][j]
			c.Role = fuzzRoles[gen.Rand.IntN(len(fuzzRoles))]
			if round%7 == 0 {
				// Fresh values for the valid parts now and then.
				c2 := gen.Cases(ops[i])
				c = c2[min(j, len(c2)-1)]
				c.Role = fuzzRoles[gen.Rand.IntN(len(fuzzRoles))]
			}
			queue = append(queue, c)
			added = true
		}
		if !added {
			break
		}
	}

	client := &http.Client{Timeout: 30 * time.Second}
	var (
		mu       sync.Mutex
		failures []contractfuzz.Result
		statuses = map[int]int{}
		covered  = map[string]bool{}
		fivexx   int
	)
	work := make(chan contractfuzz.Case)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				r := contracts[c.Service].Check(context.Background(), client, p.url(c.Service), tokens[c.Role], c)
				if r.Status >= 200 && r.Status < 300 {
					pool.Harvest(c.Service, r.Raw())
				}
				mu.Lock()
				statuses[r.Status]++
				covered[c.Service+"."+c.Operation] = true
				if r.Status >= 500 {
					fivexx++
				}
				if len(r.Failures) > 0 {
					failures = append(failures, r)
				}
				mu.Unlock()
			}
		}()
	}
	for _, c := range queue {
		work <- c
	}
	close(work)
	wg.Wait()

	codes := make([]int, 0, len(statuses))
	for s := range statuses {
		codes = append(codes, s)
	}
	sort.Ints(codes)
	var byStatus []string
	for _, s := range codes {
		byStatus = append(byStatus, fmt.Sprintf("%d×%d", s, statuses[s]))
	}
	t.Logf("contract fuzz: %d of %d operations covered, %d requests sent (%d seeds), %d answered 5xx, %d failed; statuses %s",
		len(covered), len(ops), len(queue), seeds, fivexx, len(failures), strings.Join(byStatus, " "))

	if fivexx > 0 {
		for _, s := range services {
			for _, line := range strings.Split(p.logs(s), "\n") {
				if strings.Contains(line, `"level":"ERROR"`) {
					t.Logf("%s: %s", s, short(line))
				}
			}
		}
	}
	if len(failures) == 0 {
		return
	}
	// Report each kind of failure once per operation, and keep a seed of it.
	seen := map[string]bool{}
	for _, f := range failures {
		kind := f.Case.Service + " " + f.Case.Operation + " " + firstWords(f.Failures[0])
		if seen[kind] {
			continue
		}
		seen[kind] = true
		file := keepSeed(t, f.Case)
		t.Errorf("%s %s %s?%s as %q (%s): %d in %s: %s\n\tbody: %s\n\tkept as %s",
			f.Case.Service, f.Case.Method, f.Case.Path, short(f.Case.Query), f.Case.Role, f.Case.What, f.Status, f.Took.Round(time.Millisecond),
			strings.Join(f.Failures, "; "), f.Body, file)
	}
}

// fuzzTokens mints a token for every role with the portal's own key: the
// demo data has no administrator to log in as.
func fuzzTokens(t *testing.T, p *platform) map[string]string {
	t.Helper()
	key, err := auth.LoadOrCreateSigningKey(filepath.Join(p.data, "portal", "keys", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	iss := auth.Issuer{Key: key, Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience}
	tokens := map[string]string{"": ""}
	for _, role := range fuzzRoles[1:] {
		pr := auth.Principal{Subject: "fuzz-" + role, Roles: []string{role}}
		if role == auth.RoleBusiness {
			pr.Org = "01930000-0000-7000-8000-00000000b001" // the demo CV Maju Jaya
		}
		tok, err := iss.Mint(pr, 2*time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = tok
	}
	return tokens
}

func loadSeeds(t *testing.T) []contractfuzz.Case {
	t.Helper()
	entries, err := os.ReadDir(seedDir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var cases []contractfuzz.Case
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(seedDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var c contractfuzz.Case
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("seed %s: %v", e.Name(), err)
		}
		cases = append(cases, c)
	}
	return cases
}

// keepSeed writes c under seedDir (named by its content) and returns the
// file's name.
func keepSeed(t *testing.T, c contractfuzz.Case) string {
	t.Helper()
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	name := filepath.Join(seedDir, c.Service+"-"+c.Operation+"-"+hex.EncodeToString(sum[:6])+".json")
	if err := os.MkdirAll(seedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func firstWords(s string) string {
	words := strings.Fields(s)
	return strings.Join(words[:min(len(words), 4)], " ")
}

func short(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}
