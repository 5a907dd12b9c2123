package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gerbang/pkg/svctest"
)

// ownPostgres is a PostgreSQL server of one test: initdb into a temporary
// directory, listening on a free loopback port, so that restarting it
// touches no other test (nor the shared server on 5432).
type ownPostgres struct {
	t    *testing.T
	bin  string // the directory of initdb and pg_ctl
	dir  string
	data string
	port int
	opts string   // the server's options, given again at each start
	as   []string // runs a command as the server's OS user (root may not run PostgreSQL)
}

// startOwnPostgres initialises and starts a server that is stopped and
// removed when the test ends.
func startOwnPostgres(t *testing.T) *ownPostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("no initdb under /usr/lib/postgresql/*/bin: install PostgreSQL (make test does)")
	}
	sort.Strings(bins)
	dir, err := os.MkdirTemp("", "gerbang-pg-")
	if err != nil {
		t.Fatal(err)
	}
	addr := svctest.FreeAddr(t)
	port, _ := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
	pg := &ownPostgres{t: t, bin: filepath.Dir(bins[len(bins)-1]), dir: dir, data: filepath.Join(dir, "data"), port: port}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs an unprivileged user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		pg.as = []string{"runuser", "-u", "postgres", "--"}
	}
	t.Cleanup(func() {
		pg.ctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	pg.run("initdb", "-D", pg.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	pg.opts = fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300", port, dir)
	pg.start()
	return pg
}

// url is the connection URL of database name (created by the service).
func (pg *ownPostgres) url(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, name)
}

func (pg *ownPostgres) run(name string, args ...string) []byte {
	pg.t.Helper()
	argv := append(append(append([]string{}, pg.as...), filepath.Join(pg.bin, name)), args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		pg.t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return out
}

// ctl runs pg_ctl on the server's data directory and waits for it (-w).
func (pg *ownPostgres) ctl(action string, args ...string) ([]byte, error) {
	// -l at every action that starts the server: otherwise it would keep
	// this command's output open, and the wait for it would never end.
	argv := append(append([]string{}, pg.as...), filepath.Join(pg.bin, "pg_ctl"), action, "-D", pg.data, "-w", "-t", "60", "-l", filepath.Join(pg.dir, "log"))
	argv = append(argv, args...)
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}

// must runs pg_ctl and fails the test when it fails.
func (pg *ownPostgres) must(action string, args ...string) {
	pg.t.Helper()
	if out, err := pg.ctl(action, args...); err != nil {
		pg.t.Fatalf("pg_ctl %s: %v\n%s\n%s", action, err, out, pg.log())
	}
}

// start starts the (stopped) server.
func (pg *ownPostgres) start() {
	pg.t.Helper()
	pg.must("start", "-o", pg.opts)
}

func (pg *ownPostgres) log() string {
	b, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
	return string(b)
}

var uuidInPath = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// unavailableAnswers checks, as they come, the answers of requests that need
// the database while it restarts: a 5xx must be a 503 problem with
// Retry-After, never a 500.
type unavailableAnswers struct {
	mu       sync.Mutex
	answers  int
	refusals map[string]int // "<method> <path pattern>" -> 503s seen
	failures []string
}

func (u *unavailableAnswers) observe(req *http.Request, resp *http.Response) {
	if req.URL.Path == "/readyz" {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.answers++
	if resp.StatusCode < 500 {
		return
	}
	what := req.Method + " " + req.URL.Path
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		u.failures = append(u.failures, fmt.Sprintf("%s: %d, Retry-After %q, %s", what, resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type")))
		return
	}
	u.refusals[req.Method+" "+uuidInPath.ReplaceAllString(req.URL.Path, ":id")]++
}
