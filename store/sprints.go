package store

import (
	"context"
	"fmt"
	"time"
)

// SprintState is where a sprint is in its life: planned, active or completed.
type SprintState string

// Sprint states.
const (
	SprintPlanned   SprintState = "planned"
	SprintActive    SprintState = "active"
	SprintCompleted SprintState = "completed"
)

// Sprint is a project's time-box, folded from its sprint:ID stream.
type Sprint struct {
	ID          string      `json:"id"`
	ProjectID   string      `json:"project_id"`
	Number      int         `json:"number"` // per project, 1, 2, 3… never reused
	Name        string      `json:"name"`
	Goal        string      `json:"goal"`
	Start       string      `json:"start"` // planned dates YYYY-MM-DD, "" when not set
	End         string      `json:"end"`
	State       SprintState `json:"state"`
	StartedAt   *time.Time  `json:"started_at"`
	CompletedAt *time.Time  `json:"completed_at"`
	Version     int         `json:"version"` // version of the sprint's own stream
	CreatedAt   time.Time   `json:"created_at"`
	// Tasks and Points count the sprint's tasks (not archived) now; list queries fill them.
	Tasks  int     `json:"tasks"`
	Points float64 `json:"points"`
}

// NewSprint is the input for creating a planned sprint. Name "" means "KEY Sprint N".
type NewSprint struct {
	ProjectID, Name, Goal, Start, End string
}

// SprintUpdate changes some fields of a sprint seen at BaseVersion; unset fields stay.
type SprintUpdate struct {
	SprintID    string
	BaseVersion int
	Name        Opt[string]
	Goal        Opt[string]
	Start       Opt[string]
	End         Opt[string]
}

// SprintStart starts a planned sprint seen at BaseVersion, setting its dates if given.
type SprintStart struct {
	SprintID    string
	BaseVersion int
	Start, End  Opt[string]
}

// Destination says where an unfinished task of a completing sprint goes: DestBacklog,
// DestNew (a new planned sprint created by the completion), or "sprint:ID" (a planned
// sprint; see DestSprint).
type Destination string

// Destinations other than a named sprint.
const (
	DestBacklog Destination = "backlog"
	DestNew     Destination = "new"
)

// DestSprint returns the destination naming sprint id.
func DestSprint(id string) Destination { return Destination("sprint:" + id) }

// SprintCompletion completes an active sprint seen at BaseVersion. Default says where
// unfinished tasks go; Tasks overrides it per task id.
type SprintCompletion struct {
	SprintID    string
	BaseVersion int
	Default     Destination
	Tasks       map[string]Destination
}

// CompletionPlan is what the completion dialog shows: the sprint's done and unfinished
// tasks, the destinations offered and the default one.
type CompletionPlan struct {
	Sprint     *Sprint
	Done       []*Task
	Unfinished []*Task
	// Destinations offered: backlog, each planned sprint, and a new sprint.
	Destinations []DestinationChoice
	Default      Destination // the next planned sprint by number, else DestNew
}

// DestinationChoice is one destination offered, with its label ("DEMO Sprint 5",
// "the backlog", "a new sprint").
type DestinationChoice struct {
	Destination Destination
	Label       string
}

// SprintConflictError refuses a sprint command because the sprint changed after the
// version the user saw: for an edit, the same field was changed by someone else; for
// start, complete, reopen or delete, anything was. Nothing was applied.
type SprintConflictError struct {
	SprintID       string
	SprintName     string
	BaseVersion    int
	CurrentVersion int
	ChangedBy      string // user id of the latest change since the base
	ChangedAt      time.Time
	// Fields are the edited fields changed both by the user and since the base, with
	// theirs and yours; empty for a command that is not an edit.
	Fields []SprintFieldConflict
	// Sprint is the sprint as it is now.
	Sprint *Sprint
}

// SprintFieldConflict is one sprint field changed both by the user and, meanwhile, by
// someone else.
type SprintFieldConflict struct {
	Field  string // "name", "goal", "start" or "end"
	Yours  string
	Theirs string
}

func (e *SprintConflictError) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: the %s was changed by someone else since version %d; reconfirm with version %d.",
			e.SprintName, e.Fields[0].Field, e.BaseVersion, e.CurrentVersion)
	}
	return fmt.Sprintf("%s was changed by someone else since version %d (now version %d); reload it and try again.",
		e.SprintName, e.BaseVersion, e.CurrentVersion)
}

// Unwrap lets ErrorCode and ErrorMessage see the conflict as an ECONFLICT error.
func (e *SprintConflictError) Unwrap() error { return &Error{Code: ECONFLICT, Message: e.Error()} }

// PlanList is one ranked list of the backlog page: a sprint's tasks, or (Sprint nil)
// the backlog's.
type PlanList struct {
	Sprint *Sprint
	Tasks  []*Task
}

// Backlog is the backlog page: the active then planned sprints, and the backlog.
type Backlog struct {
	Sprints []PlanList
	Backlog PlanList
}

var errNotYet = Errorf(EINTERNAL, "not implemented yet")

// CreateSprint creates a planned sprint numbered after the project's last one.
func (s *Store) CreateSprint(ctx context.Context, actor string, in NewSprint) (*Sprint, error) {
	return nil, errNotYet
}

// UpdateSprint changes a sprint's name, goal or dates under the merge rule: fields
// nobody changed since the base merge; a field changed since then is a conflict.
// Completed sprints are read-only.
func (s *Store) UpdateSprint(ctx context.Context, actor string, u SprintUpdate) (*Sprint, error) {
	return nil, errNotYet
}

// DeleteSprint deletes a planned sprint with no tasks.
func (s *Store) DeleteSprint(ctx context.Context, actor, sprintID string, baseVersion int) error {
	return errNotYet
}

// StartSprint starts a planned sprint (it needs a start and an end date by then), and
// records its commitment. Another active sprint refuses it unless the project allows
// parallel sprints.
func (s *Store) StartSprint(ctx context.Context, actor string, st SprintStart) (*Sprint, error) {
	return nil, errNotYet
}

// CompletionPlan returns what the completion dialog of an active sprint shows.
func (s *Store) CompletionPlan(ctx context.Context, actor, sprintID string) (*CompletionPlan, error) {
	return nil, errNotYet
}

// CompleteSprint completes an active sprint: its unfinished tasks go where c says in the
// same commit, and its membership is frozen in the sprint.completed event.
func (s *Store) CompleteSprint(ctx context.Context, actor string, c SprintCompletion) (*Sprint, error) {
	return nil, errNotYet
}

// ReopenSprint makes a completed sprint active again; carried tasks stay where they went.
func (s *Store) ReopenSprint(ctx context.Context, actor, sprintID string, baseVersion int) (*Sprint, error) {
	return nil, errNotYet
}

// SetParallelSprints allows or forbids more than one active sprint; admins only.
func (s *Store) SetParallelSprints(ctx context.Context, actor, projectID string, on bool) error {
	return errNotYet
}

// Sprints lists a project's sprints: active first, then planned by number, then
// completed newest first, with Tasks and Points filled.
func (s *Store) Sprints(ctx context.Context, projectID string) ([]*Sprint, error) {
	return nil, errNotYet
}

// Sprint returns the sprint with the given id.
func (s *Store) Sprint(ctx context.Context, id string) (*Sprint, error) {
	return nil, errNotYet
}

// SprintByNumber returns the project's sprint number n.
func (s *Store) SprintByNumber(ctx context.Context, projectID string, n int) (*Sprint, error) {
	return nil, errNotYet
}

// ActiveSprints returns the project's active sprints by number.
func (s *Store) ActiveSprints(ctx context.Context, projectID string) ([]*Sprint, error) {
	return nil, errNotYet
}

// Backlog returns the backlog page's lists, each in rank order (rank, id): the active
// then planned sprints with their tasks (not archived), and the backlog: tasks not
// archived, not done, with no sprint or whose sprint is completed.
func (s *Store) Backlog(ctx context.Context, projectID string) (*Backlog, error) {
	return nil, errNotYet
}
