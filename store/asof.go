package store

import (
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// Checkpoints are written lazily: an as-of read that folds past a checkpoint position
// (every CheckpointEvery events of the project, and each sprint start and completion)
// stores the board there, since the nearest stored checkpoint is before it, none after
// it is stored either. The live write path does not change: a move costs what it did,
// less the trigger's one row.

// CheckpointEvery is how many of a project's events lie between two board checkpoints.
const CheckpointEvery = 500

// checkpointEvery is CheckpointEvery; tests lower it to place many checkpoints in a
// short history.
var checkpointEvery = CheckpointEvery

// checkpointFormat is the version of a checkpoint's encoding and of the fold that made
// it; a stored checkpoint of another version is ignored and replaced.
const checkpointFormat = 1

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
		e, err := r.event()
		if err != nil {
			return nil, err
		}
		p, err := e.Decode()
		if err != nil {
			return nil, err
		}
		if err := f.apply(e, p); err != nil {
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
// lists at most, so that catching up with a long log never holds the writer long.
var indexChunk int64 = 20_000

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
			if _, err := w.tx.Exec(`INSERT OR IGNORE INTO event_projects (project_id, seq, at)
				SELECT pid, seq, at FROM (
					SELECT e.seq AS seq, e.at AS at, CASE
						WHEN e.stream GLOB 'project:*' THEN substr(e.stream, 9)
						WHEN e.version = 1 THEN json_extract(e.data, '$.project_id')
						ELSE (SELECT json_extract(f.data, '$.project_id') FROM events f WHERE f.stream = e.stream AND f.version = 1)
					END AS pid
					FROM events e
					WHERE e.seq > ? AND e.seq <= ?
					  AND (e.stream GLOB 'project:*' OR e.stream GLOB 'task:*' OR e.stream GLOB 'sprint:*')
					  AND NOT e.stream GLOB '*:conflicts'
				) WHERE pid IS NOT NULL`, head, end); err != nil {
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
			if _, err := w.tx.Exec(`INSERT OR REPLACE INTO board_checkpoints (project_id, seq, state) VALUES (?, ?, ?)`,
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
	V       int       `json:"v"`
	Seq     int64     `json:"seq"`   // the last event folded
	At      time.Time `json:"at"`    // its instant
	Count   int       `json:"count"` // the project's events folded
	Key     string    `json:"key"`
	Name    string    `json:"name"`
	Columns []Column  `json:"columns"`
	// Tasks are all the project's tasks, archived ones too (a restore brings them back).
	Tasks map[string]*Task `json:"-"`
}

func newBoardFold() *boardFold {
	return &boardFold{V: checkpointFormat, Tasks: map[string]*Task{}}
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
				Labels: slices.Clone(t.Labels), Points: copyPoints(t.Points), SprintID: t.SprintID, CarriedFrom: t.CarriedFrom,
				Estimate: copySeconds(t.Estimate), Remaining: copySeconds(t.Remaining), Logged: t.Logged, Version: t.Version,
			})
		}
	}
	return out
}

func copyPoints(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// foldTask is a task as a checkpoint stores it: what the board needs and the fold keeps.
type foldTask struct {
	ID          string   `json:"id"`
	Number      int      `json:"n"`
	Title       string   `json:"t"`
	Type        TaskType `json:"ty"`
	Priority    Priority `json:"pr"`
	ColumnID    string   `json:"c"`
	Rank        string   `json:"r"`
	AssigneeID  string   `json:"a,omitempty"`
	Labels      []string `json:"l"`
	Points      *float64 `json:"p,omitempty"`
	Due         string   `json:"d,omitempty"`
	Archived    bool     `json:"x,omitempty"`
	SprintID    string   `json:"s,omitempty"`
	CarriedFrom string   `json:"cf,omitempty"`
	Estimate    *int64   `json:"e,omitempty"`
	Remaining   *int64   `json:"re,omitempty"`
	Logged      int64    `json:"lo,omitempty"`
	Version     int      `json:"v"`
}

type foldJSON struct {
	*boardFold
	Tasks []foldTask `json:"tasks"`
}

// encode returns the fold as a checkpoint stores it: JSON, tasks by id, deflated.
func (f *boardFold) encode() ([]byte, error) {
	out := foldJSON{boardFold: f, Tasks: make([]foldTask, 0, len(f.Tasks))}
	for _, t := range f.Tasks {
		out.Tasks = append(out.Tasks, foldTask{
			ID: t.ID, Number: t.Number, Title: t.Title, Type: t.Type, Priority: t.Priority, ColumnID: t.ColumnID, Rank: t.Rank,
			AssigneeID: t.AssigneeID, Labels: t.Labels, Points: t.Points, Due: t.Due, Archived: t.Archived, SprintID: t.SprintID,
			CarriedFrom: t.CarriedFrom, Estimate: t.Estimate, Remaining: t.Remaining, Logged: t.Logged, Version: t.Version,
		})
	}
	slices.SortFunc(out.Tasks, func(a, b foldTask) int { return strings.Compare(a.ID, b.ID) })
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(out); err != nil {
		return nil, fmt.Errorf("store: encode checkpoint: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeFold reads a checkpoint's state.
func decodeFold(state []byte) (*boardFold, error) {
	data, err := io.ReadAll(flate.NewReader(bytes.NewReader(state)))
	if err != nil {
		return nil, fmt.Errorf("store: read checkpoint: %w", err)
	}
	in := foldJSON{boardFold: newBoardFold()}
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("store: read checkpoint: %w", err)
	}
	f := in.boardFold
	for _, t := range in.Tasks {
		f.Tasks[t.ID] = &Task{
			ID: t.ID, Number: t.Number, Title: t.Title, Type: t.Type, Priority: t.Priority, ColumnID: t.ColumnID, Rank: t.Rank,
			AssigneeID: t.AssigneeID, Labels: nonNil(t.Labels), Points: t.Points, Due: t.Due, Archived: t.Archived, SprintID: t.SprintID,
			CarriedFrom: t.CarriedFrom, Estimate: t.Estimate, Remaining: t.Remaining, Logged: t.Logged, Version: t.Version,
		}
	}
	return f, nil
}
