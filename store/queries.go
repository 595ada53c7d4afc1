package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// ProjectEvents returns up to limit events of the project (its own, its tasks' and their
// recorded conflicts) with seq greater than after, in sequence order.
func (s *Store) ProjectEvents(ctx context.Context, projectID string, after int64, limit int) ([]Event, error) {
	var rows []eventRow
	err := s.read.SelectContext(ctx, &rows, `SELECT e.seq, e.stream, e.version, e.type, e.actor, e.at, e.data
		FROM activity a JOIN events e ON e.seq = a.seq
		WHERE a.project_id = ? AND a.seq > ? ORDER BY a.seq LIMIT ?`, projectID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: project events: %w", err)
	}
	return toEvents(rows)
}

// TaskQuery selects a page of a project's tasks, in board order (column, then rank).
type TaskQuery struct {
	ProjectID       string
	Column          string
	Assignee        string // user id, or "none" for unassigned
	Type            TaskType
	Label           string
	Text            string // in key, title or description, case-insensitive
	Sprint          string // as TaskFilter.Sprint: "active", "none" (the backlog) or a sprint id
	IncludeArchived bool
	Cursor          string // from a previous page's next cursor
	Limit           int    // 1..200, default 50
}

type taskCursor struct {
	Position int    `json:"p"`
	Rank     string `json:"r"`
	ID       string `json:"i"`
}

// QueryTasks returns one page of tasks and the cursor of the next page ("" at the end).
func (s *Store) QueryTasks(ctx context.Context, q TaskQuery) ([]*Task, string, error) {
	switch {
	case q.Limit == 0:
		q.Limit = 50
	case q.Limit < 1 || q.Limit > 200:
		return nil, "", invalidField("limit", "limit must be between 1 and 200.")
	}
	where := []string{"t.project_id = ?"}
	args := []any{q.ProjectID}
	if !q.IncludeArchived {
		where = append(where, "NOT t.archived")
	}
	if q.Column != "" {
		where, args = append(where, "t.column_id = ?"), append(args, q.Column)
	}
	switch q.Assignee {
	case "":
	case "none":
		where = append(where, "t.assignee_id = ''")
	default:
		where, args = append(where, "t.assignee_id = ?"), append(args, q.Assignee)
	}
	if q.Type != "" {
		where, args = append(where, "t.type = ?"), append(args, q.Type)
	}
	if q.Sprint != "" {
		cond, sprintArgs, err := s.sprintFilter(ctx, q.ProjectID, q.Sprint)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, strings.TrimPrefix(cond, " AND ")), append(args, sprintArgs...)
	}
	if q.Label != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM "+s.d.jsonStrings("t.labels")+" WHERE lower(value) = lower(?))"), append(args, q.Label)
	}
	if text := strings.TrimSpace(q.Text); text != "" {
		where = append(where, "("+s.d.contains("lower(t.title)", "lower(?)")+" OR "+s.d.contains("lower(t.description)", "lower(?)")+`
			OR lower(p.key || '-' || t.number) = lower(?))`)
		args = append(args, text, text, text)
	}
	if q.Cursor != "" {
		var c taskCursor
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil {
			return nil, "", invalidField("cursor", "The cursor is not one this API returned.")
		}
		where, args = append(where, "(c.position, t.rank, t.id) > (?, ?, ?)"), append(args, c.Position, c.Rank, c.ID)
	}
	var rows []struct {
		taskRow
		Position int `db:"position"`
	}
	err := s.read.SelectContext(ctx, &rows, `SELECT `+taskColumns+`, c.position FROM tasks t
		JOIN projects p ON p.id = t.project_id
		JOIN columns c ON c.project_id = t.project_id AND c.id = t.column_id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY c.position, t.rank, t.id LIMIT ?`, append(args, q.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("store: query tasks: %w", err)
	}
	var next string
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		last := rows[len(rows)-1]
		raw, _ := json.Marshal(taskCursor{Position: last.Position, Rank: last.Rank, ID: last.ID})
		next = base64.RawURLEncoding.EncodeToString(raw)
	}
	out := make([]*Task, 0, len(rows))
	for _, r := range rows {
		t, err := r.task()
		if err != nil {
			return nil, "", err
		}
		out = append(out, t)
	}
	return out, next, nil
}

// AssignedTasks returns the tasks assigned to a user, not archived, in the projects
// they are a member of: by project key, then workflow order and rank.
func (s *Store) AssignedTasks(ctx context.Context, userID string) ([]*Task, error) {
	var rows []taskRow
	err := s.read.SelectContext(ctx, &rows, `SELECT `+taskColumns+` FROM tasks t
		JOIN projects p ON p.id = t.project_id
		JOIN members m ON m.project_id = t.project_id AND m.user_id = ?
		JOIN columns c ON c.project_id = t.project_id AND c.id = t.column_id
		WHERE t.assignee_id = ? AND NOT t.archived
		ORDER BY p.key, c.position, t.rank, t.id`, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("store: assigned tasks: %w", err)
	}
	return toTasks(rows)
}
