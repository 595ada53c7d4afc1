package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Event is one immutable entry of the log.
type Event struct {
	Seq     int64           `json:"seq"`
	Stream  string          `json:"stream"`
	Version int             `json:"version"`
	Type    string          `json:"type"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
	Data    json.RawMessage `json:"data"`
}

// Payload is the typed body of an event.
type Payload interface {
	EventType() string
}

// Event type strings. They are stored in the log: never rename one.
const (
	TypeUserRegistered    = "user.registered"
	TypeProjectCreated    = "project.created"
	TypeMemberAdded       = "project.member_added"
	TypeMemberRoleChanged = "project.member_role_changed"
	TypeMemberRemoved     = "project.member_removed"
	TypeWorkflowChanged   = "project.workflow_changed"
	TypeTaskCreated       = "task.created"
	TypeTaskRetitled      = "task.retitled"
	TypeTaskDescribed     = "task.description_changed"
	TypeTaskMoved         = "task.moved"
	TypeTaskAssigned      = "task.assigned"
	TypeTaskTypeChanged   = "task.type_changed"
	TypeTaskPrioritized   = "task.priority_changed"
	TypeTaskLabeled       = "task.labels_changed"
	TypeTaskPointed       = "task.points_changed"
	TypeTaskDueChanged    = "task.due_changed"
	TypeTaskArchived      = "task.archived"
	TypeTaskRestored      = "task.restored"
	TypeTaskConflicted    = "task.conflict_recorded"
	TypeConflictAnswered  = "task.conflict_answered"
	// TypeWorkflowConflicted is in the stream project:ID:conflicts.
	TypeWorkflowConflicted = "project.workflow_conflict_recorded"
	TypeSettingsChanged    = "project.settings_changed"
	TypeTaskSprintChanged  = "task.sprint_changed"
	// Sprint events are in the stream sprint:ID.
	TypeSprintCreated      = "sprint.created"
	TypeSprintEdited       = "sprint.edited"
	TypeSprintDeleted      = "sprint.deleted"
	TypeSprintStarted      = "sprint.started"
	TypeSprintScopeChanged = "sprint.scope_changed"
	TypeSprintCompleted    = "sprint.completed"
	TypeSprintReopened     = "sprint.reopened"
	// Time tracking events are in the task's stream task:ID, so the task's version moves.
	TypeTaskEstimated        = "task.estimated"
	TypeTaskRemainingChanged = "task.remaining_changed"
	TypeWorkLogged           = "task.work_logged"
	TypeWorklogEdited        = "task.worklog_edited"
	TypeWorklogDeleted       = "task.worklog_deleted"
	// TypeWorklogConflicted is in the task's conflict stream task:ID:conflicts.
	TypeWorklogConflicted = "task.worklog_conflict_recorded"
)

// UserRegistered records a new account. The password hash is deliberately not in the log.
type UserRegistered struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// ProjectCreated records a new project with its initial workflow.
type ProjectCreated struct {
	Key     string   `json:"key"`
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
}

// MemberAdded records a user joining a project.
type MemberAdded struct {
	UserID string `json:"user_id"`
	Role   Role   `json:"role"`
}

// MemberRoleChanged records a member's new role.
type MemberRoleChanged struct {
	UserID string `json:"user_id"`
	From   Role   `json:"from"`
	To     Role   `json:"to"`
}

// MemberRemoved records a user leaving a project.
type MemberRemoved struct {
	UserID string `json:"user_id"`
	Role   Role   `json:"role"`
}

// WorkflowChanged records a project's new workflow: its columns in order. Columns keep
// their ids across renames and moves; a removed column held no tasks.
type WorkflowChanged struct {
	From []Column `json:"from"`
	To   []Column `json:"to"`
}

// TaskCreated records a new task with all its initial fields.
type TaskCreated struct {
	ProjectID   string   `json:"project_id"`
	Number      int      `json:"number"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Type        TaskType `json:"type"`
	Priority    Priority `json:"priority"`
	ColumnID    string   `json:"column_id"`
	Rank        string   `json:"rank"`
	AssigneeID  string   `json:"assignee_id,omitempty"`
	Labels      []string `json:"labels,omitempty"`
	Points      *float64 `json:"points,omitempty"`
	Due         string   `json:"due,omitempty"`
	SprintID    string   `json:"sprint_id,omitempty"` // created into a sprint; "" = the backlog
	// Estimate and Remaining are the original and remaining estimates in seconds (nil:
	// none); a task created with an estimate has the same remaining estimate.
	Estimate  *int64 `json:"estimate,omitempty"`
	Remaining *int64 `json:"remaining,omitempty"`
}

// TaskRetitled records a title change.
type TaskRetitled struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// TaskDescribed records a description change.
type TaskDescribed struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// TaskMoved records a task placed in a column at a rank. After and Before are the
// neighbours it was placed between when it was moved ("" at either end).
type TaskMoved struct {
	FromColumn string `json:"from_column"`
	ToColumn   string `json:"to_column"`
	FromRank   string `json:"from_rank"`
	ToRank     string `json:"to_rank"`
	After      string `json:"after,omitempty"`
	Before     string `json:"before,omitempty"`
}

// TaskAssigned records an assignee change; an empty To means unassigned.
type TaskAssigned struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// TaskTypeChanged records a type change.
type TaskTypeChanged struct {
	From TaskType `json:"from"`
	To   TaskType `json:"to"`
}

// TaskPrioritized records a priority change.
type TaskPrioritized struct {
	From Priority `json:"from"`
	To   Priority `json:"to"`
}

// TaskLabeled records a change of the label set.
type TaskLabeled struct {
	From []string `json:"from"`
	To   []string `json:"to"`
}

// TaskPointed records a story-point change; nil means not estimated.
type TaskPointed struct {
	From *float64 `json:"from"`
	To   *float64 `json:"to"`
}

// TaskDueChanged records a due-date change; "" means no due date.
type TaskDueChanged struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// TaskArchived records that a task was archived.
type TaskArchived struct{}

// TaskRestored records that an archived task was restored.
type TaskRestored struct{}

// TaskConflicted records a refused change: who tried what against whose change.
// It lives in the task's conflict stream, so it never changes the task's version.
type TaskConflicted struct {
	TaskID         string          `json:"task_id"`
	Command        string          `json:"command"`
	BaseVersion    int             `json:"base_version"`
	CurrentVersion int             `json:"current_version"`
	Fields         []FieldConflict `json:"fields"`
	// Wanted is everything the refused command would have set, conflicting fields
	// included, so that its author can apply it later with one answer. A conflict
	// recorded before answers existed has none, and is never pending.
	Wanted map[Field]any `json:"wanted,omitempty"`
	// After, Before and Step say where a refused move would have placed the task.
	After  string `json:"after,omitempty"`
	Before string `json:"before,omitempty"`
	Step   Step   `json:"step,omitempty"`
}

// Answers to a pending conflict.
const (
	AnswerMine   = "mine"   // apply my refused change after all
	AnswerTheirs = "theirs" // keep the change that made mine conflict
)

// ConflictAnswered records how the author of a conflict answered it. With AnswerMine the
// events that follow it in the same commit apply the change; with AnswerTheirs nothing
// else changes. Like the conflict, it lives in the task's conflict stream and never
// changes the task's version. Command and Fields repeat the conflict's, so the history
// can tell the answer on its own.
type ConflictAnswered struct {
	TaskID      string          `json:"task_id"`
	ConflictSeq int64           `json:"conflict_seq"`
	Choice      string          `json:"choice"`
	Command     string          `json:"command"`
	Fields      []FieldConflict `json:"fields"`
}

// WorkflowConflicted records a refused workflow change: what the user wanted against
// whose change. It lives in the project's conflict stream, so it never changes the
// project's version.
type WorkflowConflicted struct {
	BaseVersion    int                `json:"base_version"`
	CurrentVersion int                `json:"current_version"`
	Conflicts      []WorkflowConflict `json:"conflicts"`
}

// SettingsChanged records a change of a project's settings; only the settings that
// changed are set.
type SettingsChanged struct {
	ParallelSprints *BoolChange `json:"parallel_sprints,omitempty"`
	// DayMinutes and WeekDays are the working calendar time tracking writes durations
	// by: minutes in a working day, days in a working week.
	DayMinutes *IntChange `json:"day_minutes,omitempty"`
	WeekDays   *IntChange `json:"week_days,omitempty"`
	// TimeZone, WorkWeekdays and Holidays are the working calendar reports count days
	// by: the project's time zone, its working weekdays (bit i = time.Weekday i) and its
	// non-working dates (sorted YYYY-MM-DD).
	TimeZone     *StringChange  `json:"time_zone,omitempty"`
	WorkWeekdays *IntChange     `json:"work_weekdays,omitempty"`
	Holidays     *StringsChange `json:"holidays,omitempty"`
}

// StringsChange is a change of a list of texts.
type StringsChange struct {
	From []string `json:"from"`
	To   []string `json:"to"`
}

// IntChange is a number setting's change.
type IntChange struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// BoolChange is a boolean setting's change.
type BoolChange struct {
	From bool `json:"from"`
	To   bool `json:"to"`
}

// StringChange is a text value's change.
type StringChange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// TaskSprintChanged records a task's move to another sprint ("" = the backlog).
// CarriedOver is true only when a sprint's completion moved it.
type TaskSprintChanged struct {
	From        string `json:"from"`
	To          string `json:"to"`
	CarriedOver bool   `json:"carried_over"`
}

// SprintCreated records a new planned sprint.
type SprintCreated struct {
	ProjectID string `json:"project_id"`
	Number    int    `json:"number"`
	Name      string `json:"name"`
	Goal      string `json:"goal"`
	Start     string `json:"start"`
	End       string `json:"end"`
}

// SprintEdited records changes to a sprint's name, goal or planned dates; only the
// fields that changed are set.
type SprintEdited struct {
	Name  *StringChange `json:"name,omitempty"`
	Goal  *StringChange `json:"goal,omitempty"`
	Start *StringChange `json:"start,omitempty"`
	End   *StringChange `json:"end,omitempty"`
}

// SprintDeleted records that an empty planned sprint was deleted.
type SprintDeleted struct{}

// SprintTask is one task of a sprint at an instant, with its points then.
type SprintTask struct {
	TaskID string   `json:"task_id"`
	Points *float64 `json:"points"`
}

// SprintStarted records a sprint's start with its dates and its commitment: every task
// in it (not archived) with its points at that instant.
type SprintStarted struct {
	Start      string       `json:"start"`
	End        string       `json:"end"`
	Commitment []SprintTask `json:"commitment"`
}

// Scope changes of an active sprint.
const (
	ScopeAdded   = "added"
	ScopeRemoved = "removed"
)

// SprintScopeChanged records a task entering or leaving an active sprint, in the same
// commit as the task's own event.
type SprintScopeChanged struct {
	TaskID string   `json:"task_id"`
	Change string   `json:"change"` // ScopeAdded or ScopeRemoved
	Points *float64 `json:"points"`
}

// CarriedTask is an unfinished task of a completed sprint and where it went: a sprint
// id, or "" for the backlog.
type CarriedTask struct {
	TaskID string   `json:"task_id"`
	Points *float64 `json:"points"`
	To     string   `json:"to"`
}

// SprintCompletedEvent records a sprint's completion and freezes its membership: the
// tasks completed in it and those carried elsewhere. (SprintCompleted is the state.)
type SprintCompletedEvent struct {
	Completed    []SprintTask  `json:"completed"`
	NotCompleted []CarriedTask `json:"not_completed"`
}

// SprintReopened records that a completed sprint is active again.
type SprintReopened struct{}

// TaskEstimated records a change of the original estimate (seconds, nil = none).
// RemainingFrom and RemainingTo are set only when this event also set the remaining
// estimate: setting an estimate on a task without a remaining estimate sets it to the
// estimate less the time logged (never below zero).
type TaskEstimated struct {
	From          *int64 `json:"from"`
	To            *int64 `json:"to"`
	RemainingFrom *int64 `json:"remaining_from,omitempty"`
	RemainingTo   *int64 `json:"remaining_to,omitempty"`
}

// TaskRemainingChanged records a remaining estimate set (or cleared: nil) by a person.
type TaskRemainingChanged struct {
	From *int64 `json:"from"`
	To   *int64 `json:"to"`
}

// WorkLogged records a new worklog: Seconds spent by the event's actor on Date. The
// worklog's version is 1. RemainingFrom and RemainingTo are the task's remaining
// estimate before and after (equal when it did not change), decided by Adjust.
type WorkLogged struct {
	WorklogID     string `json:"worklog_id"`
	Date          string `json:"date"`
	Start         string `json:"start,omitempty"`
	Seconds       int64  `json:"seconds"`
	Comment       string `json:"comment,omitempty"`
	Adjust        Adjust `json:"adjust"`
	AdjustBy      int64  `json:"adjust_by,omitempty"`
	RemainingFrom *int64 `json:"remaining_from"`
	RemainingTo   *int64 `json:"remaining_to"`
}

// Int64Change is a change of a whole number of seconds.
type Int64Change struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

// WorklogEdited records changes to a worklog; only the fields that changed are set.
// Version is the worklog's new version, Author the user who logged it (the actor may
// be an admin changing someone else's). RemainingFrom and RemainingTo are the task's
// remaining estimate before and after (equal when it did not change).
type WorklogEdited struct {
	WorklogID     string        `json:"worklog_id"`
	Version       int           `json:"version"`
	Author        string        `json:"author"`
	Date          *StringChange `json:"date,omitempty"`
	Start         *StringChange `json:"start,omitempty"`
	Comment       *StringChange `json:"comment,omitempty"`
	Seconds       *Int64Change  `json:"seconds,omitempty"`
	Adjust        Adjust        `json:"adjust"`
	AdjustBy      int64         `json:"adjust_by,omitempty"`
	RemainingFrom *int64        `json:"remaining_from"`
	RemainingTo   *int64        `json:"remaining_to"`
}

// WorklogDeleted records a deleted worklog, with what it was (author, date, seconds) so
// that the history can tell it. RemainingFrom and RemainingTo are as in WorkLogged.
type WorklogDeleted struct {
	WorklogID     string `json:"worklog_id"`
	Author        string `json:"author"`
	Date          string `json:"date"`
	Seconds       int64  `json:"seconds"`
	Adjust        Adjust `json:"adjust"`
	AdjustBy      int64  `json:"adjust_by,omitempty"`
	RemainingFrom *int64 `json:"remaining_from"`
	RemainingTo   *int64 `json:"remaining_to"`
}

// WorklogConflicted records a refused worklog edit: fields someone else changed since
// the version its author saw, with the values the edit wanted (Yours) and the ones
// there now (Theirs). It lives in the task's conflict stream, so it never changes the
// task's version; it is history only (nothing stays pending).
type WorklogConflicted struct {
	WorklogID      string         `json:"worklog_id"`
	Author         string         `json:"author"`
	BaseVersion    int            `json:"base_version"`
	CurrentVersion int            `json:"current_version"`
	Fields         []string       `json:"fields"`
	Yours          map[string]any `json:"yours"`
	Theirs         map[string]any `json:"theirs"`
	ChangedBy      string         `json:"changed_by"`
	ChangedAt      time.Time      `json:"changed_at"`
}

// EventType implementations.
func (UserRegistered) EventType() string    { return TypeUserRegistered }
func (ProjectCreated) EventType() string    { return TypeProjectCreated }
func (MemberAdded) EventType() string       { return TypeMemberAdded }
func (MemberRoleChanged) EventType() string { return TypeMemberRoleChanged }
func (MemberRemoved) EventType() string     { return TypeMemberRemoved }
func (WorkflowChanged) EventType() string   { return TypeWorkflowChanged }
func (TaskCreated) EventType() string       { return TypeTaskCreated }
func (TaskRetitled) EventType() string      { return TypeTaskRetitled }
func (TaskDescribed) EventType() string     { return TypeTaskDescribed }
func (TaskMoved) EventType() string         { return TypeTaskMoved }
func (TaskAssigned) EventType() string      { return TypeTaskAssigned }
func (TaskTypeChanged) EventType() string   { return TypeTaskTypeChanged }
func (TaskPrioritized) EventType() string   { return TypeTaskPrioritized }
func (TaskLabeled) EventType() string       { return TypeTaskLabeled }
func (TaskPointed) EventType() string       { return TypeTaskPointed }
func (TaskDueChanged) EventType() string    { return TypeTaskDueChanged }
func (TaskArchived) EventType() string      { return TypeTaskArchived }
func (TaskRestored) EventType() string      { return TypeTaskRestored }
func (TaskConflicted) EventType() string    { return TypeTaskConflicted }
func (ConflictAnswered) EventType() string  { return TypeConflictAnswered }

// EventType implements Payload.
func (WorkflowConflicted) EventType() string { return TypeWorkflowConflicted }

func (SettingsChanged) EventType() string      { return TypeSettingsChanged }
func (TaskSprintChanged) EventType() string    { return TypeTaskSprintChanged }
func (SprintCreated) EventType() string        { return TypeSprintCreated }
func (SprintEdited) EventType() string         { return TypeSprintEdited }
func (SprintDeleted) EventType() string        { return TypeSprintDeleted }
func (SprintStarted) EventType() string        { return TypeSprintStarted }
func (SprintScopeChanged) EventType() string   { return TypeSprintScopeChanged }
func (SprintCompletedEvent) EventType() string { return TypeSprintCompleted }
func (SprintReopened) EventType() string       { return TypeSprintReopened }
func (TaskEstimated) EventType() string        { return TypeTaskEstimated }
func (TaskRemainingChanged) EventType() string { return TypeTaskRemainingChanged }
func (WorkLogged) EventType() string           { return TypeWorkLogged }
func (WorklogEdited) EventType() string        { return TypeWorklogEdited }
func (WorklogDeleted) EventType() string       { return TypeWorklogDeleted }
func (WorklogConflicted) EventType() string    { return TypeWorklogConflicted }

// Decode returns the typed payload of e.
func (e Event) Decode() (Payload, error) {
	var p Payload
	switch e.Type {
	case TypeUserRegistered:
		p = &UserRegistered{}
	case TypeProjectCreated:
		p = &ProjectCreated{}
	case TypeMemberAdded:
		p = &MemberAdded{}
	case TypeMemberRoleChanged:
		p = &MemberRoleChanged{}
	case TypeMemberRemoved:
		p = &MemberRemoved{}
	case TypeWorkflowChanged:
		p = &WorkflowChanged{}
	case TypeTaskCreated:
		p = &TaskCreated{}
	case TypeTaskRetitled:
		p = &TaskRetitled{}
	case TypeTaskDescribed:
		p = &TaskDescribed{}
	case TypeTaskMoved:
		p = &TaskMoved{}
	case TypeTaskAssigned:
		p = &TaskAssigned{}
	case TypeTaskTypeChanged:
		p = &TaskTypeChanged{}
	case TypeTaskPrioritized:
		p = &TaskPrioritized{}
	case TypeTaskLabeled:
		p = &TaskLabeled{}
	case TypeTaskPointed:
		p = &TaskPointed{}
	case TypeTaskDueChanged:
		p = &TaskDueChanged{}
	case TypeTaskArchived:
		p = &TaskArchived{}
	case TypeTaskRestored:
		p = &TaskRestored{}
	case TypeTaskConflicted:
		p = &TaskConflicted{}
	case TypeConflictAnswered:
		p = &ConflictAnswered{}
	case TypeWorkflowConflicted:
		p = &WorkflowConflicted{}
	case TypeSettingsChanged:
		p = &SettingsChanged{}
	case TypeTaskSprintChanged:
		p = &TaskSprintChanged{}
	case TypeSprintCreated:
		p = &SprintCreated{}
	case TypeSprintEdited:
		p = &SprintEdited{}
	case TypeSprintDeleted:
		p = &SprintDeleted{}
	case TypeSprintStarted:
		p = &SprintStarted{}
	case TypeSprintScopeChanged:
		p = &SprintScopeChanged{}
	case TypeSprintCompleted:
		p = &SprintCompletedEvent{}
	case TypeSprintReopened:
		p = &SprintReopened{}
	case TypeTaskEstimated:
		p = &TaskEstimated{}
	case TypeTaskRemainingChanged:
		p = &TaskRemainingChanged{}
	case TypeWorkLogged:
		p = &WorkLogged{}
	case TypeWorklogEdited:
		p = &WorklogEdited{}
	case TypeWorklogDeleted:
		p = &WorklogDeleted{}
	case TypeWorklogConflicted:
		p = &WorklogConflicted{}
	default:
		return nil, fmt.Errorf("store: unknown event type %q (seq %d)", e.Type, e.Seq)
	}
	if err := json.Unmarshal(e.Data, p); err != nil {
		return nil, fmt.Errorf("store: decode %s (seq %d): %w", e.Type, e.Seq, err)
	}
	return p, nil
}

// Fields returns the task fields a task event changes; rank changes do not conflict.
func fieldsOf(p Payload) []Field {
	switch p := p.(type) {
	case *TaskRetitled:
		return []Field{FieldTitle}
	case *TaskDescribed:
		return []Field{FieldDescription}
	case *TaskMoved:
		if p.FromColumn != p.ToColumn {
			return []Field{FieldColumn, FieldRank}
		}
		return []Field{FieldRank}
	case *TaskAssigned:
		return []Field{FieldAssignee}
	case *TaskTypeChanged:
		return []Field{FieldType}
	case *TaskPrioritized:
		return []Field{FieldPriority}
	case *TaskLabeled:
		return []Field{FieldLabels}
	case *TaskPointed:
		return []Field{FieldPoints}
	case *TaskDueChanged:
		return []Field{FieldDue}
	case *TaskArchived, *TaskRestored:
		return []Field{FieldArchived}
	case *TaskSprintChanged:
		return []Field{FieldSprint}
	case *TaskEstimated:
		if p.RemainingTo != nil {
			return []Field{FieldEstimate, FieldRemaining}
		}
		return []Field{FieldEstimate}
	case *TaskRemainingChanged:
		return []Field{FieldRemaining}
	case *WorkLogged:
		return remainingIfChanged(p.RemainingFrom, p.RemainingTo)
	case *WorklogEdited:
		return remainingIfChanged(p.RemainingFrom, p.RemainingTo)
	case *WorklogDeleted:
		return remainingIfChanged(p.RemainingFrom, p.RemainingTo)
	}
	return nil
}

// remainingIfChanged is the field a worklog event changes: the remaining estimate when
// it moved, nothing otherwise (time spent adds up and never conflicts).
func remainingIfChanged(from, to *int64) []Field {
	if equalValues(from, to) {
		return nil
	}
	return []Field{FieldRemaining}
}

// Stream names: one stream per aggregate.
func userStream(id string) string     { return "user:" + id }
func projectStream(id string) string  { return "project:" + id }
func taskStream(id string) string     { return "task:" + id }
func conflictStream(id string) string { return "task:" + id + ":conflicts" }
func sprintStream(id string) string   { return "sprint:" + id }
func workflowConflictStream(projectID string) string {
	return "project:" + projectID + ":conflicts"
}

// streamID returns the aggregate id in a stream name ("task:abc" → "task", "abc").
func streamID(stream string) (kind, id string) {
	kind, rest, _ := strings.Cut(stream, ":")
	id, _, _ = strings.Cut(rest, ":")
	return kind, id
}

// applyTask folds one task event into t and returns the new state; it is the only
// place where task state changes, used by commands, projections and replay alike.
// For a TaskCreated event t may be nil.
func applyTask(t *Task, e Event, p Payload) (*Task, error) {
	if c, ok := p.(*TaskCreated); ok {
		_, id := streamID(e.Stream)
		return &Task{
			ID: id, ProjectID: c.ProjectID, Number: c.Number,
			Title: c.Title, Description: c.Description, Type: c.Type, Priority: c.Priority,
			ColumnID: c.ColumnID, Rank: c.Rank, AssigneeID: c.AssigneeID,
			Labels: nonNil(c.Labels), Points: c.Points, Due: c.Due, SprintID: c.SprintID,
			Estimate: copySeconds(c.Estimate), Remaining: copySeconds(c.Remaining),
			Version: e.Version, CreatedBy: e.Actor, CreatedAt: e.At, UpdatedBy: e.Actor, UpdatedAt: e.At,
		}, nil
	}
	if t == nil {
		return nil, fmt.Errorf("store: %s (seq %d) before task.created", e.Type, e.Seq)
	}
	t = t.clone()
	switch p := p.(type) {
	case *TaskRetitled:
		t.Title = p.To
	case *TaskDescribed:
		t.Description = p.To
	case *TaskMoved:
		t.ColumnID, t.Rank = p.ToColumn, p.ToRank
	case *TaskAssigned:
		t.AssigneeID = p.To
	case *TaskTypeChanged:
		t.Type = p.To
	case *TaskPrioritized:
		t.Priority = p.To
	case *TaskLabeled:
		t.Labels = nonNil(p.To)
	case *TaskPointed:
		t.Points = p.To
	case *TaskDueChanged:
		t.Due = p.To
	case *TaskArchived:
		t.Archived = true
	case *TaskRestored:
		t.Archived = false
	case *TaskSprintChanged:
		t.SprintID = p.To
		if p.CarriedOver {
			t.CarriedFrom = p.From
		} else {
			t.CarriedFrom = ""
		}
	case *TaskEstimated:
		t.Estimate = copySeconds(p.To)
		if p.RemainingTo != nil {
			t.Remaining = copySeconds(p.RemainingTo)
		}
	case *TaskRemainingChanged:
		t.Remaining = copySeconds(p.To)
	case *WorkLogged:
		t.Logged += p.Seconds
		t.Remaining = copySeconds(p.RemainingTo)
	case *WorklogEdited:
		if p.Seconds != nil {
			t.Logged += p.Seconds.To - p.Seconds.From
		}
		t.Remaining = copySeconds(p.RemainingTo)
	case *WorklogDeleted:
		t.Logged -= p.Seconds
		t.Remaining = copySeconds(p.RemainingTo)
	default:
		return nil, fmt.Errorf("store: %s is not a task event", e.Type)
	}
	t.Version = e.Version
	t.UpdatedBy, t.UpdatedAt = e.Actor, e.At
	return t, nil
}

// copySeconds returns a copy of a duration pointer, so that tasks never share one.
func copySeconds(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
