// Package migrations holds the portal service's goose SQL migrations, embedded
// into the binary and applied at start (pkg/dbx.Migrate).
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
