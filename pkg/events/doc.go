// Package events is Gerbang's event backbone: CloudEvents 1.0 envelopes on
// NATS JetStream, produced through a transactional outbox and consumed
// idempotently.
//
// Producing. A service writes its state change and its events in one
// PostgreSQL transaction (Enqueue). A Relay in the same process publishes
// committed rows with their event id as Nats-Msg-Id, waits for JetStream's
// acks and only then marks them sent. So:
//
//   - an event exists if and only if its transaction committed;
//   - a committed event is published at least once, however long NATS is
//     away (rows stay pending and are retried with capped exponential
//     backoff) and whenever the relay dies (the batch is claimed again);
//   - a copy published again is dropped by JetStream inside the stream's
//     duplicate window (EnsureStream: 2 min, above the relay's 30 s
//     backoff cap), and by the consumers' inbox after it;
//   - the events of one aggregate are published in the order their
//     transactions wrote them, by any number of relays (replicas): a row
//     goes out only when every earlier unsent row of its aggregate is
//     sent or goes out ahead of it in the same batch, and a failed row
//     holds back its own aggregate only.
//
// Relays wake on a NOTIFY at commit and otherwise poll (every few
// milliseconds while events flow, every PollInterval when idle). Enqueue
// skips its NOTIFY while a relay is polling fast, because PostgreSQL
// commits notifying transactions one at a time.
//
// Consuming. Consume runs a durable pull consumer with explicit acks. Each
// event's handler runs in a transaction that also inserts (consumer, event
// id) into the inbox; an event already there is acked and skipped. So an
// event is applied at most once per consumer, and, since it is acked only
// after the commit, at least once. Messages are handled in stream order
// (with Concurrency > 1, in order per CloudEvents subject); several that
// arrive together share a transaction. A handler error rolls
// back and the message is redelivered after a backoff; after MaxDeliver
// deliveries, or at once for an undecodable message or a Permanent error,
// it is stored in dead_letter and terminated. An operator lists them with
// DeadLetters and replays one with ReplayDeadLetter, which still goes
// through the inbox.
//
// Streams take their replica count and retention from the service's
// configuration (EnsureStream with WithReplicas, WithLimits); a consumer
// takes its stream's replica count. RunPruner deletes inbox and dead-letter
// rows past their retention (prune.go says why each number is what it is).
//
// The tables (outbox, inbox, dead_letter) come with the platform
// migrations of pkg/dbx.
package events
