package store

import (
	"context"
	"database/sql"
	"fmt"
)

// ProjectHead returns the seq of the project's last event (its own, its tasks' and their
// conflicts', as recorded in its activity), or 0 when it has none. Anything a board of the
// project shows changes only with such an event, so the board page's ETag is built on it.
func (s *Store) ProjectHead(ctx context.Context, projectID string) (int64, error) {
	var seq sql.NullInt64
	if err := s.read.GetContext(ctx, &seq, `SELECT MAX(seq) FROM activity WHERE project_id = ?`, projectID); err != nil {
		return 0, fmt.Errorf("store: head of project %s: %w", projectID, err)
	}
	return seq.Int64, nil
}

// TaskPlace returns where a task stands in its column in board order: its index (0 for
// the top) and the number of cards in the column, archived ones left out.
func (s *Store) TaskPlace(ctx context.Context, t *Task) (index, count int, err error) {
	var r struct {
		Before int `db:"before"`
		Count  int `db:"count"`
	}
	err = s.read.GetContext(ctx, &r, `SELECT
		COUNT(*) FILTER (WHERE rank < ? OR (rank = ? AND id < ?)) AS before,
		COUNT(*) AS count
		FROM tasks WHERE project_id = ? AND column_id = ? AND NOT archived`,
		t.Rank, t.Rank, t.ID, t.ProjectID, t.ColumnID)
	if err != nil {
		return 0, 0, fmt.Errorf("store: place of %s: %w", t.Key, err)
	}
	return r.Before, r.Count, nil
}
