package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"gerbang/pkg/svctest"
)

// natsCluster is three nats-server processes clustered on loopback ports,
// JetStream on each, so that a test can kill one with SIGKILL.
type natsCluster struct {
	t     *testing.T
	bin   string
	nodes []*natsNode
}

type natsNode struct {
	name, conf, url string
	cmd             *exec.Cmd
	done            chan error
	out             *lockedBuffer
}

// startNATSCluster starts n nats-server processes (the nats-server on PATH,
// Debian's package) and waits until JetStream answers through each.
func startNATSCluster(t *testing.T, n int) *natsCluster {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Fatal("nats-server is not on PATH: apt-get install nats-server (make test does)")
	}
	c := &natsCluster{t: t, bin: bin}
	dir := t.TempDir()
	routes := make([]string, n)
	routePorts := make([]string, n)
	for i := range n {
		routePorts[i] = svctest.FreeAddr(t)
		routes[i] = "nats://" + routePorts[i]
	}
	for i := range n {
		name := fmt.Sprintf("n%d", i+1)
		client := svctest.FreeAddr(t)
		conf := filepath.Join(dir, name+".conf")
		body := fmt.Sprintf("server_name: %s\nlisten: %s\njetstream { store_dir: %q }\ncluster { name: gerbang, listen: %s, routes: [%s] }\n",
			name, client, filepath.Join(dir, name), routePorts[i], strings.Join(routes, ", "))
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, &natsNode{name: name, conf: conf, url: "nats://" + client})
	}
	for _, node := range c.nodes {
		c.start(node)
	}
	t.Cleanup(func() {
		for _, node := range c.nodes {
			if node.done != nil {
				node.cmd.Process.Signal(syscall.SIGTERM)
				<-node.done
			}
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for _, node := range c.nodes {
		for !jetStreamAnswers(node.url) {
			if time.Now().After(deadline) {
				t.Fatalf("NATS cluster: JetStream not ready through %s\n%s", node.name, node.out.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return c
}

func jetStreamAnswers(url string) bool {
	nc, err := nats.Connect(url, nats.Timeout(time.Second))
	if err != nil {
		return false
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		return false
	}
	_, err = js.AccountInfo(nats.MaxWait(time.Second))
	return err == nil
}

// URL lists every node, for clients that move to another when one goes.
func (c *natsCluster) URL() string {
	urls := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		urls[i] = n.url
	}
	return strings.Join(urls, ",")
}

func (c *natsCluster) start(node *natsNode) {
	c.t.Helper()
	node.out = &lockedBuffer{}
	node.cmd = exec.Command(c.bin, "-c", node.conf)
	node.cmd.Stdout, node.cmd.Stderr = node.out, node.out
	if err := node.cmd.Start(); err != nil {
		c.t.Fatalf("start nats %s: %v", node.name, err)
	}
	node.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(node.cmd, node.done)
}

// kill sends SIGKILL to a node and waits for it to die.
func (c *natsCluster) kill(node *natsNode) {
	c.t.Helper()
	if err := node.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	err := <-node.done
	node.done = nil
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		c.t.Fatalf("nats %s on SIGKILL: %v", node.name, err)
	}
}
