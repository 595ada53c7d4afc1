package store

import (
	"context"
	"fmt"
)

// The queries in this file serve what one changed card needs on a board: the card, where
// it goes, the headings of the columns it left and entered, the conflicts pending on it.
// Each is a lookup by primary key or a range of one column in an index; none reads the
// project's other tasks, so their cost does not grow with the board.

// CardPlace is where a card sits on its project's board.
type CardPlace struct {
	Task *Task
	// After is the id of the card just before it in its column, "" when it is first.
	After string
	// Index is its 0-based position among its column's cards; Count is how many cards
	// the column holds, itself included. An archived task is on no board: Index and
	// Count are then 0 and After is "".
	Index, Count int
}

// CardPlace returns a task and its place on the board, without reading the board.
func (s *Store) CardPlace(ctx context.Context, taskID string) (*CardPlace, error) {
	return s.cardPlace(ctx, taskID, true)
}

// LiveCardPlace is CardPlace without the card's Index (left 0), which costs a count of
// the cards above it: what a live update needs (the card, the one before it, the column's
// count) at a cost that does not grow with the column.
func (s *Store) LiveCardPlace(ctx context.Context, taskID string) (*CardPlace, error) {
	return s.cardPlace(ctx, taskID, false)
}

func (s *Store) cardPlace(ctx context.Context, taskID string, index bool) (*CardPlace, error) {
	t, err := loadTask(s.read, taskID)
	if err != nil {
		return nil, err
	}
	pl := &CardPlace{Task: t}
	if t.Archived {
		return pl, nil
	}
	// Board order within a column is (rank, id) among cards not archived.
	idx := `0`
	if index {
		idx = `(SELECT COUNT(*) FROM tasks WHERE project_id = ?1 AND column_id = ?2 AND NOT archived
			AND (rank, id) < (?3, ?4))`
	}
	var row struct {
		After string `db:"after"`
		Index int    `db:"idx"`
		Count int    `db:"cnt"`
	}
	err = s.read.GetContext(ctx, &row, `SELECT
		COALESCE((SELECT id FROM tasks WHERE project_id = ?1 AND column_id = ?2 AND NOT archived
			AND (rank, id) < (?3, ?4) ORDER BY rank DESC, id DESC LIMIT 1), '') AS after,
		`+idx+` AS idx,
		COALESCE((SELECT cards FROM column_cards WHERE project_id = ?1 AND column_id = ?2), 0) AS cnt`,
		t.ProjectID, t.ColumnID, t.Rank, t.ID)
	if err != nil {
		return nil, fmt.Errorf("store: place of task %s: %w", t.Key, err)
	}
	pl.After, pl.Index, pl.Count = row.After, row.Index, row.Count
	return pl, nil
}

// ColumnCount returns how many cards (tasks not archived) a column of a project holds.
func (s *Store) ColumnCount(ctx context.Context, projectID, columnID string) (int, error) {
	var n int
	err := s.read.GetContext(ctx, &n, `SELECT COALESCE((SELECT cards FROM column_cards WHERE project_id = ? AND column_id = ?), 0)`,
		projectID, columnID)
	if err != nil {
		return 0, fmt.Errorf("store: count cards of column %s: %w", columnID, err)
	}
	return n, nil
}

// ColumnTasks returns the cards of one column (tasks not archived) in board order.
func (s *Store) ColumnTasks(ctx context.Context, projectID, columnID string) ([]*Task, error) {
	var rows []taskRow
	err := s.read.SelectContext(ctx, &rows, `SELECT `+taskColumns+` FROM tasks t JOIN projects p ON p.id = t.project_id
		WHERE t.project_id = ? AND t.column_id = ? AND NOT t.archived ORDER BY t.rank, t.id`, projectID, columnID)
	if err != nil {
		return nil, fmt.Errorf("store: cards of column %s: %w", columnID, err)
	}
	return toTasks(rows)
}

// TaskProject returns the id of the project a task belongs to (a task never changes
// project).
func (s *Store) TaskProject(ctx context.Context, taskID string) (string, error) {
	var id string
	if err := s.read.GetContext(ctx, &id, `SELECT project_id FROM tasks WHERE id = ?`, taskID); err != nil {
		return "", notFound(err, "task %s", taskID)
	}
	return id, nil
}

// TaskConflicts returns every user's pending conflicts on one task, oldest first: what
// live updates of that card must show their authors.
func (s *Store) TaskConflicts(ctx context.Context, taskID string) ([]*PendingConflict, error) {
	return selectPending(ctx, s.read, `WHERE task_id = ? ORDER BY seq`, taskID)
}
