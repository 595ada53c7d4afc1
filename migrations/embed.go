// Package migrations holds Tack's SQL schema, one folder per database dialect, embedded for goose.
package migrations

import "embed"

// FS holds the migration files; use fs.Sub(FS, "sqlite3") for the SQLite dialect.
//
//go:embed sqlite3/*.sql
var FS embed.FS
