package app_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// countingConnector opens lib/pq connections that count the statements
// sent through them.
type countingConnector struct {
	url string
	n   *atomic.Int64
}

func (c countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := pq.Open(c.url)
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: conn, n: c.n}, nil
}

func (c countingConnector) Driver() driver.Driver { return pq.Driver{} }

type countingConn struct {
	driver.Conn
	n *atomic.Int64
}

func (c countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

// TestOpenDataPageTakesAFixedNumberOfQueries reads pages of the open-data
// feed of 1 and of 5 tenders (opened, awarded, amended among them) through
// a connection that counts statements: both take the same number, one for
// the tenders and one each for addenda, openings, opened bids, awards and
// contracts.
func TestOpenDataPageTakesAFixedNumberOfQueries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var n atomic.Int64
	db := sqlx.NewDb(sql.OpenDB(countingConnector{url: f.db.URL, n: &n}), "postgres")
	defer db.Close()
	counted := app.New(postgres.New(db), domain.KEK{}, f.priv, "k", f.clock)

	opened, _ := f.evaluated(terms())
	queries := func(limit int) int64 {
		t.Helper()
		n.Store(0)
		ps, _, err := counted.OpenProcesses(ctx, limit, nil)
		if err != nil || len(ps) != limit {
			t.Fatalf("%d processes (%v), want %d", len(ps), err, limit)
		}
		return n.Load()
	}
	one := queries(1)
	for range 3 {
		tn := f.tendering(termsFrom(f.clock.Now()))
		if _, _, err := f.svc.AmendTender(ctx, officer("pokja-1"), tn.ID, 0, tn.Terms); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(time.Hour)
	f.tendering(termsFrom(f.clock.Now()))
	five := queries(5)
	if one != five || one != 6 {
		t.Fatalf("a page of 1 tender took %d queries, of 5 tenders %d; want 6 each", one, five)
	}
	p, err := counted.OpenProcess(ctx, opened.ID)
	if err != nil || p.Opening == nil || len(p.Opening.Bids) != 3 {
		t.Fatalf("the opened tender's open data: %+v %v", p.Opening, err)
	}
}
