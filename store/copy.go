package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Moving a Tack database from SQLite to PostgreSQL (tack copy).
//
// Every table of the schema is in exactly one of these groups (TestCopyKnowsEveryTable
// checks it against the migrations, and Copy refuses a schema with a table it does not
// know, rather than leave its rows behind):
//   - the event log, events: copied row for row, seq included;
//   - the tables that are not derived from events (copiedTables): copied row for row;
//   - the read models (readModels): rebuilt on the target by the replay's fold;
//   - caches the store fills on first use (lazyTables): left empty;
//   - goose's schema version table, written by the target's own migration.
//
// The whole copy is one transaction on the target holding the write lock: the events,
// the rebuilt read models and the copied tables commit together or not at all.

// copiedTables are the tables whose rows are not events and cannot be rebuilt from
// them, copied as they are, parents first (api_tokens refers to users, a read model
// rebuilt before them). signin_throttle is copied too, so that a lockout outlives the move.
var copiedTables = []string{"credentials", "sessions", "api_tokens", "idempotency_keys", "invitations", "password_resets", "signin_throttle"}

// lazyTables are caches the store fills when first needed (the as-of index of each
// project's events, saved board states): a new database starts with them empty.
// event_projects_head holds one row from its migration, with position 0.
var lazyTables = []string{"event_projects", "event_projects_head", "board_checkpoints"}

// copyBatch is how many rows one INSERT of the copy carries.
const copyBatch = 1000

// CopyProgressEvery is how many events the copy, and then the rebuild, handle between
// progress reports.
const CopyProgressEvery = ReplayProgressEvery

// CopyOptions say what Copy reports while it runs.
type CopyOptions struct {
	// Progress, when set, is called from Copy's goroutine every CopyProgressEvery
	// events of each stage ("copy events", then "rebuild read models") and once at the
	// end of each, with the events done and the events in the log.
	Progress func(stage string, done, total int)
}

// CopyReport says what Copy did.
type CopyReport struct {
	From, To string // the source file and the target URL (without its password)

	Events  int    // events copied
	LastSeq int64  // the last position copied: the target's next append takes LastSeq+1
	Digest  string // SHA-256 of the log, row by row, equal on both sides

	Copied  []TableCount // copiedTables, rows copied
	Rebuilt []TableCount // readModels, rows the fold wrote on the target

	Replay *ReplayReport // the target's replay after the copy (identical)

	CopyTook, VerifyTook time.Duration
}

// TableCount is a table's number of rows.
type TableCount struct {
	Table string
	Rows  int
}

// TargetNotEmptyError is Copy's refusal of a target database that holds anything:
// the copy has changed nothing.
type TargetNotEmptyError struct {
	Target  string
	Filled  []string // Tack's tables that hold rows
	Foreign []string // tables that are not Tack's
}

func (e *TargetNotEmptyError) Error() string {
	var why []string
	if len(e.Filled) > 0 {
		why = append(why, "it holds rows in "+strings.Join(e.Filled, ", "))
	}
	if len(e.Foreign) > 0 {
		why = append(why, "it has tables that are not Tack's: "+strings.Join(e.Foreign, ", "))
	}
	return fmt.Sprintf("the target database %s is not empty (%s); copy fills only a new, empty database "+
		"(create one with createdb); nothing was changed", e.Target, strings.Join(why, "; "))
}

// Copy copies the SQLite database at from into the empty PostgreSQL database at the
// URL to, then verifies the result. The source is opened read-only (it must have this
// build's schema: migrate it first); the target is migrated, then filled in one
// transaction holding the write lock: the events as they are (same seq, stream,
// version, type, actor, at and data), the read models rebuilt from them by the
// replay's fold, and the tables that are not events (copiedTables). A target holding
// anything is refused with a *TargetNotEmptyError before anything is written.
//
// After the commit it verifies: the target's log equals the source's (count and a
// digest of every row, read back), each copied table has the rows read from the
// source, and Replay on the target finds the read models identical. A failed check is
// an error naming it; the target then holds a complete but suspect copy.
//
// The source should not be written meanwhile (stop tack serve): the events and the
// rebuild read it in two transactions, and a log that moved between them is an error
// (with nothing written).
func Copy(ctx context.Context, from, to string, o CopyOptions) (*CopyReport, error) {
	if isPostgresURL(from) {
		return nil, Errorf(EINVALID, "copy reads an SQLite database file, not %s", redactURL(from))
	}
	if !isPostgresURL(to) {
		return nil, Errorf(EINVALID, "copy writes to a PostgreSQL database URL (postgres://…), not %q", to)
	}
	began := time.Now()
	src, err := OpenWith(ctx, from, OpenOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	// Look before migrating: a database that is not empty is left exactly as it was.
	if err := checkTargetEmpty(ctx, to); err != nil {
		return nil, err
	}
	dst, err := Open(ctx, to)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	rep := &CopyReport{From: src.path, To: dst.path}
	if err := copyInto(ctx, src, dst, rep, o.Progress); err != nil {
		return nil, err
	}
	rep.CopyTook = time.Since(began)
	began = time.Now()
	if err := verifyCopy(ctx, src, dst, rep); err != nil {
		return rep, err
	}
	rep.VerifyTook = time.Since(began)
	return rep, nil
}

// checkTargetEmpty opens its own connection to the PostgreSQL database at url (no
// migration) and returns a *TargetNotEmptyError if it holds anything.
func checkTargetEmpty(ctx context.Context, url string) error {
	db, err := sqlx.Open("pgx", url)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", redactURL(url), err)
	}
	defer db.Close()
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: open %s: %w", redactURL(url), err)
	}
	defer tx.Rollback()
	return targetEmpty(ctx, tx, redactURL(url))
}

// targetEmpty returns a *TargetNotEmptyError if the database q reads has a table that
// is not Tack's or a row in one of Tack's (beyond what its migrations put there).
func targetEmpty(ctx context.Context, q sqlx.QueryerContext, name string) error {
	var tables []string
	if err := sqlx.SelectContext(ctx, q, &tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`); err != nil {
		return fmt.Errorf("store: copy: list the tables of %s: %w", name, err)
	}
	e := &TargetNotEmptyError{Target: name}
	for _, t := range tables {
		if !isTackTable(t) {
			e.Foreign = append(e.Foreign, t)
			continue
		}
		query := `SELECT EXISTS (SELECT 1 FROM ` + quoteIdent(t) + `)`
		switch t {
		case "goose_db_version":
			continue
		case "event_projects_head":
			query = `SELECT EXISTS (SELECT 1 FROM event_projects_head WHERE seq <> 0)`
		}
		var filled bool
		if err := sqlx.GetContext(ctx, q, &filled, query); err != nil {
			return fmt.Errorf("store: copy: look into %s of %s: %w", t, name, err)
		}
		if filled {
			e.Filled = append(e.Filled, t)
		}
	}
	if len(e.Filled) > 0 || len(e.Foreign) > 0 {
		return e
	}
	return nil
}

// isTackTable reports whether table is one of the schema's (see the top of this file).
func isTackTable(table string) bool {
	return table == "events" || table == "goose_db_version" || slices.Contains(readModels, table) ||
		slices.Contains(copiedTables, table) || slices.Contains(lazyTables, table)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// copyInto fills dst from src in one transaction (see Copy), recording in rep.
func copyInto(ctx context.Context, src, dst *Store, rep *CopyReport, progress func(stage string, done, total int)) error {
	fail := func(err error) error {
		return fmt.Errorf("store: copy: %w (nothing was written to the target)", err)
	}
	// One read transaction for the events and the copied tables: one state of them.
	stx, err := src.read.BeginTxx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer stx.Rollback()
	var total int
	if err := stx.GetContext(ctx, &total, `SELECT COUNT(*) FROM events`); err != nil {
		return fail(fmt.Errorf("count the source's events: %w", err))
	}
	tx, err := dst.write.BeginTxx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	if err := dst.d.beginWrite(tx); err != nil {
		return fail(err)
	}
	// Again under the write lock: an instance may have started on the database since.
	if err := targetEmpty(ctx, tx, dst.path); err != nil {
		return err
	}
	if err := checkSchemaTables(ctx, dst, tx); err != nil {
		return fail(err)
	}

	n, lastSeq, digest, err := copyEvents(ctx, stx, tx, total, progress)
	if err != nil {
		return fail(err)
	}
	rep.Events, rep.LastSeq, rep.Digest = n, lastSeq, digest

	// The read models: the replay's fold of the source's log (which the target now
	// holds too, uncommitted), writing into the target's live tables in tx.
	var fold func(done, total int)
	if progress != nil {
		fold = func(done, total int) { progress("rebuild read models", done, total) }
	}
	folded, foldSeq, err := src.rebuildInto(ctx, tx, fold)
	if err != nil {
		return fail(fmt.Errorf("rebuild the read models: %w", err))
	}
	if folded != n || foldSeq != lastSeq {
		return fail(fmt.Errorf("the source's log changed during the copy (%d events up to %d copied, %d up to %d folded): stop every tack using %s and run again",
			n, lastSeq, folded, foldSeq, src.path))
	}
	for _, t := range readModels {
		var rows int
		if err := tx.GetContext(ctx, &rows, `SELECT COUNT(*) FROM `+t); err != nil {
			return fail(fmt.Errorf("count %s: %w", t, err))
		}
		rep.Rebuilt = append(rep.Rebuilt, TableCount{t, rows})
	}

	for _, t := range copiedTables {
		rows, err := copyTable(ctx, src, stx, tx, t)
		if err != nil {
			return fail(err)
		}
		rep.Copied = append(rep.Copied, TableCount{t, rows})
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: copy: commit: %w (if the target now holds anything, drop the database, create it again and run again)", err)
	}
	return nil
}

// checkSchemaTables refuses a schema with a table Copy does not know: its rows would be
// neither copied nor rebuilt.
func checkSchemaTables(ctx context.Context, dst *Store, tx *sqlx.Tx) error {
	var tables []string
	if err := tx.SelectContext(ctx, &tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`); err != nil {
		return fmt.Errorf("list the target's tables: %w", err)
	}
	for _, t := range tables {
		if !isTackTable(t) {
			return fmt.Errorf("this build does not know how to copy table %s of the schema (store/copy.go lists the tables)", t)
		}
	}
	return nil
}

// logDigest is a SHA-256 of an event log read in seq order, each column of each row
// length-prefixed, so that equal digests mean equal rows, byte for byte.
type logDigest struct{ h hash.Hash }

func newLogDigest() logDigest { return logDigest{sha256.New()} }

func (d logDigest) add(r *eventRow) {
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		d.h.Write(n[:])
		d.h.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(n[:], uint64(r.Seq))
	d.h.Write(n[:])
	field(r.Stream)
	binary.BigEndian.PutUint64(n[:], uint64(r.Version))
	d.h.Write(n[:])
	field(r.Type)
	field(r.Actor)
	field(r.At)
	field(r.Data)
}

func (d logDigest) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }

const selectLog = `SELECT seq, stream, version, type, actor, at, data FROM events ORDER BY seq`

// copyEvents copies every event read in stx into tx, in INSERTs of copyBatch rows,
// and returns how many, the last seq and the log's digest.
func copyEvents(ctx context.Context, stx, tx *sqlx.Tx, total int, progress func(stage string, done, total int)) (n int, lastSeq int64, digest string, err error) {
	rows, err := stx.QueryContext(ctx, selectLog)
	if err != nil {
		return 0, 0, "", fmt.Errorf("read the source's events: %w", err)
	}
	defer rows.Close()
	const cols = 7
	args := make([]any, 0, copyBatch*cols)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := `INSERT INTO events (seq, stream, version, type, actor, at, data) VALUES ` + valuesList(len(args)/cols, cols)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("write events up to %d: %w", lastSeq, err)
		}
		args = args[:0]
		return nil
	}
	d := newLogDigest()
	var r eventRow
	for rows.Next() {
		if err := rows.Scan(&r.Seq, &r.Stream, &r.Version, &r.Type, &r.Actor, &r.At, &r.Data); err != nil {
			return 0, 0, "", fmt.Errorf("read the source's events: %w", err)
		}
		d.add(&r)
		args = append(args, r.Seq, r.Stream, r.Version, r.Type, r.Actor, r.At, r.Data)
		lastSeq = r.Seq
		n++
		if len(args) == copyBatch*cols {
			if err := flush(); err != nil {
				return 0, 0, "", err
			}
		}
		if progress != nil && n%CopyProgressEvery == 0 {
			progress("copy events", n, total)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, "", fmt.Errorf("read the source's events: %w", err)
	}
	if err := flush(); err != nil {
		return 0, 0, "", err
	}
	if n != total {
		return 0, 0, "", fmt.Errorf("counted %d events in the source but read %d", total, n)
	}
	if progress != nil {
		progress("copy events", n, total)
	}
	return n, lastSeq, d.sum(), nil
}

// valuesList is rows groups of cols placeholders: (?, ?), (?, ?).
func valuesList(rows, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// copyTable copies table from the source (read in stx) into the target (tx), column
// by column by name, converting each value to the target column's type, and returns
// the number of rows.
func copyTable(ctx context.Context, src *Store, stx, tx *sqlx.Tx, table string) (int, error) {
	var cols []struct {
		Name string `db:"column_name"`
		Type string `db:"data_type"`
	}
	if err := tx.SelectContext(ctx, &cols, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, table); err != nil {
		return 0, fmt.Errorf("columns of the target's %s: %w", table, err)
	}
	var srcCols []string
	if err := stx.SelectContext(ctx, &srcCols, `SELECT name FROM pragma_table_info(?) ORDER BY name`, table); err != nil {
		return 0, fmt.Errorf("columns of the source's %s: %w", table, err)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	if sorted := slices.Sorted(slices.Values(names)); !slices.Equal(sorted, srcCols) {
		return 0, fmt.Errorf("table %s has columns %s in the source but %s in the target", table,
			strings.Join(srcCols, ", "), strings.Join(sorted, ", "))
	}
	pk, err := src.d.primaryKey(ctx, stx, "", table)
	if err != nil || len(pk) == 0 {
		return 0, fmt.Errorf("primary key of the source's %s: %v", table, err)
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = quoteIdent(n)
	}
	list := strings.Join(quoted, ", ")
	rows, err := stx.QueryxContext(ctx, `SELECT `+list+` FROM `+quoteIdent(table)+` ORDER BY `+strings.Join(pk, ", "))
	if err != nil {
		return 0, fmt.Errorf("read the source's %s: %w", table, err)
	}
	defer rows.Close()
	args := make([]any, 0, copyBatch*len(cols))
	n := 0
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := `INSERT INTO ` + quoteIdent(table) + ` (` + list + `) VALUES ` + valuesList(len(args)/len(cols), len(cols))
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("write %s: %w", table, err)
		}
		args = args[:0]
		return nil
	}
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return 0, fmt.Errorf("read the source's %s: %w", table, err)
		}
		for i, v := range vals {
			cv, err := convertValue(v, cols[i].Type)
			if err != nil {
				return 0, fmt.Errorf("table %s, column %s: %w", table, cols[i].Name, err)
			}
			args = append(args, cv)
		}
		n++
		if n%copyBatch == 0 {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read the source's %s: %w", table, err)
	}
	return n, flush()
}

// convertValue turns a value read from SQLite into one for a PostgreSQL column of
// type typ (information_schema's data_type).
func convertValue(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "text":
		switch v := v.(type) {
		case string:
			return v, nil
		case []byte:
			return string(v), nil
		}
	case "bytea":
		switch v := v.(type) {
		case []byte:
			return v, nil
		case string:
			return []byte(v), nil
		}
	case "integer", "bigint", "smallint":
		if v, ok := v.(int64); ok {
			return v, nil
		}
	case "double precision", "real", "numeric":
		switch v := v.(type) {
		case float64:
			return v, nil
		case int64:
			return float64(v), nil
		}
	case "boolean":
		switch v := v.(type) {
		case bool:
			return v, nil
		case int64:
			return v != 0, nil
		}
	case "timestamp with time zone":
		// scs's SQLite store keeps a session's expiry as a Julian day number.
		switch v := v.(type) {
		case float64:
			return julianDayTime(v), nil
		case int64:
			return julianDayTime(float64(v)), nil
		case time.Time:
			return v, nil
		}
	}
	return nil, fmt.Errorf("cannot copy a %T into a %s column", v, typ)
}

// julianDayTime is the time of a Julian day number (SQLite's julianday()), to the
// millisecond (what scs's SQLite store writes).
func julianDayTime(jd float64) time.Time {
	const unixEpoch = 2440587.5 // the Julian day of 1970-01-01T00:00:00Z
	ms := (jd - unixEpoch) * 86400e3
	return time.UnixMilli(int64(ms + 0.5*sign(ms))).UTC()
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// verifyCopy checks the committed copy (see Copy) and records the replay in rep.
func verifyCopy(ctx context.Context, src, dst *Store, rep *CopyReport) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("store: copy: verification failed: %s; the target holds the copy: drop the database, create it again and run again",
			fmt.Sprintf(format, args...))
	}
	rows, err := dst.read.QueryxContext(ctx, selectLog)
	if err != nil {
		return fail("read the target's events: %v", err)
	}
	defer rows.Close()
	d := newLogDigest()
	n := 0
	var r eventRow
	for rows.Next() {
		if err := rows.Scan(&r.Seq, &r.Stream, &r.Version, &r.Type, &r.Actor, &r.At, &r.Data); err != nil {
			return fail("read the target's events: %v", err)
		}
		d.add(&r)
		n++
	}
	if err := rows.Err(); err != nil {
		return fail("read the target's events: %v", err)
	}
	if n != rep.Events || d.sum() != rep.Digest {
		return fail("the target's log (%d events, digest %s) is not the source's (%d events, digest %s)", n, d.sum(), rep.Events, rep.Digest)
	}
	for _, c := range rep.Copied {
		var rows int
		if err := dst.read.GetContext(ctx, &rows, `SELECT COUNT(*) FROM `+quoteIdent(c.Table)); err != nil {
			return fail("count the target's %s: %v", c.Table, err)
		}
		if rows != c.Rows {
			return fail("the target's %s has %d rows, %d were copied", c.Table, rows, c.Rows)
		}
	}
	replay, err := dst.Replay(ctx, false)
	if err != nil {
		return fail("replay on the target: %v", err)
	}
	rep.Replay = replay
	if !replay.Identical() {
		return fail("replay on the target differs:\n%s", replay)
	}
	if replay.Events != rep.Events {
		return fail("replay on the target read %d events, %d were copied", replay.Events, rep.Events)
	}
	return nil
}

// String renders the report for the command line.
func (r *CopyReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "copied %s\n    to %s\n", r.From, r.To)
	fmt.Fprintf(&b, "events             %8d  (positions 1..%d; the next write takes %d)\n", r.Events, r.LastSeq, r.LastSeq+1)
	for _, t := range r.Copied {
		fmt.Fprintf(&b, "%-18s %8d  copied\n", t.Table, t.Rows)
	}
	for _, t := range r.Rebuilt {
		fmt.Fprintf(&b, "%-18s %8d  rebuilt from the events\n", t.Table, t.Rows)
	}
	fmt.Fprintf(&b, "left empty, filled on first use: %s\n", strings.Join(lazyTables, ", "))
	fmt.Fprintf(&b, "verified: the target's log equals the source's, row for row (%d events, sha256 %s)\n", r.Events, r.Digest)
	if r.Replay != nil {
		fmt.Fprintf(&b, "verified: replay on the target: %d events, %d read models identical\n", r.Replay.Events, len(r.Replay.Tables))
	}
	fmt.Fprintf(&b, "took %.1f s to copy and rebuild, %.1f s to verify\n", r.CopyTook.Seconds(), r.VerifyTook.Seconds())
	return b.String()
}
