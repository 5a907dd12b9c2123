// Package dbx opens a service's PostgreSQL database (creating it when
// missing), applies its migrations under a lock, runs transactions, and maps
// PostgreSQL constraint errors to apperr codes in one place.
package dbx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/tracing"
)

// DefaultURL is the embedded default: the local PostgreSQL with the role
// that `make run` and `make test` create.
func DefaultURL(database string) string {
	return "postgres://gerbang:gerbang@127.0.0.1:5432/" + database + "?sslmode=disable"
}

// DefaultMaxConns is the pool size of Open.
const DefaultMaxConns = 32

// Open connects to the database named in dsn, creating it first when it does
// not exist, with a pool of DefaultMaxConns. Two processes creating the same
// database at once both succeed.
func Open(ctx context.Context, dsn string) (*sqlx.DB, error) {
	return OpenPool(ctx, dsn, DefaultMaxConns)
}

// OpenPool is Open with a pool of maxConns connections.
func OpenPool(ctx context.Context, dsn string, maxConns int) (*sqlx.DB, error) {
	if err := EnsureDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ping %s: %w", redact(dsn), err)
	}
	return db, nil
}

// EnsureDatabase creates the database named in dsn when it is missing, by
// connecting to the maintenance database "postgres" with the same credentials.
func EnsureDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return errors.New("database url names no database")
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := sql.Open("postgres", admin.String())
	if err != nil {
		return fmt.Errorf("open maintenance database: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q at %s: %w", name, redact(dsn), err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && (pqErr.Code == "42P04" || pqErr.Code == "23505") {
		return nil // another instance created it at the same moment
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// WithTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise (and on panic).
func WithTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) (err error) {
	ctx, span := tracing.StartInternal(ctx, "transaction")
	defer func() { tracing.End(span, err) }()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Constraint errors of PostgreSQL, by SQLSTATE.
const (
	UniqueViolation     = "23505"
	ForeignKeyViolation = "23503"
	CheckViolation      = "23514"
	NotNullViolation    = "23502"
	SerializationFail   = "40001"
	DeadlockDetected    = "40P01"
)

// SQLState returns the SQLSTATE of a PostgreSQL error, or "".
func SQLState(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}

// Constraint returns the constraint named by a PostgreSQL error, or "".
func Constraint(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Constraint
	}
	return ""
}

// MapConstraint turns a constraint violation into an apperr (unique → conflict,
// foreign key/check/not null → invalid) with the given message; other errors
// pass through unchanged.
func MapConstraint(err error, message string) error {
	switch SQLState(err) {
	case UniqueViolation:
		return &apperr.Error{Code: apperr.Conflict, Message: message, Err: err}
	case ForeignKeyViolation, CheckViolation, NotNullViolation:
		return &apperr.Error{Code: apperr.Invalid, Message: message, Err: err}
	}
	return err
}

// IsNoRows reports whether err means a query found no row.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}

// IsUnavailable reports whether err means the database could not be reached
// or went away under the query (PostgreSQL restarting or shutting down, the
// connection refused or cut), as opposed to a query it refused: the caller
// may try again in a moment, unchanged.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch code := string(pqErr.Code); {
		case strings.HasPrefix(code, "08"): // connection exception
			return true
		case code == "57P01", code == "57P02", code == "57P03": // admin shutdown, crash shutdown, cannot connect now
			return true
		case code == "53300": // too many connections
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr)
}
