// Package natstest runs an embedded NATS server with JetStream for one test,
// on a free port of 127.0.0.1, with its store in the test's temporary folder.
// It can be stopped and started again on the same port and store, for tests
// of what happens while NATS is down.
package natstest

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Server is an embedded NATS JetStream server.
type Server struct {
	t    testing.TB
	opts *server.Options
	srv  *server.Server
	URL  string
}

// Start starts a server that is shut down when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	opts := &server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoLog:     true,
		NoSigs:    true,
	}
	s := &Server{t: t, opts: opts}
	s.start()
	// Restarts keep the port the first start was given.
	s.opts.Port = s.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(s.Shutdown)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	srv, err := server.NewServer(s.opts)
	if err != nil {
		s.t.Fatalf("natstest: new server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatalf("natstest: server not ready")
	}
	s.srv = srv
	s.URL = srv.ClientURL()
}

// Shutdown stops the server (clients see it as down).
func (s *Server) Shutdown() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

// Restart starts a stopped server again on the same port and store.
func (s *Server) Restart() {
	s.t.Helper()
	if s.srv != nil {
		return
	}
	s.start()
}

// Connect returns a client connection that reconnects for ever, closed when
// the test ends.
func (s *Server) Connect() *nats.Conn {
	s.t.Helper()
	nc, err := nats.Connect(s.URL,
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond),
		nats.RetryOnFailedConnect(true),
	)
	if err != nil {
		s.t.Fatalf("natstest: connect: %v", err)
	}
	s.t.Cleanup(nc.Close)
	return nc
}

// JetStream returns a JetStream context on a new connection.
func (s *Server) JetStream() (jetstream.JetStream, *nats.Conn) {
	s.t.Helper()
	nc := s.Connect()
	js, err := jetstream.New(nc)
	if err != nil {
		s.t.Fatalf("natstest: jetstream: %v", err)
	}
	return js, nc
}

func (s *Server) String() string { return fmt.Sprintf("nats %s", s.URL) }
