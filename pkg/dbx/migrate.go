package dbx

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// platformMigrations are the tables of the shared platform code that every
// service database holds: outbox, inbox, dead letters, idempotency keys, audit.
//
//go:embed migrations/*.sql
var platformMigrations embed.FS

// Advisory lock ids of the two migration sets; any two instances of a service
// starting together serialise on them.
const (
	platformLockID = 0x6765726261_01 // "gerba" + 1
	serviceLockID  = 0x6765726261_02
)

// Migrate applies the platform migrations and then the service's own (a
// filesystem whose root holds goose SQL files), each under a PostgreSQL
// session lock so that instances starting at the same moment all come up.
func Migrate(ctx context.Context, db *sqlx.DB, service fs.FS, log *slog.Logger) error {
	if err := migrate(ctx, db, PlatformMigrations(), "goose_platform_version", platformLockID, log); err != nil {
		return fmt.Errorf("platform migrations: %w", err)
	}
	if service == nil {
		return nil
	}
	if err := migrate(ctx, db, service, "goose_db_version", serviceLockID, log); err != nil {
		return fmt.Errorf("service migrations: %w", err)
	}
	return nil
}

func migrate(ctx context.Context, db *sqlx.DB, fsys fs.FS, table string, lockID int64, log *slog.Logger) error {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db.DB, fsys,
		goose.WithSessionLocker(locker),
		goose.WithTableName(table),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return err
	}
	for _, r := range results {
		if log != nil {
			log.Info("migration applied", "table", table, "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration.String())
		}
	}
	return nil
}

// PlatformMigrations returns the platform's migration files (for tests that
// build templates from them).
func PlatformMigrations() fs.FS {
	sub, err := fs.Sub(platformMigrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return sub
}
