package events

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
)

// TestReplicatedStreamAndConsumerSurviveTheLossOfANode runs a stream at
// three replicas on a three-node cluster, with a consumer that takes its
// replica count from the stream, and stops the stream's leader mid-way:
// every event is still applied, once.
func TestReplicatedStreamAndConsumerSurviveTheLossOfANode(t *testing.T) {
	cluster := natstest.StartCluster(t, 3)
	js, err := jetstream.New(cluster.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	h := &harness{t: t, c: ctx, db: pgtest.New(t, nil), js: js}
	h.exec(`CREATE TABLE effect (
		pos bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		consumer text NOT NULL, event_id uuid NOT NULL, aggregate text NOT NULL, n integer NOT NULL)`)
	if err := EnsureStream(ctx, js, testStream, []string{"test.>"}, WithReplicas(3)); err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	info := stream.CachedInfo()
	if c := info.Config; c.Replicas != 3 || c.MaxAge != DefaultStreamMaxAge || c.MaxBytes != DefaultStreamMaxBytes || c.Discard != jetstream.DiscardNew {
		t.Fatalf("stream config: replicas %d, max age %s, max bytes %d, discard %v", c.Replicas, c.MaxAge, c.MaxBytes, c.Discard)
	}

	h.startRelay(NewRelay(h.db.DB, js, nil, h.fastRelay()))
	h.startConsumer(ConsumerConfig{Durable: "replicated"}, recordEffect("replicated"))
	for i := range 20 {
		h.enqueue("test.happened", payload{Aggregate: "a", N: i})
	}
	h.waitFor("the first 20 events", func() bool { return h.count(`SELECT count(*) FROM effect`) == 20 })
	cons, err := stream.Consumer(ctx, "replicated")
	if err != nil {
		t.Fatal(err)
	}
	if got := cons.CachedInfo().Config.Replicas; got != 3 {
		t.Fatalf("consumer replicas = %d, want the stream's 3", got)
	}

	info, err = stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream cluster info: %+v", info.Cluster)
	}
	leader := cluster.ByName(info.Cluster.Leader)
	if leader == nil {
		t.Fatalf("no server named %q", info.Cluster.Leader)
	}
	leader.Shutdown()

	for i := 20; i < 40; i++ {
		h.enqueue("test.happened", payload{Aggregate: "a", N: i})
	}
	deadline := time.Now().Add(time.Minute)
	for h.count(`SELECT count(*) FROM effect`) < 40 {
		if time.Now().After(deadline) {
			t.Fatalf("after the leader %s stopped, %d of 40 events applied", info.Cluster.Leader, h.count(`SELECT count(*) FROM effect`))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := h.count(`SELECT count(DISTINCT event_id) FROM effect`); n != 40 || h.count(`SELECT count(*) FROM effect`) != 40 {
		t.Fatalf("%d distinct events in %d effects, want 40 applied once", n, h.count(`SELECT count(*) FROM effect`))
	}
}
