package store

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/store/pgtest"
)

// The store's tests run once per backend: TestMain runs the whole suite on each in
// turn, and mustOpenStore (openTestStore) opens a fresh database of the current one.
var backends = []*backend{
	{name: "sqlite", start: func() error { return nil }, fresh: freshSQLite, skip: postgresOnly},
	{name: "postgres", start: startPostgres, fresh: freshPostgres, skip: sqliteOnly},
}

// sqliteOnly are the tests about SQLite itself, not run on PostgreSQL (each says why).
var sqliteOnly = []string{
	// The database file: paths, permissions, read-only copies, WAL checkpoints, PRAGMAs.
	"TestOpenPathIsTakenLiterally", "TestOpenRelativePathWithHash", "TestOpenErrorsNameTheCause",
	"TestOpenPermissionDenied", "TestOpenReadOnlyCopy", "TestOpenWithoutMigrating",
	"TestCheckpointsRunBesideTheWriter", "TestReadOnlyStoreHasNoCheckpointer",
	// Migrations taken down and up on a file with SQLite's own connection.
	"TestColumnCategoryMigration", "TestWorklogMigration",
	// SQLite's query plans (EXPLAIN QUERY PLAN): which index a statement uses.
	"TestCardQueriesUseTheBoardIndex", "TestPlaceReadsOnlyNeighbours", "TestTimesheetUsesIndexes",
}

// postgresOnly are the tests about PostgreSQL itself, not run on SQLite: several
// instances on one database, and copying an SQLite database into PostgreSQL.
var postgresOnly = []string{
	"TestEveryInstanceHearsEveryPosition", "TestRemoteCommitBeforeLocalOne",
	"TestReconnectedListenerCatchesUp", "TestCloseStopsTheFollower", "TestInstancesStartingAtOnceMigrateOnce",
	"TestCopyDemoAndGeneratedLog", "TestCopyRefusesANonEmptyTarget",
	"TestCopyIntoAnUnmigratedDatabase", "TestCopyTwiceAtOnce",
	"BenchmarkFollowLatency", "BenchmarkCommitNotify", "BenchmarkCopy",
}

// backend is a database the store's tests run on.
type backend struct {
	name  string
	start func() error                       // once, before its pass
	fresh func(t testing.TB) (string, error) // a new, empty (migrated or not) database: path or URL
	skip  []string                           // tests not run on it

	created  int           // databases made by fresh
	creating time.Duration // and the time it took
}

// current is the backend of the pass running.
var current *backend

func TestMain(m *testing.M) {
	flag.Parse()
	userSkip := flag.Lookup("test.skip").Value.String()
	code := 0
	for _, b := range backends {
		if err := b.start(); err != nil {
			if errors.Is(err, pgtest.ErrNoBinaries) && os.Getenv("CI") != "true" {
				fmt.Printf("store: skipping the %s pass: %v\n", b.name, err)
				continue
			}
			fmt.Printf("store: FAIL: cannot run the %s pass: %v\n", b.name, err)
			code = 1
			continue
		}
		current = b
		skip := userSkip
		if len(b.skip) > 0 {
			own := "^(" + strings.Join(b.skip, "|") + ")$"
			if skip != "" {
				own = skip + "|" + own
			}
			skip = own
		}
		flag.Set("test.skip", skip)
		fmt.Printf("store: === the store tests on %s (%d tests about the other backend left out)\n", b.name, len(b.skip))
		began := time.Now()
		if m.Run() != 0 {
			code = 1
		}
		fmt.Printf("store: the %s pass took %v", b.name, time.Since(began).Round(time.Millisecond))
		if b.created > 0 {
			fmt.Printf("; %d fresh databases, %v each on average", b.created, (b.creating / time.Duration(b.created)).Round(10*time.Microsecond))
		}
		fmt.Println()
	}
	stopPostgres()
	os.Exit(code)
}

func freshSQLite(t testing.TB) (string, error) {
	return filepath.Join(t.TempDir(), "tack.db"), nil
}

// pg is the test binary's PostgreSQL server; pgTemplate is a migrated database that
// each test's database is copied from, made a few ahead by pgDatabases.
var (
	pg          *pgtest.Server
	pgDatabases *pgtest.Supply
)

const pgTemplate = "tack_template"

func startPostgres() error {
	var err error
	if pg, err = pgtest.Start(); err != nil {
		return err
	}
	err = pg.CreateTemplate(context.Background(), pgTemplate, func(url string) error {
		s, err := Open(context.Background(), url)
		if err != nil {
			return err
		}
		return s.Close()
	})
	if err != nil {
		return err
	}
	pgDatabases = pg.Supply(pgTemplate, 3)
	return nil
}

func stopPostgres() {
	if pgDatabases != nil {
		pgDatabases.Close()
	}
	if pg != nil {
		pg.Stop()
	}
}

func freshPostgres(t testing.TB) (string, error) {
	url, done, err := pgDatabases.Take()
	if err != nil {
		return "", err
	}
	t.Cleanup(done) // dropped in the background, closing what the test left open
	return url, nil
}

// freshDatabase returns a new database of the current backend, removed after the test.
func freshDatabase(t testing.TB) string {
	t.Helper()
	began := time.Now()
	db, err := current.fresh(t)
	if err != nil {
		t.Fatalf("a fresh %s database: %v", current.name, err)
	}
	current.created++
	current.creating += time.Since(began)
	return db
}

// openTestStore opens a store on a fresh database of the current backend as o says.
func openTestStore(t testing.TB, o OpenOptions) *Store {
	t.Helper()
	s, err := OpenWith(context.Background(), freshDatabase(t), o)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustOpenStore opens a store on a fresh database with a controllable clock.
func mustOpenStore(t testing.TB) *Store {
	t.Helper()
	s := openTestStore(t, OpenOptions{PasswordCost: bcrypt.MinCost})
	clock := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	}
	return s
}

func TestSeedDemoReplaysIdentically(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	created, err := s.SeedDemo(ctx)
	if err != nil || !created {
		t.Fatalf("SeedDemo = %v, %v; want true, nil", created, err)
	}
	again, err := s.SeedDemo(ctx)
	if err != nil || again {
		t.Fatalf("second SeedDemo = %v, %v; want false, nil", again, err)
	}
	rep, err := s.Replay(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Identical() {
		t.Fatalf("replay differs:\n%s", rep)
	}
	if min := len(DemoUsers) + len(demoTasks); rep.Events < min {
		t.Errorf("replay read %d events, want at least %d", rep.Events, min)
	}
	t.Log(rep)
}
