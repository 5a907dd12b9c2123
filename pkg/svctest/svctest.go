// Package svctest starts a service's real run function on a free port for a
// test, waits until it is ready, and stops it (checking it exits cleanly)
// when the test ends.
package svctest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// RunFunc is the signature of every service's run.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error

// Service is a running service.
type Service struct {
	URL    string // http://127.0.0.1:port
	Addr   string
	cancel context.CancelFunc
	done   chan error
	out    *syncBuffer
	once   sync.Once
	err    error
}

// Start runs the service with env (HTTP_ADDR is set to a free port) and
// waits up to a minute for /readyz to answer 200.
func Start(t testing.TB, run RunFunc, env map[string]string) *Service {
	t.Helper()
	addr := FreeAddr(t)
	vars := map[string]string{"HTTP_ADDR": addr, "LOG_LEVEL": "warn", "DATA_DIR": t.TempDir()}
	for k, v := range env {
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{URL: "http://" + addr, Addr: addr, cancel: cancel, done: make(chan error, 1), out: &syncBuffer{}}
	go func() { s.done <- run(ctx, nil, getenv, s.out) }()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("service did not stop cleanly: %v\n%s", err, s.out.String())
		}
	})
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.once.Do(func() { s.err = err })
			t.Fatalf("service exited while starting: %v\n%s", err, s.out.String())
		default:
		}
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("service not ready within a minute\n%s", s.out.String())
	return nil
}

// Stop cancels the service's context (as SIGTERM does) and returns what run
// returned.
func (s *Service) Stop() error {
	s.once.Do(func() {
		s.cancel()
		select {
		case s.err = <-s.done:
		case <-time.After(time.Minute):
			s.err = fmt.Errorf("run did not return within a minute of cancellation")
		}
	})
	return s.err
}

// Output returns what the service has logged so far.
func (s *Service) Output() string { return s.out.String() }

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
