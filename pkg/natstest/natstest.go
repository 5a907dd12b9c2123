// Package natstest runs an embedded NATS server with JetStream for one test,
// on a free port of 127.0.0.1, with its store in the test's temporary folder.
// It can be stopped and started again on the same port and store, for tests
// of what happens while NATS is down.
package natstest

import (
	"context"
	"fmt"
	"net"
	"strings"
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

// Cluster is n embedded JetStream servers routed to each other on loopback
// ports, for tests of replicated streams.
type Cluster struct {
	Servers []*Server
	URL     string // every server's client URL, comma-separated
}

// StartCluster starts a cluster of n servers that is shut down when the test
// ends; it returns once JetStream has a meta leader.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	routePorts := make([]int, n)
	routes := make([]string, n)
	for i := range routePorts {
		routePorts[i] = freePort(t)
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", routePorts[i])
	}
	c := &Cluster{}
	urls := make([]string, n)
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       freePort(t),
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "gerbang", Host: "127.0.0.1", Port: routePorts[i]},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		}
		s := &Server{t: t, opts: opts}
		s.start()
		t.Cleanup(s.Shutdown)
		c.Servers = append(c.Servers, s)
		urls[i] = s.URL
	}
	c.URL = strings.Join(urls, ",")
	deadline := time.Now().Add(30 * time.Second)
	for {
		js, nc := c.Servers[0].JetStream()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		nc.Close()
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("natstest: cluster has no JetStream leader: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ByName returns the server of the cluster named name (n1, n2, ...).
func (c *Cluster) ByName(name string) *Server {
	for _, s := range c.Servers {
		if s.opts.ServerName == name {
			return s
		}
	}
	return nil
}

// Connect returns a connection to any server of the cluster, reconnecting to
// another when one stops.
func (c *Cluster) Connect(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(c.URL, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("natstest: connect to cluster: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// freePort returns a loopback TCP port nobody listens on just now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("natstest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
