package audit

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/clock"
	"gerbang/pkg/dbx"
)

// sealerLockID is the transaction-level advisory lock that lets one sealer
// advance the chain at a time. Writers never take it.
const sealerLockID int64 = 0x6765726261_0a5d // "gerba" + audit sealer

// SealerOptions tunes a Sealer; zero values take the defaults.
type SealerOptions struct {
	Interval           time.Duration // between polls in Run; default 500 ms
	BatchSize          int           // records sealed per transaction; default 500
	CheckpointEvery    int           // records between checkpoints; default 1000
	CheckpointInterval time.Duration // longest time records stay unsigned; default 1 min
	Clock              clock.Clock   // checkpoint times; default clock.System
}

func (o SealerOptions) withDefaults() SealerOptions {
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 1000
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = time.Minute
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	return o
}

// Sealer links committed audit records into the hash chain and signs
// checkpoints. Every instance of a service may run one; they take turns.
type Sealer struct {
	db     *sqlx.DB
	signer Signer
	log    *slog.Logger
	opts   SealerOptions
}

// NewSealer returns a sealer of the audit trail in db, signing checkpoints
// with signer. log may be nil.
func NewSealer(db *sqlx.DB, signer Signer, log *slog.Logger, opts SealerOptions) (*Sealer, error) {
	if err := signer.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sealer{db: db, signer: signer, log: log, opts: opts.withDefaults()}, nil
}

// Run seals every Interval until ctx ends, then returns nil. A failed round
// is logged and tried again at the next tick.
func (s *Sealer) Run(ctx context.Context) error {
	ticker := time.NewTicker(s.opts.Interval)
	defer ticker.Stop()
	for {
		if _, err := s.SealOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "audit sealing failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// SealOnce chains every record sealable now (those whose transaction is
// older than every open one) and writes the checkpoints that are due. It
// returns how many records it chained.
func (s *Sealer) SealOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.sealBatch(ctx)
		total += n
		if err != nil {
			return total, err
		}
		if n < s.opts.BatchSize {
			return total, nil
		}
	}
}

// chainHead is the last chain row, or the genesis when the chain is empty.
type chainHead struct {
	Position  int64
	Hash      []byte
	RecordXid int64
	RecordID  int64
}

func (s *Sealer) sealBatch(ctx context.Context) (int, error) {
	sealed := 0
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		sealed = 0
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, sealerLockID); err != nil {
			return fmt.Errorf("audit: take the sealer lock: %w", err)
		}
		head := chainHead{Hash: genesisHash()}
		err := tx.QueryRowContext(ctx, `
			SELECT position, hash, record_xid, record_id FROM audit_chain ORDER BY position DESC LIMIT 1`).
			Scan(&head.Position, &head.Hash, &head.RecordXid, &head.RecordID)
		if err != nil && !dbx.IsNoRows(err) {
			return fmt.Errorf("audit: read the chain head: %w", err)
		}
		lastCp := checkpoint{}
		err = tx.QueryRowContext(ctx, `
			SELECT position, created_at FROM audit_checkpoint ORDER BY position DESC LIMIT 1`).
			Scan(&lastCp.Position, &lastCp.CreatedAt)
		if err != nil && !dbx.IsNoRows(err) {
			return fmt.Errorf("audit: read the last checkpoint: %w", err)
		}

		// Every transaction below the horizon has ended, and no new one can
		// start below it: what is sealed here can never be preceded later.
		var horizon int64
		if err := tx.QueryRowContext(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())`).Scan(&horizon); err != nil {
			return fmt.Errorf("audit: read the snapshot horizon: %w", err)
		}
		records, err := sealable(ctx, tx, head, horizon, s.opts.BatchSize)
		if err != nil {
			return err
		}

		var links chainRows
		var checkpoints []checkpoint
		now := s.opts.Clock.Now()
		for i := range records {
			r := &records[i]
			hash := linkHash(head.Hash, r)
			links.add(head.Position+1, r, head.Hash, hash)
			head = chainHead{Position: head.Position + 1, Hash: hash, RecordXid: r.Xid, RecordID: r.ID}
			if head.Position-lastCp.Position >= int64(s.opts.CheckpointEvery) {
				lastCp = s.signer.sign(head.Position, hash, now)
				checkpoints = append(checkpoints, lastCp)
			}
		}
		if head.Position > lastCp.Position && (lastCp.Position == 0 || now.Sub(lastCp.CreatedAt) >= s.opts.CheckpointInterval) {
			checkpoints = append(checkpoints, s.signer.sign(head.Position, head.Hash, now))
		}
		if err := links.insert(ctx, tx); err != nil {
			return err
		}
		for _, c := range checkpoints {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO audit_checkpoint (position, hash, created_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)`,
				c.Position, c.Hash, c.CreatedAt, c.KeyID, c.Signature); err != nil {
				return fmt.Errorf("audit: write checkpoint at %d: %w", c.Position, err)
			}
		}
		sealed = len(records)
		if sealed > 0 || len(checkpoints) > 0 {
			s.log.DebugContext(ctx, "audit chain sealed", "records", sealed, "head", head.Position, "checkpoints", len(checkpoints), "horizon", horizon)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return sealed, nil
}

// sealable reads, in chain order, the records after head whose transaction
// is below the horizon.
func sealable(ctx context.Context, tx *sqlx.Tx, head chainHead, horizon int64, limit int) ([]storedRecord, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT `+recordColumns+` FROM audit_record r
		WHERE (r.xid, r.id) > ($1::text::xid8, $2) AND r.xid < $3::text::xid8
		ORDER BY r.xid, r.id
		LIMIT $4`, head.RecordXid, head.RecordID, horizon, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: read sealable records: %w", err)
	}
	defer rows.Close()
	var records []storedRecord
	for rows.Next() {
		var r storedRecord
		if err := rows.Scan(r.scanTargets()...); err != nil {
			return nil, fmt.Errorf("audit: read sealable records: %w", err)
		}
		records = append(records, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read sealable records: %w", err)
	}
	return records, nil
}

// chainRows collects new chain rows for one INSERT.
type chainRows struct {
	positions, recordIDs []int64
	recordXids           pq.Int64Array
	prevHashes, hashes   pq.ByteaArray
}

func (c *chainRows) add(position int64, r *storedRecord, prev, hash []byte) {
	c.positions = append(c.positions, position)
	c.recordIDs = append(c.recordIDs, r.ID)
	c.recordXids = append(c.recordXids, r.Xid)
	c.prevHashes = append(c.prevHashes, prev)
	c.hashes = append(c.hashes, hash)
}

func (c *chainRows) insert(ctx context.Context, tx *sqlx.Tx) error {
	if len(c.positions) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO audit_chain (position, record_id, record_xid, prev_hash, hash)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[]::xid8[], $4::bytea[], $5::bytea[])`,
		pq.Int64Array(c.positions), pq.Int64Array(c.recordIDs), c.recordXids, c.prevHashes, c.hashes)
	if err != nil {
		return fmt.Errorf("audit: chain records at %d..%d: %w", c.positions[0], c.positions[len(c.positions)-1], err)
	}
	return nil
}
