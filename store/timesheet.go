package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxTimesheetDays is the longest date range a timesheet covers: a month.
const MaxTimesheetDays = 31

// TimesheetQuery selects the worklogs behind a timesheet. Without a project it is the
// viewer's own time across every project they are a member of; with one, the viewer's
// own time there, or, for the project's admins, everyone's (Team) or one person's.
type TimesheetQuery struct {
	Viewer    string // the signed-in user (required)
	ProjectID string // "" = every project the viewer is a member of (own time only)
	From, To  string // YYYY-MM-DD, both included; at most MaxTimesheetDays days
	Team      bool   // rows per person, everyone's worklogs unless Person is set (project admins only)
	Person    string // a user id: only that person's worklogs ("" = the viewer's, or everyone's in Team); others' need an admin
	SprintID  string // only tasks currently in this sprint of the project ("" = any)
}

// TimesheetEntry is one worklog as a timesheet lists it, with the names it is shown by.
type TimesheetEntry struct {
	Worklog
	ProjectKey  string `json:"project_key"`
	TaskNumber  int    `json:"-"`
	AuthorName  string `json:"author_name"`
	AuthorEmail string `json:"author_email"`
}

// TimesheetRow is one row of the grid: a task, or a person in the team view. Cells holds
// the seconds logged on each day of the range, in the order of Timesheet.Days.
type TimesheetRow struct {
	// A task's row:
	TaskID, TaskKey, TaskTitle, ProjectKey string
	taskNumber                             int
	// A person's row (team view):
	UserID, UserName string

	Cells []int64
	Total int64
}

// Timesheet is a grid of time logged: rows (tasks, or people in the team view) × the days
// of a date range, with the totals of each row, each day and the whole range, and the
// worklogs it was summed from (for the CSV export).
type Timesheet struct {
	Days      []string // YYYY-MM-DD, From to To
	Team      bool     // rows are people
	Rows      []*TimesheetRow
	DayTotals []int64
	Total     int64
	Entries   []*TimesheetEntry // by work date, start time, then when logged
}

// TimesheetRange reads and checks a date range: both dates YYYY-MM-DD, from not after
// to, at most MaxTimesheetDays days. It returns the days from first to last.
func TimesheetRange(from, to string) ([]string, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return nil, invalidField("from", "The start date %q is not a date: write it as YYYY-MM-DD, e.g. 2026-11-23.", from)
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, invalidField("to", "The end date %q is not a date: write it as YYYY-MM-DD, e.g. 2026-11-29.", to)
	}
	if t.Before(f) {
		return nil, invalidField("to", "The end date %s is before the start date %s.", to, from)
	}
	n := int(t.Sub(f).Hours()/24) + 1
	if n > MaxTimesheetDays {
		return nil, invalidField("to", "A timesheet covers at most %d days; %s to %s is %d days.", MaxTimesheetDays, from, to, n)
	}
	days := make([]string, n)
	for i := range days {
		days[i] = f.AddDate(0, 0, i).Format(time.DateOnly)
	}
	return days, nil
}

// Timesheet returns the worklogs of a date range that q selects, summed into a grid.
// Only projects the viewer is a member of are read: an outsider gets ENOTFOUND for a
// project, and nothing from it across projects. Other people's time needs the project's
// admin role (EFORBIDDEN otherwise). It reads the worklogs of the range only, through the
// (author_id, work_date) or (project_id, work_date) index.
func (s *Store) Timesheet(ctx context.Context, q TimesheetQuery) (*Timesheet, error) {
	days, err := TimesheetRange(q.From, q.To)
	if err != nil {
		return nil, err
	}
	person := cmp.Or(q.Person, q.Viewer)
	others := q.Team || person != q.Viewer
	if q.ProjectID == "" && (others || q.SprintID != "") {
		return nil, Errorf(EINVALID, "Choose a project to see other people's time or a sprint's.")
	}
	where := []string{"w.work_date BETWEEN ? AND ?"}
	args := []any{q.Viewer, q.From, q.To}
	if q.ProjectID != "" {
		var role Role
		err := s.read.GetContext(ctx, &role, `SELECT role FROM members WHERE project_id = ? AND user_id = ?`, q.ProjectID, q.Viewer)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, Errorf(ENOTFOUND, "No such project.")
		} else if err != nil {
			return nil, fmt.Errorf("store: timesheet: %w", err)
		}
		if others && !role.CanAdmin() {
			return nil, Errorf(EFORBIDDEN, "Only project admins can see other people's time; your timesheet shows your own.")
		}
		where = append(where, "w.project_id = ?")
		args = append(args, q.ProjectID)
		if q.SprintID != "" {
			var n int
			if err := s.read.GetContext(ctx, &n, `SELECT COUNT(*) FROM sprints WHERE id = ? AND project_id = ? AND NOT deleted`, q.SprintID, q.ProjectID); err != nil {
				return nil, fmt.Errorf("store: timesheet: %w", err)
			}
			if n == 0 {
				return nil, invalidField("sprint", "There is no such sprint in this project.")
			}
			where = append(where, "t.sprint_id = ?")
			args = append(args, q.SprintID)
		}
	}
	if !q.Team || q.Person != "" {
		where = append(where, "w.author_id = ?")
		args = append(args, person)
	}
	var rows []struct {
		worklogRow
		AuthorName  string `db:"name"`
		AuthorEmail string `db:"email"`
	}
	err = s.read.SelectContext(ctx, &rows, timesheetStatement(where), args...)
	if err != nil {
		return nil, fmt.Errorf("store: timesheet: %w", err)
	}
	entries := make([]*TimesheetEntry, 0, len(rows))
	for _, r := range rows {
		w, err := r.worklog()
		if err != nil {
			return nil, err
		}
		entries = append(entries, &TimesheetEntry{Worklog: *w, ProjectKey: r.ProjectKey, TaskNumber: r.Number,
			AuthorName: r.AuthorName, AuthorEmail: r.AuthorEmail})
	}
	return NewTimesheet(days, q.Team, entries), nil
}

// timesheetStatement selects worklogs with their names, where every condition holds.
// Its first argument is the viewer: the membership join repeats the access rule in the
// statement itself, so a row is read only from a project the viewer is in, and someone
// else's only by that project's admin.
func timesheetStatement(where []string) string {
	return `SELECT ` + worklogColumns + `, u.name, u.email` + worklogFrom + `
		JOIN members m ON m.project_id = w.project_id AND m.user_id = ? AND (m.role = 'admin' OR w.author_id = m.user_id)
		JOIN users u ON u.id = w.author_id
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY w.work_date, w.start_time = '', w.start_time, w.created_at, w.id`
}

// NewTimesheet sums entries into a grid over days: a row per task, or per person when
// team is set. Entries dated outside days are left out. Task rows are ordered by project
// key and task number, people by name.
func NewTimesheet(days []string, team bool, entries []*TimesheetEntry) *Timesheet {
	ts := &Timesheet{Days: days, Team: team, DayTotals: make([]int64, len(days))}
	col := make(map[string]int, len(days))
	for i, d := range days {
		col[d] = i
	}
	rows := map[string]*TimesheetRow{}
	for _, e := range entries {
		i, ok := col[e.Date]
		if !ok {
			continue
		}
		ts.Entries = append(ts.Entries, e)
		key := e.TaskID
		if team {
			key = e.AuthorID
		}
		row := rows[key]
		if row == nil {
			row = &TimesheetRow{Cells: make([]int64, len(days))}
			if team {
				row.UserID, row.UserName = e.AuthorID, e.AuthorName
			} else {
				row.TaskID, row.TaskKey, row.TaskTitle, row.ProjectKey, row.taskNumber = e.TaskID, e.TaskKey, e.TaskTitle, e.ProjectKey, e.TaskNumber
			}
			rows[key] = row
			ts.Rows = append(ts.Rows, row)
		}
		row.Cells[i] += e.Seconds
		row.Total += e.Seconds
		ts.DayTotals[i] += e.Seconds
		ts.Total += e.Seconds
	}
	slices.SortFunc(ts.Rows, func(a, b *TimesheetRow) int {
		if team {
			return cmp.Or(strings.Compare(strings.ToLower(a.UserName), strings.ToLower(b.UserName)), strings.Compare(a.UserID, b.UserID))
		}
		return cmp.Or(strings.Compare(a.ProjectKey, b.ProjectKey), cmp.Compare(a.taskNumber, b.taskNumber), strings.Compare(a.TaskID, b.TaskID))
	})
	return ts
}
