package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/svctest"
)

// services in the order they start: the portal first, for its key set.
var services = []string{"portal", "licensing", "tender", "payment"}

// platform is the four services running as processes.
type platform struct {
	t     testing.TB
	bin   string
	nats  *natstest.Server // nil when the test runs NATS itself
	procs map[string]*process
	data  string // each service's DATA_DIR is data/<service>
	// instances names the processes of each service; turn picks the next
	// of several.
	instances map[string][]string
	turn      atomic.Uint64
	// observe, when set, sees every answer do receives (from several
	// goroutines at once).
	observe func(req *http.Request, resp *http.Response)
}

type process struct {
	name    string // the instance: the service, or <service>-<n> of several
	service string // the command it runs
	url     string
	env     []string
	cmd     *exec.Cmd
	out     *lockedBuffer
	done    chan error
}

// repoRoot is two levels above this file's package.
func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// build compiles the four commands once per test binary.
var buildOnce sync.Once
var buildDir string
var buildErr error

func buildServices(t testing.TB) string {
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "gerbang-e2e-bin-")
		if buildErr != nil {
			return
		}
		root := repoRoot(t)
		for _, s := range services {
			args := []string{"build", "-o", filepath.Join(buildDir, s)}
			if raceEnabled { // the services are built as the tests are: with -race under make test, without for make bench
				args = append(args, "-race")
			}
			cmd := exec.Command("go", append(args, "./cmd/"+s)...)
			cmd.Dir = filepath.Join(root, "services", s)
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", s, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

// startPlatform starts the four services, each with a database of its own
// and one shared NATS, and waits until all are ready.
func startPlatform(t testing.TB, extra map[string]string) *platform {
	t.Helper()
	return startPlatformWith(t, platformOptions{databaseURL: func(string) string { return pgtest.EmptyURL(t) }, extra: extra})
}

// platformOptions change how startPlatformWith runs the services.
type platformOptions struct {
	databaseURL func(service string) string // default: an empty database of the shared PostgreSQL per service
	natsURL     string                      // default: an embedded NATS of the test's own
	replicas    map[string]int              // instances per service, default 1
	extra       map[string]string           // more environment for every instance
}

// startPlatformOn is startPlatform with each service's database URL given
// by databaseURL (for a test that runs its own PostgreSQL).
func startPlatformOn(t testing.TB, databaseURL func(service string) string, extra map[string]string) *platform {
	t.Helper()
	return startPlatformWith(t, platformOptions{databaseURL: databaseURL, extra: extra})
}

// startPlatformWith starts the services as o says. A service with several
// instances has them named <service>-1, <service>-2, ... (for start and
// kill), sharing its database and data directory (its keys); requests to
// the service go to its instances in turn, as behind a load balancer.
func startPlatformWith(t testing.TB, o platformOptions) *platform {
	t.Helper()
	p := &platform{t: t, bin: buildServices(t), procs: map[string]*process{}, instances: map[string][]string{}}
	natsURL := o.natsURL
	if natsURL == "" {
		p.nats = natstest.Start(t)
		natsURL = p.nats.URL
	}
	data := t.TempDir()
	p.data = data
	addrs := map[string]string{}
	for _, s := range services {
		n := max(o.replicas[s], 1)
		for i := range n {
			name := s
			if n > 1 {
				name = fmt.Sprintf("%s-%d", s, i+1)
			}
			p.instances[s] = append(p.instances[s], name)
			addrs[name] = svctest.FreeAddr(t)
		}
	}
	first := func(s string) string { return addrs[p.instances[s][0]] }
	for _, s := range services {
		dbURL := o.databaseURL(s)
		for _, name := range p.instances[s] {
			env := []string{
				"HTTP_ADDR=" + addrs[name],
				"DATABASE_URL=" + dbURL,
				"NATS_URL=" + natsURL,
				"JWKS_URL=http://" + first("portal") + "/.well-known/jwks.json",
				"DATA_DIR=" + filepath.Join(data, s),
				"LOG_LEVEL=warn",
				"DEMO_ACCOUNTS=true",
				"PASSWORD_HASH_COST=4",
				"LOGIN_LIMIT_PER_IP=1000",
				"SANDBOX_GATEWAY=true",
				"LICENSING_URL=http://" + first("licensing"),
				"TENDER_URL=http://" + first("tender"),
				"PAYMENT_URL=http://" + first("payment"),
			}
			for k, v := range o.extra {
				env = append(env, k+"="+v)
			}
			p.procs[name] = &process{name: name, service: s, url: "http://" + addrs[name], env: env}
		}
	}
	for _, s := range services {
		for _, name := range p.instances[s] {
			p.start(name) // one after the other: the first creates the keys the others share
		}
	}
	t.Cleanup(p.stopAll)
	return p
}

// url is the address of an instance, or of the next instance of a service.
func (p *platform) url(name string) string {
	if inst := p.instances[name]; len(inst) > 1 {
		return p.procs[inst[int(p.turn.Add(1))%len(inst)]].url
	}
	if inst := p.instances[name]; len(inst) == 1 {
		return p.procs[inst[0]].url
	}
	return p.procs[name].url
}

// start starts (or starts again) one service and waits for /readyz.
func (p *platform) start(service string) {
	p.t.Helper()
	pr := p.procs[service]
	pr.out = &lockedBuffer{}
	pr.cmd = exec.Command(filepath.Join(p.bin, pr.service))
	pr.cmd.Env = append(os.Environ(), pr.env...)
	pr.cmd.Stdout, pr.cmd.Stderr = pr.out, pr.out
	if err := pr.cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", service, err)
	}
	pr.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(pr.cmd, pr.done)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := p.get(service, "/readyz", ""); code == http.StatusOK {
			return
		}
		select {
		case err := <-pr.done:
			p.t.Fatalf("%s exited while starting: %v\n%s", service, err, pr.out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	p.t.Fatalf("%s not ready within 90s\n%s", service, pr.out.String())
}

// signal sends sig to a service and returns how it exited.
func (p *platform) signal(service string, sig syscall.Signal) error {
	pr := p.procs[service]
	if err := pr.cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case err := <-pr.done:
		pr.done = nil
		return err
	case <-time.After(60 * time.Second):
		return fmt.Errorf("%s did not exit within 60s of %v", service, sig)
	}
}

// kill sends SIGKILL to a service and waits for it to die; p.start starts
// it again with the same environment and database.
func (p *platform) kill(service string) {
	p.t.Helper()
	err := p.signal(service, syscall.SIGKILL)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		p.t.Fatalf("%s on SIGKILL: %v, want killed by the signal", service, err)
	}
}

func (p *platform) stopAll() {
	for s, pr := range p.procs {
		if pr.done == nil {
			continue
		}
		if err := p.signal(s, syscall.SIGTERM); err != nil {
			p.t.Errorf("%s did not stop cleanly on SIGTERM: %v\n%s", s, err, pr.out.String())
		}
	}
}

// do sends a JSON request (body nil for none) with an optional bearer token
// and returns the status and the body.
func (p *platform) do(method, service, path, token string, body any, headers ...string) (int, []byte) {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			p.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, p.url(service)+path, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	if p.observe != nil {
		p.observe(req, resp)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (p *platform) get(service, path, token string) (int, []byte) {
	return p.do(http.MethodGet, service, path, token, nil)
}

// login signs in a demo account at the portal and returns its token.
func (p *platform) login(email string) string {
	p.t.Helper()
	code, body := p.do(http.MethodPost, "portal", "/api/auth/token", "", map[string]string{"email": email, "password": "demo12345"})
	if code != http.StatusOK {
		p.t.Fatalf("login %s: %d %s", email, code, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		p.t.Fatalf("login %s: %s", email, body)
	}
	return tok.AccessToken
}

// eventually polls cond for up to 30 s.
func (p *platform) eventually(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			var logs strings.Builder
			for _, s := range services {
				fmt.Fprintf(&logs, "--- %s\n%s", s, p.logs(s))
			}
			p.t.Fatalf("%s: not within 30s\n%s", what, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logs returns a service's output so far, for failure messages.
func (p *platform) logs(service string) string {
	var b strings.Builder
	for _, name := range p.instances[service] {
		fmt.Fprintf(&b, "[%s]\n%s", name, p.procs[name].out.String())
	}
	return b.String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(b)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the JSON log lines of a service whose msg is msg.
func (l *lockedBuffer) lines(msg string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"msg":"`+msg+`"`) {
			out = append(out, sc.Text())
		}
	}
	return out
}
