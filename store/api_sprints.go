package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SprintNumber returns the number of sprint id in its project, deleted sprints included
// (a number is never reused). It reads one row, without the counts Sprint adds: the JSON
// API shows a task's sprint by its number in every task it answers with. Written for the
// API (issue 10); it checks no membership.
func (s *Store) SprintNumber(ctx context.Context, id string) (int, error) {
	var n int
	err := s.read.GetContext(ctx, &n, `SELECT number FROM sprints WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Errorf(ENOTFOUND, "No such sprint.")
	}
	if err != nil {
		return 0, fmt.Errorf("store: sprint number %s: %w", id, err)
	}
	return n, nil
}
