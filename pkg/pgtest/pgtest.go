// Package pgtest gives each test a fresh PostgreSQL database of its own,
// cloned from a template that holds the migrated schema, and drops it when
// the test ends. It needs a running PostgreSQL: when none answers, the test
// fails with a message saying how to get one; it never skips.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/dbx"
)

// AdminURLEnv names the variable that overrides the maintenance database URL.
const AdminURLEnv = "GERBANG_TEST_DATABASE_URL"

// DB is a test's own database.
type DB struct {
	*sqlx.DB
	Name string
	URL  string // connection URL, for starting a service against it
}

var templates sync.Map // template name -> *sync.Once result

type templateResult struct {
	once sync.Once
	err  error
}

// New returns a fresh database holding the platform tables and the given
// service migrations (nil for the platform tables alone).
func New(t testing.TB, migrations fs.FS) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := adminURL()
	adminDB := connectAdmin(t, admin)

	tpl, err := templateName(migrations)
	if err != nil {
		t.Fatalf("pgtest: hash migrations: %v", err)
	}
	v, _ := templates.LoadOrStore(tpl, &templateResult{})
	res := v.(*templateResult)
	res.once.Do(func() { res.err = buildTemplate(ctx, adminDB, admin, tpl, migrations) })
	if res.err != nil {
		t.Fatalf("pgtest: build template %s: %v", tpl, res.err)
	}

	name := "gerbang_test_" + randomSuffix()
	if _, err := adminDB.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pq.QuoteIdentifier(name), pq.QuoteIdentifier(tpl))); err != nil {
		t.Fatalf("pgtest: create database from template: %v", err)
	}
	u := withDatabase(admin, name)
	db, err := sqlx.Open("postgres", u)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", name, err)
	}
	// PostgreSQL's connection slots are shared by every test package running
	// at once; a test needing more sets its own limit.
	db.SetMaxOpenConns(16)
	t.Cleanup(func() {
		db.Close()
		dropDatabase(adminDB, name)
		adminDB.Close()
	})
	return &DB{DB: db, Name: name, URL: u}
}

// EmptyURL returns the URL of a database that does not exist yet (for
// testing that a service creates its own); it is dropped when the test ends.
func EmptyURL(t testing.TB) string {
	t.Helper()
	admin := adminURL()
	adminDB := connectAdmin(t, admin)
	name := "gerbang_test_" + randomSuffix()
	t.Cleanup(func() {
		dropDatabase(adminDB, name)
		adminDB.Close()
	})
	return withDatabase(admin, name)
}

// AdminURL returns the maintenance database URL that tests use.
func AdminURL() string { return adminURL() }

func adminURL() string {
	if u := os.Getenv(AdminURLEnv); u != "" {
		return u
	}
	return dbx.DefaultURL("postgres")
}

func connectAdmin(t testing.TB, admin string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Fatalf("pgtest: PostgreSQL is needed and did not answer at %s: %v\n"+
			"Run `make test` (it installs and starts PostgreSQL and creates the gerbang role), "+
			"or run deploy/local/prepare.sh, or set %s to a server where the role may create databases.",
			redacted(admin), err, AdminURLEnv)
	}
	return db
}

func buildTemplate(ctx context.Context, adminDB *sql.DB, admin, tpl string, migrations fs.FS) error {
	// Test packages run as parallel processes: serialise template building.
	conn, err := adminDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	h := fnv.New64a()
	h.Write([]byte(tpl))
	key := int64(h.Sum64() >> 1)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key)

	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, tpl).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	// A half-built template from a crashed run is rebuilt.
	dropDatabase(adminDB, tpl)
	building := tpl
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(building)); err != nil {
		return err
	}
	db, err := sqlx.Open("postgres", withDatabase(admin, building))
	if err != nil {
		return err
	}
	err = dbx.Migrate(ctx, db, migrations, nil)
	db.Close()
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(building)+" WITH IS_TEMPLATE true")
	return err
}

func dropDatabase(adminDB *sql.DB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adminDB.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(name)+" WITH IS_TEMPLATE false")
	adminDB.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
}

// templateName is derived from the content of every migration, so a changed
// migration gets a new template.
func templateName(migrations fs.FS) (string, error) {
	h := sha256.New()
	if err := hashFS(h, dbx.PlatformMigrations()); err != nil {
		return "", err
	}
	if migrations != nil {
		if err := hashFS(h, migrations); err != nil {
			return "", err
		}
	}
	return "gerbang_tpl_" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

func hashFS(h io.Writer, fsys fs.FS) error {
	var names []string
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return nil
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
