package store

import (
	"context"
	"fmt"
	"time"
)

// DemoUser is a demo account with its password, printed at start so people can sign in.
type DemoUser struct {
	Email    string
	Name     string
	Password string
	Role     Role
}

// DemoUsers are the accounts of the demo workspace.
var DemoUsers = []DemoUser{
	{Email: "ana@demo.tack", Name: "Ana Lima", Password: "tack-demo-ana", Role: RoleAdmin},
	{Email: "ben@demo.tack", Name: "Ben Okafor", Password: "tack-demo-ben", Role: RoleMember},
	{Email: "chloe@demo.tack", Name: "Chloé Martin", Password: "tack-demo-chloe", Role: RoleViewer},
}

type demoTask struct {
	title    string
	typ      TaskType
	priority Priority
	column   int
	assignee int // index in DemoUsers, -1 for none
	points   float64
	labels   []string
}

var demoTasks = []demoTask{
	{"Set up the project's CI pipeline", TypeTask, PriorityHigh, 3, 0, 3, []string{"infra"}},
	{"Sign-in page rejects emails with a plus sign", TypeBug, PriorityHighest, 3, 1, 2, []string{"auth"}},
	{"As a user I can reset my password", TypeStory, PriorityHigh, 2, 1, 5, []string{"auth"}},
	{"Board columns show their WIP limit", TypeStory, PriorityMedium, 2, 0, 3, []string{"board"}},
	{"Drag a card between columns", TypeStory, PriorityHigh, 1, 1, 8, []string{"board"}},
	{"Keyboard shortcuts help dialog", TypeStory, PriorityLow, 1, 0, 2, []string{"a11y"}},
	{"Slow task page with long histories", TypeBug, PriorityMedium, 1, -1, 3, []string{"perf"}},
	{"Sprint planning", TypeEpic, PriorityHigh, 0, 0, 0, nil},
	{"Burndown chart for the active sprint", TypeStory, PriorityMedium, 0, -1, 5, []string{"reports"}},
	{"Velocity report", TypeStory, PriorityLow, 0, -1, 3, []string{"reports"}},
	{"Printable sprint report", TypeStory, PriorityMedium, 0, 1, 3, []string{"reports", "print"}},
	{"Time tracking: log work on a task", TypeStory, PriorityMedium, 0, -1, 5, nil},
	{"Task page shows relative times", TypeTask, PriorityLow, 0, 0, 1, []string{"ui"}},
	{"Dark theme follows the system setting", TypeTask, PriorityLowest, 0, -1, 2, []string{"ui"}},
	{"Avatar initials overlap on narrow screens", TypeBug, PriorityLow, 0, 1, 1, []string{"ui"}},
	{"Export tasks as CSV", TypeStory, PriorityLow, 0, -1, 3, nil},
	{"Comment on a task with @mentions", TypeStory, PriorityMedium, 0, -1, 5, nil},
	{"Email notifications for watchers", TypeStory, PriorityLow, 0, -1, 8, nil},
	{"Archive finished tasks automatically", TypeTask, PriorityLowest, 0, -1, 2, nil},
	{"Search tasks by text", TypeStory, PriorityHigh, 0, 0, 5, []string{"search"}},
	{"Rate-limit sign-in attempts", TypeTask, PriorityHigh, 0, 1, 2, []string{"auth", "security"}},
}

// SeedDemo creates the demo workspace (project DEMO, three users, 21 tasks, most of them
// estimated, and a week of work logged by all three) unless a project DEMO already
// exists. It reports whether it created anything.
func (s *Store) SeedDemo(ctx context.Context) (bool, error) {
	var n int
	if err := s.read.GetContext(ctx, &n, `SELECT COUNT(*) FROM projects WHERE key = 'DEMO'`); err != nil {
		return false, fmt.Errorf("store: seed demo: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	users := make([]*User, len(DemoUsers))
	for i, du := range DemoUsers {
		u, err := s.UserByEmail(ctx, du.Email)
		if ErrorCode(err) == ENOTFOUND {
			u, err = s.RegisterUser(ctx, NewUser{Email: du.Email, Name: du.Name, Password: du.Password})
		}
		if err != nil {
			return false, fmt.Errorf("store: seed demo user %s: %w", du.Email, err)
		}
		users[i] = u
	}
	admin := users[0].ID
	p, err := s.CreateProject(ctx, admin, NewProject{Key: "DEMO", Name: "Demo project",
		Columns: []Column{{Name: "To Do"}, {Name: "In Progress", WIPLimit: 3}, {Name: "In Review", WIPLimit: 2}, {Name: "Done"}}})
	if err != nil {
		return false, fmt.Errorf("store: seed demo project: %w", err)
	}
	for i, du := range DemoUsers[1:] {
		// Everyone starts as a member, so that all three log a week of work; the
		// viewers take their read-only role after it (seedDemoWork).
		role := du.Role
		if role == RoleViewer {
			role = RoleMember
		}
		if err := s.AddMember(ctx, admin, p.ID, du.Email, role); err != nil {
			return false, fmt.Errorf("store: seed demo member %s: %w", users[i+1].Email, err)
		}
	}
	tasks := make([]*Task, len(demoTasks))
	for i, dt := range demoTasks {
		in := NewTask{ProjectID: p.ID, Title: dt.title, Type: dt.typ, Priority: dt.priority, Labels: dt.labels}
		if dt.assignee >= 0 {
			in.AssigneeID = users[dt.assignee].ID
		}
		if dt.points > 0 {
			pts := dt.points
			in.Points = &pts
		}
		in.Estimate = demoEstimate(i, dt)
		t, err := s.CreateTask(ctx, admin, in)
		if err != nil {
			return false, fmt.Errorf("store: seed demo task: %w", err)
		}
		// Walk finished work through the workflow so the history reads like real use.
		for col := 1; col <= dt.column; col++ {
			mover := admin
			if dt.assignee >= 0 && users[dt.assignee].Email != DemoUsers[2].Email {
				mover = users[dt.assignee].ID
			}
			res, err := s.MoveTask(ctx, mover, TaskMove{TaskID: t.ID, BaseVersion: t.Version, ColumnID: p.Columns[col].ID})
			if err != nil {
				return false, fmt.Errorf("store: seed demo move: %w", err)
			}
			t = res.Task
		}
		tasks[i] = t
	}
	if err := s.seedDemoSprints(ctx, p, users, tasks); err != nil {
		return false, fmt.Errorf("store: seed demo sprints: %w", err)
	}
	if err := s.seedDemoWork(ctx, p, users, tasks); err != nil {
		return false, fmt.Errorf("store: seed demo work: %w", err)
	}
	return true, nil
}

// demoHoursByPoints turns a demo task's story points into its original estimate.
var demoHoursByPoints = map[float64]float64{1: 2, 2: 4, 3: 8, 5: 16, 8: 40}

// demoEstimate is demo task i's original estimate: by its points, none for the epic and
// for a few tasks nobody estimated yet.
func demoEstimate(i int, dt demoTask) *int64 {
	h, ok := demoHoursByPoints[dt.points]
	if !ok || i == 11 || i == 13 || i == 17 {
		return nil
	}
	sec := int64(h * 3600)
	return &sec
}

// demoWork is one worklog of the demo week: who, on which task, how long, and what it
// did to the remaining estimate.
type demoWork struct {
	user, task int // indexes in DemoUsers and demoTasks
	hours      float64
	adjust     Adjust
	by         float64 // hours, for set and reduce
	comment    string
}

// demoWeek is the demo's work, one list per working day (oldest first): on tasks in
// progress, in review and done, with every remaining-estimate choice.
var demoWeek = [5][]demoWork{
	{{0, 0, 3, AdjustAuto, 0, "Pipeline runs tests and vet"}, {1, 1, 2, AdjustAuto, 0, "Reproduced with a+b@example.com"}, {2, 3, 2.5, AdjustAuto, 0, ""}},
	{{0, 3, 4, AdjustAuto, 0, "WIP badge on the column header"}, {1, 2, 5, AdjustLeave, 0, "Token table and expiry"}, {2, 4, 3, AdjustAuto, 0, "SortableJS spike"}},
	{{0, 0, 2, AdjustSet, 0, "Done: caching the module download"}, {1, 1, 1.5, AdjustAuto, 0, "Fix and a test"}, {2, 4, 4, AdjustReduce, 2, "Drop between columns works"}},
	{{0, 5, 2, AdjustAuto, 0, ""}, {1, 2, 6, AdjustSet, 3, "Emails sent; the form is left"}, {2, 3, 1.5, AdjustLeave, 0, "Review notes"}, {1, 20, 1, AdjustAuto, 0, ""}},
	{{0, 4, 3.5, AdjustAuto, 0, "Keyboard alternative to the drag"}, {1, 2, 2, AdjustAuto, 0, "Reset form"}, {2, 5, 1, AdjustReduce, 0.5, "Help dialog copy"}},
}

// seedDemoWork logs the demo week: the five working days before today, by all three
// demo users, then gives the viewers their read-only role.
func (s *Store) seedDemoWork(ctx context.Context, p *Project, users []*User, tasks []*Task) error {
	days := lastWorkingDays(s.Now().UTC(), len(demoWeek))
	for d, work := range demoWeek {
		for _, w := range work {
			_, err := s.LogWork(ctx, users[w.user].ID, NewWorklog{TaskID: tasks[w.task].ID, Date: days[d],
				Seconds: int64(w.hours * 3600), Comment: w.comment, Adjust: w.adjust, AdjustBy: int64(w.by * 3600)})
			if err != nil {
				return err
			}
		}
	}
	for i, du := range DemoUsers[1:] {
		if du.Role == RoleViewer {
			if err := s.ChangeMemberRole(ctx, users[0].ID, p.ID, users[i+1].ID, du.Role); err != nil {
				return err
			}
		}
	}
	return nil
}

// lastWorkingDays returns the n weekdays (Monday to Friday) before today's date, oldest
// first, as YYYY-MM-DD.
func lastWorkingDays(today time.Time, n int) []string {
	out := make([]string, n)
	d := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	for i := n - 1; i >= 0; {
		d = d.AddDate(0, 0, -1)
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			out[i] = d.Format(time.DateOnly)
			i--
		}
	}
	return out
}

// seedDemoSprints plans the demo tasks: a completed sprint (one task added after its
// start, two carried over to the next, one done), the active sprint (one task added and one
// removed after its start), a planned sprint, and the rest left in the backlog.
func (s *Store) seedDemoSprints(ctx context.Context, p *Project, users []*User, tasks []*Task) error {
	ana, ben := users[0].ID, users[1].ID
	var sprints [3]*Sprint
	for i, d := range []NewSprint{
		{Goal: "A board the team can work on every day", Start: "2026-10-19", End: "2026-10-30"},
		{Goal: "Sign-in and password reset ready for the beta", Start: "2026-11-02", End: "2026-11-13"},
		{Goal: "First reports for sprint reviews", Start: "2026-11-16", End: "2026-11-27"},
	} {
		d.ProjectID = p.ID
		sp, err := s.CreateSprint(ctx, ana, d)
		if err != nil {
			return err
		}
		sprints[i] = sp
	}
	// The sprint field as the task form sets it: planning by drag would also rank
	// the task in the sprint's list, which reorders the board the demo shows.
	plan := func(actor string, task int, sprint string) error {
		t, err := s.Task(ctx, tasks[task].ID)
		if err != nil {
			return err
		}
		_, err = s.UpdateTask(ctx, actor, TaskUpdate{TaskID: t.ID, BaseVersion: t.Version, Sprint: Some(sprint)})
		return err
	}
	start := func(actor string, sp *Sprint) error {
		current, err := s.Sprint(ctx, sp.ID)
		if err != nil {
			return err
		}
		_, err = s.StartSprint(ctx, actor, SprintStart{SprintID: sp.ID, BaseVersion: current.Version})
		return err
	}
	steps := []func() error{
		// Sprint 1: the sign-in bug and keyboard help committed; password reset joins
		// after the start. The bug gets done; the other two carry over.
		func() error { return plan(ana, 1, sprints[0].ID) },
		func() error { return plan(ben, 5, sprints[0].ID) },
		func() error { return start(ana, sprints[0]) },
		func() error { return plan(ben, 2, sprints[0].ID) },
		func() error {
			current, err := s.Sprint(ctx, sprints[0].ID)
			if err != nil {
				return err
			}
			_, err = s.CompleteSprint(ctx, ana, SprintCompletion{SprintID: current.ID, BaseVersion: current.Version,
				Default: DestSprint(sprints[1].ID)})
			return err
		},
		// Sprint 2, active: the rate limit joins after the start, the slow task page
		// goes back to the backlog.
		func() error { return plan(ana, 3, sprints[1].ID) },
		func() error { return plan(ben, 4, sprints[1].ID) },
		func() error { return plan(ana, 6, sprints[1].ID) },
		func() error { return start(ana, sprints[1]) },
		func() error { return plan(ben, 20, sprints[1].ID) },
		func() error { return plan(ana, 6, "") },
		// Sprint 3, planned: the reports.
		func() error { return plan(ana, 8, sprints[2].ID) },
		func() error { return plan(ana, 9, sprints[2].ID) },
		func() error { return plan(ben, 10, sprints[2].ID) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
