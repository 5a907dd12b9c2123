package events

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultDuplicateWindow is how long a stream remembers message ids. It is
// longer than DefaultMaxBackoff, the relay's longest wait between two
// attempts at a row, so a row whose publish was acknowledged too late for the
// relay is dropped by JetStream when the relay sends it again.
const DefaultDuplicateWindow = 2 * time.Minute

// Retention of a stream. Each number has a reason:
//
//   - DefaultStreamMaxAge, 14 days: the longest a consumer may stay away
//     (a replica set scaled to zero, a service broken over Lebaran's
//     collective leave of up to ten days and a weekend) and still find every
//     event it has not acked. The consumers' own redelivery window (five
//     deliveries, backoff 1 s, 5 s, 30 s, 2 min, ack wait 30 s) is minutes.
//   - DefaultStreamMaxBytes, 4 GiB: three streams at that size are 12 GiB
//     on every NATS node, inside deploy/k8s's 20 GiB volume with room for
//     the raft logs and consumer state. At about 1 KiB an event it holds
//     some four million events, 14 days of the busiest day we plan for
//     (a bid rush and a morning of applications) many times over.
//
// A full stream refuses new messages (DiscardNew) instead of dropping old
// ones a consumer may still need: the relay keeps the rows pending in the
// outbox and retries, so nothing committed is lost while an operator acts.
const (
	DefaultStreamMaxAge   = 14 * 24 * time.Hour
	DefaultStreamMaxBytes = 4 << 30
)

// StreamOption changes the stream configuration EnsureStream applies.
type StreamOption func(*jetstream.StreamConfig)

// WithDuplicateWindow sets the stream's duplicate window (tests use a short
// one to show that the inbox, not the window, is what stops duplicates).
func WithDuplicateWindow(d time.Duration) StreamOption {
	return func(c *jetstream.StreamConfig) { c.Duplicates = d }
}

// WithReplicas sets how many NATS servers hold the stream: 1 on a single
// server, 3 in a cluster (so that it survives the loss of one node).
func WithReplicas(n int) StreamOption {
	return func(c *jetstream.StreamConfig) {
		if n > 0 {
			c.Replicas = n
		}
	}
}

// WithLimits sets the stream's retention by age and size (zero keeps the
// default).
func WithLimits(maxAge time.Duration, maxBytes int64) StreamOption {
	return func(c *jetstream.StreamConfig) {
		if maxAge > 0 {
			c.MaxAge = maxAge
		}
		if maxBytes > 0 {
			c.MaxBytes = maxBytes
		}
	}
}

// EnsureStream creates the stream, or updates it to this configuration:
// file storage, the given subjects, one replica, DefaultStreamMaxAge and
// DefaultStreamMaxBytes with DiscardNew, and a duplicate window of
// DefaultDuplicateWindow, unless an option says otherwise.
func EnsureStream(ctx context.Context, js jetstream.JetStream, name string, subjects []string, opts ...StreamOption) error {
	cfg := jetstream.StreamConfig{
		Name:       name,
		Subjects:   subjects,
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardNew,
		MaxAge:     DefaultStreamMaxAge,
		MaxBytes:   DefaultStreamMaxBytes,
		Replicas:   1,
		Duplicates: DefaultDuplicateWindow,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("ensure stream %s (%d replicas): %w", name, cfg.Replicas, err)
	}
	return nil
}
