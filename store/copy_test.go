package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"
)

// Copy reads SQLite and writes PostgreSQL, so its tests run in the postgres pass (the
// one with a server); in the SQLite pass they have nothing to copy into.
func postgresPass(t *testing.T) bool {
	t.Helper()
	if current.name != "postgres" {
		t.Log("runs in the postgres pass: it copies an SQLite database into PostgreSQL")
		return false
	}
	return true
}

// copySecrets are what copySource put in the tables that are not events.
type copySecrets struct {
	token, invitation, reset string
	session                  string
	sessionData              []byte
	sessionExpiry            time.Time
	idemUser, idemKey        string
	idem                     SavedResponse
	demoProject              string
}

// copySource makes an SQLite database: the demo workspace, then about events generated
// events (none when 0), and a row in every table that is not an event: an API token, a
// session, an idempotency key, an invitation and a password reset. It returns the open
// store on it with its path.
func copySource(t *testing.T, events int) (*Store, string, copySecrets) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "source.db")
	s, err := OpenWith(ctx, path, OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if events > 0 {
		generateLog(t, s, 11, events, 100, 500, logFast)
	}
	var sec copySecrets
	admin, err := s.UserByEmail(ctx, DemoUsers[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	member, err := s.UserByEmail(ctx, DemoUsers[1].Email)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.ProjectFor(ctx, admin.ID, "DEMO")
	if err != nil {
		t.Fatal(err)
	}
	sec.demoProject = p.ID
	if sec.token, _, err = s.CreateToken(ctx, admin.ID, "ci"); err != nil {
		t.Fatal(err)
	}
	if sec.invitation, _, err = s.CreateInvitation(ctx, admin.ID, p.ID, RoleMember, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	if sec.reset, _, err = s.CreatePasswordReset(ctx, admin.ID, p.ID, member.ID); err != nil {
		t.Fatal(err)
	}
	sec.session, sec.sessionData = "session-token-1", []byte("\x00\x01gob data\xff")
	sec.sessionExpiry = time.Now().Add(24 * time.Hour).UTC().Truncate(time.Millisecond)
	if err := s.Sessions(0).Commit(sec.session, sec.sessionData, sec.sessionExpiry); err != nil {
		t.Fatal(err)
	}
	sec.idemUser, sec.idemKey = admin.ID, "key-1"
	sec.idem = SavedResponse{Status: 201, ContentType: "application/json", Headers: map[string]string{"Location": "/x"}, Body: []byte(`{"ok":true}`)}
	if _, err := s.BeginIdempotent(ctx, sec.idemUser, sec.idemKey, "fp"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishIdempotent(ctx, sec.idemUser, sec.idemKey, sec.idem); err != nil {
		t.Fatal(err)
	}
	return s, path, sec
}

// logRows is the whole log of s as stored.
func logRows(t *testing.T, s *Store) []eventRow {
	t.Helper()
	var rows []eventRow
	if err := s.read.Select(&rows, selectLog); err != nil {
		t.Fatal(err)
	}
	return rows
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCopyDemoAndGeneratedLog: the demo database plus 10,000 generated events copied
// into PostgreSQL: the same log row for row, the read models rebuilt (replay on the
// target identical), the demo's board and reports the same, the rows that are not
// events usable there, and the next write taking the next position.
func TestCopyDemoAndGeneratedLog(t *testing.T) {
	if !postgresPass(t) {
		return
	}
	ctx := context.Background()
	src, path, sec := copySource(t, 10_000)
	target := freshDatabase(t)

	var stages []string
	last := map[string]int{}
	began := time.Now()
	rep, err := Copy(ctx, path, target, CopyOptions{Progress: func(stage string, done, total int) {
		if done < last[stage] {
			t.Errorf("%s: progress went back from %d to %d", stage, last[stage], done)
		}
		last[stage] = done
		if !slices.Contains(stages, stage) {
			stages = append(stages, stage)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("copy of %d events took %v:\n%s", rep.Events, time.Since(began), rep)
	events := eventCount(t, src)
	if rep.Events != events || events < 10_000 {
		t.Errorf("copied %d events; the source has %d (want over 10,000)", rep.Events, events)
	}
	if want := []string{"copy events", "rebuild read models"}; !slices.Equal(stages, want) {
		t.Errorf("progress stages %q, want %q", stages, want)
	}
	for _, stage := range stages {
		if last[stage] != events {
			t.Errorf("%s: last progress %d, want %d", stage, last[stage], events)
		}
	}
	if rep.Replay == nil || !rep.Replay.Identical() {
		t.Fatalf("the copy's own replay: %v", rep.Replay)
	}

	dst, err := OpenWith(ctx, target, OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()

	// The log, row for row, byte for byte.
	if a, b := logRows(t, src), logRows(t, dst); !slices.Equal(a, b) {
		t.Fatalf("logs differ: source %d rows, target %d", len(a), len(b))
	}
	// Replay on the target, independently of Copy's.
	if r, err := dst.Replay(ctx, false); err != nil || !r.Identical() || r.Events != events {
		t.Fatalf("replay on the target: %v\n%v", err, r)
	}

	// The demo project's board at the head, its sprint reports and velocity, and each
	// project's tasks are the same on both sides.
	head := int64(rep.LastSeq)
	for _, s := range []*Store{src, dst} {
		if h, err := s.ProjectHead(ctx, sec.demoProject); err != nil || h == 0 {
			t.Fatalf("project head %d, %v", h, err)
		}
	}
	same := func(what string, read func(s *Store) (any, error)) {
		t.Helper()
		a, err := read(src)
		if err != nil {
			t.Fatalf("%s on the source: %v", what, err)
		}
		b, err := read(dst)
		if err != nil {
			t.Fatalf("%s on the target: %v", what, err)
		}
		if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
			t.Errorf("%s differs:\nsource %.400s\ntarget %.400s", what, ja, jb)
		}
	}
	same("board at the head", func(s *Store) (any, error) { return s.BoardAsOf(ctx, sec.demoProject, head) })
	sprints, err := src.Sprints(ctx, sec.demoProject)
	if err != nil || len(sprints) == 0 {
		t.Fatalf("demo sprints: %d, %v", len(sprints), err)
	}
	for _, sp := range sprints {
		if sp.State == SprintPlanned {
			continue // no report before it starts
		}
		for _, unit := range []ReportUnit{UnitPoints, UnitCount, UnitRemaining} {
			same("sprint report "+sp.Name+" "+string(unit), func(s *Store) (any, error) { return s.SprintReport(ctx, sp.ID, unit, head) })
		}
	}
	same("velocity", func(s *Store) (any, error) { return s.Velocity(ctx, sec.demoProject, UnitPoints, 6) })
	same("backlog", func(s *Store) (any, error) { return s.Backlog(ctx, sec.demoProject) })
	var projects []string
	if err := src.read.Select(&projects, `SELECT id FROM projects ORDER BY id`); err != nil || len(projects) < 2 {
		t.Fatalf("projects: %v, %v", projects, err)
	}
	for _, id := range projects {
		same("tasks of "+id, func(s *Store) (any, error) { return s.Tasks(ctx, id, TaskFilter{}) })
		same("pending conflicts of "+id, func(s *Store) (any, error) { return s.PendingConflictsIn(ctx, id) })
		same("members of "+id, func(s *Store) (any, error) { return s.Members(ctx, id) })
	}

	// The rows that are not events work on the target.
	if _, err := dst.Authenticate(ctx, DemoUsers[0].Email, DemoUsers[0].Password); err != nil {
		t.Errorf("sign in with the demo password on the target: %v", err)
	}
	if u, err := dst.AuthenticateToken(ctx, sec.token); err != nil || u.Email != DemoUsers[0].Email {
		t.Errorf("API token on the target: %v, %v", u, err)
	}
	if _, err := dst.InvitationBySecret(ctx, sec.invitation); err != nil {
		t.Errorf("invitation on the target: %v", err)
	}
	if _, err := dst.PasswordResetBySecret(ctx, sec.reset); err != nil {
		t.Errorf("password reset on the target: %v", err)
	}
	if data, found, err := dst.Sessions(0).Find(sec.session); err != nil || !found || string(data) != string(sec.sessionData) {
		t.Errorf("session on the target: %q, %v, %v", data, found, err)
	}
	var expiry time.Time
	if err := dst.read.Get(&expiry, `SELECT expiry FROM sessions WHERE token = ?`, sec.session); err != nil || !expiry.Equal(sec.sessionExpiry) {
		t.Errorf("session expiry on the target %v (%v), want %v", expiry, err, sec.sessionExpiry)
	}
	if saved, err := dst.BeginIdempotent(ctx, sec.idemUser, sec.idemKey, "fp"); err != nil || saved == nil ||
		mustJSON(t, saved) != mustJSON(t, sec.idem) {
		t.Errorf("idempotency key on the target: %+v, %v; want %+v", saved, err, sec.idem)
	}

	// A write on the target takes the position after the copied head.
	admin, err := dst.UserByEmail(ctx, DemoUsers[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.CreateTask(ctx, admin.ID, NewTask{ProjectID: sec.demoProject, Title: "After the copy"}); err != nil {
		t.Fatal(err)
	}
	next, err := dst.Events(ctx, rep.LastSeq, 10)
	if err != nil || len(next) != 1 || next[0].Seq != rep.LastSeq+1 {
		t.Fatalf("events after the copied head %d: %v, %v; want one at %d", rep.LastSeq, next, err, rep.LastSeq+1)
	}
	if r, err := dst.Replay(ctx, false); err != nil || !r.Identical() {
		t.Fatalf("replay on the target after a write: %v\n%v", err, r)
	}
}

// tableSnapshot is every table of a PostgreSQL database with an md5 of its rows.
func tableSnapshot(t *testing.T, url string) map[string]string {
	t.Helper()
	db, err := sqlx.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	if err := db.Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`); err != nil {
		t.Fatal(err)
	}
	snap := map[string]string{}
	for _, tb := range tables {
		var sum sql.NullString
		if err := db.Get(&sum, `SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM `+quoteIdent(tb)+` t`); err != nil {
			t.Fatal(err)
		}
		snap[tb] = sum.String
	}
	return snap
}

// TestCopyRefusesANonEmptyTarget: a target holding anything at all (an event, only a
// session, only an idempotency key, a table of its own) is refused with a message
// naming what it holds, and is left exactly as it was.
func TestCopyRefusesANonEmptyTarget(t *testing.T) {
	if !postgresPass(t) {
		return
	}
	ctx := context.Background()
	_, path, _ := copySource(t, 0)
	exec := func(stmts ...string) func(t *testing.T, url string) {
		return func(t *testing.T, url string) {
			db, err := sqlx.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, s := range stmts {
				if _, err := db.Exec(s); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	tests := []struct {
		name  string
		fill  func(t *testing.T, url string)
		names string
	}{
		{"a registered user", func(t *testing.T, url string) {
			s, err := OpenWith(ctx, url, OpenOptions{PasswordCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.RegisterUser(ctx, NewUser{Email: "a@b.c", Name: "A", Password: "long enough password"}); err != nil {
				t.Fatal(err)
			}
		}, "holds rows in credentials, events, users"},
		{"only a session", exec(`INSERT INTO sessions (token, data, expiry) VALUES ('t', '\x00', now())`), "holds rows in sessions"},
		{"only an idempotency key", exec(`INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) VALUES ('u', 'k', 'f', 'x')`),
			"holds rows in idempotency_keys"},
		{"an as-of index", exec(`UPDATE event_projects_head SET seq = 5`), "holds rows in event_projects_head"},
		{"a table of its own", exec(`CREATE TABLE notes (id int)`), "tables that are not Tack's: notes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := freshDatabase(t)
			tt.fill(t, target)
			before := tableSnapshot(t, target)
			rep, err := Copy(ctx, path, target, CopyOptions{})
			var ne *TargetNotEmptyError
			if !errors.As(err, &ne) {
				t.Fatalf("Copy = %v, %v; want a *TargetNotEmptyError", rep, err)
			}
			msg := err.Error()
			for _, want := range []string{"is not empty", tt.names, "nothing was changed", redactURL(target)} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if after := tableSnapshot(t, target); mustJSON(t, after) != mustJSON(t, before) {
				t.Errorf("the refused target changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// TestCopyIntoAnUnmigratedDatabase: a database fresh from createdb (no tables at all)
// is migrated and filled.
func TestCopyIntoAnUnmigratedDatabase(t *testing.T) {
	if !postgresPass(t) {
		return
	}
	ctx := context.Background()
	src, path, _ := copySource(t, 0)
	url, drop, err := pg.CreateDatabase(ctx, "template0")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	rep, err := Copy(ctx, path, url, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != eventCount(t, src) || !rep.Replay.Identical() {
		t.Fatalf("copy:\n%s", rep)
	}
}

// TestCopyTwiceAtOnce: two copies into one empty database, released together, 20
// rounds: exactly one fills it and the other is refused as not empty.
func TestCopyTwiceAtOnce(t *testing.T) {
	if !postgresPass(t) {
		return
	}
	ctx := context.Background()
	src, path, _ := copySource(t, 0)
	events := eventCount(t, src)
	for round := range 20 {
		target := freshDatabase(t)
		var start, done sync.WaitGroup
		start.Add(1)
		errs := make([]error, 2)
		reps := make([]*CopyReport, 2)
		for i := range 2 {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				reps[i], errs[i] = Copy(ctx, path, target, CopyOptions{})
			}()
		}
		start.Done()
		done.Wait()
		ok, refused := 0, 0
		for i, err := range errs {
			var ne *TargetNotEmptyError
			switch {
			case err == nil && reps[i].Events == events && reps[i].Replay.Identical():
				ok++
			case errors.As(err, &ne):
				refused++
			default:
				t.Errorf("round %d: copy %d: %v", round, i, err)
			}
		}
		if ok != 1 || refused != 1 {
			t.Fatalf("round %d: %d copies succeeded and %d were refused; want 1 and 1 (%v)", round, ok, refused, errs)
		}
		dst, err := OpenWith(ctx, target, OpenOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		n := eventCount(t, dst)
		dst.Close()
		if n != events {
			t.Fatalf("round %d: the target holds %d events, want %d", round, n, events)
		}
	}
}

// TestCopyKnowsEveryTable: every table of the migrated schema is the log, a read model,
// a copied table, a cache or goose's, on both backends, and every name the copy lists
// is a table: a migration adding a table must say which it is (store/copy.go).
func TestCopyKnowsEveryTable(t *testing.T) {
	s := mustOpenStore(t)
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.d.postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	if err := s.read.Select(&tables, q); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if !isTackTable(tb) {
			t.Errorf("table %s is not classified for tack copy (store/copy.go)", tb)
		}
	}
	for _, group := range [][]string{{"events", "goose_db_version"}, readModels, copiedTables, lazyTables} {
		for _, tb := range group {
			if !slices.Contains(tables, tb) {
				t.Errorf("copy lists table %s, which the schema lacks", tb)
			}
		}
	}
}

func TestJulianDayTime(t *testing.T) {
	tests := []struct {
		jd   float64
		want time.Time
	}{
		{2440587.5, time.Unix(0, 0).UTC()},
		{2461041.5, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{2461041.5 + (13*3600+14*60+15.25)/86400, time.Date(2026, 1, 1, 13, 14, 15, 250e6, time.UTC)},
	}
	for _, tt := range tests {
		if got := julianDayTime(tt.jd); !got.Equal(tt.want) {
			t.Errorf("julianDayTime(%v) = %v, want %v", tt.jd, got, tt.want)
		}
	}
}

func TestConvertValue(t *testing.T) {
	tests := []struct {
		v    any
		typ  string
		want any
		err  bool
	}{
		{nil, "text", nil, false},
		{"a", "text", "a", false},
		{[]byte("a"), "text", "a", false},
		{[]byte{0, 1}, "bytea", []byte{0, 1}, false},
		{int64(3), "integer", int64(3), false},
		{int64(1), "boolean", true, false},
		{int64(0), "boolean", false, false},
		{int64(2), "double precision", float64(2), false},
		{float64(2440587.5), "timestamp with time zone", time.Unix(0, 0).UTC(), false},
		{"x", "integer", nil, true},
		{int64(1), "uuid", nil, true},
	}
	for _, tt := range tests {
		got, err := convertValue(tt.v, tt.typ)
		if (err != nil) != tt.err || mustJSON(t, got) != mustJSON(t, tt.want) {
			t.Errorf("convertValue(%#v, %s) = %#v, %v; want %#v (error %v)", tt.v, tt.typ, got, err, tt.want, tt.err)
		}
	}
}

// BenchmarkCopy copies the demo database plus 10,000 generated events into a fresh
// PostgreSQL database per iteration (run it in the postgres pass:
// go test ./store -run '^$' -bench BenchmarkCopy). It reports events/s of the whole
// command and the copy (with the rebuild) and verification times.
func BenchmarkCopy(b *testing.B) {
	if current.name != "postgres" {
		b.Skip("runs in the postgres pass")
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "source.db")
	s, err := OpenWith(ctx, path, OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.SeedDemo(ctx); err != nil {
		b.Fatal(err)
	}
	generateLog(b, s, 11, 10_000, 100, 500, logFast)
	s.Close()
	var events int
	var copyTook, verifyTook time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		target := freshDatabase(b)
		b.StartTimer()
		rep, err := Copy(ctx, path, target, CopyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		events = rep.Events
		copyTook += rep.CopyTook
		verifyTook += rep.VerifyTook
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(copyTook.Seconds()/float64(b.N), "copy-s/op")
	b.ReportMetric(verifyTook.Seconds()/float64(b.N), "verify-s/op")
}
