package events

import (
	"sync"
	"testing"
	"time"

	"gerbang/pkg/pgtest"
)

// TestPruneDeletesOnlyRowsPastTheirRetentionWhileReplicasPruneTogether
// fills the inbox with more old rows than one batch and prunes it from
// three "replicas" at once: the old rows are gone, each deleted by one of
// them, and the recent ones stay.
func TestPruneDeletesOnlyRowsPastTheirRetentionWhileReplicasPruneTogether(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := t.Context()
	const old, recent = 3*pruneBatch + 17, 50
	if _, err := db.ExecContext(ctx, `
		INSERT INTO inbox (consumer, event_id, processed_at)
		SELECT 'c', gen_random_uuid(), now() - interval '31 days' - g * interval '1 second' FROM generate_series(1, $1) g`, old); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO inbox (consumer, event_id, processed_at)
		SELECT 'c', gen_random_uuid(), now() - interval '29 days' FROM generate_series(1, $1)`, recent); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var deleted int64
	for range 3 {
		wg.Go(func() {
			n, err := PruneInbox(ctx, db.DB, DefaultInboxRetention)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			deleted += n
			mu.Unlock()
		})
	}
	wg.Wait()
	// A replica that skipped locked rows may stop before the others finish;
	// one more pass finds nothing left.
	n, err := PruneInbox(ctx, db.DB, DefaultInboxRetention)
	if err != nil {
		t.Fatal(err)
	}
	deleted += n
	var left int
	if err := db.GetContext(ctx, &left, `SELECT count(*) FROM inbox`); err != nil {
		t.Fatal(err)
	}
	if deleted != old || left != recent {
		t.Fatalf("deleted %d, left %d; want %d deleted and %d left", deleted, left, old, recent)
	}
}

func TestPruneDeadLettersByTheirReplayOrFailure(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := t.Context()
	rows := []struct {
		failedAgo, replayedAgo time.Duration // replayedAgo 0: never replayed
		kept                   bool
	}{
		{failedAgo: 100 * 24 * time.Hour, kept: false},                                 // pending, past retention
		{failedAgo: 10 * 24 * time.Hour, kept: true},                                   // pending, recent
		{failedAgo: 100 * 24 * time.Hour, replayedAgo: 95 * 24 * time.Hour},            // replayed long ago
		{failedAgo: 100 * 24 * time.Hour, replayedAgo: 5 * 24 * time.Hour, kept: true}, // replayed lately
	}
	for i, r := range rows {
		var replayed *time.Time
		if r.replayedAgo > 0 {
			at := time.Now().Add(-r.replayedAgo)
			replayed = &at
		}
		if _, err := db.ExecContext(ctx, `
			INSERT INTO dead_letter (consumer, stream, stream_seq, subject, payload, error, deliveries, failed_at, replayed_at)
			VALUES ('c', 'S', $1, 's', '\x00', 'e', 5, $2, $3)`, i, time.Now().Add(-r.failedAgo), replayed); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := PruneDeadLetters(ctx, db.DB, DefaultDeadLetterRetention); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM dead_letter WHERE stream_seq = $1`, i); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != r.kept {
			t.Errorf("dead letter %d (failed %s ago, replayed %s ago): kept = %v, want %v", i, r.failedAgo, r.replayedAgo, n == 1, r.kept)
		}
	}
}
