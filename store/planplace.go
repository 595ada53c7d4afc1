package store

import (
	"context"
	"database/sql"
	"fmt"
)

// PlanPlace is where one task is on its project's backlog page: what a change to the
// task needs to put its row back, read without the page's other rows.
type PlanPlace struct {
	Task *Task
	// Shown says the page shows the task: not archived, and in a planned or active
	// sprint, or in the backlog and not done.
	Shown bool
	List  string // the sprint id of its list, "" for the backlog
	After string // the task shown just before it in its list, "" when it is the first
	// Index is its position in its list, from 0; counted only when asked for (it reads
	// the tasks above it), else 0.
	Index int
}

// PlanPlace returns where task id is on the backlog page. With count it also counts
// the tasks above it, for an announcement such as "position 3 of 9".
func (s *Store) PlanPlace(ctx context.Context, id string, count bool) (*PlanPlace, error) {
	tx, err := s.read.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: plan place: %w", err)
	}
	defer tx.Rollback()
	t, err := loadTask(tx, id)
	if err != nil {
		return nil, err
	}
	pl := &PlanPlace{Task: t}
	if t.Archived {
		return pl, nil
	}
	if pl.List, err = listOf(tx, t); err != nil {
		return nil, err
	}
	o, err := planOrder(tx, t, pl.List)
	if err != nil {
		return nil, err
	}
	if pl.List == "" {
		p, err := workflow(tx, t.ProjectID)
		if err != nil {
			return nil, err
		}
		if p.Done(t.ColumnID) {
			return pl, nil // done: the backlog holds it but does not show it
		}
	}
	pl.Shown = true
	above := `AND NOT archived` + o.hides + ` AND (rank < ? OR (rank = ? AND id < ?))`
	args := append(append([]any{}, o.hidesArgs...), t.Rank, t.Rank, t.ID)
	if pl.After, _, err = o.last(above, args...); err != nil || !count {
		return pl, err
	}
	pl.Index, err = o.count(above, args...)
	return pl, err
}

// BacklogSize returns how many tasks the project's backlog list shows (not archived,
// not done, in no sprint or a completed one) and their story points. Sprint lists
// count theirs in Sprint.Tasks and Sprint.Points.
func (s *Store) BacklogSize(ctx context.Context, projectID string) (tasks int, points float64, err error) {
	tx, err := s.read.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, 0, fmt.Errorf("store: backlog size: %w", err)
	}
	defer tx.Rollback()
	hides, args, err := notDone(tx, projectID)
	if err != nil {
		return 0, 0, err
	}
	var size struct {
		Tasks  int     `db:"tasks"`
		Points float64 `db:"points"`
	}
	err = tx.GetContext(ctx, &size, `SELECT COUNT(*) AS tasks, COALESCE(SUM(points), 0) AS points FROM tasks
		WHERE project_id = ? AND `+backlogList+` AND NOT archived`+hides, append([]any{projectID, projectID}, args...)...)
	if err != nil {
		return 0, 0, fmt.Errorf("store: backlog size: %w", err)
	}
	return size.Tasks, size.Points, nil
}
