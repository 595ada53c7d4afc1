package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// This file holds what happens after a conflict: a refused change stays pending for its
// author until they answer it, so every page that shows the task can show the question
// again — after a reload, in another tab, after a live update.
//
// A conflict recorded for user U on task T is pending for U until U answers it
// (AnswerConflict: "mine" applies the change after all, "theirs" keeps the other one) or
// until U makes a later change to one of its fields, which answers it by other means. A
// newer conflict of U on T replaces an older one. Nobody else sees U's pending conflicts.

// PendingConflict is a refused change waiting for its author's answer.
type PendingConflict struct {
	Seq         int64 // position of the task.conflict_recorded event
	TaskID      string
	ProjectID   string
	UserID      string // the author of the refused change
	At          time.Time
	Command     string // "edit", "move" or "plan" (a sprint change: Wanted[FieldSprint])
	BaseVersion int    // the version the refused change was based on
	// CurrentVersion is the task's version when the change was refused.
	CurrentVersion int
	Fields         []FieldConflict
	// Wanted is everything the refused change would have set, conflicting fields included.
	Wanted map[Field]any
	// After, Before and Step say where a refused move would have placed the task.
	After, Before string
	Step          Step
}

// Wants returns the value the refused change wanted for f, and whether it set f.
func (pc *PendingConflict) Wants(f Field) (any, bool) {
	v, ok := pc.Wanted[f]
	return v, ok
}

// ConflictAnswer answers a pending conflict.
type ConflictAnswer struct {
	TaskID string
	Seq    int64  // the conflict being answered, as shown to the user
	Choice string // AnswerMine or AnswerTheirs
	// BaseVersion is the task version the user saw when answering "mine": if the task
	// changed again since, applying may conflict anew (naming the newer change) rather
	// than overwrite a change the user never saw. 0 means the version the conflict was
	// recorded against.
	BaseVersion int
}

// AnswerConflict answers the actor's pending conflict on a task. AnswerTheirs keeps the
// task as it is; AnswerMine applies the refused change with the answer's base version,
// under the usual rule (it can merge, or conflict again: then the new conflict is
// pending instead, and returned as *ConflictError). Either answer is recorded in the
// task's history in the same commit as the change it makes.
func (s *Store) AnswerConflict(ctx context.Context, actor string, a ConflictAnswer) (*TaskResult, error) {
	if a.Choice != AnswerMine && a.Choice != AnswerTheirs {
		return nil, invalidField("choice", "Answer %q or %q.", AnswerMine, AnswerTheirs)
	}
	var res *TaskResult
	var conflict *ConflictError
	_, err := s.writeTx(ctx, func(w *writer) error {
		pc, err := pendingConflict(w.ctx, w.tx, a.TaskID, actor)
		if err != nil {
			return err
		}
		if pc.Seq != a.Seq {
			return Errorf(ENOTFOUND, "That conflict was replaced by a newer one on the same task: answer the newer one.")
		}
		if _, err := requireRole(w.tx, pc.ProjectID, actor, Role.CanEdit, "change tasks"); err != nil {
			return err
		}
		res = &TaskResult{}
		if a.Choice == AnswerMine {
			cmd, err := pc.command(a.BaseVersion)
			if err != nil {
				return err
			}
			if res, conflict, err = runTaskCommand(w, actor, cmd); err != nil || conflict != nil {
				return err
			}
		}
		answer := &ConflictAnswered{TaskID: a.TaskID, ConflictSeq: pc.Seq, Choice: a.Choice, Command: pc.Command, Fields: pc.Fields}
		events, err := w.appendLatest(conflictStream(a.TaskID), actor, answer)
		res.Events = append(res.Events, events...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: answer conflict: %w", err)
	}
	if conflict != nil {
		return nil, conflict
	}
	if res.Task, err = s.Task(ctx, a.TaskID); err != nil {
		return nil, err
	}
	return res, nil
}

// command rebuilds the refused command, based on version base (0: the version the
// conflict was recorded against).
func (pc *PendingConflict) command(base int) (commandSpec, error) {
	if base == 0 {
		base = pc.CurrentVersion
	}
	switch pc.Command {
	case "move":
		col, _ := pc.Wanted[FieldColumn].(string)
		return TaskMove{TaskID: pc.TaskID, BaseVersion: base, ColumnID: col,
			AfterID: pc.After, BeforeID: pc.Before, Step: pc.Step}.command(), nil
	case "plan":
		pl := TaskPlan{TaskID: pc.TaskID, BaseVersion: base, AfterID: pc.After, BeforeID: pc.Before, Step: pc.Step}
		if v, ok := pc.Wanted[FieldSprint]; ok {
			sprint, isString := v.(string)
			if !isString {
				return commandSpec{}, fmt.Errorf("store: stored conflict wants %T %v for %s", v, v, FieldSprint)
			}
			pl.Sprint = Some(sprint)
		}
		return pl.command(), nil
	}
	u, err := updateFromWanted(pc.TaskID, base, pc.Wanted)
	return u.command(), err
}

// updateFromWanted turns the stored (JSON-decoded) values of a refused edit back into
// the update that sets them.
func updateFromWanted(taskID string, base int, wanted map[Field]any) (TaskUpdate, error) {
	u := TaskUpdate{TaskID: taskID, BaseVersion: base}
	bad := func(f Field, v any) error {
		return fmt.Errorf("store: stored conflict wants %T %v for %s", v, v, f)
	}
	for f, v := range wanted {
		var ok bool
		switch f {
		case FieldTitle:
			u.Title.V, ok = v.(string)
			u.Title.Set = true
		case FieldDescription:
			u.Description.V, ok = v.(string)
			u.Description.Set = true
		case FieldAssignee:
			u.Assignee.V, ok = v.(string)
			u.Assignee.Set = true
		case FieldDue:
			u.Due.V, ok = v.(string)
			u.Due.Set = true
		case FieldSprint:
			u.Sprint.V, ok = v.(string)
			u.Sprint.Set = true
		case FieldType:
			var s string
			s, ok = v.(string)
			u.Type = Some(TaskType(s))
		case FieldPriority:
			var s string
			s, ok = v.(string)
			u.Priority = Some(Priority(s))
		case FieldArchived:
			u.Archived.V, ok = v.(bool)
			u.Archived.Set = true
		case FieldPoints:
			switch x := v.(type) {
			case nil:
				u.Points, ok = Some[*float64](nil), true
			case float64:
				u.Points, ok = Some(&x), true
			case *float64:
				u.Points, ok = Some(x), true
			}
		case FieldEstimate, FieldRemaining:
			var sec *int64
			if sec, ok = wantedSeconds(v); ok {
				if f == FieldEstimate {
					u.Estimate = Some(sec)
				} else {
					u.Remaining = Some(sec)
				}
			}
		case FieldLabels:
			switch x := v.(type) {
			case nil:
				u.Labels, ok = Some([]string{}), true
			case []string:
				u.Labels, ok = Some(x), true
			case []any:
				labels := make([]string, 0, len(x))
				ok = true
				for _, l := range x {
					s, isString := l.(string)
					ok = ok && isString
					labels = append(labels, s)
				}
				u.Labels = Some(labels)
			}
		}
		if !ok {
			return u, bad(f, v)
		}
	}
	return u, nil
}

// wantedSeconds reads a stored duration (JSON number or null, or a typed value).
func wantedSeconds(v any) (*int64, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case *int64:
		return clonePtr(x), true
	case int64:
		return &x, true
	case float64:
		n := int64(x)
		if float64(n) != x {
			return nil, false
		}
		return &n, true
	}
	return nil, false
}

// PendingConflicts returns the user's pending conflicts in a project, oldest first.
func (s *Store) PendingConflicts(ctx context.Context, projectID, userID string) ([]*PendingConflict, error) {
	return selectPending(ctx, s.read, `WHERE project_id = ? AND user_id = ? ORDER BY seq`, projectID, userID)
}

// PendingConflict returns the user's pending conflict on a task, or ENOTFOUND.
func (s *Store) PendingConflict(ctx context.Context, taskID, userID string) (*PendingConflict, error) {
	return pendingConflict(ctx, s.read, taskID, userID)
}

// PendingConflictsIn returns every user's pending conflicts in a project: what live
// updates must show their authors. There are few: each is answered or overtaken soon.
func (s *Store) PendingConflictsIn(ctx context.Context, projectID string) ([]*PendingConflict, error) {
	return selectPending(ctx, s.read, `WHERE project_id = ? ORDER BY seq`, projectID)
}

func pendingConflict(ctx context.Context, q sqlx.QueryerContext, taskID, userID string) (*PendingConflict, error) {
	pcs, err := selectPending(ctx, q, `WHERE task_id = ? AND user_id = ?`, taskID, userID)
	if err != nil {
		return nil, err
	}
	if len(pcs) == 0 {
		return nil, Errorf(ENOTFOUND, "There is no conflict waiting for your answer on this task: it was answered already, perhaps in another tab.")
	}
	return pcs[0], nil
}

type pendingRow struct {
	Seq       int64  `db:"seq"`
	TaskID    string `db:"task_id"`
	UserID    string `db:"user_id"`
	ProjectID string `db:"project_id"`
	At        string `db:"at"`
	Data      string `db:"data"`
}

func selectPending(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]*PendingConflict, error) {
	var rows []pendingRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT seq, task_id, user_id, project_id, at, data FROM pending_conflicts `+where, args...); err != nil {
		return nil, fmt.Errorf("store: pending conflicts: %w", err)
	}
	out := make([]*PendingConflict, 0, len(rows))
	for _, r := range rows {
		var c TaskConflicted
		if err := json.Unmarshal([]byte(r.Data), &c); err != nil {
			return nil, fmt.Errorf("store: pending conflict %d: %w", r.Seq, err)
		}
		at, err := parseTime(r.At)
		if err != nil {
			return nil, err
		}
		out = append(out, &PendingConflict{Seq: r.Seq, TaskID: r.TaskID, ProjectID: r.ProjectID, UserID: r.UserID, At: at,
			Command: c.Command, BaseVersion: c.BaseVersion, CurrentVersion: c.CurrentVersion, Fields: c.Fields,
			Wanted: c.Wanted, After: c.After, Before: c.Before, Step: c.Step})
	}
	return out, nil
}

// recordPending makes a recorded conflict pending for its author, replacing an older one
// on the same task. Conflicts recorded before answers existed did not keep what they
// wanted; they cannot be answered and are not pending.
func recordPending(tx sqlx.Ext, projectID string, e Event, c *TaskConflicted) error {
	if c.Wanted == nil {
		return nil
	}
	fields := make([]Field, len(c.Fields))
	for i, f := range c.Fields {
		fields[i] = f.Field
	}
	names, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO pending_conflicts (task_id, user_id, project_id, seq, fields, at, data) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (task_id, user_id) DO UPDATE SET seq = excluded.seq, fields = excluded.fields, at = excluded.at, data = excluded.data`,
		c.TaskID, e.Actor, projectID, e.Seq, string(names), formatTime(e.At), string(e.Data))
	return err
}

// endPending ends the actor's pending conflict on a task when the actor has just changed
// one of its fields: they answered it by other means.
func endPending(tx sqlx.Ext, taskID, actor string, changed []Field) error {
	if len(changed) == 0 {
		return nil
	}
	var names []string
	if err := sqlx.Select(tx, &names, `SELECT fields FROM pending_conflicts WHERE task_id = ? AND user_id = ?`, taskID, actor); err != nil {
		return err
	}
	for _, n := range names {
		var fields []Field
		if err := json.Unmarshal([]byte(n), &fields); err != nil {
			return err
		}
		if slices.ContainsFunc(fields, func(f Field) bool { return slices.Contains(changed, f) }) {
			_, err := tx.Exec(`DELETE FROM pending_conflicts WHERE task_id = ? AND user_id = ?`, taskID, actor)
			return err
		}
	}
	return nil
}

// describeAnswer tells an answer for people: "kept Ben Ortiz's move of DEMO-8 (it stays
// in Done)" or "moved DEMO-8 to In Progress anyway, over Ben Ortiz's move".
func describeAnswer(p *Project, key string, e *ConflictAnswered, name func(string) User, sprint func(string) string) string {
	if len(e.Fields) == 0 {
		return "answered a conflict on " + key
	}
	f := e.Fields[0]
	by := name(f.ChangedBy).Name
	if e.Command == "plan" {
		if e.Choice == AnswerTheirs {
			return fmt.Sprintf("kept %s's move of %s to %s", by, key, sprint(fmt.Sprint(f.Theirs)))
		}
		return fmt.Sprintf("chose to move %s to %s anyway, over %s's move to %s", key,
			sprint(fmt.Sprint(f.Yours)), by, sprint(fmt.Sprint(f.Theirs)))
	}
	if e.Command == "move" {
		if e.Choice == AnswerTheirs {
			return fmt.Sprintf("kept %s's move of %s to %s", by, key, FormatValue(p, f.Field, f.Theirs, name))
		}
		return fmt.Sprintf("chose to move %s to %s anyway, over %s's move to %s", key,
			FormatValue(p, f.Field, f.Yours, name), by, FormatValue(p, f.Field, f.Theirs, name))
	}
	labels := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		labels[i] = strings.ToLower(FieldLabel(f.Field))
	}
	if e.Choice == AnswerTheirs {
		return fmt.Sprintf("kept %s's change to the %s of %s", by, strings.Join(labels, ", "), key)
	}
	return fmt.Sprintf("chose to apply their change to the %s of %s anyway, over %s's", strings.Join(labels, ", "), key, by)
}
