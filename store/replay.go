package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// readModels lists the tables that are projections of the log, parents first.
var readModels = []string{"users", "projects", "columns", "members", "sprints", "tasks", "worklogs", "column_cards", "task_history", "activity", "pending_conflicts"}

// ReplayReport is the outcome of rebuilding the read models from the log.
type ReplayReport struct {
	Events int
	Tables []TableDiff
	Fixed  bool
}

// TableDiff compares one live read model with its rebuilt twin.
type TableDiff struct {
	Table      string
	LiveRows   int
	ReplayRows int
	Changed    []string // rows on both sides that differ, by key, naming the columns; first few
	OnlyLive   []string // rows (as col=value lists) the replay does not produce, first few
	OnlyReplay []string // rows the replay produces that the live table lacks, first few
	Differing  int      // rows that are only live plus rows only replayed
}

// Identical reports whether every read model matched its rebuild.
func (r *ReplayReport) Identical() bool {
	for _, t := range r.Tables {
		if t.Differing > 0 {
			return false
		}
	}
	return true
}

// ReplayOptions say what Replay does besides rebuilding and comparing.
type ReplayOptions struct {
	// Fix replaces the live read models with the rebuilt ones when they differ.
	Fix bool
	// Progress, when set, is called on Replay's goroutine while the rebuild runs: every
	// ReplayProgressEvery events and once at its end, with the events folded so far
	// and the number of events in the log. It must not block for long.
	Progress func(done, total int)
}

// ReplayProgressEvery is how many events the rebuild folds between progress reports.
const ReplayProgressEvery = 10_000

// Replay rebuilds every read model from the event log into a fresh database beside the
// live one, with the same fold the live writes use, and compares them table by table.
// With fix, the live read models are replaced by the rebuilt ones in one transaction.
// If events are appended while it rebuilds (another process serving the same file), it
// starts again, so the comparison is always against one consistent state of the log.
func (s *Store) Replay(ctx context.Context, fix bool) (*ReplayReport, error) {
	return s.ReplayWith(ctx, ReplayOptions{Fix: fix})
}

// ReplayWith is Replay with progress reports.
func (s *Store) ReplayWith(ctx context.Context, o ReplayOptions) (*ReplayReport, error) {
	if o.Fix && s.readOnly {
		return nil, Errorf(EINVALID, "the database %s is open read-only: it cannot be fixed", s.path)
	}
	for attempt := 0; ; attempt++ {
		rep, err := s.replayOnce(ctx, o)
		if !errors.Is(err, errLogMoved) || attempt == 4 {
			return rep, err
		}
	}
}

var errLogMoved = errors.New("store: replay: events were appended during the rebuild")

func (s *Store) replayOnce(ctx context.Context, o ReplayOptions) (*ReplayReport, error) {
	// Holding writeMu for the whole run keeps this process's writers from moving the
	// log under the rebuild; another process writing the same database makes it retry
	// (SQLite) or waits for the write lock the rebuild holds (PostgreSQL).
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	rebuild := s.rebuildInFile
	if s.d.postgres {
		rebuild = s.rebuildInTempTables
	}
	rb, err := rebuild(ctx, o.Progress)
	if err != nil {
		return nil, err
	}
	defer rb.cleanup()
	tx, live, replay := rb.tx, rb.live, rb.replay
	rep := &ReplayReport{Events: rb.events}
	var maxSeq int64
	if err := tx.GetContext(ctx, &maxSeq, `SELECT COALESCE(MAX(seq), 0) FROM `+live+`.events`); err != nil {
		return nil, fmt.Errorf("store: replay: %w", err)
	}
	if maxSeq != rb.lastSeq {
		return nil, errLogMoved
	}
	for _, table := range readModels {
		d, err := s.compareTable(ctx, tx, live, replay, table)
		if err != nil {
			return nil, err
		}
		rep.Tables = append(rep.Tables, d)
	}
	if !o.Fix || rep.Identical() {
		return rep, nil
	}
	for i := len(readModels) - 1; i >= 0; i-- {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+live+`.`+readModels[i]); err != nil {
			return nil, fmt.Errorf("store: replay fix: clear %s: %w", readModels[i], err)
		}
	}
	for _, table := range readModels {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+live+`.`+table+` SELECT * FROM `+replay+`.`+table); err != nil {
			return nil, fmt.Errorf("store: replay fix: fill %s: %w", table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: replay fix: %w", err)
	}
	rep.Fixed = true
	return rep, nil
}

// rebuilt is a rebuild of the read models, ready to be compared with the live ones in
// tx, a write transaction on the live database: the live tables are in schema live,
// the rebuilt ones in schema replay.
type rebuilt struct {
	events  int   // folded
	lastSeq int64 // the last event folded
	tx      *sqlx.Tx
	live    string
	replay  string
	cleanup func() // ends tx (if still open), releases its connection, removes the rebuild
}

// rebuildInFile rebuilds the read models of an SQLite database into a throwaway
// database file beside it (or in a temporary directory when the database is open
// read-only), attached as schema replay to a writer connection.
func (s *Store) rebuildInFile(ctx context.Context, progress func(done, total int)) (rb rebuilt, err error) {
	tmp := fmt.Sprintf("%s.replay-%s", s.path, newID())
	if s.readOnly {
		// Nothing may be written beside a database opened read-only (it may be a
		// read-only copy in a read-only directory).
		dir, err := os.MkdirTemp("", "tack-replay-")
		if err != nil {
			return rb, fmt.Errorf("store: replay: %w", err)
		}
		tmp = filepath.Join(dir, "rebuilt.db")
	}
	removeTmp := func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
		if s.readOnly {
			os.Remove(filepath.Dir(tmp))
		}
	}
	defer func() {
		if err != nil {
			removeTmp()
		}
	}()
	if rb.events, rb.lastSeq, err = s.rebuildIntoFile(ctx, tmp, progress); err != nil {
		return rb, err
	}
	// ATTACH is not allowed inside a transaction, so hold a writer connection, attach,
	// then compare (and fix) inside one immediate transaction.
	conn, err := s.write.Connx(ctx)
	if err != nil {
		return rb, fmt.Errorf("store: replay: %w", err)
	}
	tmpURI, err := fileURI(tmp, url.Values{"mode": {"ro"}})
	if err == nil {
		_, err = conn.ExecContext(ctx, `ATTACH DATABASE ? AS replay`, tmpURI)
		if err != nil {
			err = fmt.Errorf("store: replay: attach: %w", err)
		}
	}
	if err == nil {
		if rb.tx, err = conn.BeginTxx(ctx, nil); err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), `DETACH DATABASE replay`)
			err = fmt.Errorf("store: replay: %w", err)
		}
	}
	if err != nil {
		conn.Close()
		return rb, err
	}
	rb.live, rb.replay = "main", "replay"
	rb.cleanup = func() {
		rb.tx.Rollback()
		conn.ExecContext(context.WithoutCancel(ctx), `DETACH DATABASE replay`)
		conn.Close()
		removeTmp()
	}
	return rb, nil
}

// rebuildIntoFile folds the log of s into a new SQLite database at path.
func (s *Store) rebuildIntoFile(ctx context.Context, path string, progress func(done, total int)) (int, int64, error) {
	dst, err := Open(ctx, path)
	if err != nil {
		return 0, 0, err
	}
	defer dst.Close()
	if err := dropSecondaryIndexes(ctx, dst); err != nil {
		return 0, 0, err
	}
	conn, err := dst.write.Connx(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("store: replay: %w", err)
	}
	defer conn.Close()
	for _, pragma := range rebuildPragmas {
		if _, err := conn.ExecContext(ctx, pragma); err != nil {
			return 0, 0, fmt.Errorf("store: replay: %s: %w", pragma, err)
		}
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("store: replay: %w", err)
	}
	defer tx.Rollback()
	n, lastSeq, err := s.rebuildInto(ctx, tx, progress)
	if err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("store: replay: %w", err)
	}
	return n, lastSeq, nil
}

// rebuildInTempTables rebuilds the read models of a PostgreSQL database into temporary
// tables of one write transaction (they are dropped at its end, and no other
// connection sees them), which then compares them with the live ones. The transaction
// holds the write lock from the start, so the log cannot move under the rebuild in any
// process: writers of every instance wait for the replay, as this process's do for
// writeMu. On a store opened read-only the transaction is made read-write for the
// temporary tables alone: Replay refuses to fix a read-only store.
//
// The fold's statements name the read models without a schema: with the temporary
// schema first on the search path they fill the temporary tables. Setting search_path
// also makes PostgreSQL plan again the statements this connection prepared for the
// live tables (a new table that merely shadows another would not).
func (s *Store) rebuildInTempTables(ctx context.Context, progress func(done, total int)) (rb rebuilt, err error) {
	conn, err := s.write.Connx(ctx)
	if err != nil {
		return rb, fmt.Errorf("store: replay: %w", err)
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		conn.Close()
		return rb, fmt.Errorf("store: replay: %w", err)
	}
	rb.tx, rb.replay = tx, "pg_temp"
	rb.cleanup = func() {
		tx.Rollback()
		conn.Close()
	}
	defer func() {
		if err != nil {
			rb.cleanup()
		}
	}()
	var stmts []string
	if s.readOnly {
		stmts = append(stmts, `SET TRANSACTION READ WRITE`)
	}
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return rb, fmt.Errorf("store: replay: %s: %w", stmt, err)
		}
	}
	if err := s.d.beginWrite(tx); err != nil {
		return rb, err
	}
	if err := tx.GetContext(ctx, &rb.live, `SELECT current_schema()`); err != nil {
		return rb, fmt.Errorf("store: replay: %w", err)
	}
	rb.live = `"` + strings.ReplaceAll(rb.live, `"`, `""`) + `"`
	stmts = stmts[:0]
	for _, t := range readModels {
		// Primary keys and UNIQUE constraints come along (INCLUDING INDEXES), so the
		// rebuild is refused what the live tables would refuse.
		stmts = append(stmts, `CREATE TEMPORARY TABLE `+t+` (LIKE `+rb.live+`.`+t+
			` INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES) ON COMMIT DROP`)
	}
	stmts = append(stmts, `SET LOCAL search_path TO pg_temp, `+rb.live)
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return rb, fmt.Errorf("store: replay: %s: %w", stmt, err)
		}
	}
	if rb.events, rb.lastSeq, err = s.rebuildInto(ctx, tx, progress); err != nil {
		return rb, err
	}
	return rb, nil
}

// readLog sends every event of the log in sequence order, decoded, in batches to out.
func readLog(ctx context.Context, src *sqlx.Tx, out chan<- []decodedEvent) error {
	rows, err := src.QueryContext(ctx, `SELECT seq, stream, version, type, actor, at, data FROM events ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("store: replay: read events: %w", err)
	}
	defer rows.Close()
	const batchSize = 256
	batch := make([]decodedEvent, 0, batchSize)
	send := func() error {
		select {
		case out <- batch:
			batch = make([]decodedEvent, 0, batchSize)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var r eventRow
	for rows.Next() {
		if err := rows.Scan(&r.Seq, &r.Stream, &r.Version, &r.Type, &r.Actor, &r.At, &r.Data); err != nil {
			return fmt.Errorf("store: replay: read events: %w", err)
		}
		d, err := r.decoded()
		if err != nil {
			return err
		}
		batch = append(batch, d)
		if len(batch) == batchSize {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: replay: read events: %w", err)
	}
	if len(batch) > 0 {
		return send()
	}
	return nil
}

// dropSecondaryIndexes drops the read models' secondary indexes from the throwaway
// database a replay rebuilds into: it is only compared row by row and copied, which no
// index speeds up, while keeping them up to date cost the fold an index insert per row.
// Primary keys and UNIQUE constraints stay, so the rebuild is refused what the live
// tables would refuse, and the fold's own lookups stay indexed.
func dropSecondaryIndexes(ctx context.Context, dst *Store) error {
	var names []string
	q, args, err := sqlx.In(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?)`, readModels)
	if err != nil {
		return fmt.Errorf("store: replay: %w", err)
	}
	if err := dst.write.SelectContext(ctx, &names, q, args...); err != nil {
		return fmt.Errorf("store: replay: list indexes: %w", err)
	}
	for _, name := range names {
		if _, err := dst.write.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
			return fmt.Errorf("store: replay: drop index %s: %w", name, err)
		}
	}
	return nil
}

// rebuildPragmas set up the rebuild's connection to the throwaway database: a crash
// loses nothing worth syncing for, and a large page cache keeps the indexes the fold
// inserts into from spilling out of memory in the middle of its one transaction.
var rebuildPragmas = []string{`PRAGMA synchronous = OFF`, `PRAGMA cache_size = -262144`}

// rebuildInto folds every event of s, in sequence order, into the read models tx
// writes to (empty ones), reporting progress (if not nil) as ReplayOptions.Progress
// says. The caller commits tx, or goes on using it.
//
// The log is read in one read transaction, so the count and the events are one state
// of it. The fold runs in tx with each statement prepared once, and keeps every task it
// writes in memory rather than reading it back for the next event: the tables it fills
// are new ones that nothing else writes meanwhile.
func (s *Store) rebuildInto(ctx context.Context, tx *sqlx.Tx, progress func(done, total int)) (n int, lastSeq int64, err error) {
	src, err := s.read.BeginTxx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("store: replay: %w", err)
	}
	defer src.Rollback()
	var total int
	if progress != nil {
		if err := src.GetContext(ctx, &total, `SELECT COUNT(*) FROM events`); err != nil {
			return 0, 0, fmt.Errorf("store: replay: count events: %w", err)
		}
	}
	ptx := newPreparedTx(tx)
	defer ptx.Close()
	pr := newReplayProjector(ptx)

	// Reading and decoding the log runs beside the fold, a batch ahead of it.
	batches := make(chan []decodedEvent, 4)
	readErr := make(chan error, 1)
	readCtx, stopReading := context.WithCancel(ctx)
	go func() {
		defer close(batches)
		readErr <- readLog(readCtx, src, batches)
	}()
	defer func() {
		// On an early return, stop the reader and wait for it before src is rolled back.
		stopReading()
		for range batches {
		}
	}()
	for batch := range batches {
		for _, e := range batch {
			if err := pr.apply(e.Event, e.payload); err != nil {
				return 0, 0, err
			}
			lastSeq = e.Seq
			n++
			if progress != nil && n%ReplayProgressEvery == 0 {
				progress(n, total)
			}
		}
	}
	if err := <-readErr; err != nil {
		return 0, 0, err
	}
	if err := pr.flush(); err != nil {
		return 0, 0, err
	}
	if err := ptx.Close(); err != nil {
		return 0, 0, fmt.Errorf("store: replay: %w", err)
	}
	if progress != nil {
		progress(n, total)
	}
	return n, lastSeq, nil
}

func (s *Store) compareTable(ctx context.Context, conn *sqlx.Tx, liveSchema, replaySchema, table string) (TableDiff, error) {
	d := TableDiff{Table: table}
	if err := conn.GetContext(ctx, &d.LiveRows, `SELECT COUNT(*) FROM `+liveSchema+`.`+table); err != nil {
		return d, fmt.Errorf("store: replay: count %s: %w", table, err)
	}
	if err := conn.GetContext(ctx, &d.ReplayRows, `SELECT COUNT(*) FROM `+replaySchema+`.`+table); err != nil {
		return d, fmt.Errorf("store: replay: count %s: %w", table, err)
	}
	pk, err := s.d.primaryKey(ctx, conn, liveSchema, table)
	if err != nil {
		return d, fmt.Errorf("store: replay: key of %s: %w", table, err)
	}
	live, err := except(ctx, conn, liveSchema, replaySchema, table, pk, &d.Differing)
	if err != nil {
		return d, err
	}
	replayed, err := except(ctx, conn, replaySchema, liveSchema, table, pk, &d.Differing)
	if err != nil {
		return d, err
	}
	// A row on both sides with the same key differs in some columns: name just those.
	byKey := map[string]diffRow{}
	for _, r := range replayed {
		byKey[r.key] = r
	}
	paired := map[string]bool{}
	for _, l := range live {
		r, ok := byKey[l.key]
		if !ok || len(d.Changed) >= 5 {
			continue
		}
		paired[l.key] = true
		var cols []string
		for i, c := range l.cols {
			if l.vals[i] != r.vals[i] {
				cols = append(cols, fmt.Sprintf("%s: live %q, replayed %q", c, clip(l.vals[i]), clip(r.vals[i])))
			}
		}
		d.Changed = append(d.Changed, l.key+": "+strings.Join(cols, "; "))
	}
	for _, l := range live {
		if !paired[l.key] && len(d.OnlyLive) < 3 {
			d.OnlyLive = append(d.OnlyLive, l.String())
		}
	}
	for _, r := range replayed {
		if !paired[r.key] && len(d.OnlyReplay) < 3 {
			d.OnlyReplay = append(d.OnlyReplay, r.String())
		}
	}
	return d, nil
}

// diffRow is one row found on one side only, with its primary key.
type diffRow struct {
	key  string
	cols []string
	vals []string
}

func (r diffRow) String() string {
	parts := make([]string, len(r.cols))
	for i, c := range r.cols {
		parts[i] = fmt.Sprintf("%s=%q", c, clip(r.vals[i]))
	}
	return strings.Join(parts, " ")
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// except returns the first rows of a.table missing from b.table, and counts them all.
func except(ctx context.Context, conn *sqlx.Tx, a, b, table string, pk []string, count *int) ([]diffRow, error) {
	rows, err := conn.QueryxContext(ctx, `SELECT * FROM `+a+`.`+table+` EXCEPT SELECT * FROM `+b+`.`+table)
	if err != nil {
		return nil, fmt.Errorf("store: replay: compare %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("store: replay: compare %s: %w", table, err)
	}
	var out []diffRow
	for rows.Next() {
		*count++
		if len(out) >= 50 {
			continue
		}
		vals, err := rows.SliceScan()
		if err != nil {
			return nil, fmt.Errorf("store: replay: compare %s: %w", table, err)
		}
		r := diffRow{cols: cols, vals: make([]string, len(vals))}
		var key []string
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			r.vals[i] = fmt.Sprint(v)
			if slices.Contains(pk, cols[i]) {
				key = append(key, cols[i]+"="+r.vals[i])
			}
		}
		r.key = strings.Join(key, " ")
		out = append(out, r)
	}
	return out, rows.Err()
}

// String renders the report for the command line.
func (r *ReplayReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "events read: %d\n", r.Events)
	for _, t := range r.Tables {
		status := "identical"
		if t.Differing > 0 {
			status = fmt.Sprintf("%d differing row(s)", t.Differing)
		}
		fmt.Fprintf(&b, "%-13s live %6d  replayed %6d  %s\n", t.Table, t.LiveRows, t.ReplayRows, status)
		for _, s := range t.Changed {
			fmt.Fprintf(&b, "    differs:       %s\n", s)
		}
		for _, s := range t.OnlyLive {
			fmt.Fprintf(&b, "    only live:     %s\n", s)
		}
		for _, s := range t.OnlyReplay {
			fmt.Fprintf(&b, "    only replayed: %s\n", s)
		}
	}
	switch {
	case r.Fixed:
		b.WriteString("result: DIFFERENT; live read models replaced with the rebuilt ones\n")
	case r.Identical():
		b.WriteString("result: identical\n")
	default:
		b.WriteString("result: DIFFERENT (run with --fix to replace the live read models)\n")
	}
	return b.String()
}
