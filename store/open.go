package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/migrations"
)

// OpenOptions say how OpenWith treats the database file. The zero value is what `tack
// serve` needs: create the file if it is missing and apply migrations.
type OpenOptions struct {
	// MustExist refuses to create a missing database, so that a mistyped path is an
	// error rather than a new, empty database.
	MustExist bool

	// ReadOnly opens both connection pools read-only (SQLite mode=ro) and applies no
	// migration; it implies MustExist and NoMigrate. Every write fails.
	ReadOnly bool

	// NoMigrate applies no migration: OpenWith fails with a *SchemaError when the
	// database's schema is not the one this build expects.
	NoMigrate bool

	// PasswordCost is the bcrypt cost of password hashes; 0 means bcrypt.DefaultCost.
	// Tests use bcrypt.MinCost: a default-cost hash takes over a second under -race.
	PasswordCost int

	// OnStatement, when set, is called with the SQL of every statement either pool runs,
	// before it runs, from the goroutine that runs it: tests count and inspect queries
	// with it. It must be safe for concurrent use.
	OnStatement func(query string)

	// NoNotify (PostgreSQL) turns notifications off: write transactions send no NOTIFY
	// and the store holds no listening connection; it learns of other instances'
	// commits only by reading the log every PollInterval.
	NoNotify bool

	// PollInterval (PostgreSQL) is how often the store reads the log for other
	// instances' commits when no notification came; 0 means DefaultPollInterval.
	PollInterval time.Duration
}

// SchemaError is returned by OpenWith without migration when the database's schema
// version is not the one this build expects.
type SchemaError struct {
	Path string
	Have int64 // the database's schema version
	Want int64 // the version this build's migrations reach
}

func (e *SchemaError) Error() string {
	if e.Have < e.Want {
		return fmt.Sprintf("database %s has schema version %d, older than this build's %d: migrate it first", e.Path, e.Have, e.Want)
	}
	return fmt.Sprintf("database %s has schema version %d, newer than this build's %d: use a newer tack", e.Path, e.Have, e.Want)
}

// Open opens (creating if needed) the SQLite database at path, or the PostgreSQL
// database at a URL postgres://… or postgresql://…, and applies migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, OpenOptions{})
}

// OpenWith opens the SQLite database at path, or the PostgreSQL database at a URL
// postgres://… or postgresql://…, as o says. Errors about an SQLite file itself
// (missing, a missing or unwritable directory, not a database) name the cause.
func OpenWith(ctx context.Context, path string, o OpenOptions) (*Store, error) {
	if o.ReadOnly {
		o.MustExist, o.NoMigrate = true, true
	}
	if o.PasswordCost == 0 {
		o.PasswordCost = bcrypt.DefaultCost
	}
	if o.PasswordCost < bcrypt.MinCost || o.PasswordCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("store: password cost %d is outside bcrypt's %d..%d", o.PasswordCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if isPostgresURL(path) {
		return openPostgres(ctx, path, o)
	}
	created, err := prepareFile(path, o)
	if err != nil {
		return nil, err
	}
	s, err := openPools(ctx, path, o, false)
	if err != nil && o.ReadOnly && isReadOnlyRefusal(err) && walIsEmpty(path) {
		// SQLite refuses a read-only connection to a WAL database when it cannot
		// create the -shm file beside it (a read-only copy in a read-only directory).
		// With no log waiting in -wal the file alone holds every committed change, so
		// it is opened as immutable: no locks, no -shm.
		s, err = openPools(ctx, path, o, true)
	}
	if err != nil {
		if created {
			// Leave nothing behind for a database this call created and could not set up.
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}
		if isCantOpen(err) || isReadOnlyRefusal(err) {
			if cause := diagnoseDir(path); cause != nil {
				return nil, cause
			}
		}
		return nil, err
	}
	return s, nil
}

func openPools(ctx context.Context, path string, o OpenOptions, immutable bool) (*Store, error) {
	writeDSN, err := dsn(path, o.ReadOnly, immutable)
	if err != nil {
		return nil, err
	}
	readDSN, err := dsn(path, true, immutable)
	if err != nil {
		return nil, err
	}
	write, err := openPool(writeDSN, o.OnStatement)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if err := setUpSchema(ctx, sqliteDialect, write.DB, path, o); err != nil {
		write.Close()
		return nil, err
	}
	read, err := openPool(readDSN, o.OnStatement)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	if err := read.PingContext(ctx); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	s := &Store{write: write, read: read, path: path, d: sqliteDialect, readOnly: o.ReadOnly, passwordCost: o.PasswordCost, Now: time.Now}
	if !o.ReadOnly {
		// Checkpoints run beside the writer (see checkpoint.go); its own threshold is
		// only a backstop. The writer pool keeps its one connection open for good.
		_, err := write.ExecContext(ctx, fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, writerAutoCheckpoint))
		if err == nil {
			s.ckpt, err = startCheckpointer(writeDSN)
		}
		if err != nil {
			write.Close()
			read.Close()
			return nil, fmt.Errorf("store: open %s: checkpoints: %w", path, err)
		}
	}
	return s, nil
}

// openPool opens a connection pool on dsn; with watch set, every statement is reported
// to it before it runs.
func openPool(dsn string, watch func(query string)) (*sqlx.DB, error) {
	if watch == nil {
		return sqlx.Open("sqlite3", dsn)
	}
	c := &watchedConnector{dsn: dsn, driver: &sqlite3.SQLiteDriver{}, watch: watch}
	return sqlx.NewDb(sql.OpenDB(c), "sqlite3"), nil
}

// dsn is the go-sqlite3 data source name for the database file at path: a file: URI
// whose parameters apply to every pooled connection. immutable (read-only only) tells
// SQLite that nothing changes the file while it is open.
func dsn(path string, readOnly, immutable bool) (string, error) {
	q := url.Values{}
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	// Statements are kept prepared on each connection and reused: preparing one costs
	// more than running most of them.
	q.Set("_stmt_cache_size", "64")
	if readOnly {
		// The journal mode is the file's: a read-only connection cannot set it, and the
		// writer has already made it WAL.
		q.Set("mode", "ro")
		if immutable {
			q.Set("immutable", "1")
		}
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_txlock", "immediate")
	}
	return fileURI(path, q)
}

// fileURI returns an SQLite file: URI naming exactly the file at path. The path is made
// absolute (a relative one would read as the URI's authority) and percent-encoded, so
// that '#', '?' and '%' in a file name stay part of it: unescaped, go-sqlite3 would take
// the parameters from the first '?' on, and SQLite would cut the name at '#'. SQLite
// decodes the %XX escapes back into the file name's bytes.
func fileURI(path string, q url.Values) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("store: database path %s: %w", path, err)
	}
	abs = filepath.ToSlash(abs)
	if abs[0] != '/' {
		abs = "/" + abs // a Windows drive letter: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String(), nil
}

// openPostgres opens the PostgreSQL database at url as o says: a writer pool (whose
// transactions serialise on the write lock, see postgresDialect) and a reader pool.
// The database must exist; MustExist changes nothing. ReadOnly makes every transaction
// of both pools read-only.
func openPostgres(ctx context.Context, rawURL string, o OpenOptions) (*Store, error) {
	name := redactURL(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	if o.ReadOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	pool := func() (*sqlx.DB, *rebindingConnector) {
		c := &rebindingConnector{Connector: stdlib.GetConnector(*cfg)}
		return sqlx.NewDb(sql.OpenDB(c), "pgx"), c
	}
	write, wc := pool()
	write.SetMaxOpenConns(4)
	write.SetMaxIdleConns(4)
	if err := setUpSchema(ctx, postgresDialect, write.DB, name, o); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	// Statements are reported once the schema is in place: goose's own (one of them a
	// "SELECT 1 FROM pg_tables …") are not the store's. Nothing else uses the pool yet.
	wc.watch = o.OnStatement
	read, rc := pool()
	rc.watch = o.OnStatement
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	s := &Store{write: write, read: read, path: name, d: postgresDialect, readOnly: o.ReadOnly, passwordCost: o.PasswordCost, Now: time.Now}
	if !o.ReadOnly {
		// Other instances' commits reach this one's listeners (see follow.go).
		var listen *pgx.ConnConfig
		if !o.NoNotify {
			listen = cfg.Copy()
		}
		if s.follow, err = startFollower(ctx, s, listen, o.PollInterval); err != nil {
			write.Close()
			read.Close()
			return nil, fmt.Errorf("store: open %s: %w", name, err)
		}
	}
	return s, nil
}

// redactURL is url with its password, if any, replaced by xxxxx: how the store names
// a PostgreSQL database in messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the PostgreSQL database"
	}
	return u.Redacted()
}

// setUpSchema migrates the database named name, or with o.NoMigrate checks that it
// needs no migration.
func setUpSchema(ctx context.Context, d *dialect, db *sql.DB, name string, o OpenOptions) error {
	if o.NoMigrate {
		return checkSchema(ctx, d, db, name)
	}
	return migrate(ctx, d, db)
}

func migrate(ctx context.Context, d *dialect, db *sql.DB) error {
	p, err := migrationProvider(d, db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

func migrationProvider(d *dialect, db *sql.DB) (*goose.Provider, error) {
	dir, err := fs.Sub(migrations.FS, d.folder)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var opts []goose.ProviderOption
	if d.postgres {
		// Several instances may start at once on one database: the first to take this
		// session lock migrates, the others wait (retrying every second, up to five
		// minutes) and then find nothing left to do.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(d.goose, db, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// checkSchema returns a *SchemaError unless the database's schema version is the one
// this build's migrations reach. It only reads.
func checkSchema(ctx context.Context, d *dialect, db *sql.DB, path string) error {
	var tables int
	err := db.QueryRowContext(ctx, d.schemaTable, "goose_db_version").Scan(&tables)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	if tables == 0 {
		return &fileError{msg: fmt.Sprintf("%s is not a Tack database (it has no schema version table)", path)}
	}
	p, err := migrationProvider(d, db)
	if err != nil {
		return err
	}
	have, want, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("store: schema version of %s: %w", path, err)
	}
	if have != want {
		return &SchemaError{Path: path, Have: have, Want: want}
	}
	return nil
}

// fileError is a problem with the database file or its directory, said for people.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// prepareFile checks the database file before SQLite opens it, so that a failure names
// its cause (SQLite reports most as "unable to open database file"), and creates it and
// its directory when that is allowed. It reports whether it created the file.
func prepareFile(path string, o OpenOptions) (created bool, err error) {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return false, &fileError{msg: fmt.Sprintf("cannot open database %s: it is a directory", path)}
	case err == nil:
		return false, checkFile(path, !o.ReadOnly)
	case o.MustExist:
		return false, missingError(path, err)
	}
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return false, openError(path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, createError(path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return false, createError(path, err)
	}
	// SQLite takes an empty file for an empty database.
	return true, f.Close()
}

// checkFile makes sure the existing file at path is readable (and writable when write is
// set) and starts like an SQLite database. An empty file is a new, empty database.
func checkFile(path string, write bool) error {
	f, err := os.Open(path)
	if err != nil {
		return openError(path, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return openError(path, err)
	}
	if n > 0 && (n < len(sqliteHeader) || string(head) != sqliteHeader) {
		return &fileError{msg: fmt.Sprintf("cannot open database %s: file is not a database (it is not an SQLite file)", path)}
	}
	if write {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return &fileError{msg: fmt.Sprintf("cannot open database %s for writing: %s", path, cause(path, err)), err: err}
		}
		w.Close()
	}
	return nil
}

// missingError says that no database is at path, and why when a directory is missing.
func missingError(path string, err error) error {
	msg := "no database at " + path
	if dir := filepath.Dir(path); errors.Is(err, syscall.ENOTDIR) {
		msg += ": " + blocker(dir) + " is a file, not a directory"
	} else if _, derr := os.Stat(dir); errors.Is(derr, fs.ErrNotExist) {
		msg += ": directory " + dir + " does not exist"
	} else if !errors.Is(err, fs.ErrNotExist) {
		msg += ": " + cause(path, err)
	}
	return &fileError{msg: msg, err: errors.Join(fs.ErrNotExist, err)}
}

// openError describes a failure to open the existing database file at path.
func openError(path string, err error) error {
	return &fileError{msg: fmt.Sprintf("cannot open database %s: %s", path, cause(path, err)), err: err}
}

// createError describes a failure to create the database file at path or its directory.
func createError(path string, err error) error {
	return &fileError{msg: fmt.Sprintf("cannot create database %s: %s", path, cause(path, err)), err: err}
}

// cause names the reason err gave for the database file at path in words that point
// at what to fix: which directory refuses, which file is in the way.
func cause(path string, err error) string {
	failed := path
	var pe *fs.PathError
	if errors.As(err, &pe) {
		failed = pe.Path
	}
	switch {
	case errors.Is(err, fs.ErrPermission) && pe != nil && pe.Op == "mkdir":
		return "permission denied on directory " + filepath.Dir(pe.Path) + " (creating " + pe.Path + ")"
	case errors.Is(err, fs.ErrPermission):
		if failed == path {
			if _, serr := os.Stat(path); serr == nil {
				return "permission denied on " + path
			}
			failed = filepath.Dir(path)
		}
		return "permission denied on directory " + failed
	case errors.Is(err, syscall.ENOTDIR):
		return blocker(filepath.Dir(path)) + " is a file, not a directory"
	case errors.Is(err, syscall.EROFS):
		return "the file system is read-only"
	case errors.Is(err, fs.ErrNotExist):
		return "directory " + filepath.Dir(path) + " does not exist"
	}
	if pe != nil {
		return pe.Err.Error()
	}
	return err.Error()
}

// blocker returns the nearest ancestor of dir (or dir itself) that exists but is not a
// directory, or dir when there is none.
func blocker(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil {
			if !fi.IsDir() {
				return d
			}
			return dir
		}
		if parent := filepath.Dir(d); parent == d {
			return dir
		}
	}
}

// isReadOnlyRefusal reports whether err is SQLite's "attempt to write a readonly database".
func isReadOnlyRefusal(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrReadonly
}

// walIsEmpty reports whether the database at path has no write-ahead log waiting.
func walIsEmpty(path string) bool {
	fi, err := os.Stat(path + "-wal")
	return errors.Is(err, fs.ErrNotExist) || err == nil && fi.Size() == 0
}

// isCantOpen reports whether err is SQLite's "unable to open database file".
func isCantOpen(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrCantOpen
}

// diagnoseDir finds why SQLite could not open the file at path (it says "unable to open
// database file" or "attempt to write a readonly database"): in WAL mode it also needs
// to create path-wal and path-shm beside it. It returns nil when it finds no cause.
func diagnoseDir(path string) error {
	dir := filepath.Dir(path)
	probe, err := os.CreateTemp(dir, ".tack-probe-*")
	if err == nil {
		probe.Close()
		os.Remove(probe.Name())
		return nil
	}
	reason := err.Error()
	switch {
	case errors.Is(err, fs.ErrPermission):
		reason = "permission denied on directory " + dir
	case errors.Is(err, syscall.EROFS):
		reason = "the file system is read-only"
	}
	return &fileError{
		msg: fmt.Sprintf("cannot open database %s: %s (SQLite needs to create %s-wal and %s-shm beside it)", path, reason, path, path),
		err: err,
	}
}
