package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The backlog and a task page as they were (issue 12). The backlog folds from the same
// board fold and checkpoints as the board (asof.go), which keep the project's sprints
// since checkpoint format 2. A task page as it was folds the task's own stream (with
// applyTask, as every task read does) and, for its worklogs, the worklog events in it.

// BacklogState is a project's backlog page as it was at a position of the log: the
// board's positions (BoardState, whose Tasks are nil) and the lists.
type BacklogState struct {
	*BoardState
	Backlog *Backlog
	// Sprints are all the project's sprints of then (not deleted), completed ones too:
	// the page names the sprint a task was carried over from.
	Sprints []*Sprint
}

// BacklogAsOf returns the project's backlog page as it was at position at of the log:
// the active then planned sprints of then with their tasks, and the backlog, each in
// rank order, with the tasks' fields of then. Errors as BoardAsOf's.
func (s *Store) BacklogAsOf(ctx context.Context, projectID string, at int64) (*BacklogState, error) {
	return s.backlogAsOf(ctx, projectID, at, asofOptions{useCheckpoints: true, saveCheckpoints: !s.readOnly})
}

func (s *Store) backlogAsOf(ctx context.Context, projectID string, at int64, o asofOptions) (*BacklogState, error) {
	st, err := s.boardAsOf(ctx, projectID, at, o)
	if err != nil {
		return nil, err
	}
	f := st.fold
	st.Tasks = nil // the board's cards: not the backlog's
	bs := &BacklogState{BoardState: st, Backlog: f.backlog(projectID)}
	for _, sp := range f.Sprints {
		if !sp.deleted {
			c := *sp
			bs.Sprints = append(bs.Sprints, &c)
		}
	}
	slices.SortFunc(bs.Sprints, func(a, b *Sprint) int { return a.Number - b.Number })
	return bs, nil
}

// backlog returns the fold's backlog page as Backlog reads the live one: sprints not
// deleted nor completed (active first, then planned, each by number) with their counts,
// and the tasks not archived by (rank, id): in their sprint's list when it is one of
// those, else in the backlog unless their column is done.
func (f *boardFold) backlog(projectID string) *Backlog {
	wf := &Project{Columns: f.Columns}
	b := &Backlog{Backlog: PlanList{Tasks: []*Task{}}}
	var sprints []*Sprint
	for _, sp := range f.Sprints {
		if !sp.deleted && sp.State != SprintCompleted {
			c := *sp
			c.Tasks, c.Points = 0, 0
			sprints = append(sprints, &c)
		}
	}
	slices.SortFunc(sprints, func(a, b *Sprint) int {
		if (a.State == SprintActive) != (b.State == SprintActive) {
			if a.State == SprintActive {
				return -1
			}
			return 1
		}
		return a.Number - b.Number
	})
	lists := make(map[string]int, len(sprints))
	for i, sp := range sprints {
		lists[sp.ID] = i
		b.Sprints = append(b.Sprints, PlanList{Sprint: sp, Tasks: []*Task{}})
	}
	tasks := make([]*Task, 0, len(f.Tasks))
	for _, t := range f.Tasks {
		if !t.Archived {
			tasks = append(tasks, t)
		}
	}
	slices.SortFunc(tasks, func(a, b *Task) int {
		if n := strings.Compare(a.Rank, b.Rank); n != 0 {
			return n
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, t := range tasks {
		if i, ok := lists[t.SprintID]; ok {
			l := &b.Sprints[i]
			l.Tasks = append(l.Tasks, f.planTask(projectID, t))
			l.Sprint.Tasks++
			if t.Points != nil {
				l.Sprint.Points += *t.Points
			}
		} else if !wf.Done(t.ColumnID) {
			b.Backlog.Tasks = append(b.Backlog.Tasks, f.planTask(projectID, t))
		}
	}
	return b
}

// planTask is a task of the fold as the backlog page shows it: what a checkpoint keeps
// (no description, no creation or update stamps), key set.
func (f *boardFold) planTask(projectID string, t *Task) *Task {
	return &Task{
		ID: t.ID, ProjectID: projectID, Number: t.Number, Key: f.Key + "-" + strconv.Itoa(t.Number), Title: t.Title,
		Type: t.Type, Priority: t.Priority, ColumnID: t.ColumnID, Rank: t.Rank, AssigneeID: t.AssigneeID,
		Labels: slices.Clone(t.Labels), Points: clonePtr(t.Points), Due: t.Due, Archived: t.Archived,
		SprintID: t.SprintID, CarriedFrom: t.CarriedFrom, Estimate: clonePtr(t.Estimate), Remaining: clonePtr(t.Remaining),
		Logged: t.Logged, Version: t.Version,
	}
}

// encodeSprints appends the fold's sprints to a checkpoint (format 2), by id.
func (f *boardFold) encodeSprints(w *cpWriter) {
	ids := slices.Sorted(maps.Keys(f.Sprints))
	w.uint(uint64(len(ids)))
	for _, id := range ids {
		sp := f.Sprints[id]
		w.str(sp.ID)
		w.str(sp.ProjectID)
		w.int(int64(sp.Number))
		w.str(sp.Name)
		w.str(sp.Goal)
		w.str(sp.Start)
		w.str(sp.End)
		w.str(string(sp.State))
		w.optTime(sp.StartedAt)
		w.optTime(sp.CompletedAt)
		w.int(int64(sp.Version))
		w.int(sp.CreatedAt.UnixNano())
		w.bool(sp.deleted)
	}
}

// decodeSprints reads what encodeSprints wrote.
func (f *boardFold) decodeSprints(r *cpReader) {
	n := r.count()
	for range n {
		sp := &Sprint{ID: r.str(), ProjectID: r.str(), Number: int(r.int()), Name: r.str(), Goal: r.str(),
			Start: r.str(), End: r.str(), State: SprintState(r.str())}
		sp.StartedAt = r.optTime()
		sp.CompletedAt = r.optTime()
		sp.Version = int(r.int())
		sp.CreatedAt = time.Unix(0, r.int()).UTC()
		sp.deleted = r.bool()
		if r.err != nil {
			return
		}
		f.Sprints[sp.ID] = sp
	}
}

func (w *cpWriter) optTime(t *time.Time) {
	w.bool(t != nil)
	if t != nil {
		w.int(t.UnixNano())
	}
}

func (r *cpReader) optTime() *time.Time {
	if !r.bool() {
		return nil
	}
	t := time.Unix(0, r.int()).UTC()
	return &t
}

// TaskState is a task page as it was at a position of the log.
type TaskState struct {
	// Task has the task's fields as of then, key set.
	Task *Task
	// Columns are the project's workflow columns as of then.
	Columns []Column
	// Sprints are the task's sprint and the one it was carried over from, as of then.
	Sprints []*Sprint
	// Time is the task's time tracking as of then: summary, worklogs and why.
	Time *TaskTime
	Seq  int64 // the position asked for
	// LastSeq is the task's last change at or before Seq, At its instant.
	LastSeq int64
	At      time.Time
	Since   int   // the task's changes after Seq
	Prev    int64 // the task's change before LastSeq (0: none)
	Next    int64 // the task's first change after Seq (0: none)
}

// TaskNotYetError refuses a task page as of a position before the task was created.
type TaskNotYetError struct {
	Key       string
	Seq       int64     // the position asked for
	At        time.Time // the instant of the log's change at Seq
	CreatedAt time.Time // when the task was created
}

func (e *TaskNotYetError) Error() string {
	return fmt.Sprintf("%s did not exist yet at position %d.", e.Key, e.Seq)
}

// Unwrap lets ErrorCode see it as ENOTFOUND.
func (e *TaskNotYetError) Unwrap() error { return &Error{Code: ENOTFOUND, Message: e.Error()} }

// TaskAsOf returns task t of project p as it was at position at of the log. Errors:
// EINVALID for a position outside the project's life (as BoardAsOf's), and a
// TaskNotYetError (ENOTFOUND) before the task was created.
func (s *Store) TaskAsOf(ctx context.Context, p *Project, t *Task, at int64) (*TaskState, error) {
	tx, err := s.read.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: %s as of %d: %w", t.Key, at, err)
	}
	defer tx.Rollback()
	var bounds struct {
		First sqlNullInt `db:"first"`
		End   int64      `db:"end"`
	}
	if err := tx.GetContext(ctx, &bounds, `SELECT (SELECT MIN(seq) FROM events WHERE stream = ?) AS first,
		(SELECT COALESCE(MAX(seq), 0) FROM events) AS end`, projectStream(p.ID)); err != nil {
		return nil, fmt.Errorf("store: %s as of %d: %w", t.Key, at, err)
	}
	switch {
	case at < 1:
		return nil, Errorf(EINVALID, "A position in the log is a whole number from 1; %d is not one.", at)
	case at > bounds.End:
		return nil, Errorf(EINVALID, "Position %d is after the last change (%d): there is nothing to show there yet.", at, bounds.End)
	case !bounds.First.Valid || at < bounds.First.V:
		return nil, Errorf(EINVALID, "%s did not exist yet at position %d: it begins at %d.", p.Key, at, bounds.First.V)
	}
	read := func(stream string) ([]decodedEvent, error) {
		var rows []eventRow
		if err := tx.SelectContext(ctx, &rows, `SELECT seq, stream, version, type, actor, at, data FROM events
			WHERE stream = ? AND seq <= ? ORDER BY version`, stream, at); err != nil {
			return nil, fmt.Errorf("store: %s as of %d: %w", t.Key, at, err)
		}
		return decodeRows(rows)
	}
	events, err := read(taskStream(t.ID))
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		e := &TaskNotYetError{Key: t.Key, Seq: at, CreatedAt: t.CreatedAt}
		var when string
		if err := tx.GetContext(ctx, &when, `SELECT at FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT 1`, at); err != nil {
			return nil, fmt.Errorf("store: %s as of %d: %w", t.Key, at, err)
		}
		if e.At, err = parseTime(when); err != nil {
			return nil, err
		}
		return nil, e
	}
	st := &TaskState{Seq: at}
	var task *Task
	for _, e := range events {
		if task, err = applyTask(task, e.Event, e.payload); err != nil {
			return nil, fmt.Errorf("store: %s as of %d: %w", t.Key, at, err)
		}
	}
	task.Key = t.Key
	st.Task = task
	last := events[len(events)-1]
	st.LastSeq, st.At = last.Seq, last.At
	if len(events) > 1 {
		st.Prev = events[len(events)-2].Seq
	}
	var next sqlNullInt
	if err := tx.GetContext(ctx, &next, `SELECT MIN(seq) FROM events WHERE stream = ? AND seq > ?`, taskStream(t.ID), at); err != nil {
		return nil, fmt.Errorf("store: %s as of %d: %w", t.Key, at, err)
	}
	if err := tx.GetContext(ctx, &st.Since, `SELECT COUNT(*) FROM events WHERE stream = ? AND seq > ?`, taskStream(t.ID), at); err != nil {
		return nil, fmt.Errorf("store: %s as of %d: %w", t.Key, at, err)
	}
	st.Next = next.V

	project, err := read(projectStream(p.ID))
	if err != nil {
		return nil, err
	}
	for _, e := range project {
		switch pe := e.payload.(type) {
		case *ProjectCreated:
			st.Columns = slices.Clone(pe.Columns)
		case *WorkflowChanged:
			st.Columns = slices.Clone(pe.To)
		}
	}
	for _, id := range []string{task.SprintID, task.CarriedFrom} {
		if id == "" || slices.ContainsFunc(st.Sprints, func(sp *Sprint) bool { return sp.ID == id }) {
			continue
		}
		events, err := read(sprintStream(id))
		if err != nil {
			return nil, err
		}
		var sp *Sprint
		for _, e := range events {
			if sp, err = applySprint(sp, e.Event, e.payload); err != nil {
				return nil, fmt.Errorf("store: %s as of %d: %w", t.Key, at, err)
			}
		}
		if sp != nil && !sp.deleted {
			st.Sprints = append(st.Sprints, sp)
		}
	}

	st.Time = &TaskTime{TimeSummary: task.Time(), Worklogs: foldWorklogs(task, events)}
	tx.Rollback()
	e, ok, err := whyRemaining(events)
	if err != nil {
		return nil, err
	}
	if ok {
		then := *p
		then.Columns = st.Columns
		rows := []historyRow{{Seq: e.Seq, TaskID: task.ID, Type: e.Type, Actor: e.Actor, At: formatTime(e.At),
			Data: string(e.Data), TaskKey: task.Key, Stream: e.Stream}}
		entries, err := s.describe(ctx, &then, rows)
		if err != nil {
			return nil, err
		}
		st.Time.Why = &entries[0]
	}
	return st, nil
}

// foldWorklogs returns the worklogs of task t (as of its last event in events) from
// its events, as Worklogs reads the live ones: newest work date first, then newest
// logged first.
func foldWorklogs(t *Task, events []decodedEvent) []*Worklog {
	byID := map[string]*Worklog{}
	for _, e := range events {
		switch p := e.payload.(type) {
		case *WorkLogged:
			byID[p.WorklogID] = &Worklog{ID: p.WorklogID, TaskID: t.ID, ProjectID: t.ProjectID, AuthorID: e.Actor,
				Date: p.Date, Start: p.Start, Seconds: p.Seconds, Comment: p.Comment, Version: 1,
				CreatedAt: e.At, UpdatedAt: e.At}
		case *WorklogEdited:
			w := byID[p.WorklogID]
			if w == nil {
				continue
			}
			if p.Date != nil {
				w.Date = p.Date.To
			}
			if p.Start != nil {
				w.Start = p.Start.To
			}
			if p.Comment != nil {
				w.Comment = p.Comment.To
			}
			if p.Seconds != nil {
				w.Seconds = p.Seconds.To
			}
			w.Version, w.UpdatedAt = p.Version, e.At
		case *WorklogDeleted:
			delete(byID, p.WorklogID)
		}
	}
	out := make([]*Worklog, 0, len(byID))
	for _, w := range byID {
		w.TaskKey, w.TaskTitle = t.Key, t.Title
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b *Worklog) int {
		if n := strings.Compare(b.Date, a.Date); n != 0 {
			return n
		}
		if n := b.CreatedAt.Compare(a.CreatedAt); n != 0 {
			return n
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out
}
