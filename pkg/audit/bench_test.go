package audit

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/dbx"
	"gerbang/pkg/pgtest"
)

// BenchmarkRecord measures writes of one audit record per transaction from
// parallel writers, alone and with two sealers running beside them.
func BenchmarkRecord(b *testing.B) {
	for _, sealing := range []bool{false, true} {
		name := "alone"
		if sealing {
			name = "while_sealing"
		}
		b.Run(name, func(b *testing.B) {
			db := pgtest.New(b, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if sealing {
				signer, _ := testKey(b, "k1")
				for range 2 {
					s, err := NewSealer(db.DB, signer, nil, SealerOptions{Interval: 200 * time.Millisecond})
					if err != nil {
						b.Fatal(err)
					}
					go s.Run(ctx)
				}
			}
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				e := sampleEntry(1)
				for pb.Next() {
					err := dbx.WithTx(context.Background(), db.DB, func(tx *sqlx.Tx) error { return Record(context.Background(), tx, e) })
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkSeal measures chaining a backlog of records.
func BenchmarkSeal(b *testing.B) {
	db := pgtest.New(b, nil)
	signer, _ := testKey(b, "k1")
	s, err := NewSealer(db.DB, signer, nil, SealerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		if _, err := db.Exec(`INSERT INTO audit_record (actor, action, entity_type, entity_id, after)
			SELECT 'u', 'application.approve', 'application', g::text, jsonb_build_object('status', 'approved', 'n', g)
			FROM generate_series(1, 1000) g`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for sealed := 0; sealed < 1000; {
			n, err := s.SealOnce(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			sealed += n
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/record")
}
