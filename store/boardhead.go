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
