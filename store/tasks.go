package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tack-pm/tack/store/rank"
)

// NewTask is the input for creating a task. Only the title is required.
type NewTask struct {
	ProjectID   string
	Title       string
	Description string
	Type        TaskType
	Priority    Priority
	ColumnID    string // "" means the first column
	AssigneeID  string
	Labels      []string
	Points      *float64
	Due         string
	SprintID    string // "" = the backlog; into an active sprint records a scope change
	// Estimate is the original estimate in seconds (nil: none); the remaining estimate
	// starts the same.
	Estimate *int64
}

// TaskUpdate changes some fields of a task seen at BaseVersion; unset fields stay as they are.
type TaskUpdate struct {
	TaskID      string
	BaseVersion int
	// Strict refuses the command with *PreconditionError unless the task is still at
	// BaseVersion (HTTP If-Match), instead of merging.
	Strict      bool
	Title       Opt[string]
	Description Opt[string]
	Assignee    Opt[string] // "" unassigns
	Type        Opt[TaskType]
	Priority    Opt[Priority]
	Labels      Opt[[]string]
	Points      Opt[*float64] // nil clears
	Due         Opt[string]   // "" clears
	Archived    Opt[bool]
	Sprint      Opt[string] // "" = the backlog; else a planned or active sprint of the project
	// Estimate sets the original estimate in seconds (nil clears). Setting one on a task
	// without a remaining estimate sets that too, to the estimate less the time logged.
	Estimate Opt[*int64]
	// Remaining sets the remaining estimate in seconds (nil clears). It conflicts with
	// any change of the remaining estimate since the base: an estimate that set it, a
	// remaining estimate set, a worklog that moved it.
	Remaining Opt[*int64]
}

// TaskMove places a task seen at BaseVersion in a column, right after AfterID or, when
// that task is not in the column, right before BeforeID; with neither, at the bottom.
// A Step instead moves it relative to its current place in ColumnID.
type TaskMove struct {
	TaskID      string
	BaseVersion int
	Strict      bool // as in TaskUpdate
	ColumnID    string
	AfterID     string
	BeforeID    string
	Step        Step
}

// Step is a keyboard-style move within a column.
type Step string

// Steps: one place up or down, or to the top or bottom of the column.
const (
	StepUp     Step = "up"
	StepDown   Step = "down"
	StepTop    Step = "top"
	StepBottom Step = "bottom"
)

// TaskResult is the outcome of a task command.
type TaskResult struct {
	Task    *Task
	Events  []Event // empty when the command changed nothing
	Applied []Field // fields this command changed
	Merged  []Field // fields others changed since the base version, kept alongside
}

// CreateTask creates a task at the bottom of its column (and of the project's rank).
func (s *Store) CreateTask(ctx context.Context, actor string, in NewTask) (*Task, error) {
	var err error
	created := TaskCreated{ProjectID: in.ProjectID, Points: in.Points}
	if created.Title, err = normTitle(in.Title); err != nil {
		return nil, err
	}
	if created.Description, err = normDescription(in.Description); err != nil {
		return nil, err
	}
	if created.Type, err = normType(in.Type); err != nil {
		return nil, err
	}
	if created.Priority, err = normPriority(in.Priority); err != nil {
		return nil, err
	}
	if created.Labels, err = normLabels(in.Labels); err != nil {
		return nil, err
	}
	if created.Points, err = normPoints(in.Points); err != nil {
		return nil, err
	}
	if created.Due, err = normDue(in.Due); err != nil {
		return nil, err
	}
	if created.Estimate, err = normEstimate("original_estimate", in.Estimate); err != nil {
		return nil, err
	}
	created.Remaining = clonePtr(created.Estimate)
	id := newID()
	_, err = s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, in.ProjectID, actor, Role.CanEdit, "create tasks"); err != nil {
			return err
		}
		if created.ColumnID, err = checkColumn(w.tx, in.ProjectID, in.ColumnID); err != nil {
			return err
		}
		if created.AssigneeID, err = checkAssignee(w.tx, in.ProjectID, in.AssigneeID); err != nil {
			return err
		}
		if created.SprintID, err = checkSprint(w.tx, &Task{ProjectID: in.ProjectID}, in.SprintID, true); err != nil {
			return err
		}
		if err := w.tx.Get(&created.Number, `SELECT COALESCE(MAX(number), 0) + 1 FROM tasks WHERE project_id = ?`, in.ProjectID); err != nil {
			return fmt.Errorf("store: next task number: %w", err)
		}
		// The bottom of the project, which is the bottom of its column too: a new task's
		// rank is one no other task has, so the backlog and sprint lists (which order
		// tasks of every column by the same rank) get no ties from it. One index seek
		// per column.
		var last string
		if err := w.tx.Get(&last, `SELECT COALESCE(MAX(r), '') FROM (SELECT
				(SELECT MAX(rank) FROM tasks t WHERE t.project_id = c.project_id AND t.column_id = c.id) AS r
			FROM columns c WHERE c.project_id = ?) AS ranks`, in.ProjectID); err != nil {
			return fmt.Errorf("store: last rank: %w", err)
		}
		if created.Rank, err = rank.Between(last, ""); err != nil {
			return fmt.Errorf("store: rank after %q: %w", last, err)
		}
		events, err := w.append(taskStream(id), 0, actor, &created)
		if err != nil || created.SprintID == "" {
			return err
		}
		t, err := applyTask(nil, events[0], &created)
		if err != nil {
			return err
		}
		return recordScope(w, actor, nil, t)
	})
	if err != nil {
		return nil, err
	}
	return s.Task(ctx, id)
}

// changes validates and normalises the fields set in u.
func (u TaskUpdate) changes(q sqlxGetter, current *Task) ([]change, error) {
	var out []change
	add := func(f Field, v any, err error) error {
		if err == nil {
			out = append(out, change{f, v})
		}
		return err
	}
	var err error
	if u.Title.Set {
		v, e := normTitle(u.Title.V)
		err = add(FieldTitle, v, e)
	}
	if err == nil && u.Description.Set {
		v, e := normDescription(u.Description.V)
		err = add(FieldDescription, v, e)
	}
	if err == nil && u.Assignee.Set {
		// Keeping the current assignee needs no check: they may have left the project
		// since, and resubmitting an untouched form must still work.
		v, e := strings.TrimSpace(u.Assignee.V), error(nil)
		if v != current.AssigneeID {
			v, e = checkAssignee(q, current.ProjectID, v)
		}
		err = add(FieldAssignee, v, e)
	}
	// An empty type or priority means "the default" only when creating a task; an
	// update that sends one is a mistake, not a reset.
	if err == nil && u.Type.Set {
		v, e := normType(u.Type.V)
		if strings.TrimSpace(string(u.Type.V)) == "" {
			e = invalidField("type", "Type must be one of story, bug, task or epic.")
		}
		err = add(FieldType, v, e)
	}
	if err == nil && u.Priority.Set {
		v, e := normPriority(u.Priority.V)
		if strings.TrimSpace(string(u.Priority.V)) == "" {
			e = invalidField("priority", "Priority must be one of highest, high, medium, low or lowest.")
		}
		err = add(FieldPriority, v, e)
	}
	if err == nil && u.Labels.Set {
		v, e := normLabels(u.Labels.V)
		err = add(FieldLabels, v, e)
	}
	if err == nil && u.Points.Set {
		v, e := normPoints(u.Points.V)
		err = add(FieldPoints, v, e)
	}
	if err == nil && u.Due.Set {
		v, e := normDue(u.Due.V)
		err = add(FieldDue, v, e)
	}
	if err == nil && u.Archived.Set {
		err = add(FieldArchived, u.Archived.V, nil)
	}
	if err == nil && u.Sprint.Set {
		v, e := checkSprint(q, current, u.Sprint.V, false)
		err = add(FieldSprint, v, e)
	}
	if err == nil && u.Estimate.Set {
		v, e := normEstimate("original_estimate", u.Estimate.V)
		err = add(FieldEstimate, v, e)
	}
	if err == nil && u.Remaining.Set {
		v, e := normEstimate("remaining_estimate", u.Remaining.V)
		err = add(FieldRemaining, v, e)
	}
	return out, err
}

// UpdateTask applies field edits under the concurrency rule: fields changed by others
// since u.BaseVersion merge; a field changed both here and there is a *ConflictError,
// and the refused attempt is recorded in the task's history, pending its author's answer.
func (s *Store) UpdateTask(ctx context.Context, actor string, u TaskUpdate) (*TaskResult, error) {
	return s.taskCommand(ctx, actor, u.command())
}

// MoveTask places a task in a column between neighbours. Only a column change made by
// someone else since m.BaseVersion conflicts; reorders by others never do, because the
// task is placed relative to its neighbours as they are now.
func (s *Store) MoveTask(ctx context.Context, actor string, m TaskMove) (*TaskResult, error) {
	return s.taskCommand(ctx, actor, m.command())
}

// commandSpec is a task command ready to run: which task, from which version, and how to
// decide on it. after, before and step are kept with a refused move, for its answer.
type commandSpec struct {
	name          string // "edit", "move" or "plan"
	taskID        string
	baseVersion   int
	strict        bool
	after, before string
	step          Step
	// decide judges the command against the task now and the events since the base
	// version (never the task's whole history: see baseValue).
	decide func(w *writer, current *Task, since []decodedEvent) (verdict, []Payload, error)
}

func (u TaskUpdate) command() commandSpec {
	return commandSpec{name: "edit", taskID: u.TaskID, baseVersion: u.BaseVersion, strict: u.Strict,
		decide: func(w *writer, current *Task, since []decodedEvent) (verdict, []Payload, error) {
			changes, err := u.changes(w.tx, current)
			if err != nil {
				return verdict{}, nil, err
			}
			v := judgeEdit(current, since, changes)
			// Only an applied restore unfreezes an archived task: a resubmitted "archived"
			// or a restore judged unchanged must not carry other edits onto it.
			restoring := slices.ContainsFunc(v.apply, func(c change) bool { return c.field == FieldArchived && c.value == false })
			if current.Archived && !restoring && len(v.apply) > 0 {
				return v, nil, Errorf(EINVALID, "%s is archived; restore it before changing it.", current.Key)
			}
			payloads := make([]Payload, 0, len(v.apply))
			for _, c := range v.apply {
				payloads = append(payloads, eventFor(current, c))
			}
			estimateSetsRemaining(current, v.apply, payloads)
			return v, payloads, nil
		}}
}

func (m TaskMove) command() commandSpec {
	return commandSpec{name: "move", taskID: m.TaskID, baseVersion: m.BaseVersion, strict: m.Strict,
		after: m.AfterID, before: m.BeforeID, step: m.Step,
		decide: func(w *writer, current *Task, since []decodedEvent) (verdict, []Payload, error) {
			col, err := checkColumn(w.tx, current.ProjectID, m.ColumnID)
			if err != nil {
				return verdict{}, nil, err
			}
			if m.ColumnID == "" {
				col = current.ColumnID
			}
			if current.Archived {
				return verdict{}, nil, Errorf(EINVALID, "%s is archived; restore it before moving it.", current.Key)
			}
			v := judgeMove(current, since, col)
			if len(v.conflicts) > 0 {
				return v, nil, nil
			}
			moved, err := place(w.tx, current, col, m.AfterID, m.BeforeID, m.Step)
			if err != nil || moved == nil {
				return v, nil, err
			}
			v.apply = []change{{FieldColumn, col}}
			return v, []Payload{moved}, nil
		}}
}

// taskCommand runs cmd in its own write transaction.
func (s *Store) taskCommand(ctx context.Context, actor string, cmd commandSpec) (*TaskResult, error) {
	var res *TaskResult
	var conflict *ConflictError
	_, err := s.writeTx(ctx, func(w *writer) error {
		var err error
		res, conflict, err = runTaskCommand(w, actor, cmd)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s task: %w", cmd.name, err)
	}
	if conflict != nil {
		return nil, conflict
	}
	return res, nil
}

// runTaskCommand is the frame every task command runs in: authorisation, the
// base-version check, the task's current state (its read model, written in the same
// serialised transactions) and, for commands that judge against it, its state at the
// base version (the fold of its events up to there), the verdict, and then either the
// events or a recorded conflict, which is then pending for actor. A conflict is returned
// as the second value: the transaction must commit to keep its record. The result's
// task is the current state with the new events applied, as the projection writes it.
func runTaskCommand(w *writer, actor string, cmd commandSpec) (*TaskResult, *ConflictError, error) {
	stored, role, err := loadTaskWithRole(w.tx, cmd.taskID, actor)
	if err != nil {
		return nil, nil, err
	}
	if role == "" {
		return nil, nil, Errorf(ENOTFOUND, "No such project.") // as requireRole says it
	}
	if err := allowRole(role, Role.CanEdit, "change tasks"); err != nil {
		return nil, nil, err
	}
	if cmd.strict && cmd.baseVersion != stored.Version {
		return nil, nil, &PreconditionError{Expected: cmd.baseVersion, Task: stored}
	}
	if cmd.baseVersion < 1 || cmd.baseVersion > stored.Version {
		return nil, nil, Errorf(EINVALID, "%s has no version %d (it is at version %d).", stored.Key, cmd.baseVersion, stored.Version)
	}
	current := stored
	var since []decodedEvent
	if cmd.baseVersion < stored.Version { // nothing happened since the base otherwise
		if since, err = streamEventsAfter(w.tx, taskStream(cmd.taskID), cmd.baseVersion); err != nil {
			return nil, nil, err
		}
	}
	if len(since) != stored.Version-cmd.baseVersion {
		return nil, nil, fmt.Errorf("store: task %s: read model at version %d, %d events since %d", cmd.taskID, stored.Version, len(since), cmd.baseVersion)
	}
	v, payloads, err := cmd.decide(w, current, since)
	if err != nil {
		return nil, nil, err
	}
	if len(v.conflicts) > 0 {
		conflict, err := recordConflict(w, actor, cmd, current, v)
		return nil, conflict, err
	}
	res := &TaskResult{Merged: v.merged, Task: current}
	if res.Events, err = w.append(taskStream(cmd.taskID), current.Version, actor, payloads...); err != nil {
		return nil, nil, err
	}
	for i, e := range res.Events {
		if res.Task, err = applyTask(res.Task, e, payloads[i]); err != nil {
			return nil, nil, err
		}
	}
	if err := recordScope(w, actor, current, res.Task); err != nil {
		return nil, nil, err
	}
	for _, c := range v.apply {
		res.Applied = append(res.Applied, c.field)
	}
	return res, nil, nil
}

// loadTaskWithRole is loadTask with actor's role in the task's project, "" for someone
// who is not a member, read in the same statement: every task command needs both.
func loadTaskWithRole(q sqlxGetter, id, actor string) (*Task, Role, error) {
	var r struct {
		taskRow
		Role sql.NullString `db:"member_role"`
	}
	err := q.Get(&r, `SELECT `+taskColumns+`, m.role AS member_role FROM tasks t JOIN projects p ON p.id = t.project_id
		LEFT JOIN members m ON m.project_id = t.project_id AND m.user_id = ? WHERE t.id = ?`, actor, id)
	if err != nil {
		return nil, "", notFound(err, "task %s", id)
	}
	t, err := r.task()
	return t, Role(r.Role.String), err
}

// recordConflict appends the refused command to the task's conflict stream, with all it
// wanted, and returns the error that tells its author.
func recordConflict(w *writer, actor string, cmd commandSpec, current *Task, v verdict) (*ConflictError, error) {
	ce := &ConflictError{TaskID: cmd.taskID, TaskKey: current.Key, Command: cmd.name,
		BaseVersion: cmd.baseVersion, CurrentVersion: current.Version, Fields: v.conflicts, Task: current,
		Pending: map[Field]any{}}
	wanted := map[Field]any{}
	for _, c := range v.apply {
		ce.Pending[c.field] = c.value
		wanted[c.field] = c.value
	}
	for _, f := range v.conflicts {
		wanted[f.Field] = f.Yours
	}
	events, err := w.appendLatest(conflictStream(cmd.taskID), actor, &TaskConflicted{TaskID: cmd.taskID, Command: cmd.name,
		BaseVersion: cmd.baseVersion, CurrentVersion: current.Version, Fields: v.conflicts,
		Wanted: wanted, After: cmd.after, Before: cmd.before, Step: cmd.step})
	if err != nil {
		return nil, err
	}
	ce.Seq = events[0].Seq
	return ce, nil
}

// place computes where t lands in column col between the given neighbours as they are
// now (or one step from where it is), and returns the move, or nil when the task is
// already there. It reads only the few rows it needs (the named neighbour and the one
// next to it, through the column's rank index), so a move costs the same on a column of
// ten cards or of thousands.
func place(q sqlxGetter, t *Task, col, afterID, beforeID string, step Step) (*TaskMoved, error) {
	c := columnOrder(q, t, col)
	r, after, before, err := c.slot(t, afterID, beforeID, step)
	if err != nil || r == "" {
		return nil, err
	}
	return &TaskMoved{FromColumn: t.ColumnID, ToColumn: col, FromRank: t.Rank, ToRank: r, After: after, Before: before}, nil
}

// listOrder reads one ranked list of a project's tasks in order (rank, then id), leaving
// out the task being placed, one row at a time through an index on the list's columns
// and rank: a board column, or a planning list (the backlog or a sprint).
type listOrder struct {
	q         sqlxGetter
	projectID string
	list      string // SQL condition (no leading AND) selecting the list's tasks
	args      []any  // list's arguments
	skip      string // the task being placed
	holds     bool   // the task being placed is in this list now
	// parts, when set, is SQL listing the sprint ids (column sid) a list spans (the
	// backlog: no sprint, and each completed sprint): each is searched through the
	// (project_id, sprint_id, rank) index and the results merged, rather than one scan
	// of the project's tasks.
	parts     string
	partsArgs []any
	// hides, when set, is SQL (starting with AND) leaving out tasks the list holds but
	// does not show, with its arguments: the backlog's done tasks. Steps pass over them.
	hides     string
	hidesArgs []any
}

// columnOrder is the order of column col of t's project, for placing t.
func columnOrder(q sqlxGetter, t *Task, col string) listOrder {
	return listOrder{q: q, projectID: t.ProjectID, list: `column_id = ?`, args: []any{col}, skip: t.ID, holds: t.ColumnID == col}
}

// slot computes the rank at which t lands in the list between the given neighbours as
// they are now (or one step from where it is), with the neighbour it was placed after
// or before; r is "" when the task is already there.
func (c listOrder) slot(t *Task, afterID, beforeID string, step Step) (r, after, before string, err error) {
	if step != "" {
		if afterID, beforeID, err = stepNeighbours(c, t, step); err != nil {
			return "", "", "", err
		}
	}
	var lo, hi string
	afterRank, isAfter, err := c.rankOf(afterID)
	if err != nil {
		return "", "", "", err
	}
	beforeRank, isBefore := "", false
	if !isAfter {
		if beforeRank, isBefore, err = c.rankOf(beforeID); err != nil {
			return "", "", "", err
		}
	}
	// Lists share one rank (a planning list holds tasks of every column, and planning
	// ranks a task among them), so two tasks of a list may have equal ranks: a task
	// placed next to a run of equal ranks goes past the whole run, as no rank lies
	// between two equal ones.
	switch {
	case isAfter:
		lo, after = afterRank, afterID
		_, hi, err = c.first(`AND rank > ?`, afterRank)
	case isBefore:
		hi, before = beforeRank, beforeID
		_, lo, err = c.last(`AND rank < ?`, beforeRank)
	default:
		_, lo, err = c.last(``)
	}
	if err != nil {
		return "", "", "", err
	}
	if c.holds && (lo == "" || lo < t.Rank) && (hi == "" || t.Rank < hi) {
		return "", "", "", nil // already between those neighbours
	}
	if r, err = rank.Between(lo, hi); err != nil {
		return "", "", "", fmt.Errorf("store: rank between %q and %q: %w", lo, hi, err)
	}
	return r, after, before, nil
}

// rankOf returns the rank of the task id when it is another task of the list.
func (c listOrder) rankOf(id string) (string, bool, error) {
	if id == "" || id == c.skip {
		return "", false, nil
	}
	var r string
	err := c.q.Get(&r, `SELECT rank FROM tasks WHERE id = ? AND project_id = ? AND `+c.list, append([]any{id, c.projectID}, c.args...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: rank of %s: %w", id, err)
	}
	return r, true, nil
}

// first returns the first task of the list (id and rank) that meets the extra
// condition cond (SQL starting with AND), or two empty strings when there is none.
func (c listOrder) first(cond string, args ...any) (string, string, error) {
	return c.one(`ORDER BY rank, id`, cond, args)
}

// last is first from the bottom of the list.
func (c listOrder) last(cond string, args ...any) (string, string, error) {
	return c.one(`ORDER BY rank DESC, id DESC`, cond, args)
}

func (c listOrder) one(order, cond string, args []any) (string, string, error) {
	var s slot
	var err error
	if c.parts != "" {
		all := append(append(append([]any{}, c.partsArgs...), c.projectID, c.skip), args...)
		err = c.q.Get(&s, `SELECT t.id, t.rank, t.archived FROM (`+c.parts+`) l JOIN tasks t ON t.id = (
				SELECT id FROM tasks WHERE project_id = ? AND sprint_id = l.sid AND id <> ? `+cond+` `+order+` LIMIT 1)
			`+order+` LIMIT 1`, all...)
	} else {
		all := append(append(append([]any{c.projectID}, c.args...), c.skip), args...)
		err = c.q.Get(&s, `SELECT id, rank, archived FROM tasks WHERE project_id = ? AND `+c.list+` AND id <> ? `+cond+` `+order+` LIMIT 1`, all...)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("store: list order: %w", err)
	}
	return s.ID, s.Rank, nil
}

// count returns how many tasks of the list, other than the one being placed, meet the
// extra condition cond (SQL starting with AND).
func (c listOrder) count(cond string, args ...any) (int, error) {
	var n int
	all := append(append(append([]any{c.projectID}, c.args...), c.skip), args...)
	if err := c.q.Get(&n, `SELECT COUNT(*) FROM tasks WHERE project_id = ? AND `+c.list+` AND id <> ? `+cond, all...); err != nil {
		return 0, fmt.Errorf("store: list count: %w", err)
	}
	return n, nil
}

// slot is one task's place in a list.
type slot struct {
	ID       string `db:"id"`
	Rank     string `db:"rank"`
	Archived bool   `db:"archived"`
}

// stepNeighbours turns a step into the visible (not archived) neighbour to place the
// task after or before. A step from another list lands at the top or bottom (up: just
// above the last task).
func stepNeighbours(c listOrder, t *Task, step Step) (after, before string, err error) {
	visible := `AND NOT archived` + c.hides
	args := func(more ...any) []any { return append(slices.Clone(c.hidesArgs), more...) }
	same := c.holds
	switch step {
	case StepUp:
		if same {
			// The visible task just above t, or (t is the top one) the first visible.
			above, _, err := c.last(visible+` AND rank < ?`, args(t.Rank)...)
			if err != nil || above != "" {
				return "", above, err
			}
			first, _, err := c.first(visible, args()...)
			return "", first, err
		}
		last, _, err := c.last(visible, args()...)
		return "", last, err
	case StepDown:
		if same {
			// The visible task just below t, or (t is the bottom one) the last visible.
			below, _, err := c.first(visible+` AND rank >= ?`, args(t.Rank)...)
			if err != nil || below != "" {
				return below, "", err
			}
		}
		last, _, err := c.last(visible, args()...)
		return last, "", err
	case StepTop:
		first, _, err := c.first(visible, args()...)
		return "", first, err
	case StepBottom:
		last, _, err := c.last(visible, args()...)
		return last, "", err
	}
	return "", "", invalidField("step", "Unknown move %q: use up, down, top or bottom.", step)
}

// checkColumn returns id if it is a column of the project, the first column for "".
func checkColumn(q sqlxGetter, projectID, id string) (string, error) {
	if id == "" {
		err := q.Get(&id, `SELECT id FROM columns WHERE project_id = ? ORDER BY position LIMIT 1`, projectID)
		return id, notFound(err, "columns of project %s", projectID)
	}
	var n int
	if err := q.Get(&n, `SELECT COUNT(*) FROM columns WHERE project_id = ? AND id = ?`, projectID, id); err != nil {
		return "", fmt.Errorf("store: check column: %w", err)
	}
	if n == 0 {
		return "", invalidField("column", "That column is not part of this project's workflow.")
	}
	return id, nil
}

// checkAssignee returns id if it names a member of the project ("" unassigns).
func checkAssignee(q sqlxGetter, projectID, id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", nil
	}
	if _, err := roleIn(q, projectID, id); err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return "", invalidField("assignee", "Tasks can only be assigned to members of the project.")
		}
		return "", err
	}
	return id, nil
}

// Task returns the task with the given id.
func (s *Store) Task(ctx context.Context, id string) (*Task, error) {
	return loadTask(s.read, id)
}

// TaskByKey returns the task of the project with a key like DEMO-12.
func (s *Store) TaskByKey(ctx context.Context, p *Project, key string) (*Task, error) {
	prefix, num, ok := strings.Cut(strings.ToUpper(key), "-")
	n, err := strconv.Atoi(num)
	if !ok || prefix != p.Key || err != nil || n < 1 {
		return nil, Errorf(ENOTFOUND, "No task %s in %s.", key, p.Key)
	}
	var r taskRow
	err = s.read.GetContext(ctx, &r, `SELECT `+taskColumns+` FROM tasks t JOIN projects p ON p.id = t.project_id
		WHERE t.project_id = ? AND t.number = ?`, p.ID, n)
	if err != nil {
		return nil, notFound(err, "No task %s in %s.", key, p.Key)
	}
	return r.task()
}

// TaskFilter narrows a task list.
type TaskFilter struct {
	IncludeArchived bool
	// Sprint narrows to a sprint: "" any; "active" the active sprint(s); "none" the
	// backlog (no sprint); or a sprint id.
	Sprint string
}

// Tasks lists a project's tasks by column (workflow order) and rank within the column.
func (s *Store) Tasks(ctx context.Context, projectID string, f TaskFilter) ([]*Task, error) {
	where, args, err := s.sprintFilter(ctx, projectID, f.Sprint)
	if err != nil {
		return nil, err
	}
	var rows []taskRow
	err = s.read.SelectContext(ctx, &rows, `SELECT `+taskColumns+` FROM tasks t
		JOIN projects p ON p.id = t.project_id
		JOIN columns c ON c.project_id = t.project_id AND c.id = t.column_id
		WHERE t.project_id = ? AND (? OR NOT t.archived)`+where+`
		ORDER BY c.position, t.rank, t.id`, append([]any{projectID, f.IncludeArchived}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: list tasks: %w", err)
	}
	return toTasks(rows)
}

// sprintFilter returns the SQL condition (starting with AND) and arguments of
// TaskFilter.Sprint: "active" the active sprints' tasks; "none" the backlog's, as
// Backlog lists it (no sprint or a completed one, and not in a done column); a sprint
// id that sprint's.
func (s *Store) sprintFilter(ctx context.Context, projectID, sprint string) (string, []any, error) {
	switch sprint {
	case "":
		return "", nil, nil
	case "active":
		return ` AND t.sprint_id IN (SELECT id FROM sprints WHERE project_id = ? AND state = 'active')`, []any{projectID}, nil
	case "none":
		hides, done, err := notDone(s.read, projectID)
		if err != nil {
			return "", nil, err
		}
		return ` AND ` + backlogList + hides, append([]any{projectID}, done...), nil
	}
	return ` AND t.sprint_id = ?`, []any{sprint}, nil
}

// toTasks converts stored rows to tasks.
func toTasks(rows []taskRow) ([]*Task, error) {
	out := make([]*Task, 0, len(rows))
	for _, r := range rows {
		t, err := r.task()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
