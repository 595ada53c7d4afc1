package store

import (
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// The board as it was (issue 12): a project's board folded from its events up to a
// position of the log. The fold starts from the nearest board checkpoint at or before
// the position and replays the project's events after it (event_projects lists them:
// migration 00013).
//
// event_projects is filled lazily too: each as-of read first lists the events appended
// since the last one (indexProjectEvents), so that appending an event, a move, costs
// what it did (a trigger on the log did it at append time for about 15% more CPU per
// move, measured with BoardTasks' move benchmark).
//
// Checkpoints are written lazily too: an as-of read that folds past a checkpoint
// position (every CheckpointEvery events of the project, and each sprint start and
// completion) stores the board there; as the fold starts from the nearest stored
// checkpoint, every position it passes is one still missing. The first read of a deep
// position stores them all at once (BenchmarkBoardAsOf logs what that costs).

// CheckpointEvery is how many of a project's events lie between two board checkpoints.
const CheckpointEvery = 500

// checkpointEvery is CheckpointEvery; tests lower it to place many checkpoints in a
// short history.
var checkpointEvery = CheckpointEvery

// checkpointFormat is the version of a checkpoint's encoding and of the fold that made
// it; a stored checkpoint of another version is ignored and replaced. Version 2 added
// the project's sprints (the backlog as it was: asof_backlog.go).
const checkpointFormat = 2

// BoardState is a project's board as it was at a position of the log.
type BoardState struct {
	// Project has the project's id, key, name and workflow columns as of then; its
	// other fields are zero.
	Project Project
	// Tasks are the cards: the tasks not archived as of then, in board order (columns
	// in workflow order, each by rank), with what BoardTasks reads for the board with
	// labels (no rank, description or dates).
	Tasks []*Task
	Seq   int64 // the position asked for
	// LastSeq is the project's last event at or before Seq: the change the board shows
	// last; At is its instant.
	LastSeq int64
	At      time.Time
	Since   int   // the project's events after Seq: changes since
	Prev    int64 // the project's event before LastSeq (0: none): the board one change earlier
	Next    int64 // the project's first event after Seq (0: none)
	Head    int64 // the project's last event: the live board's position
	// From is the checkpoint the fold started from (0: the project's first event) and
	// Folded the number of events folded after it.
	From   int64
	Folded int

	fold *boardFold // the fold at Seq: the backlog as it was reads it (asof_backlog.go)
}

// asofOptions says whether a read uses and writes checkpoints (tests and benchmarks
// compare the two ways).
type asofOptions struct {
	useCheckpoints, saveCheckpoints bool
}

// BoardAsOf returns the project's board as it was at position at of the log: after every
// event with a seq up to at. Errors: ENOTFOUND for an unknown project, EINVALID for a
// position before the project existed or after the log's end.
func (s *Store) BoardAsOf(ctx context.Context, projectID string, at int64) (*BoardState, error) {
	return s.boardAsOf(ctx, projectID, at, asofOptions{useCheckpoints: true, saveCheckpoints: !s.readOnly})
}

func (s *Store) boardAsOf(ctx context.Context, projectID string, at int64, o asofOptions) (*BoardState, error) {
	if err := s.indexProjectEvents(ctx); err != nil {
		return nil, err
	}
	tx, err := s.read.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: board as of %d: %w", at, err)
	}
	defer tx.Rollback()
	var key string
	if err := tx.GetContext(ctx, &key, `SELECT key FROM projects WHERE id = ?`, projectID); err != nil {
		return nil, notFound(err, "project %s", projectID)
	}
	var head struct {
		First sqlNullInt `db:"first"`
		Last  sqlNullInt `db:"last"`
	}
	// Two subqueries: SQLite reads a MIN or a MAX alone from the index's end, both in
	// one SELECT from every row of the project.
	if err := tx.GetContext(ctx, &head, `SELECT (SELECT MIN(seq) FROM event_projects WHERE project_id = ?1) AS first,
		(SELECT MAX(seq) FROM event_projects WHERE project_id = ?1) AS last`, projectID); err != nil {
		return nil, fmt.Errorf("store: board of %s as of %d: %w", key, at, err)
	}
	// The log as far as event_projects lists it: an event appended since is not shown.
	var logEnd int64
	if err := tx.GetContext(ctx, &logEnd, `SELECT seq FROM event_projects_head`); err != nil {
		return nil, fmt.Errorf("store: board of %s as of %d: %w", key, at, err)
	}
	switch {
	case at < 1:
		return nil, Errorf(EINVALID, "A position in the log is a whole number from 1; %d is not one.", at)
	case at > logEnd:
		return nil, Errorf(EINVALID, "Position %d is after the last change (%d): there is nothing to show there yet.", at, logEnd)
	case !head.First.Valid || at < head.First.V:
		return nil, Errorf(EINVALID, "%s did not exist yet at position %d: it begins at %d.", key, at, head.First.V)
	}

	f := newBoardFold()
	if o.useCheckpoints {
		if f, err = loadCheckpoint(ctx, tx, projectID, at); err != nil {
			return nil, err
		}
	}
	st := &BoardState{Seq: at, From: f.Seq, Head: head.Last.V}
	var saves []checkpointRow
	var rows []eventRow
	if err := tx.SelectContext(ctx, &rows, `SELECT e.seq, e.stream, e.version, e.type, e.actor, e.at, e.data
		FROM event_projects ep JOIN events e ON e.seq = ep.seq
		WHERE ep.project_id = ? AND ep.seq > ? AND ep.seq <= ? ORDER BY ep.seq`, projectID, f.Seq, at); err != nil {
		return nil, fmt.Errorf("store: board of %s as of %d: %w", key, at, err)
	}
	for _, r := range rows {
		d, err := r.decoded()
		if err != nil {
			return nil, err
		}
		e := d.Event
		if err := f.apply(e, d.payload); err != nil {
			return nil, fmt.Errorf("store: board of %s as of %d: %w", key, at, err)
		}
		st.Folded++
		if o.saveCheckpoints && f.checkpointHere(e) {
			state, err := f.encode()
			if err != nil {
				return nil, err
			}
			saves = append(saves, checkpointRow{Seq: e.Seq, State: state})
		}
	}
	if err := tx.GetContext(ctx, &st.Since, `SELECT COUNT(*) FROM event_projects WHERE project_id = ? AND seq > ?`, projectID, at); err != nil {
		return nil, fmt.Errorf("store: board of %s as of %d: %w", key, at, err)
	}
	var prev sqlNullInt
	if err := tx.GetContext(ctx, &prev, `SELECT MAX(seq) FROM event_projects WHERE project_id = ? AND seq < ?`, projectID, f.Seq); err != nil {
		return nil, fmt.Errorf("store: board of %s as of %d: %w", key, at, err)
	}
	var next sqlNullInt
	if err := tx.GetContext(ctx, &next, `SELECT MIN(seq) FROM event_projects WHERE project_id = ? AND seq > ?`, projectID, at); err != nil {
		return nil, fmt.Errorf("store: board of %s as of %d: %w", key, at, err)
	}
	tx.Rollback()
	st.Prev, st.Next = prev.V, next.V
	st.LastSeq, st.At = f.Seq, f.At
	st.Project = Project{ID: projectID, Key: f.Key, Name: f.Name, Columns: slices.Clone(f.Columns)}
	st.Tasks = f.cards(projectID)
	st.fold = f
	if len(saves) > 0 {
		// A checkpoint is a cache: failing to store one does not fail the read.
		_ = s.saveCheckpoints(ctx, projectID, saves)
	}
	return st, nil
}

// SeqAt returns the position of the project's last event at or before t: the board at
// instant t is the board at that position. It is 0 when the project did not exist yet.
func (s *Store) SeqAt(ctx context.Context, projectID string, t time.Time) (int64, error) {
	if err := s.indexProjectEvents(ctx); err != nil {
		return 0, err
	}
	var seq sqlNullInt
	if err := s.read.GetContext(ctx, &seq, `SELECT (SELECT seq FROM event_projects WHERE project_id = ? AND at <= ?
		ORDER BY at DESC, seq DESC LIMIT 1)`, projectID, formatTime(t)); err != nil {
		return 0, fmt.Errorf("store: position of project %s at %s: %w", projectID, t, err)
	}
	return seq.V, nil
}

// indexChunk is how many positions of the log one transaction of indexProjectEvents
// lists at most, so that catching up with a long log never holds the writer long:
// listing 320,000 events took 4.7 s (BenchmarkBoardAsOf, load ~10), so a chunk holds
// it for about 75 ms.
var indexChunk int64 = 5_000

// indexProjectEvents lists in event_projects the events appended since it last ran, in
// transactions of up to indexChunk positions. A task's or a sprint's project is in its
// first event (task.created, sprint.created). A store opened read-only lists nothing:
// its as-of reads see the log as far as it was listed.
func (s *Store) indexProjectEvents(ctx context.Context) error {
	var pos struct {
		Head int64 `db:"head"`
		End  int64 `db:"end"`
	}
	if err := s.read.GetContext(ctx, &pos, `SELECT (SELECT seq FROM event_projects_head) AS head,
		(SELECT COALESCE(MAX(seq), 0) FROM events) AS end`); err != nil {
		return fmt.Errorf("store: list project events: %w", err)
	}
	if pos.Head >= pos.End || s.readOnly {
		return nil
	}
	for done := false; !done; {
		_, err := s.writeTx(ctx, func(w *writer) error {
			var head, end int64
			if err := w.tx.Get(&head, `SELECT seq FROM event_projects_head`); err != nil {
				return err
			}
			if err := w.tx.Get(&end, `SELECT COALESCE(MAX(seq), 0) FROM events`); err != nil {
				return err
			}
			if end > head+indexChunk {
				end = head + indexChunk
			} else {
				done = true
			}
			if _, err := w.tx.Exec(`INSERT INTO event_projects (project_id, seq, at)
				SELECT pid, seq, at FROM (
					SELECT e.seq AS seq, e.at AS at, CASE
						WHEN substr(e.stream, 1, 8) = 'project:' THEN substr(e.stream, 9)
						WHEN e.version = 1 THEN `+w.d.jsonText("e.data", "project_id")+`
						ELSE (SELECT `+w.d.jsonText("f.data", "project_id")+` FROM events f WHERE f.stream = e.stream AND f.version = 1)
					END AS pid
					FROM events e
					WHERE e.seq > ? AND e.seq <= ?
					  AND (substr(e.stream, 1, 8) = 'project:' OR substr(e.stream, 1, 5) = 'task:' OR substr(e.stream, 1, 7) = 'sprint:')
					  AND substr(e.stream, length(e.stream) - 9) <> ':conflicts'
				) AS listed WHERE pid IS NOT NULL
				ON CONFLICT (project_id, seq) DO NOTHING`, head, end); err != nil {
				return err
			}
			_, err := w.tx.Exec(`UPDATE event_projects_head SET seq = ?`, end)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: list project events: %w", err)
		}
	}
	return nil
}

// BoardCheckpoints returns the positions of the project's stored board checkpoints, in
// order.
func (s *Store) BoardCheckpoints(ctx context.Context, projectID string) ([]int64, error) {
	var seqs []int64
	if err := s.read.SelectContext(ctx, &seqs, `SELECT seq FROM board_checkpoints WHERE project_id = ? ORDER BY seq`, projectID); err != nil {
		return nil, fmt.Errorf("store: checkpoints of project %s: %w", projectID, err)
	}
	return seqs, nil
}

// sqlNullInt scans a nullable integer as 0.
type sqlNullInt struct {
	V     int64
	Valid bool
}

func (n *sqlNullInt) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		n.V, n.Valid = 0, false
	case int64:
		n.V, n.Valid = v, true
	default:
		return fmt.Errorf("store: %T is not an integer", v)
	}
	return nil
}

type checkpointRow struct {
	Seq   int64  `db:"seq"`
	State []byte `db:"state"`
}

// loadCheckpoint returns the fold at the project's nearest stored checkpoint at or
// before at, or an empty fold when there is none (or it is of another format).
func loadCheckpoint(ctx context.Context, q sqlx.QueryerContext, projectID string, at int64) (*boardFold, error) {
	var cp checkpointRow
	err := sqlx.GetContext(ctx, q, &cp, `SELECT seq, state FROM board_checkpoints WHERE project_id = ? AND seq <= ?
		ORDER BY seq DESC LIMIT 1`, projectID, at)
	if err != nil {
		if isNoRows(err) {
			return newBoardFold(), nil
		}
		return nil, fmt.Errorf("store: checkpoint of project %s: %w", projectID, err)
	}
	f, err := decodeFold(cp.State)
	if err != nil || f.V != checkpointFormat || f.Seq != cp.Seq {
		return newBoardFold(), nil
	}
	return f, nil
}

// saveCheckpoints stores checkpoints (replacing any of another format at the same place).
func (s *Store) saveCheckpoints(ctx context.Context, projectID string, cps []checkpointRow) error {
	_, err := s.writeTx(ctx, func(w *writer) error {
		for _, cp := range cps {
			if _, err := w.tx.Exec(`INSERT INTO board_checkpoints (project_id, seq, state) VALUES (?, ?, ?)
				ON CONFLICT (project_id, seq) DO UPDATE SET state = excluded.state`,
				projectID, cp.Seq, cp.State); err != nil {
				return fmt.Errorf("store: save checkpoint %d of project %s: %w", cp.Seq, projectID, err)
			}
		}
		return nil
	})
	return err
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// boardFold is a project's board folded from its events: what a checkpoint stores.
type boardFold struct {
	V       int       // checkpointFormat
	Seq     int64     // the last event folded
	At      time.Time // its instant
	Count   int       // the project's events folded
	Key     string
	Name    string
	Columns []Column
	// Tasks are all the project's tasks, archived ones too (a restore brings them back).
	Tasks map[string]*Task
	// Sprints are all the project's sprints, deleted ones too (format 2).
	Sprints map[string]*Sprint
}

func newBoardFold() *boardFold {
	return &boardFold{V: checkpointFormat, Tasks: map[string]*Task{}, Sprints: map[string]*Sprint{}}
}

// apply folds one of the project's events.
func (f *boardFold) apply(e Event, p Payload) error {
	kind, id := streamID(e.Stream)
	switch kind {
	case "project":
		switch p := p.(type) {
		case *ProjectCreated:
			f.Key, f.Name, f.Columns = p.Key, p.Name, slices.Clone(p.Columns)
		case *WorkflowChanged:
			f.Columns = slices.Clone(p.To)
		}
	case "task":
		t, err := applyTask(f.Tasks[id], e, p)
		if err != nil {
			return err
		}
		// The board shows no description: the fold does not keep it.
		t.Description = ""
		f.Tasks[id] = t
	case "sprint":
		sp, err := applySprint(f.Sprints[id], e, p)
		if err != nil {
			return err
		}
		f.Sprints[id] = sp
	}
	f.Seq, f.At = e.Seq, e.At
	f.Count++
	return nil
}

// checkpointHere reports whether the board after e (just folded) is a checkpoint.
func (f *boardFold) checkpointHere(e Event) bool {
	return f.Count%checkpointEvery == 0 || e.Type == TypeSprintStarted || e.Type == TypeSprintCompleted
}

// cards returns the tasks not archived in board order, as BoardTasks reads them with
// labels: key set, no rank, description or dates.
func (f *boardFold) cards(projectID string) []*Task {
	byColumn := make(map[string][]*Task, len(f.Columns))
	for _, t := range f.Tasks {
		if !t.Archived {
			byColumn[t.ColumnID] = append(byColumn[t.ColumnID], t)
		}
	}
	prefix := f.Key + "-"
	out := make([]*Task, 0, len(f.Tasks))
	for _, c := range f.Columns {
		col := byColumn[c.ID]
		slices.SortFunc(col, func(a, b *Task) int {
			if n := strings.Compare(a.Rank, b.Rank); n != 0 {
				return n
			}
			return strings.Compare(a.ID, b.ID)
		})
		for _, t := range col {
			out = append(out, &Task{
				ID: t.ID, ProjectID: projectID, Number: t.Number, Key: prefix + strconv.Itoa(t.Number), Title: t.Title,
				Type: t.Type, Priority: t.Priority, ColumnID: t.ColumnID, AssigneeID: t.AssigneeID,
				Labels: slices.Clone(t.Labels), Points: clonePtr(t.Points), SprintID: t.SprintID, CarriedFrom: t.CarriedFrom,
				Estimate: clonePtr(t.Estimate), Remaining: clonePtr(t.Remaining), Logged: t.Logged, Version: t.Version,
			})
		}
	}
	return out
}

// encode returns the fold as a checkpoint stores it: a compact binary record (fields in
// a fixed order, tasks by id), deflated. JSON took two thirds of an as-of read to decode.
func (f *boardFold) encode() ([]byte, error) {
	var w cpWriter
	w.uint(checkpointFormat)
	w.int(f.Seq)
	w.int(f.At.UnixNano())
	w.int(int64(f.Count))
	w.str(f.Key)
	w.str(f.Name)
	w.uint(uint64(len(f.Columns)))
	for _, c := range f.Columns {
		w.str(c.ID)
		w.str(c.Name)
		w.int(int64(c.WIPLimit))
		w.str(string(c.Category))
	}
	ids := slices.Sorted(maps.Keys(f.Tasks))
	w.uint(uint64(len(ids)))
	for _, id := range ids {
		t := f.Tasks[id]
		w.str(t.ID)
		w.int(int64(t.Number))
		w.str(t.Title)
		w.str(string(t.Type))
		w.str(string(t.Priority))
		w.str(t.ColumnID)
		w.str(t.Rank)
		w.str(t.AssigneeID)
		w.uint(uint64(len(t.Labels)))
		for _, l := range t.Labels {
			w.str(l)
		}
		w.bool(t.Points != nil)
		if t.Points != nil {
			w.uint(math.Float64bits(*t.Points))
		}
		w.str(t.Due)
		w.bool(t.Archived)
		w.str(t.SprintID)
		w.str(t.CarriedFrom)
		w.optInt(t.Estimate)
		w.optInt(t.Remaining)
		w.int(t.Logged)
		w.int(int64(t.Version))
	}
	f.encodeSprints(&w)
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(w.b); err != nil {
		return nil, fmt.Errorf("store: encode checkpoint: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("store: encode checkpoint: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeFold reads a checkpoint's state; a checkpoint of another format is an error.
func decodeFold(state []byte) (*boardFold, error) {
	data, err := io.ReadAll(flate.NewReader(bytes.NewReader(state)))
	if err != nil {
		return nil, fmt.Errorf("store: read checkpoint: %w", err)
	}
	r := cpReader{b: data}
	f := newBoardFold()
	if v := r.uint(); v != checkpointFormat {
		return nil, fmt.Errorf("store: checkpoint format %d, want %d", v, checkpointFormat)
	}
	f.Seq = r.int()
	f.At = time.Unix(0, r.int()).UTC()
	f.Count = int(r.int())
	f.Key = r.str()
	f.Name = r.str()
	f.Columns = make([]Column, r.count())
	for i := range f.Columns {
		f.Columns[i] = Column{ID: r.str(), Name: r.str(), WIPLimit: int(r.int()), Category: Category(r.str())}
	}
	n := r.count()
	tasks := make([]Task, n)
	for i := range tasks {
		t := &tasks[i]
		t.ID = r.str()
		t.Number = int(r.int())
		t.Title = r.str()
		t.Type = TaskType(r.str())
		t.Priority = Priority(r.str())
		t.ColumnID = r.str()
		t.Rank = r.str()
		t.AssigneeID = r.str()
		t.Labels = make([]string, r.count())
		for j := range t.Labels {
			t.Labels[j] = r.str()
		}
		if r.bool() {
			p := math.Float64frombits(r.uint())
			t.Points = &p
		}
		t.Due = r.str()
		t.Archived = r.bool()
		t.SprintID = r.str()
		t.CarriedFrom = r.str()
		t.Estimate = r.optInt()
		t.Remaining = r.optInt()
		t.Logged = r.int()
		t.Version = int(r.int())
		f.Tasks[t.ID] = t
	}
	f.decodeSprints(&r)
	if r.err != nil || len(r.b) != 0 {
		return nil, fmt.Errorf("store: read checkpoint: damaged (%v, %d bytes left)", r.err, len(r.b))
	}
	return f, nil
}

// cpWriter appends a checkpoint's fields: varints, and strings with their length.
type cpWriter struct{ b []byte }

func (w *cpWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *cpWriter) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *cpWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}
func (w *cpWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}
func (w *cpWriter) optInt(p *int64) {
	w.bool(p != nil)
	if p != nil {
		w.int(*p)
	}
}

// cpReader reads what cpWriter wrote; the first error sticks and later reads are zero.
type cpReader struct {
	b   []byte
	err error
}

func (r *cpReader) fail() {
	if r.err == nil {
		r.err = errors.New("truncated")
	}
	r.b = nil
}

func (r *cpReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cpReader) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length, refusing one longer than what is left.
func (r *cpReader) count() int {
	v := r.uint()
	if v > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(v)
}

func (r *cpReader) str() string {
	n := r.count()
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *cpReader) bool() bool {
	if len(r.b) == 0 {
		r.fail()
		return false
	}
	v := r.b[0] != 0
	r.b = r.b[1:]
	return v
}

func (r *cpReader) optInt() *int64 {
	if !r.bool() {
		return nil
	}
	v := r.int()
	return &v
}
