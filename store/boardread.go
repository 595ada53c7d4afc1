package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
)

// BoardRead says what a board read fetches besides what a card shows. A card shows its
// key, title, type, priority, points, time tracking (original and remaining estimate,
// time logged), assignee, (for moves) version and column, and its sprint (the board may show one sprint's cards, or the carried-over ones); a
// filter by label needs the labels, one by text the description.
type BoardRead struct {
	Labels      bool
	Description bool
}

// boardColumns are the columns a card shows, named so that a column added to tasks
// changes nothing here; the order is boardRow.dest's.
const boardColumns = `t.id, t.number, t.title, t.type, t.priority, t.column_id, t.assignee_id, t.points, t.version, t.sprint_id, t.carried_from,
	t.estimate, t.remaining, t.logged`

// BoardTasks returns the project's cards (tasks not archived) in board order, as
// Tasks(ctx, projectID, TaskFilter{}) would, with only what the board shows: fields
// outside BoardRead and a card's facts (rank, due date, creation and update) are left
// zero. It serves the board page, which reads every card of the project on each load,
// so the rows are scanned without reflection into one block of tasks.
func (s *Store) BoardTasks(ctx context.Context, projectID string, want BoardRead) ([]*Task, error) {
	// The key makes the cards' keys; the column counts size the block of tasks.
	var head struct {
		Key   string `db:"key"`
		Cards int    `db:"cards"`
	}
	err := s.read.GetContext(ctx, &head, `SELECT key,
		(SELECT COALESCE(SUM(cards), 0) FROM column_cards WHERE project_id = p.id) AS cards
		FROM projects p WHERE id = ?`, projectID)
	if err != nil {
		return nil, notFound(err, "project %s", projectID)
	}
	key := head.Key
	var columns []string
	if err := s.read.SelectContext(ctx, &columns, `SELECT id FROM columns WHERE project_id = ? ORDER BY position`, projectID); err != nil {
		return nil, fmt.Errorf("store: columns of project %s: %w", key, err)
	}
	cols := boardColumns
	if want.Labels {
		cols += `, t.labels`
	}
	if want.Description {
		cols += `, t.description`
	}
	// In the order of tasks_board_idx (by column id, then rank and id): no sort of the
	// rows, which would copy every card. The columns are put in board order below.
	rows, err := s.read.QueryContext(ctx, `SELECT `+cols+` FROM tasks t
		WHERE t.project_id = ? AND NOT t.archived
		ORDER BY t.column_id, t.rank, t.id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: board of project %s: %w", key, err)
	}
	defer rows.Close()
	var (
		tasks  = make([]Task, 0, head.Cards)
		r      boardRow
		dest   = r.dest(want)
		prefix = key + "-"
	)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: board of project %s: %w", key, err)
		}
		t, err := r.task(projectID, prefix, want)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: board of project %s: %w", key, err)
	}
	return inBoardOrder(tasks, columns), nil
}

// inBoardOrder returns tasks (grouped by column, each group in board order) with the
// groups in the order of columns; a task in a column that is not there is left out.
func inBoardOrder(tasks []Task, columns []string) []*Task {
	groups := make(map[string][]Task, len(columns))
	for start := 0; start < len(tasks); {
		end := start + 1
		for end < len(tasks) && tasks[end].ColumnID == tasks[start].ColumnID {
			end++
		}
		groups[tasks[start].ColumnID] = tasks[start:end]
		start = end
	}
	out := make([]*Task, 0, len(tasks))
	for _, col := range columns {
		for i := range groups[col] {
			out = append(out, &groups[col][i])
		}
	}
	return out
}

// boardRow is one row of a board read, scanned in place row after row.
type boardRow struct {
	id, title, typ, priority, column, assignee string
	sprint, carriedFrom                        string
	number, version                            int
	points                                     sql.NullFloat64
	estimate, remaining                        sql.NullInt64
	logged                                     int64
	labels, description                        string
}

// dest is where rows.Scan puts the columns BoardTasks selects, in their order.
func (r *boardRow) dest(want BoardRead) []any {
	d := []any{&r.id, &r.number, &r.title, &r.typ, &r.priority, &r.column, &r.assignee, &r.points, &r.version, &r.sprint, &r.carriedFrom,
		&r.estimate, &r.remaining, &r.logged}
	if want.Labels {
		d = append(d, &r.labels)
	}
	if want.Description {
		d = append(d, &r.description)
	}
	return d
}

func (r *boardRow) task(projectID, keyPrefix string, want BoardRead) (Task, error) {
	t := Task{
		ID: r.id, ProjectID: projectID, Number: r.number, Key: keyPrefix + strconv.Itoa(r.number), Title: r.title,
		Type: TaskType(r.typ), Priority: Priority(r.priority), ColumnID: r.column, AssigneeID: r.assignee,
		Version: r.version, Description: r.description, SprintID: r.sprint, CarriedFrom: r.carriedFrom, Logged: r.logged,
	}
	if r.estimate.Valid {
		e := r.estimate.Int64
		t.Estimate = &e
	}
	if r.remaining.Valid {
		e := r.remaining.Int64
		t.Remaining = &e
	}
	if r.points.Valid {
		p := r.points.Float64
		t.Points = &p
	}
	if want.Labels {
		if err := json.Unmarshal([]byte(r.labels), &t.Labels); err != nil {
			return Task{}, fmt.Errorf("store: labels of task %s: %w", r.id, err)
		}
	}
	return t, nil
}
