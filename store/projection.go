package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// project applies one event to the read models. It is the same fold for live writes and
// for replay, and it reads nothing but the event and the read models themselves.
func project(tx sqlx.Ext, e Event, p Payload) error {
	return projector{tx: tx}.apply(e, p)
}

// projector is the fold with what it may keep between events. A live write keeps
// nothing (held is nil): it reads each task from the read models, which other writes
// change between its events. A replay into a fresh database is the only writer there,
// so it holds what it writes instead of reading it back.
type projector struct {
	tx   sqlx.Ext
	held *heldState
}

// heldState is what a replay's fold holds in memory.
type heldState struct {
	tasks   map[string]*Task // every task, as the fold last changed it, by id
	created []string         // task ids in creation order
	// unsaved tasks were changed since they were last written. A task is inserted at
	// its creation, where a constraint can refuse it; its later changes cannot fail
	// one (they never touch project_id or number), so they are written once, by flush.
	unsaved map[string]bool
	// pending mirrors the pending_conflicts rows, so that a change by someone with
	// nothing pending on the task, nearly every change, skips endPending's query.
	pending map[pendingKey]pendingMark
	// history and activity hold rows not inserted yet, their values in column order.
	history, activity []any
}

type pendingKey struct{ taskID, userID string }

// pendingMark is what the fold needs of a pending_conflicts row: its event and fields.
type pendingMark struct {
	seq    int64
	fields []Field
}

// newReplayProjector returns the fold for a replay into a fresh database on tx: it keeps
// tasks and pending conflicts in memory instead of reading them back, writes a task's
// changes once, and gathers history and activity rows to insert many at once. Call
// flush before committing.
func newReplayProjector(tx sqlx.Ext) projector {
	return projector{tx: tx, held: &heldState{tasks: map[string]*Task{}, unsaved: map[string]bool{},
		pending: map[pendingKey]pendingMark{}}}
}

// flush writes the tasks changed since the last flush, in creation order (the order,
// and so the rowids, that writing each change at once gives), and the history and
// activity rows gathered since.
func (pr projector) flush() error {
	if pr.held == nil {
		return nil
	}
	for _, id := range pr.held.created {
		if !pr.held.unsaved[id] {
			continue
		}
		if err := saveTask(pr.tx, pr.held.tasks[id]); err != nil {
			return fmt.Errorf("store: project task %s: %w", id, err)
		}
	}
	clear(pr.held.unsaved)
	// The fold kept no card counts as it went: count them once from the tasks written.
	if _, err := pr.tx.Exec(`DELETE FROM column_cards`); err != nil {
		return err
	}
	if _, err := pr.tx.Exec(`INSERT INTO column_cards (project_id, column_id, cards)
		SELECT project_id, column_id, COUNT(*) FROM tasks WHERE NOT archived GROUP BY project_id, column_id`); err != nil {
		return err
	}
	if err := pr.insertRows("task_history", historyColumns, &pr.held.history); err != nil {
		return err
	}
	return pr.insertRows("activity", activityColumns, &pr.held.activity)
}

// countCards keeps column_cards in step with a task's change from before (nil when
// created) to after: the card leaves its column or enters one when its column or its
// archived state changes.
func countCards(tx sqlx.Ext, before, after *Task) error {
	if before != nil && after != nil && before.ColumnID == after.ColumnID && before.Archived == after.Archived {
		return nil
	}
	if before != nil && !before.Archived {
		if err := addCards(tx, before.ProjectID, before.ColumnID, -1); err != nil {
			return err
		}
	}
	if after != nil && !after.Archived {
		return addCards(tx, after.ProjectID, after.ColumnID, 1)
	}
	return nil
}

// addCards adds delta to a column's card count; a column left without cards has no row.
func addCards(tx sqlx.Ext, projectID, columnID string, delta int) error {
	if delta > 0 {
		_, err := tx.Exec(`INSERT INTO column_cards (project_id, column_id, cards) VALUES (?, ?, ?)
			ON CONFLICT (project_id, column_id) DO UPDATE SET cards = column_cards.cards + excluded.cards`, projectID, columnID, delta)
		return err
	}
	if _, err := tx.Exec(`DELETE FROM column_cards WHERE project_id = ? AND column_id = ? AND cards + ? <= 0`, projectID, columnID, delta); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE column_cards SET cards = cards + ? WHERE project_id = ? AND column_id = ?`, delta, projectID, columnID)
	return err
}

func (pr projector) apply(e Event, p Payload) error {
	kind, id := streamID(e.Stream)
	var err error
	switch kind {
	case "user":
		err = projectUser(pr.tx, id, e, p)
	case "project":
		err = pr.projectProject(id, e, p)
	case "task":
		err = pr.projectTask(id, e, p)
	case "sprint":
		err = pr.projectSprint(id, e, p)
	default:
		err = fmt.Errorf("unknown stream kind %q", kind)
	}
	if err != nil {
		return fmt.Errorf("store: project %s (seq %d): %w", e.Type, e.Seq, err)
	}
	return nil
}

// task returns task id as the fold last changed it.
func (pr projector) task(id string) (*Task, error) {
	if pr.held != nil {
		if t, ok := pr.held.tasks[id]; ok {
			return t, nil
		}
	}
	return loadTask(pr.tx, id)
}

func projectUser(tx sqlx.Ext, id string, e Event, p Payload) error {
	switch p := p.(type) {
	case *UserRegistered:
		_, err := tx.Exec(`INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)`,
			id, p.Email, p.Name, formatTime(e.At))
		return err
	}
	return fmt.Errorf("%s is not a user event", e.Type)
}

func (pr projector) projectProject(id string, e Event, p Payload) error {
	tx := pr.tx
	if _, ok := p.(*WorkflowConflicted); ok {
		// A refused change is history only: the project's version does not move.
		return pr.addActivity(id, "", e)
	}
	var err error
	switch p := p.(type) {
	case *ProjectCreated:
		if _, err = tx.Exec(`INSERT INTO projects (id, key, name, created_by, created_at, version) VALUES (?, ?, ?, ?, ?, ?)`,
			id, p.Key, p.Name, e.Actor, formatTime(e.At), e.Version); err != nil {
			return err
		}
		for i, c := range p.Columns {
			if _, err = tx.Exec(`INSERT INTO columns (id, project_id, name, position, wip_limit, category) VALUES (?, ?, ?, ?, ?, ?)`,
				c.ID, id, c.Name, i, c.WIPLimit, c.Category); err != nil {
				return err
			}
		}
	case *MemberAdded:
		_, err = tx.Exec(`INSERT INTO members (project_id, user_id, role, added_at) VALUES (?, ?, ?, ?)`,
			id, p.UserID, p.Role, formatTime(e.At))
	case *MemberRoleChanged:
		_, err = tx.Exec(`UPDATE members SET role = ? WHERE project_id = ? AND user_id = ?`, p.To, id, p.UserID)
	case *MemberRemoved:
		_, err = tx.Exec(`DELETE FROM members WHERE project_id = ? AND user_id = ?`, id, p.UserID)
	case *SettingsChanged:
		if p.ParallelSprints != nil {
			_, err = tx.Exec(`UPDATE projects SET parallel_sprints = ? WHERE id = ?`, p.ParallelSprints.To, id)
		}
		if err == nil && p.DayMinutes != nil {
			_, err = tx.Exec(`UPDATE projects SET day_minutes = ? WHERE id = ?`, p.DayMinutes.To, id)
		}
		if err == nil && p.WeekDays != nil {
			_, err = tx.Exec(`UPDATE projects SET week_days = ? WHERE id = ?`, p.WeekDays.To, id)
		}
		if err == nil && p.TimeZone != nil {
			_, err = tx.Exec(`UPDATE projects SET time_zone = ? WHERE id = ?`, p.TimeZone.To, id)
		}
		if err == nil && p.WorkWeekdays != nil {
			_, err = tx.Exec(`UPDATE projects SET work_weekdays = ? WHERE id = ?`, p.WorkWeekdays.To, id)
		}
		if err == nil && p.Holidays != nil {
			_, err = tx.Exec(`UPDATE projects SET holidays = ? WHERE id = ?`, holidaysJSON(p.Holidays.To), id)
		}
	case *WorkflowChanged:
		if _, err = tx.Exec(`DELETE FROM columns WHERE project_id = ?`, id); err != nil {
			return err
		}
		for i, c := range p.To {
			if _, err = tx.Exec(`INSERT INTO columns (id, project_id, name, position, wip_limit, category) VALUES (?, ?, ?, ?, ?, ?)`,
				c.ID, id, c.Name, i, c.WIPLimit, c.Category); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%s is not a project event", e.Type)
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE projects SET version = ? WHERE id = ?`, e.Version, id); err != nil {
		return err
	}
	return pr.addActivity(id, "", e)
}

func (pr projector) projectTask(id string, e Event, p Payload) error {
	tx := pr.tx
	switch c := p.(type) {
	case *TaskConflicted:
		t, err := pr.task(c.TaskID)
		if err != nil {
			return err
		}
		if err := recordPending(tx, t.ProjectID, e, c); err != nil {
			return err
		}
		if pr.held != nil && c.Wanted != nil {
			fields := make([]Field, len(c.Fields))
			for i, f := range c.Fields {
				fields[i] = f.Field
			}
			pr.held.pending[pendingKey{c.TaskID, e.Actor}] = pendingMark{seq: e.Seq, fields: fields}
		}
		return pr.addHistory(t.ProjectID, t.ID, e)
	case *ConflictAnswered:
		t, err := pr.task(c.TaskID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM pending_conflicts WHERE task_id = ? AND user_id = ? AND seq = ?`,
			c.TaskID, e.Actor, c.ConflictSeq); err != nil {
			return err
		}
		if k := (pendingKey{c.TaskID, e.Actor}); pr.held != nil && pr.held.pending[k].seq == c.ConflictSeq {
			delete(pr.held.pending, k)
		}
		return pr.addHistory(t.ProjectID, t.ID, e)
	case *WorklogConflicted:
		// A refused worklog edit is history only: nothing stays pending.
		t, err := pr.task(id)
		if err != nil {
			return err
		}
		return pr.addHistory(t.ProjectID, t.ID, e)
	}
	if m, ok := p.(*TaskMoved); ok && pr.held == nil {
		return pr.projectMove(id, e, m)
	}
	var current *Task
	_, created := p.(*TaskCreated)
	if !created {
		var err error
		if current, err = pr.task(id); err != nil {
			return err
		}
	}
	next, err := applyTask(current, e, p)
	if err != nil {
		return err
	}
	switch {
	case pr.held == nil:
		if err := saveTask(tx, next); err != nil {
			return err
		}
		if err := countCards(tx, current, next); err != nil {
			return err
		}
	case created:
		if err := saveTask(tx, next); err != nil {
			return err
		}
		pr.held.tasks[next.ID] = next
		pr.held.created = append(pr.held.created, next.ID)
	default:
		pr.held.tasks[next.ID] = next
		pr.held.unsaved[next.ID] = true
	}
	if err := projectWorklog(tx, next, e, p); err != nil {
		return err
	}
	if err := pr.endPending(next.ID, e.Actor, fieldsOf(p)); err != nil {
		return err
	}
	return pr.addHistory(next.ProjectID, next.ID, e)
}

// projectWorklog keeps the worklogs table in step with a worklog event of task t; other
// events leave it alone.
func projectWorklog(tx sqlx.Ext, t *Task, e Event, p Payload) error {
	at := formatTime(e.At)
	switch p := p.(type) {
	case *WorkLogged:
		_, err := tx.Exec(`INSERT INTO worklogs (id, task_id, project_id, author_id, work_date, start_time, seconds, comment,
				version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			p.WorklogID, t.ID, t.ProjectID, e.Actor, p.Date, p.Start, p.Seconds, p.Comment, at, at)
		return err
	case *WorklogEdited:
		var date, start, comment, seconds any // NULL keeps the stored value
		if p.Date != nil {
			date = p.Date.To
		}
		if p.Start != nil {
			start = p.Start.To
		}
		if p.Comment != nil {
			comment = p.Comment.To
		}
		if p.Seconds != nil {
			seconds = p.Seconds.To
		}
		res, err := tx.Exec(`UPDATE worklogs SET work_date = COALESCE(?, work_date), start_time = COALESCE(?, start_time),
				comment = COALESCE(?, comment), seconds = COALESCE(?, seconds), version = ?, updated_at = ?
			WHERE id = ? AND task_id = ? AND version = ?`,
			date, start, comment, seconds, p.Version, at, p.WorklogID, t.ID, p.Version-1)
		return oneRow(res, err, e, p.WorklogID)
	case *WorklogDeleted:
		res, err := tx.Exec(`DELETE FROM worklogs WHERE id = ? AND task_id = ?`, p.WorklogID, t.ID)
		return oneRow(res, err, e, p.WorklogID)
	}
	return nil
}

// oneRow checks that a statement of the fold changed exactly one row.
func oneRow(res sql.Result, err error, e Event, id string) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("store: %s (seq %d) does not follow worklog %s (%d rows, %v)", e.Type, e.Seq, id, n, err)
	}
	return nil
}

// projectMove is the live fold of a move, the write path's commonest event: it writes
// only the columns a move changes, rather than reading the whole task back (a join) and
// writing all of it; one read of where the card was serves the columns' card counts and
// the activity row. The version guard is applyTask's order check: the event must follow
// the task's version.
func (pr projector) projectMove(id string, e Event, m *TaskMoved) error {
	at := formatTime(e.At)
	// Where the card was, for its columns' counts.
	var was struct {
		ProjectID string `db:"project_id"`
		ColumnID  string `db:"column_id"`
		Archived  bool   `db:"archived"`
	}
	if err := sqlx.Get(pr.tx, &was, `SELECT project_id, column_id, archived FROM tasks WHERE id = ?`, id); err != nil {
		return err
	}
	res, err := pr.tx.Exec(`UPDATE tasks SET column_id = ?, rank = ?, version = ?, updated_by = ?, updated_at = ?
		WHERE id = ? AND version = ?`, m.ToColumn, m.ToRank, e.Version, e.Actor, at, id, e.Version-1)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("store: %s (seq %d) does not follow task %s's current version (%v)", e.Type, e.Seq, id, err)
	}
	if was.ColumnID != m.ToColumn && !was.Archived {
		if err := addCards(pr.tx, was.ProjectID, was.ColumnID, -1); err != nil {
			return err
		}
		if err := addCards(pr.tx, was.ProjectID, m.ToColumn, 1); err != nil {
			return err
		}
	}
	if err := endPending(pr.tx, id, e.Actor, fieldsOf(m)); err != nil {
		return err
	}
	if _, err := pr.tx.Exec(`INSERT INTO task_history (seq, task_id, type, actor, at, data) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Seq, id, e.Type, e.Actor, at, string(e.Data)); err != nil {
		return err
	}
	_, err = pr.tx.Exec(`INSERT INTO activity (seq, project_id, task_id, type, actor, at, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, was.ProjectID, id, e.Type, e.Actor, at, string(e.Data))
	return err
}

// endPending is endPending, skipped when the fold knows the actor has nothing pending
// on the task, and keeping what it knows up to date otherwise.
func (pr projector) endPending(taskID, actor string, changed []Field) error {
	if pr.held == nil {
		return endPending(pr.tx, taskID, actor, changed)
	}
	k := pendingKey{taskID, actor}
	mark, ok := pr.held.pending[k]
	if !ok || len(changed) == 0 {
		return nil
	}
	if err := endPending(pr.tx, taskID, actor, changed); err != nil {
		return err
	}
	// The same rule endPending applies: a change to any field of the conflict ends it.
	if slices.ContainsFunc(mark.fields, func(f Field) bool { return slices.Contains(changed, f) }) {
		delete(pr.held.pending, k)
	}
	return nil
}

// addHistory is addHistory; a replay's fold gathers the rows and inserts many at once.
func (pr projector) addHistory(projectID, taskID string, e Event) error {
	if pr.held == nil {
		return addHistory(pr.tx, projectID, taskID, e)
	}
	pr.held.history = append(pr.held.history, e.Seq, taskID, e.Type, e.Actor, formatTime(e.At), string(e.Data))
	if len(pr.held.history) == rowsPerInsert*len(historyColumns) {
		if err := pr.insertRows("task_history", historyColumns, &pr.held.history); err != nil {
			return err
		}
	}
	return pr.addActivity(projectID, taskID, e)
}

// addActivity is addActivity; a replay's fold gathers the rows and inserts many at once.
func (pr projector) addActivity(projectID, taskID string, e Event) error {
	if pr.held == nil {
		return addActivity(pr.tx, projectID, taskID, e)
	}
	pr.held.activity = append(pr.held.activity, e.Seq, projectID, taskID, e.Type, e.Actor, formatTime(e.At), string(e.Data))
	if len(pr.held.activity) == rowsPerInsert*len(activityColumns) {
		return pr.insertRows("activity", activityColumns, &pr.held.activity)
	}
	return nil
}

// rowsPerInsert is how many gathered rows one INSERT writes: one statement per row
// cost more than the row itself.
const rowsPerInsert = 128

var (
	historyColumns  = []string{"seq", "task_id", "type", "actor", "at", "data"}
	activityColumns = []string{"seq", "project_id", "task_id", "type", "actor", "at", "data"}
)

// insertRows inserts the gathered values (len(columns) per row) into table and empties them.
func (pr projector) insertRows(table string, columns []string, values *[]any) error {
	rows := len(*values) / len(columns)
	if rows == 0 {
		return nil
	}
	one := "(?" + strings.Repeat(", ?", len(columns)-1) + ")"
	query := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES " +
		one + strings.Repeat(", "+one, rows-1)
	if _, err := pr.tx.Exec(query, *values...); err != nil {
		return fmt.Errorf("store: project into %s: %w", table, err)
	}
	*values = (*values)[:0]
	return nil
}

// addHistory records e in the task's history and in its project's activity.
func addHistory(tx sqlx.Ext, projectID, taskID string, e Event) error {
	if _, err := tx.Exec(`INSERT INTO task_history (seq, task_id, type, actor, at, data) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Seq, taskID, e.Type, e.Actor, formatTime(e.At), string(e.Data)); err != nil {
		return err
	}
	return addActivity(tx, projectID, taskID, e)
}

func addActivity(tx sqlx.Ext, projectID, taskID string, e Event) error {
	_, err := tx.Exec(`INSERT INTO activity (seq, project_id, task_id, type, actor, at, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, projectID, taskID, e.Type, e.Actor, formatTime(e.At), string(e.Data))
	return err
}

// taskRow is a tasks row as stored.
type taskRow struct {
	ID          string   `db:"id"`
	ProjectID   string   `db:"project_id"`
	Number      int      `db:"number"`
	Title       string   `db:"title"`
	Description string   `db:"description"`
	Type        string   `db:"type"`
	Priority    string   `db:"priority"`
	ColumnID    string   `db:"column_id"`
	Rank        string   `db:"rank"`
	AssigneeID  string   `db:"assignee_id"`
	Labels      string   `db:"labels"`
	Points      *float64 `db:"points"`
	Due         string   `db:"due_date"`
	Archived    bool     `db:"archived"`
	Version     int      `db:"version"`
	CreatedBy   string   `db:"created_by"`
	CreatedAt   string   `db:"created_at"`
	UpdatedBy   string   `db:"updated_by"`
	UpdatedAt   string   `db:"updated_at"`
	SprintID    string   `db:"sprint_id"`
	CarriedFrom string   `db:"carried_from"`
	Estimate    *int64   `db:"estimate"`
	Remaining   *int64   `db:"remaining"`
	Logged      int64    `db:"logged"`
	ProjectKey  string   `db:"project_key"`
}

const taskColumns = `t.id, t.project_id, t.number, t.title, t.description, t.type, t.priority, t.column_id, t.rank,
	t.assignee_id, t.labels, t.points, t.due_date, t.archived, t.version, t.created_by, t.created_at, t.updated_by, t.updated_at,
	t.sprint_id, t.carried_from, t.estimate, t.remaining, t.logged, p.key AS project_key`

func (r taskRow) task() (*Task, error) {
	t := &Task{
		ID: r.ID, ProjectID: r.ProjectID, Number: r.Number, Title: r.Title, Description: r.Description,
		Type: TaskType(r.Type), Priority: Priority(r.Priority), ColumnID: r.ColumnID, Rank: r.Rank,
		AssigneeID: r.AssigneeID, Points: r.Points, Due: r.Due, Archived: r.Archived, Version: r.Version,
		SprintID: r.SprintID, CarriedFrom: r.CarriedFrom,
		Estimate: r.Estimate, Remaining: r.Remaining, Logged: r.Logged,
		CreatedBy: r.CreatedBy, UpdatedBy: r.UpdatedBy,
		Key: fmt.Sprintf("%s-%d", r.ProjectKey, r.Number),
	}
	if err := json.Unmarshal([]byte(r.Labels), &t.Labels); err != nil {
		return nil, fmt.Errorf("store: labels of task %s: %w", r.ID, err)
	}
	var err error
	if t.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return nil, err
	}
	if t.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
		return nil, err
	}
	return t, nil
}

func loadTask(q sqlx.Queryer, id string) (*Task, error) {
	var r taskRow
	err := sqlx.Get(q, &r, `SELECT `+taskColumns+` FROM tasks t JOIN projects p ON p.id = t.project_id WHERE t.id = ?`, id)
	if err != nil {
		return nil, notFound(err, "task %s", id)
	}
	return r.task()
}

func saveTask(tx sqlx.Ext, t *Task) error {
	labels, err := json.Marshal(nonNil(t.Labels))
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO tasks (id, project_id, number, title, description, type, priority, column_id, rank,
			assignee_id, labels, points, due_date, archived, version, created_by, created_at, updated_by, updated_at,
			sprint_id, carried_from, estimate, remaining, logged)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
			type = excluded.type, priority = excluded.priority, column_id = excluded.column_id, rank = excluded.rank,
			assignee_id = excluded.assignee_id, labels = excluded.labels, points = excluded.points,
			due_date = excluded.due_date, archived = excluded.archived, version = excluded.version,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at,
			sprint_id = excluded.sprint_id, carried_from = excluded.carried_from,
			estimate = excluded.estimate, remaining = excluded.remaining, logged = excluded.logged`,
		t.ID, t.ProjectID, t.Number, t.Title, t.Description, t.Type, t.Priority, t.ColumnID, t.Rank,
		t.AssigneeID, string(labels), t.Points, t.Due, t.Archived, t.Version,
		t.CreatedBy, formatTime(t.CreatedAt), t.UpdatedBy, formatTime(t.UpdatedAt), t.SprintID, t.CarriedFrom,
		t.Estimate, t.Remaining, t.Logged)
	return err
}
