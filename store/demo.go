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
	// The demo tells a story over weeks: its setup and its completed sprint happen on a
	// story clock in the past (see demoClock), the rest now.
	base := s.Now
	defer func() { s.Now = base }()
	clock, story := demoClock(s, base)
	clock("2026-10-16 09:00")
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
	if err := s.seedDemoSprints(ctx, p, users, tasks, clock, story); err != nil {
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

// demoClock returns a function that sets the store's clock to a moment of the demo's
// story ("2026-10-19 09:30", UTC, one second more per event after it) or, given "", back
// to base. The story clock is used only when base's now is after the story (the demo's
// first sprint ends on 30 October 2026), as story reports; otherwise everything happens
// now. SeedDemo runs before the store serves: nothing else reads the clock meanwhile.
func demoClock(s *Store, base func() time.Time) (clock func(at string), story bool) {
	story = base().After(time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC))
	return func(at string) {
		if at == "" || !story {
			s.Now = base
			return
		}
		t, err := time.Parse("2006-01-02 15:04", at)
		if err != nil {
			panic("demo clock: " + err.Error())
		}
		s.Now = func() time.Time {
			t = t.Add(time.Second)
			return t
		}
	}, story
}

// demoSprintWork are the tasks of the demo's completed sprint besides three of the
// board's: the team's first sprint, finished and archived after its review. Points 0
// means none; the estimate follows the points (demoHoursByPoints) except where noted.
var demoSprintWork = []struct {
	title  string
	typ    TaskType
	points float64
}{
	{"Project and column model", TypeTask, 3}, {"Create a project with a key", TypeStory, 2},
	{"Board page renders the columns", TypeStory, 3}, {"Cards show key, title and assignee", TypeStory, 2},
	{"Create a task from the board", TypeStory, 3}, {"Task page with its fields", TypeStory, 5},
	{"Edit a task's title inline", TypeStory, 2}, {"Assign a task to a member", TypeStory, 2},
	{"Task types and their icons", TypeTask, 1}, {"Priorities with a sort order", TypeTask, 1},
	{"Labels on tasks", TypeStory, 3}, {"Story points on tasks", TypeStory, 2},
	{"Due dates with a date picker", TypeStory, 3}, {"Event log table and append", TypeTask, 5},
	{"Projections rebuild from the log", TypeTask, 8}, {"Replay command compares read models", TypeTask, 5},
	{"Sign-in with email and password", TypeStory, 5}, {"Session cookies and sign-out", TypeTask, 3},
	{"CSRF tokens on every form", TypeTask, 2}, {"Members and roles", TypeStory, 5},
	{"Invite a member by email", TypeStory, 3}, {"Viewers cannot change anything", TypeTask, 2},
	{"Move a card with the keyboard", TypeStory, 3}, {"Rank cards within a column", TypeTask, 5},
	{"Live board updates over SSE", TypeStory, 8}, {"Reconnect the live stream after sleep", TypeBug, 2},
	{"Conflicting edits are refused with both values", TypeStory, 5}, {"Task history lists every change", TypeStory, 3},
	{"Project activity page", TypeStory, 3}, {"Archive and restore a task", TypeStory, 2},
	{"Filter the board by assignee", TypeStory, 2}, {"Filter the board by label", TypeStory, 1},
	{"Empty column placeholder text", TypeTask, 1}, {"Focus ring visible on every control", TypeBug, 1},
	{"Screen reader names for card actions", TypeTask, 2}, {"Error page for unknown projects", TypeTask, 1},
	{"Rate of board queries under load", TypeTask, 0}, {"SQLite settings for concurrent writers", TypeTask, 3},
	{"Backups with VACUUM INTO", TypeTask, 2}, {"Release notes for the first beta", TypeTask, 0},
	// Added after the start:
	{"Card title overflows on long words", TypeBug, 1}, {"Column WIP limit stored per column", TypeTask, 2},
}

// demoSprintAdded is how many of demoSprintWork (the last ones) join after the start.
const demoSprintAdded = 2

// seedDemoSprints plans the demo tasks: a completed sprint of the past (the team's
// first: 43 tasks committed, 3 added after its start and one removed, points and
// estimates changed during it, work logged every working day, a weekend inside it, two
// tasks carried over to the next and one completed before it began), the active sprint
// (one task added and one removed after its start), a planned sprint, and the rest left
// in the backlog. The first sprint's own tasks are archived after its review, so the
// board shows the 21 tasks of today.
func (s *Store) seedDemoSprints(ctx context.Context, p *Project, users []*User, tasks []*Task, clock func(string), story bool) error {
	ana, ben, chloe := users[0].ID, users[1].ID, users[2].ID
	clock("2026-10-16 14:00")
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
	// Sprint 1's own tasks, created into it.
	work := make([]string, len(demoSprintWork))
	create := func(i int) error {
		w := demoSprintWork[i]
		in := NewTask{ProjectID: p.ID, Title: w.title, Type: w.typ, Priority: PriorityMedium, SprintID: sprints[0].ID,
			AssigneeID: users[i%2].ID}
		if w.points > 0 {
			pts := w.points
			in.Points = &pts
			if h, ok := demoHoursByPoints[w.points]; ok && i%7 != 3 {
				sec := int64(h * 3600)
				in.Estimate = &sec
			}
		}
		t, err := s.CreateTask(ctx, ana, in)
		if err != nil {
			return err
		}
		work[i] = t.ID
		return nil
	}
	update := func(actor string, i int, u TaskUpdate) error {
		t, err := s.Task(ctx, work[i])
		if err != nil {
			return err
		}
		u.TaskID, u.BaseVersion = t.ID, t.Version
		_, err = s.UpdateTask(ctx, actor, u)
		return err
	}
	move := func(i, col int) error {
		t, err := s.Task(ctx, work[i])
		if err != nil {
			return err
		}
		_, err = s.MoveTask(ctx, t.AssigneeID, TaskMove{TaskID: t.ID, BaseVersion: t.Version, ColumnID: p.Columns[col].ID})
		return err
	}
	for i := range len(demoSprintWork) - demoSprintAdded {
		if err := create(i); err != nil {
			return err
		}
	}
	if err := plan(ana, 1, sprints[0].ID); err != nil { // done already: completed outside the sprint
		return err
	}
	if err := plan(ben, 5, sprints[0].ID); err != nil {
		return err
	}
	clock("2026-10-19 09:30")
	if err := start(ana, sprints[0]); err != nil {
		return err
	}
	// Ten working days: each day some tasks start, some are reviewed, some are done.
	days := []string{"2026-10-19", "2026-10-20", "2026-10-21", "2026-10-22", "2026-10-23",
		"2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30"}
	removed := 7 // archived as a duplicate on the fourth day: leaves the sprint
	for d, day := range days {
		clock(day + " 10:00")
		for i := range work {
			if work[i] == "" || i == removed {
				continue
			}
			// Task i starts on day i*8/len (work logged that day), is in review the next
			// day and done the one after.
			begin := i * 8 / len(work) // 0…7
			if col := d - begin + 1; col >= 1 && col <= 3 {
				if err := move(i, col); err != nil {
					return err
				}
				if col == 1 && story { // work dated in the past needs the story clock
					t, err := s.Task(ctx, work[i])
					if err != nil {
						return err
					}
					hours := 1 + float64(i%4)
					if _, err := s.LogWork(ctx, t.AssigneeID, NewWorklog{TaskID: t.ID, Date: day, Seconds: int64(hours * 3600),
						Adjust: AdjustAuto}); err != nil {
						return err
					}
				}
			}
		}
		var err error
		switch d {
		case 1: // re-estimates
			clock(day + " 15:00")
			five, three := 5.0, 3.0
			if err = update(ben, 14, TaskUpdate{Points: Some(&five)}); err == nil {
				err = update(ana, 15, TaskUpdate{Points: Some(&three)})
			}
			if err == nil {
				est := int64(24 * 3600)
				err = update(ben, 24, TaskUpdate{Estimate: Some(&est)})
			}
		case 2: // the password reset joins
			clock(day + " 11:00")
			err = plan(ben, 2, sprints[0].ID)
		case 3: // two more join, one leaves
			clock(day + " 16:00")
			for i := len(work) - demoSprintAdded; i < len(work) && err == nil; i++ {
				err = create(i)
			}
			if err == nil {
				err = update(ana, removed, TaskUpdate{Archived: Some(true)})
			}
		case 6:
			clock(day + " 14:00")
			rem := int64(2 * 3600)
			err = update(chloe, 26, TaskUpdate{Remaining: Some(&rem)})
		}
		if err != nil {
			return err
		}
	}
	clock("2026-10-30 17:00")
	current, err := s.Sprint(ctx, sprints[0].ID)
	if err != nil {
		return err
	}
	if _, err := s.CompleteSprint(ctx, ana, SprintCompletion{SprintID: current.ID, BaseVersion: current.Version,
		Default: DestSprint(sprints[1].ID)}); err != nil {
		return err
	}
	// After the review the sprint's own tasks leave the board.
	clock("2026-10-30 17:30")
	for i := range work {
		if i != removed {
			if err := update(ana, i, TaskUpdate{Archived: Some(true)}); err != nil {
				return err
			}
		}
	}
	clock("") // back to the clock SeedDemo found
	steps := []func() error{
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
