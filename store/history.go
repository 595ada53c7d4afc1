package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HistoryEntry is one event told for people: "Ana moved DEMO-12 from To Do to In Progress".
type HistoryEntry struct {
	Seq     int64
	At      time.Time
	Type    string
	Actor   User
	TaskID  string
	TaskKey string
	// SprintID is the sprint a sprint event concerns ("" for other events).
	SprintID string
	// Text follows the actor's name: "moved DEMO-12 from To Do to In Progress".
	Text string
	// Changes lists old → new values, for edits.
	Changes []ValueChange
	// Conflicts is set for a refused change: what the actor wanted against whose change.
	Conflicts []ConflictNote
}

// ValueChange is one field's old and new value, ready to show.
type ValueChange struct {
	Field string
	From  string
	To    string
}

// ConflictNote is one field of a recorded conflict, ready to show.
type ConflictNote struct {
	Field  string
	Yours  string
	Theirs string
	By     User
	At     time.Time
}

type historyRow struct {
	Seq     int64  `db:"seq"`
	TaskID  string `db:"task_id"`
	Type    string `db:"type"`
	Actor   string `db:"actor"`
	At      string `db:"at"`
	Data    string `db:"data"`
	TaskKey string `db:"task_key"`
	Stream  string `db:"stream"`
}

// TaskHistory returns a task's history, oldest first, conflicts included.
func (s *Store) TaskHistory(ctx context.Context, p *Project, taskID string) ([]HistoryEntry, error) {
	var rows []historyRow
	err := s.read.SelectContext(ctx, &rows, `SELECT h.seq, h.task_id, h.type, h.actor, h.at, h.data,
			? || '-' || t.number AS task_key
		FROM task_history h JOIN tasks t ON t.id = h.task_id WHERE h.task_id = ? ORDER BY h.seq`, p.Key, taskID)
	if err != nil {
		return nil, fmt.Errorf("store: task history: %w", err)
	}
	return s.describe(ctx, p, rows)
}

// Activity returns the project's latest events, newest first; before > 0 pages back.
func (s *Store) Activity(ctx context.Context, p *Project, before int64, limit int) ([]HistoryEntry, error) {
	if before <= 0 {
		before = 1<<62 - 1
	}
	var rows []historyRow
	err := s.read.SelectContext(ctx, &rows, `SELECT a.seq, a.task_id, a.type, a.actor, a.at, a.data,
			COALESCE(? || '-' || t.number, '') AS task_key,
			CASE WHEN a.type LIKE 'sprint.%' THEN (SELECT e.stream FROM events e WHERE e.seq = a.seq) ELSE '' END AS stream
		FROM activity a LEFT JOIN tasks t ON t.id = a.task_id
		WHERE a.project_id = ? AND a.seq < ? ORDER BY a.seq DESC LIMIT ?`, p.Key, p.ID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: activity: %w", err)
	}
	return s.describe(ctx, p, rows)
}

// DescribeEvents tells freshly appended events of project p for people, as TaskHistory
// and Activity do for stored ones.
func (s *Store) DescribeEvents(ctx context.Context, p *Project, events []Event) ([]HistoryEntry, error) {
	rows := make([]historyRow, 0, len(events))
	for _, e := range events {
		r := historyRow{Seq: e.Seq, Type: e.Type, Actor: e.Actor, At: formatTime(e.At), Data: string(e.Data), Stream: e.Stream}
		if e.Type == TypeSprintScopeChanged { // it names its task in the activity
			var p SprintScopeChanged
			if err := json.Unmarshal(e.Data, &p); err != nil {
				return nil, err
			}
			t, err := loadTask(s.read, p.TaskID)
			if err != nil {
				return nil, err
			}
			r.TaskID, r.TaskKey = t.ID, t.Key
		}
		if kind, id := streamID(e.Stream); kind == "task" {
			t, err := loadTask(s.read, id)
			if err != nil {
				return nil, err
			}
			r.TaskID, r.TaskKey = t.ID, t.Key
		}
		rows = append(rows, r)
	}
	return s.describe(ctx, p, rows)
}

// describe turns rows into entries, naming users and columns.
func (s *Store) describe(ctx context.Context, p *Project, rows []historyRow) ([]HistoryEntry, error) {
	users := map[string]User{}
	name := func(id string) User {
		if id == "" {
			return User{Name: "nobody"}
		}
		if u, ok := users[id]; ok {
			return u
		}
		u, err := s.User(ctx, id)
		if err != nil {
			users[id] = User{ID: id, Name: "a former user"}
		} else {
			users[id] = *u
		}
		return users[id]
	}
	var sprintNames map[string]string
	sprint := func(id string) string {
		if id == "" {
			return "the backlog"
		}
		if sprintNames == nil {
			sprintNames = map[string]string{}
			var list []struct {
				ID   string `db:"id"`
				Name string `db:"name"`
			}
			if err := s.read.SelectContext(ctx, &list, `SELECT id, name FROM sprints WHERE project_id = ?`, p.ID); err == nil {
				for _, sp := range list {
					sprintNames[sp.ID] = sp.Name
				}
			}
		}
		if n, ok := sprintNames[id]; ok {
			return n
		}
		return "a deleted sprint"
	}
	out := make([]HistoryEntry, 0, len(rows))
	for _, r := range rows {
		at, err := parseTime(r.At)
		if err != nil {
			return nil, err
		}
		p2, err := Event{Seq: r.Seq, Type: r.Type, Data: json.RawMessage(r.Data)}.Decode()
		if err != nil {
			return nil, err
		}
		h := HistoryEntry{Seq: r.Seq, At: at, Type: r.Type, Actor: name(r.Actor), TaskID: r.TaskID, TaskKey: r.TaskKey}
		if kind, id := streamID(r.Stream); kind == "sprint" {
			h.SprintID = id
		}
		describeEvent(&h, p, p2, name, sprint)
		out = append(out, h)
	}
	return out, nil
}

// describeEvent tells one event; sprint names a sprint by id ("" is the backlog).
func describeEvent(h *HistoryEntry, p *Project, payload Payload, name func(string) User, sprint func(string) string) {
	key := h.TaskKey
	change := func(field, from, to string) {
		h.Changes = append(h.Changes, ValueChange{Field: field, From: from, To: to})
	}
	switch e := payload.(type) {
	case *UserRegistered:
		h.Text = "signed up"
	case *ProjectCreated:
		h.Text = fmt.Sprintf("created project %s (%s)", e.Key, e.Name)
	case *MemberAdded:
		h.Text = fmt.Sprintf("added %s as %s", name(e.UserID).Name, e.Role)
	case *MemberRoleChanged:
		h.Text = fmt.Sprintf("made %s %s (was %s)", name(e.UserID).Name, e.To, e.From)
	case *MemberRemoved:
		h.Text = fmt.Sprintf("removed %s from the project", name(e.UserID).Name)
	case *WorkflowChanged:
		marked := categoryChanges(e.From, e.To)
		if len(marked) > 0 && columnList(e.From) == columnList(e.To) {
			// Only categories changed: "marked Won't do as Done".
			parts := make([]string, len(marked))
			for i, m := range marked {
				parts[i] = m.Field + " as " + m.To
			}
			h.Text = "marked " + strings.Join(parts, " and ")
			break
		}
		h.Text = "changed the workflow"
		change("Columns", columnList(e.From), columnList(e.To))
		for _, m := range marked {
			change("Status category of "+m.Field, m.From, m.To)
		}
	case *TaskCreated:
		h.Text = fmt.Sprintf("created %s in %s", key, p.ColumnName(e.ColumnID))
		if e.SprintID != "" {
			h.Text += ", in " + sprint(e.SprintID)
		}
		change("Title", "", e.Title)
		if e.Estimate != nil {
			change("Original estimate", "none", formatSeconds(p, e.Estimate))
		}
	case *TaskSprintChanged:
		if e.CarriedOver {
			h.Text = fmt.Sprintf("carried %s over from %s to %s", key, sprint(e.From), sprint(e.To))
		} else {
			h.Text = fmt.Sprintf("moved %s to %s", key, sprint(e.To))
		}
		change("Sprint", sprint(e.From), sprint(e.To))
	case *SettingsChanged:
		h.Text = "changed the project's settings"
		if c := e.ParallelSprints; c != nil {
			h.Text = "stopped allowing parallel sprints"
			if c.To {
				h.Text = "allowed parallel sprints"
			}
		}
		if e.DayMinutes != nil || e.WeekDays != nil {
			h.Text = "changed the working calendar for time tracking"
			if c := e.DayMinutes; c != nil {
				change("Working day", hoursMinutes(c.From), hoursMinutes(c.To))
			}
			if c := e.WeekDays; c != nil {
				change("Working week", fmt.Sprintf("%d days", c.From), fmt.Sprintf("%d days", c.To))
			}
		}
		if e.TimeZone != nil || e.WorkWeekdays != nil || e.Holidays != nil {
			h.Text = "changed the working calendar for reports: " + calendarChangeText(e)
			if c := e.TimeZone; c != nil {
				change("Time zone", c.From, c.To)
			}
			if c := e.WorkWeekdays; c != nil {
				change("Working days", WeekdaysText(c.From), WeekdaysText(c.To))
			}
			if c := e.Holidays; c != nil {
				change("Non-working dates", orNone(strings.Join(c.From, ", ")), orNone(strings.Join(c.To, ", ")))
			}
		}
	case *SprintCreated:
		h.Text = "created " + e.Name
		if e.Start != "" || e.End != "" {
			change("Dates", "", orNone(e.Start)+" – "+orNone(e.End))
		}
		if e.Goal != "" {
			change("Goal", "", e.Goal)
		}
	case *SprintEdited:
		h.Text = "changed " + sprint(h.SprintID)
		if e.Name != nil {
			h.Text = fmt.Sprintf("renamed %s to %s", e.Name.From, e.Name.To)
		}
		for _, f := range []struct {
			label string
			c     *StringChange
		}{{"Name", e.Name}, {"Goal", e.Goal}, {"Start date", e.Start}, {"End date", e.End}} {
			if f.c != nil {
				change(f.label, orNone(f.c.From), orNone(f.c.To))
			}
		}
	case *SprintDeleted:
		h.Text = "deleted " + sprint(h.SprintID)
	case *SprintStarted:
		h.Text = fmt.Sprintf("started %s with %s, %s", sprint(h.SprintID), plural(len(e.Commitment), "task"), pointsOf(e.Commitment))
		change("Dates", "", e.Start+" – "+e.End)
	case *SprintScopeChanged:
		if e.Change == ScopeRemoved {
			h.Text = fmt.Sprintf("removed %s from %s after it started", key, sprint(h.SprintID))
		} else {
			h.Text = fmt.Sprintf("added %s to %s after it started", key, sprint(h.SprintID))
		}
		change("Story points", "", FormatPoints(e.Points))
	case *SprintCompletedEvent:
		h.Text = fmt.Sprintf("completed %s: %d done", sprint(h.SprintID), len(e.Completed))
		counts, order := map[string]int{}, []string{}
		for _, c := range e.NotCompleted {
			if counts[c.To] == 0 {
				order = append(order, c.To)
			}
			counts[c.To]++
		}
		// The biggest group first, then by name, so the sentence reads the same every time.
		slices.SortStableFunc(order, func(a, b string) int {
			if counts[a] != counts[b] {
				return counts[b] - counts[a]
			}
			return strings.Compare(sprint(a), sprint(b))
		})
		for i, to := range order {
			if i == 0 {
				h.Text += fmt.Sprintf(", %d carried over to %s", counts[to], sprint(to))
			} else {
				h.Text += fmt.Sprintf(", %d to %s", counts[to], sprint(to))
			}
		}
	case *SprintReopened:
		h.Text = "reopened " + sprint(h.SprintID)
	case *TaskRetitled:
		h.Text = "changed the title of " + key
		change("Title", e.From, e.To)
	case *TaskDescribed:
		h.Text = "changed the description of " + key
		change("Description", e.From, e.To)
	case *TaskMoved:
		if e.FromColumn == e.ToColumn {
			h.Text = fmt.Sprintf("reordered %s in %s", key, p.ColumnName(e.ToColumn))
		} else {
			h.Text = fmt.Sprintf("moved %s from %s to %s", key, p.ColumnName(e.FromColumn), p.ColumnName(e.ToColumn))
		}
	case *TaskAssigned:
		switch {
		case e.To == "":
			h.Text = fmt.Sprintf("unassigned %s from %s", key, name(e.From).Name)
		default:
			h.Text = fmt.Sprintf("assigned %s to %s", key, name(e.To).Name)
		}
		change("Assignee", name(e.From).Name, name(e.To).Name)
	case *TaskTypeChanged:
		h.Text = "changed the type of " + key
		change("Type", string(e.From), string(e.To))
	case *TaskPrioritized:
		h.Text = "changed the priority of " + key
		change("Priority", string(e.From), string(e.To))
	case *TaskLabeled:
		h.Text = "changed the labels of " + key
		change("Labels", orNone(strings.Join(e.From, ", ")), orNone(strings.Join(e.To, ", ")))
	case *TaskPointed:
		h.Text = "changed the story points of " + key
		change("Story points", FormatPoints(e.From), FormatPoints(e.To))
	case *TaskDueChanged:
		h.Text = "changed the due date of " + key
		change("Due date", orNone(e.From), orNone(e.To))
	case *TaskArchived:
		h.Text = "archived " + key
	case *TaskRestored:
		h.Text = "restored " + key
	case *TaskConflicted:
		verb := "edit"
		if e.Command == "move" || e.Command == "plan" {
			verb = e.Command
		}
		h.Text = fmt.Sprintf("tried to %s %s from version %d, but it had changed (now version %d): conflict, not applied",
			verb, key, e.BaseVersion, e.CurrentVersion)
		for _, f := range e.Fields {
			yours, theirs := FormatValue(p, f.Field, f.Yours, name), FormatValue(p, f.Field, f.Theirs, name)
			if f.Field == FieldSprint {
				yours, theirs = sprint(fmt.Sprint(f.Yours)), sprint(fmt.Sprint(f.Theirs))
			}
			h.Conflicts = append(h.Conflicts, ConflictNote{
				Field: FieldLabel(f.Field), Yours: yours, Theirs: theirs, By: name(f.ChangedBy), At: f.ChangedAt,
			})
		}
	case *ConflictAnswered:
		h.Text = describeAnswer(p, key, e, name, sprint)
	case *TaskEstimated, *TaskRemainingChanged, *WorkLogged, *WorklogEdited, *WorklogDeleted, *WorklogConflicted:
		describeTime(h, p, payload, name)
	case *WorkflowConflicted:
		h.Text = fmt.Sprintf("tried to change the workflow from version %d, but it had changed (now version %d): conflict, not applied",
			e.BaseVersion, e.CurrentVersion)
		for _, c := range e.Conflicts {
			h.Conflicts = append(h.Conflicts, ConflictNote{Field: c.Label(), Yours: c.YoursText(), Theirs: c.TheirsText(),
				By: name(c.ChangedBy), At: c.ChangedAt})
		}
	default:
		h.Text = h.Type
	}
}

// FieldLabel returns the name people use for a field.
func FieldLabel(f Field) string {
	switch f {
	case FieldPoints:
		return "Story points"
	case FieldDue:
		return "Due date"
	case FieldColumn:
		return "Status"
	case FieldEstimate:
		return "Original estimate"
	case FieldRemaining:
		return "Remaining estimate"
	}
	s := string(f)
	return strings.ToUpper(s[:1]) + s[1:]
}

// FormatValue shows a field value for people; v may be a typed value or decoded JSON.
func FormatValue(p *Project, f Field, v any, name func(string) User) string {
	switch f {
	case FieldColumn:
		return p.ColumnName(fmt.Sprint(v))
	case FieldAssignee:
		return name(fmt.Sprint(v)).Name
	case FieldPoints:
		switch x := v.(type) {
		case *float64:
			return FormatPoints(x)
		case float64:
			return FormatPoints(&x)
		}
		return "none"
	case FieldLabels:
		var parts []string
		switch x := v.(type) {
		case []string:
			parts = x
		case []any:
			for _, l := range x {
				parts = append(parts, fmt.Sprint(l))
			}
		}
		return orNone(strings.Join(parts, ", "))
	case FieldArchived:
		if v == true {
			return "archived"
		}
		return "not archived"
	case FieldSprint:
		// The value is a sprint id: callers that can name sprints do so themselves.
		if v == nil || v == "" {
			return "the backlog"
		}
	case FieldEstimate, FieldRemaining:
		if sec, ok := wantedSeconds(v); ok {
			return formatSeconds(p, sec)
		}
	}
	if v == nil {
		return "none"
	}
	return orNone(fmt.Sprint(v))
}

// FormatPoints shows story points: "3", "0.5", or "none".
func FormatPoints(p *float64) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// plural counts things: "1 task", "9 tasks".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// pointsOf totals the points of a sprint's tasks: "21 points".
func pointsOf(tasks []SprintTask) string {
	var sum float64
	for _, t := range tasks {
		if t.Points != nil {
			sum += *t.Points
		}
	}
	if sum == 1 {
		return "1 point"
	}
	return FormatPoints(&sum) + " points"
}

// columnList shows a workflow: "To Do, In Progress (WIP 3), Done".
func columnList(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name
		if c.WIPLimit > 0 {
			parts[i] += fmt.Sprintf(" (WIP %d)", c.WIPLimit)
		}
	}
	return strings.Join(parts, ", ")
}

// categoryChanges lists the columns kept by a workflow change whose status category
// changed as it takes effect (a column without one has the default of its place):
// Field is the column's new name, From and To the categories as people read them.
func categoryChanges(from, to []Column) []ValueChange {
	was := categories(from)
	var out []ValueChange
	for _, c := range withCategories(to) {
		if old, ok := was[c.ID]; ok && old != c.Category {
			out = append(out, ValueChange{Field: c.Name, From: CategoryName(old), To: CategoryName(c.Category)})
		}
	}
	return out
}

// hoursMinutes writes a number of minutes as hours and minutes: "7h 30m", "8h".
func hoursMinutes(minutes int) string {
	switch h, m := minutes/60, minutes%60; {
	case m == 0:
		return fmt.Sprintf("%dh", h)
	case h == 0:
		return fmt.Sprintf("%dm", m)
	default:
		return fmt.Sprintf("%dh %dm", h, m)
	}
}
