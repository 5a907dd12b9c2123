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

// StreamOption changes the stream configuration EnsureStream applies.
type StreamOption func(*jetstream.StreamConfig)

// WithDuplicateWindow sets the stream's duplicate window (tests use a short
// one to show that the inbox, not the window, is what stops duplicates).
func WithDuplicateWindow(d time.Duration) StreamOption {
	return func(c *jetstream.StreamConfig) { c.Duplicates = d }
}

// EnsureStream creates the stream, or updates it to this configuration:
// file storage, the given subjects, and a duplicate window of
// DefaultDuplicateWindow unless an option says otherwise.
func EnsureStream(ctx context.Context, js jetstream.JetStream, name string, subjects []string, opts ...StreamOption) error {
	cfg := jetstream.StreamConfig{
		Name:       name,
		Subjects:   subjects,
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Duplicates: DefaultDuplicateWindow,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("ensure stream %s: %w", name, err)
	}
	return nil
}
