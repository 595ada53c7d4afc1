// Package migrations holds Tack's SQL schema, one folder per database dialect, embedded for goose.
package migrations

import "embed"

// FS holds the migration files: fs.Sub(FS, "sqlite3") for SQLite, fs.Sub(FS,
// "postgres") for PostgreSQL. The two folders hold the same numbered migrations.
//
//go:embed sqlite3/*.sql postgres/*.sql
var FS embed.FS
