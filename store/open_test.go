package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/migrations"
)

// testOpen are the options of stores under test: cheap password hashes.
var testOpen = OpenOptions{PasswordCost: bcrypt.MinCost}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// assertPragmas checks that every connection of pool has the settings the DSN asks for.
func assertPragmas(t *testing.T, pool *sqlx.DB, name string) {
	t.Helper()
	ctx := context.Background()
	// Hold two connections at once where the pool allows it, so a second connection's
	// settings are checked too.
	n := min(2, max(pool.Stats().MaxOpenConnections, 1))
	var conns []*sql.Conn
	for range n {
		c, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		for pragma, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "foreign_keys": "1"} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s pool, connection %d: PRAGMA %s: %v", name, i, pragma, err)
			}
			if got != want {
				t.Errorf("%s pool, connection %d: PRAGMA %s = %s, want %s", name, i, pragma, got, want)
			}
		}
	}
}

// A file name is a file name: '#', '?', '%', spaces and non-ASCII letters neither cut it
// short nor drop the settings that follow it in the URI.
func TestOpenPathIsTakenLiterally(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"dätä #1?x%20.db", "team#1.db", "what?.db", "100%.db", "with space.db", "%3F.db", "日本語.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			s, err := OpenWith(ctx, path, testOpen)
			if err != nil {
				t.Fatal(err)
			}
			mustSeedUser(t, s, "Ana")
			assertPragmas(t, s.write, "write")
			assertPragmas(t, s.read, "read")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() == 0 {
				t.Fatalf("the database was written elsewhere: %s is empty", path)
			}
			for _, n := range dirNames(t, dir) {
				if n != name && n != name+"-wal" && n != name+"-shm" {
					t.Errorf("opening %q also created %q", name, n)
				}
			}

			ro, err := OpenWith(ctx, path, OpenOptions{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			assertPragmas(t, ro.write, "read-only store's write")
			assertPragmas(t, ro.read, "read-only store's read")
			if _, err := ro.UserByEmail(ctx, "ana@test.tack"); err != nil {
				t.Errorf("the user written before is not in the file: %v", err)
			}
			// Replay attaches a rebuilt copy by URI: it must find it too.
			rep, err := ro.Replay(ctx, false)
			if err != nil || !rep.Identical() {
				t.Errorf("replay: %v\n%v", err, rep)
			}
		})
	}
}

// The example, relative to the working directory.
func TestOpenRelativePathWithHash(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := OpenWith(context.Background(), "./data/team#1.db", testOpen)
	if err != nil {
		t.Fatal(err)
	}
	assertPragmas(t, s.write, "write")
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, "data", "team#1.db")); err != nil {
		t.Errorf("data/team#1.db: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "team")); err == nil {
		t.Errorf("a file named team was created")
	}
}

func TestOpenErrorsNameTheCause(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	inTheWay := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(inTheWay, []byte("a file, not a directory\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "report.db")
	notDBContent := []byte("This is a text file that someone named .db by mistake.\n")
	if err := os.WriteFile(notDB, notDBContent, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		path     string
		o        OpenOptions
		want     []string
		notExist bool
	}{
		{"a file in the way of the directory", filepath.Join(inTheWay, "tack.db"), testOpen,
			[]string{"cannot create database", inTheWay + " is a file, not a directory"}, false},
		{"a file in the way, deeper", filepath.Join(inTheWay, "sub", "tack.db"), testOpen,
			[]string{"cannot create database", inTheWay + " is a file, not a directory"}, false},
		{"not a database", notDB, testOpen, []string{"cannot open database " + notDB, "file is not a database"}, false},
		{"not a database, read-only", notDB, OpenOptions{ReadOnly: true}, []string{"file is not a database"}, false},
		{"a directory", dir, testOpen, []string{"cannot open database " + dir, "is a directory"}, false},
		{"missing, must exist", filepath.Join(dir, "tack.db"), OpenOptions{MustExist: true}, []string{"no database at " + filepath.Join(dir, "tack.db")}, true},
		{"missing directory, must exist", filepath.Join(dir, "nodir", "tack.db"), OpenOptions{ReadOnly: true},
			[]string{"no database at", "directory " + filepath.Join(dir, "nodir") + " does not exist"}, true},
		{"a file in the way, must exist", filepath.Join(inTheWay, "tack.db"), OpenOptions{MustExist: true},
			[]string{"no database at", inTheWay + " is a file, not a directory"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := OpenWith(ctx, tc.path, tc.o)
			if err == nil {
				s.Close()
				t.Fatalf("opened %s", tc.path)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tc.notExist {
				t.Errorf("errors.Is(%q, fs.ErrNotExist) = %v", err, got)
			}
		})
	}
	if got, _ := os.ReadFile(notDB); !bytes.Equal(got, notDBContent) {
		t.Errorf("the file that is not a database was changed: %q", got)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"notes.txt", "report.db"}) {
		t.Errorf("failed opens left %v in the directory", names)
	}
}

// Permission errors, as the messages built from them. Tests run as root here, and
// root passes every permission check, so the message is checked from the error the
// system would give; as another user the real case is checked too.
func TestOpenPermissionDenied(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x", "tack.db")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"creating the file", createError(path, &fs.PathError{Op: "open", Path: path, Err: syscall.EACCES}),
			"cannot create database " + path + ": permission denied on directory " + filepath.Join(dir, "x")},
		{"creating its directory", createError(path, &fs.PathError{Op: "mkdir", Path: filepath.Join(dir, "x"), Err: syscall.EACCES}),
			"cannot create database " + path + ": permission denied on directory " + dir + " (creating " + filepath.Join(dir, "x") + ")"},
		{"a read-only file system", createError(path, &fs.PathError{Op: "open", Path: path, Err: syscall.EROFS}),
			"cannot create database " + path + ": the file system is read-only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err.Error() != tc.want {
				t.Errorf("message\n %q, want\n %q", tc.err, tc.want)
			}
			if !errors.Is(tc.err, syscall.EACCES) && !errors.Is(tc.err, syscall.EROFS) {
				t.Errorf("%q does not wrap the system's error", tc.err)
			}
		})
	}
	if os.Geteuid() == 0 {
		return
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "existing")
	t.Cleanup(func() { os.Chmod(existing, 0o755) })
	_, err := OpenWith(context.Background(), filepath.Join(ro, "tack.db"), testOpen)
	if err == nil || !strings.Contains(err.Error(), "cannot create database") || !strings.Contains(err.Error(), "permission denied on directory "+ro) {
		t.Errorf("create in a read-only directory: %v", err)
	}
	// An existing database in a read-only directory: WAL needs -wal and -shm beside it.
	s, err := OpenWith(context.Background(), filepath.Join(existing, "tack.db"), testOpen)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(existing, 0o555); err != nil {
		t.Fatal(err)
	}
	_, err = OpenWith(context.Background(), filepath.Join(existing, "tack.db"), testOpen)
	if err == nil || !strings.Contains(err.Error(), "permission denied on directory "+existing) {
		t.Errorf("open for writing in a read-only directory: %v", err)
	}
}

// fileState is what a read-only open must leave unchanged.
type fileState struct {
	content []byte
	modTime time.Time
}

func stateOf(t *testing.T, path string) fileState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{b, fi.ModTime()}
}

// A read-only copy (a 0444 file in a 0555 directory) opens read-only without
// migrating, answers queries, replays, and is not written to.
func TestOpenReadOnlyCopy(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "copy")
	path := filepath.Join(dir, "tack.db")
	s, err := OpenWith(ctx, path, testOpen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	before := stateOf(t, path)
	time.Sleep(10 * time.Millisecond) // so that a write would show in the modification time

	ro, err := OpenWith(ctx, path, OpenOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.UserByEmail(ctx, DemoUsers[0].Email); err != nil {
		t.Errorf("read: %v", err)
	}
	rep, err := ro.Replay(ctx, false)
	if err != nil || !rep.Identical() {
		t.Errorf("replay: %v\n%v", err, rep)
	}
	if _, err := ro.Replay(ctx, true); ErrorCode(err) != EINVALID {
		t.Errorf("replay --fix on a read-only store: %v, want EINVALID", err)
	}
	if _, err := ro.RegisterUser(ctx, NewUser{Email: "new@example.com", Name: "New", Password: "12345678"}); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("a write through a read-only store: %v, want SQLite's readonly refusal", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	after := stateOf(t, path)
	if !bytes.Equal(after.content, before.content) || !after.modTime.Equal(before.modTime) {
		t.Errorf("the read-only database changed: size %d → %d, mtime %v → %v", len(before.content), len(after.content), before.modTime, after.modTime)
	}
	// A read-only connection may make an (empty) -wal and -shm where it can; it never
	// writes to the log.
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("%s-wal holds %d bytes after a read-only open", path, fi.Size())
	}
	for _, n := range dirNames(t, dir) {
		if n != "tack.db" && n != "tack.db-wal" && n != "tack.db-shm" {
			t.Errorf("a read-only open left %s beside the database", n)
		}
	}
}

// migrateTo makes a database at path with the schema at version v, as a build of that
// version left it.
func migrateTo(t *testing.T, path string, v int64) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir, err := fs.Sub(migrations.FS, "sqlite3")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
}

func TestOpenWithoutMigrating(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	migrateTo(t, old, 1)
	before := stateOf(t, old)

	for _, o := range []OpenOptions{{ReadOnly: true}, {NoMigrate: true, MustExist: true}} {
		_, err := OpenWith(ctx, old, o)
		var se *SchemaError
		if !errors.As(err, &se) || se.Have != 1 || se.Want < 2 || se.Path != old {
			t.Fatalf("open %+v of a version-1 database: %v, want a SchemaError from 1", o, err)
		}
		if !strings.Contains(err.Error(), "older than this build") {
			t.Errorf("message %q does not say the database is older", err)
		}
	}
	if after := stateOf(t, old); !bytes.Equal(after.content, before.content) {
		t.Errorf("opening without migrating changed the database")
	}

	// Open migrates it; then it opens without migrating.
	s, err := OpenWith(ctx, old, testOpen)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	if err := s.read.Get(&want, `SELECT MAX(version_id) FROM goose_db_version`); err != nil {
		t.Fatal(err)
	}
	// A schema newer than the binary: another build migrated it further.
	if _, err := s.write.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)`, want+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = OpenWith(ctx, old, OpenOptions{ReadOnly: true})
	var se *SchemaError
	if !errors.As(err, &se) || se.Have != want+1 || se.Want != want || !strings.Contains(err.Error(), "newer") {
		t.Errorf("open of a newer schema: %v", err)
	}

	// An SQLite file that is not Tack's.
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite3", "file:"+other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := OpenWith(ctx, other, OpenOptions{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "not a Tack database") {
		t.Errorf("read-only open of another SQLite file: %v", err)
	}
}

func TestOpenRefusesABadPasswordCost(t *testing.T) {
	if _, err := OpenWith(context.Background(), filepath.Join(t.TempDir(), "x.db"), OpenOptions{PasswordCost: bcrypt.MaxCost + 1}); err == nil {
		t.Error("opened with a bcrypt cost above the maximum")
	}
}
