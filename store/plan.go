package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// TaskPlan places a task seen at BaseVersion in a ranked list: its sprint and/or its
// place in the backlog or a sprint. One global rank (tasks.rank, the key the board
// orders columns by) orders every list; placing computes a rank between the target
// list's neighbours as they are now.
type TaskPlan struct {
	TaskID      string
	BaseVersion int
	Strict      bool        // HTTP If-Match: refuse with *PreconditionError unless at BaseVersion
	Sprint      Opt[string] // unset: stay in its list; "" = backlog; else a planned or active sprint id
	AfterID     string      // neighbours in the TARGET list, as in TaskMove
	BeforeID    string
	Step        Step // up/down/top/bottom within its list (instead of After/Before)
}

// PlanTask changes a task's sprint and/or its rank in its list, in one command: a
// task.sprint_changed when the sprint changes, a rank-only task.moved when the rank
// does, and a sprint.scope_changed for each active sprint the task leaves or enters.
// Only the sprint conflicts: if someone changed the task's sprint since BaseVersion and
// the user wants another sprint than it has now, that is a *ConflictError (Command
// "plan"), recorded and answerable like a move's. Re-ranking never conflicts.
func (s *Store) PlanTask(ctx context.Context, actor string, pl TaskPlan) (*TaskResult, error) {
	return s.taskCommand(ctx, actor, pl.command())
}

func (pl TaskPlan) command() commandSpec {
	return commandSpec{name: "plan", taskID: pl.TaskID, baseVersion: pl.BaseVersion, strict: pl.Strict,
		after: pl.AfterID, before: pl.BeforeID, step: pl.Step,
		decide: func(w *writer, current *Task, since []decodedEvent) (verdict, []Payload, error) {
			if current.Archived {
				return verdict{}, nil, Errorf(EINVALID, "%s is archived; restore it before planning it.", current.Key)
			}
			target := current.SprintID
			if pl.Sprint.Set {
				var err error
				if target, err = checkSprint(w.tx, current, pl.Sprint.V, true); err != nil {
					return verdict{}, nil, err
				}
			}
			v := judgeSprint(current, since, target)
			if len(v.conflicts) > 0 {
				return v, nil, nil
			}
			var payloads []Payload
			if target != current.SprintID {
				payloads = append(payloads, &TaskSprintChanged{From: current.SprintID, To: target})
				v.apply = []change{{FieldSprint, target}}
			}
			order, err := planOrder(w.tx, current, target)
			if err != nil {
				return v, nil, err
			}
			r, after, before, err := order.slot(current, pl.AfterID, pl.BeforeID, pl.Step)
			if err != nil {
				return v, nil, err
			}
			if r != "" {
				payloads = append(payloads, &TaskMoved{FromColumn: current.ColumnID, ToColumn: current.ColumnID,
					FromRank: current.Rank, ToRank: r, After: after, Before: before})
			}
			return v, payloads, nil
		}}
}

// backlogList selects the backlog's tasks: those with no sprint, and those whose sprint
// is completed (it shows the ones not done).
const backlogList = `(sprint_id = '' OR sprint_id IN (SELECT id FROM sprints WHERE project_id = ? AND state = 'completed'))`

// backlogParts lists the sprint ids the backlog spans, as listOrder.parts.
const backlogParts = `SELECT '' AS sid UNION ALL SELECT id FROM sprints WHERE project_id = ? AND state = 'completed'`

// planOrder is the order of the planning list of sprint sprintID ("" = the backlog), for
// placing t in it.
func planOrder(q *sqlx.Tx, t *Task, sprintID string) (listOrder, error) {
	from, err := listOf(q, t)
	if err != nil {
		return listOrder{}, err
	}
	o := listOrder{q: q, projectID: t.ProjectID, list: `sprint_id = ?`, args: []any{sprintID}, skip: t.ID}
	if sprintID == "" {
		o.list, o.args = backlogList, []any{t.ProjectID}
		o.parts, o.partsArgs = backlogParts, []any{t.ProjectID}
		if o.hides, o.hidesArgs, err = notDone(q, t.ProjectID); err != nil {
			return listOrder{}, err
		}
	}
	o.holds = from == sprintID
	return o, nil
}

// listOf returns the planning list t is in: its sprint, or "" for the backlog (no
// sprint, or a completed one).
func listOf(q sqlxGetter, t *Task) (string, error) {
	if t.SprintID == "" {
		return "", nil
	}
	state, err := sprintState(q, t.SprintID)
	if err != nil || state == SprintCompleted {
		return "", err
	}
	return t.SprintID, nil
}

// sprintState returns the state of sprint id ("" when there is no such sprint).
func sprintState(q sqlxGetter, id string) (SprintState, error) {
	var state SprintState
	err := q.Get(&state, `SELECT state FROM sprints WHERE id = ? AND NOT deleted`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: sprint state: %w", err)
	}
	return state, nil
}

// checkSprint returns id if t may be put in that sprint ("" = the backlog): a planned
// or active sprint of t's project. Keeping the sprint t is in needs no check (an edit
// form resubmits it), unless planning names it: a completed sprint takes no task.
func checkSprint(q sqlxGetter, t *Task, id string, planning bool) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" || (id == t.SprintID && !planning) {
		return id, nil
	}
	var sp struct {
		ProjectID string      `db:"project_id"`
		Name      string      `db:"name"`
		State     SprintState `db:"state"`
	}
	err := q.Get(&sp, `SELECT project_id, name, state FROM sprints WHERE id = ? AND NOT deleted`, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && sp.ProjectID != t.ProjectID) {
		return "", invalidField("sprint", "That sprint is not part of this project.")
	}
	if err != nil {
		return "", fmt.Errorf("store: check sprint: %w", err)
	}
	if sp.State == SprintCompleted {
		return "", invalidField("sprint", "%s is completed; reopen it before planning tasks into it.", sp.Name)
	}
	return id, nil
}

// activeIn returns the sprint t counts in for scope changes: its sprint when it has one
// and is not archived.
func activeIn(t *Task) string {
	if t == nil || t.Archived {
		return ""
	}
	return t.SprintID
}

// recordScope appends a sprint.scope_changed to each active sprint a task's change took
// it out of or put it in (before is nil for a new task): a sprint change, archiving
// (removed) or restoring (added). Points are the task's at that instant.
func recordScope(w *writer, actor string, before, after *Task) error {
	was, is := activeIn(before), activeIn(after)
	if was == is {
		return nil
	}
	for _, sc := range []struct {
		sprint, change string
		t              *Task
	}{{was, ScopeRemoved, before}, {is, ScopeAdded, after}} {
		if sc.sprint == "" {
			continue
		}
		state, err := sprintState(w.tx, sc.sprint)
		if err != nil {
			return err
		}
		if state != SprintActive {
			continue
		}
		if _, err := w.appendLatest(sprintStream(sc.sprint), actor,
			&SprintScopeChanged{TaskID: sc.t.ID, Change: sc.change, Points: sc.t.Points}); err != nil {
			return err
		}
	}
	return nil
}

// notDone is SQL (starting with AND) leaving out the tasks of the project's done
// columns, which the backlog holds but does not show, with its arguments.
func notDone(q sqlx.Queryer, projectID string) (string, []any, error) {
	p, err := workflow(q, projectID)
	if err != nil {
		return "", nil, err
	}
	var done []any
	for _, c := range p.Columns {
		if p.Done(c.ID) {
			done = append(done, c.ID)
		}
	}
	if len(done) == 0 {
		return "", nil, nil
	}
	return ` AND column_id NOT IN (?` + strings.Repeat(", ?", len(done)-1) + `)`, done, nil
}
