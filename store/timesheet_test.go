package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// sheetWorld is a board with worklogs by Ana, Ben and Cleo in TACK over two weeks, Ana's
// in a second project of hers (SIDE), and Olga's in her own project (OLGA), which no one
// else is in. The store's clock starts on Monday 2 November 2026.
type sheetWorld struct {
	*board
	side, olga *Project
	t1, t2, t3 *Task // TACK tasks; t2 is in the sprint
	sideTask   *Task
	olgaTask   *Task
	sprint     *Sprint
	ctx        context.Context
}

func mustSheetWorld(t *testing.T) *sheetWorld {
	t.Helper()
	ctx := context.Background()
	w := &sheetWorld{board: mustBoard(t), ctx: ctx}
	var err error
	w.t1 = w.mustCreate(t, "Write the parser", "")
	w.t2 = w.mustCreate(t, "Review the parser", "")
	w.t3 = w.mustCreate(t, "Ship it", "")
	if w.side, err = w.s.CreateProject(ctx, w.ana, NewProject{Key: "SIDE", Name: "Side"}); err != nil {
		t.Fatal(err)
	}
	if w.olga, err = w.s.CreateProject(ctx, w.outsider, NewProject{Key: "OLGA", Name: "Olga's"}); err != nil {
		t.Fatal(err)
	}
	if w.sideTask, err = w.s.CreateTask(ctx, w.ana, NewTask{ProjectID: w.side.ID, Title: "Side work"}); err != nil {
		t.Fatal(err)
	}
	if w.olgaTask, err = w.s.CreateTask(ctx, w.outsider, NewTask{ProjectID: w.olga.ID, Title: "Olga's secret"}); err != nil {
		t.Fatal(err)
	}
	if w.sprint, err = w.s.CreateSprint(ctx, w.ana, NewSprint{ProjectID: w.p.ID, Name: "TACK Sprint 1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.PlanTask(ctx, w.ana, TaskPlan{TaskID: w.t2.ID, BaseVersion: w.task(t, w.t2.ID).Version, Sprint: Some(w.sprint.ID)}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		who  string
		task *Task
		date string
		hrs  float64
	}{
		// The week before: Monday 19 to Sunday 25 October.
		{w.ana, w.t1, "2026-10-18", 1}, // a Sunday: the week before that
		{w.ana, w.t1, "2026-10-19", 2},
		{w.ana, w.t1, "2026-10-19", 1.5},
		{w.ana, w.t2, "2026-10-21", 3},
		{w.ben, w.t1, "2026-10-19", 4},
		{w.ben, w.t2, "2026-10-25", 0.25},
		// The week of 26 October to 1 November.
		{w.ana, w.t2, "2026-10-26", 1},
		{w.ana, w.t3, "2026-11-01", 2},
		{w.ben, w.t3, "2026-10-30", 5},
		{w.cleo, w.t2, "2026-10-28", 0.75},
		{w.ana, w.sideTask, "2026-10-20", 6},
		{w.outsider, w.olgaTask, "2026-10-20", 7},
		{w.ana, w.t1, "2026-11-02", 1}, // the Monday after
	} {
		if _, err := w.s.LogWork(ctx, l.who, NewWorklog{TaskID: l.task.ID, Date: l.date, Seconds: int64(l.hrs * 3600), Comment: "work"}); err != nil {
			t.Fatalf("log %vh on %s for %s: %v", l.hrs, l.task.Key, l.date, err)
		}
	}
	return w
}

// grid writes a timesheet as lines "ROW: cell cell ... = total" (cells in hours, "." for
// none) ending with "Total: ... = total", for comparisons at a glance.
func grid(ts *Timesheet) string {
	hours := func(s int64) string {
		if s == 0 {
			return "."
		}
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", float64(s)/3600), "0"), ".")
	}
	line := func(name string, cells []int64, total int64) string {
		parts := make([]string, len(cells))
		for i, c := range cells {
			parts[i] = hours(c)
		}
		return name + ": " + strings.Join(parts, " ") + " = " + hours(total)
	}
	var lines []string
	for _, r := range ts.Rows {
		name := r.TaskKey
		if ts.Team {
			name = r.UserName
		}
		lines = append(lines, line(name, r.Cells, r.Total))
	}
	return strings.Join(append(lines, line("Total", ts.DayTotals, ts.Total)), "\n")
}

func TestTimesheet(t *testing.T) {
	w := mustSheetWorld(t)
	week1 := func(q TimesheetQuery) TimesheetQuery { q.From, q.To = "2026-10-19", "2026-10-25"; return q }
	week2 := func(q TimesheetQuery) TimesheetQuery { q.From, q.To = "2026-10-26", "2026-11-01"; return q }
	for _, tc := range []struct {
		name string
		q    TimesheetQuery
		want string
	}{
		{"Ana's own, all projects, week 1", week1(TimesheetQuery{Viewer: w.ana}), `
SIDE-1: . 6 . . . . . = 6
TACK-1: 3.5 . . . . . . = 3.5
TACK-2: . . 3 . . . . = 3
Total: 3.5 6 3 . . . . = 12.5`},
		{"Ana's own, all projects, week 2", week2(TimesheetQuery{Viewer: w.ana}), `
TACK-2: 1 . . . . . . = 1
TACK-3: . . . . . . 2 = 2
Total: 1 . . . . . 2 = 3`},
		{"Ana's own in TACK, week 1", week1(TimesheetQuery{Viewer: w.ana, ProjectID: w.p.ID}), `
TACK-1: 3.5 . . . . . . = 3.5
TACK-2: . . 3 . . . . = 3
Total: 3.5 . 3 . . . . = 6.5`},
		{"team in TACK, week 1", week1(TimesheetQuery{Viewer: w.ana, ProjectID: w.p.ID, Team: true}), `
Ana: 3.5 . 3 . . . . = 6.5
Ben: 4 . . . . . 0.25 = 4.25
Total: 7.5 . 3 . . . 0.25 = 10.75`},
		{"team in TACK, week 2", week2(TimesheetQuery{Viewer: w.ana, ProjectID: w.p.ID, Team: true}), `
Ana: 1 . . . . . 2 = 3
Ben: . . . . 5 . . = 5
Cleo: . . 0.75 . . . . = 0.75
Total: 1 . 0.75 . 5 . 2 = 8.75`},
		{"Ben's, seen by the admin", week1(TimesheetQuery{Viewer: w.ana, ProjectID: w.p.ID, Person: w.ben}), `
TACK-1: 4 . . . . . . = 4
TACK-2: . . . . . . 0.25 = 0.25
Total: 4 . . . . . 0.25 = 4.25`},
		{"Ben's own", week1(TimesheetQuery{Viewer: w.ben}), `
TACK-1: 4 . . . . . . = 4
TACK-2: . . . . . . 0.25 = 0.25
Total: 4 . . . . . 0.25 = 4.25`},
		{"the team's, tasks in the sprint", week1(TimesheetQuery{Viewer: w.ana, ProjectID: w.p.ID, Team: true, SprintID: w.sprint.ID}), `
Ana: . . 3 . . . . = 3
Ben: . . . . . . 0.25 = 0.25
Total: . . 3 . . . 0.25 = 3.25`},
		{"one day", TimesheetQuery{Viewer: w.ana, From: "2026-10-19", To: "2026-10-19"}, `
TACK-1: 3.5 = 3.5
Total: 3.5 = 3.5`},
		{"both ends included: Sunday to Monday", TimesheetQuery{Viewer: w.ana, ProjectID: w.p.ID, From: "2026-10-18", To: "2026-10-19"}, `
TACK-1: 1 3.5 = 4.5
Total: 1 3.5 = 4.5`},
		{"the ends of week 2 exactly", TimesheetQuery{Viewer: w.ana, ProjectID: w.p.ID, From: "2026-11-01", To: "2026-11-02"}, `
TACK-1: . 1 = 1
TACK-3: 2 . = 2
Total: 2 1 = 3`},
		{"Olga sees only her own project", week1(TimesheetQuery{Viewer: w.outsider}), `
OLGA-1: . 7 . . . . . = 7
Total: . 7 . . . . . = 7`},
		{"a viewer who logged nothing", week1(TimesheetQuery{Viewer: w.vic}), `
Total: . . . . . . . = .`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := w.s.Timesheet(w.ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := grid(ts), strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			// The entries are what the grid sums, and nothing from a project the viewer
			// is not in, nor anyone else's unless asked for by an admin.
			var sum int64
			for _, e := range ts.Entries {
				sum += e.Seconds
				if e.ProjectID == w.olga.ID && tc.q.Viewer != w.outsider {
					t.Errorf("Olga's worklog leaked: %+v", e)
				}
				if !tc.q.Team && e.AuthorID != cmpOr(tc.q.Person, tc.q.Viewer) {
					t.Errorf("someone else's worklog: %+v", e)
				}
				if e.Date < tc.q.From || e.Date > tc.q.To {
					t.Errorf("a worklog outside the range: %s", e.Date)
				}
				if e.TaskKey == "" || e.TaskTitle == "" || e.ProjectKey == "" || e.AuthorName == "" || e.AuthorEmail == "" {
					t.Errorf("an entry without its names: %+v", e)
				}
			}
			if sum != ts.Total {
				t.Errorf("entries sum to %d s, the grid's total is %d s", sum, ts.Total)
			}
			if !slices.IsSortedFunc(ts.Entries, func(a, b *TimesheetEntry) int { return strings.Compare(a.Date, b.Date) }) {
				t.Errorf("entries are not in date order")
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestTimesheetRefusals(t *testing.T) {
	w := mustSheetWorld(t)
	week := func(q TimesheetQuery) TimesheetQuery { q.From, q.To = "2026-10-19", "2026-10-25"; return q }
	for _, tc := range []struct {
		name  string
		q     TimesheetQuery
		code  string
		field string
		msg   string
	}{
		{"the team view for a member", week(TimesheetQuery{Viewer: w.ben, ProjectID: w.p.ID, Team: true}), EFORBIDDEN, "", "Only project admins"},
		{"another person for a member", week(TimesheetQuery{Viewer: w.ben, ProjectID: w.p.ID, Person: w.ana}), EFORBIDDEN, "", "Only project admins"},
		{"the team view for a viewer", week(TimesheetQuery{Viewer: w.vic, ProjectID: w.p.ID, Team: true}), EFORBIDDEN, "", "Only project admins"},
		{"a non-member's own in the project", week(TimesheetQuery{Viewer: w.outsider, ProjectID: w.p.ID}), ENOTFOUND, "", "No such project"},
		{"a non-member's team view", week(TimesheetQuery{Viewer: w.outsider, ProjectID: w.p.ID, Team: true}), ENOTFOUND, "", "No such project"},
		{"an admin elsewhere asking for Olga's project", week(TimesheetQuery{Viewer: w.ana, ProjectID: w.olga.ID, Team: true}), ENOTFOUND, "", "No such project"},
		{"the team view without a project", week(TimesheetQuery{Viewer: w.ana, Team: true}), EINVALID, "", "Choose a project"},
		{"a sprint of another project", week(TimesheetQuery{Viewer: w.ana, ProjectID: w.side.ID, SprintID: w.sprint.ID}), EINVALID, "sprint", "no such sprint"},
		{"a start that is not a date", TimesheetQuery{Viewer: w.ana, From: "2026-13-01", To: "2026-10-25"}, EINVALID, "from", "YYYY-MM-DD"},
		{"an end that is not a date", TimesheetQuery{Viewer: w.ana, From: "2026-10-19", To: "soon"}, EINVALID, "to", "YYYY-MM-DD"},
		{"no dates", TimesheetQuery{Viewer: w.ana}, EINVALID, "from", "YYYY-MM-DD"},
		{"an end before the start", TimesheetQuery{Viewer: w.ana, From: "2026-10-25", To: "2026-10-19"}, EINVALID, "to", "before the start"},
		{"32 days", TimesheetQuery{Viewer: w.ana, From: "2026-10-01", To: "2026-11-01"}, EINVALID, "to", "at most 31 days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := w.s.Timesheet(w.ctx, tc.q)
			if ErrorCode(err) != tc.code || ts != nil {
				t.Fatalf("got %v, %v; want %s", ts, err, tc.code)
			}
			if !strings.Contains(ErrorMessage(err), tc.msg) {
				t.Errorf("message %q does not say %q", ErrorMessage(err), tc.msg)
			}
			var e *Error
			if tc.field != "" && (!asError(err, &e) || e.Field != tc.field) {
				t.Errorf("error %v is not about field %q", err, tc.field)
			}
		})
	}
	// 31 days is the most, and fine.
	if ts, err := w.s.Timesheet(w.ctx, TimesheetQuery{Viewer: w.ana, From: "2026-10-02", To: "2026-11-01"}); err != nil || len(ts.Days) != 31 {
		t.Errorf("31 days: %v", err)
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

// TestTimesheetRemovedMember: once removed from a project, a person's own timesheet no
// longer reads it, while the admin's team view still counts the time they logged there.
func TestTimesheetRemovedMember(t *testing.T) {
	w := mustSheetWorld(t)
	if err := w.s.RemoveMember(w.ctx, w.ana, w.p.ID, w.ben); err != nil {
		t.Fatal(err)
	}
	q := TimesheetQuery{Viewer: w.ben, From: "2026-10-19", To: "2026-11-01"}
	if ts, err := w.s.Timesheet(w.ctx, q); err != nil || len(ts.Entries) != 0 {
		t.Errorf("a removed member still reads the project's worklogs: %v %v", ts, err)
	}
	q = TimesheetQuery{Viewer: w.ana, ProjectID: w.p.ID, Team: true, From: "2026-10-19", To: "2026-11-01"}
	ts, err := w.s.Timesheet(w.ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(grid(ts), "Ben: 4 ") {
		t.Errorf("the team view lost the time of a removed member:\n%s", grid(ts))
	}
}

// TestTimesheetUsesIndexes checks that the query reads the range through an index on
// (author_id, work_date) or (project_id, work_date), not by scanning every worklog.
func TestTimesheetUsesIndexes(t *testing.T) {
	s := mustOpenStore(t)
	for _, tc := range []struct {
		name  string
		where []string
		args  []any
		index string
	}{
		{"own, every project", []string{"w.work_date BETWEEN ? AND ?", "w.author_id = ?"}, []any{"2026-10-19", "2026-10-25", "a"}, "worklogs_author_idx"},
		{"own in a project", []string{"w.work_date BETWEEN ? AND ?", "w.project_id = ?", "w.author_id = ?"}, []any{"2026-10-19", "2026-10-25", "p", "a"}, "_idx (author_id=? AND work_date>? AND work_date<?)|_idx (project_id=? AND work_date>? AND work_date<?)"},
		{"team", []string{"w.work_date BETWEEN ? AND ?", "w.project_id = ?"}, []any{"2026-10-19", "2026-10-25", "p"}, "worklogs_project_idx"},
		{"team in a sprint", []string{"w.work_date BETWEEN ? AND ?", "w.project_id = ?", "t.sprint_id = ?"}, []any{"2026-10-19", "2026-10-25", "p", "s"}, "worklogs_project_idx"},
	} {
		var plan []struct {
			ID      int    `db:"id"`
			Parent  int    `db:"parent"`
			NotUsed int    `db:"notused"`
			Detail  string `db:"detail"`
		}
		if err := s.read.Select(&plan, "EXPLAIN QUERY PLAN "+timesheetStatement(tc.where), append([]any{"v"}, tc.args...)...); err != nil {
			t.Fatal(err)
		}
		var worklogs string
		for _, p := range plan {
			if strings.Contains(p.Detail, " w ") || strings.HasSuffix(p.Detail, " w") {
				worklogs = p.Detail
			}
		}
		ok := false
		for _, want := range strings.Split(tc.index, "|") {
			ok = ok || strings.Contains(worklogs, want)
		}
		if !strings.HasPrefix(worklogs, "SEARCH w USING INDEX") || !ok {
			t.Errorf("%s: worklogs are read by %q, want a search through %s", tc.name, worklogs, tc.index)
		}
	}
}

func TestNewTimesheetLeavesOutOtherDays(t *testing.T) {
	entries := []*TimesheetEntry{
		{Worklog: Worklog{TaskID: "a", TaskKey: "X-1", Date: "2026-10-18", Seconds: 60}},
		{Worklog: Worklog{TaskID: "a", TaskKey: "X-1", Date: "2026-10-19", Seconds: 120}},
		{Worklog: Worklog{TaskID: "b", TaskKey: "X-2", Date: "2026-10-20", Seconds: 180}, TaskNumber: 2},
	}
	ts := NewTimesheet([]string{"2026-10-19", "2026-10-20"}, false, entries)
	if got := grid(ts); got != "X-1: 0.03 . = 0.03\nX-2: . 0.05 = 0.05\nTotal: 0.03 0.05 = 0.08" {
		t.Errorf("grid:\n%s", got)
	}
	if len(ts.Entries) != 2 {
		t.Errorf("%d entries kept, want the 2 inside the range", len(ts.Entries))
	}
}

// BenchmarkTimesheet reads one week of a team (50 worklogs a week by three people) from
// logs of 40 and of 400 weeks: the cost should follow the week's worklogs, not the
// table's size. "own" reads one person's week across projects (author index), "team"
// the project's (project index).
func BenchmarkTimesheet(b *testing.B) {
	for _, weeks := range []int{40, 400} {
		ctx := context.Background()
		bd := mustBoard(b)
		var tasks []*Task
		for i := range 20 {
			t, err := bd.s.CreateTask(ctx, bd.ana, NewTask{ProjectID: bd.p.ID, Title: fmt.Sprint("task ", i)})
			if err != nil {
				b.Fatal(err)
			}
			tasks = append(tasks, t)
		}
		// The store's clock says 2 November 2026: the logs go back from the week before.
		last := time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)
		people := []string{bd.ana, bd.ben, bd.cleo}
		for i := range weeks * 50 {
			day := last.AddDate(0, 0, -(i % (weeks * 7)))
			_, err := bd.s.LogWork(ctx, people[i%3], NewWorklog{TaskID: tasks[i%20].ID, Date: day.Format(time.DateOnly), Seconds: 1800, Adjust: AdjustLeave})
			if err != nil {
				b.Fatal(err)
			}
		}
		for _, view := range []struct {
			name string
			q    TimesheetQuery
		}{
			{"own", TimesheetQuery{Viewer: bd.ben}},
			{"team", TimesheetQuery{Viewer: bd.ana, ProjectID: bd.p.ID, Team: true}},
		} {
			b.Run(fmt.Sprintf("weeks=%d/%s", weeks, view.name), func(b *testing.B) {
				q := view.q
				q.From, q.To = "2026-10-19", "2026-10-25"
				cpu := processCPU(b)
				n, rows := 0, 0
				for b.Loop() {
					ts, err := bd.s.Timesheet(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					n, rows = n+1, len(ts.Entries)
				}
				b.ReportMetric(float64(processCPU(b)-cpu)/float64(n), "cpu-ns/op")
				b.ReportMetric(float64(rows), "worklogs")
			})
		}
	}
}
