package store

import (
	"slices"
	"time"
)

// Role is a member's role in a project.
type Role string

// Roles, from most to least powerful.
const (
	RoleAdmin  Role = "admin"  // manages members and the workflow, and changes tasks
	RoleMember Role = "member" // changes tasks
	RoleViewer Role = "viewer" // reads only
)

// Roles lists the valid roles in the order forms show them.
var Roles = []Role{RoleAdmin, RoleMember, RoleViewer}

// CanEdit reports whether the role may change tasks.
func (r Role) CanEdit() bool { return r == RoleAdmin || r == RoleMember }

// CanAdmin reports whether the role may manage members and the workflow.
func (r Role) CanAdmin() bool { return r == RoleAdmin }

// User is a person who can sign in.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Project groups tasks under a short key, with a workflow of columns and members.
type Project struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Name      string    `json:"name"`
	Columns   []Column  `json:"columns"`
	CreatedAt time.Time `json:"created_at"`
	Version   int       `json:"version"`
	// ParallelSprints allows more than one active sprint at a time (off by default).
	ParallelSprints bool `json:"parallel_sprints"`
	// DayMinutes and WeekDays are the working calendar time tracking writes durations
	// by (Calendar); not in the API's project yet.
	DayMinutes int `json:"-"`
	WeekDays   int `json:"-"`
	// TimeZone, WorkWeekdays and Holidays are the working calendar reports count days
	// by (WorkCalendar): an IANA zone name, a bit set of working time.Weekdays (bit i =
	// weekday i; Mon–Fri = 62) and sorted non-working dates YYYY-MM-DD.
	TimeZone     string   `json:"-"`
	WorkWeekdays int      `json:"-"`
	Holidays     []string `json:"-"`
}

// Column returns the workflow column with the given id.
func (p *Project) Column(id string) (Column, bool) {
	for _, c := range p.Columns {
		if c.ID == id {
			return c, true
		}
	}
	return Column{}, false
}

// ColumnName returns the name of column id, or the id itself when the column is gone.
func (p *Project) ColumnName(id string) string {
	if c, ok := p.Column(id); ok {
		return c.Name
	}
	return id
}

// Column is one status of a project's workflow.
type Column struct {
	ID       string `json:"id" db:"id"`
	Name     string `json:"name" db:"name"`
	WIPLimit int    `json:"wip_limit" db:"wip_limit"` // 0 means no limit
	// Category says whether the column's tasks are still to do, in progress or done;
	// "" means the default for its place (see Project.Category).
	Category Category `json:"category,omitempty" db:"category"`
}

// Category is a workflow column's status category. Sprint completion, reports and
// "completed" everywhere use it, never the column's position.
type Category string

// Status categories.
const (
	CategoryToDo       Category = "todo"
	CategoryInProgress Category = "in_progress"
	CategoryDone       Category = "done"
)

// Categories lists the valid categories in workflow order.
var Categories = []Category{CategoryToDo, CategoryInProgress, CategoryDone}

// DefaultCategory is the category of the column at index i of n that has none set: the
// first column is to do, the last one done, the others in progress (a one-column
// workflow's column is to do).
func DefaultCategory(i, n int) Category {
	switch {
	case i == 0:
		return CategoryToDo
	case i == n-1:
		return CategoryDone
	}
	return CategoryInProgress
}

// Category returns the status category of column id: its own, or the default for its
// place. A column that is not part of the workflow is to do.
func (p *Project) Category(id string) Category {
	for i, c := range p.Columns {
		if c.ID == id {
			if c.Category != "" {
				return c.Category
			}
			return DefaultCategory(i, len(p.Columns))
		}
	}
	return CategoryToDo
}

// Done reports whether tasks in column id count as completed.
func (p *Project) Done(id string) bool { return p.Category(id) == CategoryDone }

// Member is a user's membership of a project.
type Member struct {
	User    User      `json:"user"`
	Role    Role      `json:"role"`
	AddedAt time.Time `json:"added_at"`
}

// TaskType is the kind of a task.
type TaskType string

// Task types.
const (
	TypeStory TaskType = "story"
	TypeBug   TaskType = "bug"
	TypeTask  TaskType = "task"
	TypeEpic  TaskType = "epic"
)

// TaskTypes lists the valid task types in display order.
var TaskTypes = []TaskType{TypeStory, TypeBug, TypeTask, TypeEpic}

// Priority is how urgent a task is.
type Priority string

// Priorities, highest first; Medium is the default.
const (
	PriorityHighest Priority = "highest"
	PriorityHigh    Priority = "high"
	PriorityMedium  Priority = "medium"
	PriorityLow     Priority = "low"
	PriorityLowest  Priority = "lowest"
)

// Priorities lists the valid priorities, highest first.
var Priorities = []Priority{PriorityHighest, PriorityHigh, PriorityMedium, PriorityLow, PriorityLowest}

// Rank orders priorities by urgency: 1 for Highest to 5 for Lowest, 0 for an unknown one.
func (p Priority) Rank() int {
	return slices.Index(Priorities, p) + 1
}

// Field names one field of a task that commands change and conflicts are detected on.
type Field string

// Task fields.
const (
	FieldTitle       Field = "title"
	FieldDescription Field = "description"
	FieldColumn      Field = "column"
	FieldRank        Field = "rank"
	FieldAssignee    Field = "assignee"
	FieldType        Field = "type"
	FieldPriority    Field = "priority"
	FieldLabels      Field = "labels"
	FieldPoints      Field = "points"
	FieldDue         Field = "due"
	FieldArchived    Field = "archived"
	FieldSprint      Field = "sprint"    // the task's sprint: "" = backlog
	FieldEstimate    Field = "estimate"  // original estimate, seconds; nil = none
	FieldRemaining   Field = "remaining" // remaining estimate, seconds; nil = none
)

// Task is the current state of one task, folded from its events.
type Task struct {
	ID          string   `json:"id"`
	ProjectID   string   `json:"project_id"`
	Number      int      `json:"number"`
	Key         string   `json:"key"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Type        TaskType `json:"type"`
	Priority    Priority `json:"priority"`
	ColumnID    string   `json:"column_id"`
	Rank        string   `json:"rank"`
	AssigneeID  string   `json:"assignee_id"`
	Labels      []string `json:"labels"`
	Points      *float64 `json:"points"`
	Due         string   `json:"due"` // YYYY-MM-DD or ""
	Archived    bool     `json:"archived"`
	SprintID    string   `json:"sprint_id"` // "" = in the backlog (no sprint)
	// CarriedFrom is the sprint the task was carried over from when that sprint
	// completed; it is cleared when a person changes the task's sprint.
	CarriedFrom string `json:"carried_from,omitempty"`
	// Estimate is the original estimate in seconds, nil when the task is not estimated.
	Estimate *int64 `json:"original_estimate"`
	// Remaining is the remaining estimate in seconds, nil when there is none.
	Remaining *int64 `json:"remaining_estimate"`
	// Logged is the time logged on the task in seconds: the sum of its worklogs.
	Logged    int64     `json:"time_logged"`
	Version   int       `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// value returns the task's value of field f, comparable with equalValues.
func (t *Task) value(f Field) any {
	switch f {
	case FieldTitle:
		return t.Title
	case FieldDescription:
		return t.Description
	case FieldColumn:
		return t.ColumnID
	case FieldRank:
		return t.Rank
	case FieldAssignee:
		return t.AssigneeID
	case FieldType:
		return t.Type
	case FieldPriority:
		return t.Priority
	case FieldLabels:
		return t.Labels
	case FieldPoints:
		return t.Points
	case FieldDue:
		return t.Due
	case FieldArchived:
		return t.Archived
	case FieldSprint:
		return t.SprintID
	case FieldEstimate:
		return t.Estimate
	case FieldRemaining:
		return t.Remaining
	}
	return nil
}

// equalValues compares two field values as returned by Task.value.
func equalValues(a, b any) bool {
	switch a := a.(type) {
	case []string:
		return slices.Equal(a, b.([]string))
	case *float64:
		b := b.(*float64)
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return *a == *b
	case *int64:
		b := b.(*int64)
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return *a == *b
	}
	return a == b
}

// clone returns a deep copy of t.
func (t *Task) clone() *Task {
	c := *t
	c.Labels = slices.Clone(t.Labels)
	if t.Points != nil {
		p := *t.Points
		c.Points = &p
	}
	c.Estimate, c.Remaining = copySeconds(t.Estimate), copySeconds(t.Remaining)
	return &c
}
