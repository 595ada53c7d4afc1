package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
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

	deleted bool // a deleted sprint keeps its number, never given again
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

// Limits of a sprint's texts.
const (
	MaxSprintName = 80
	MaxSprintGoal = 1000
)

// applySprint folds one sprint event into sp and returns the new state; commands,
// the projection and replay all change a sprint through it. For SprintCreated sp may
// be nil.
func applySprint(sp *Sprint, e Event, p Payload) (*Sprint, error) {
	if c, ok := p.(*SprintCreated); ok {
		_, id := streamID(e.Stream)
		return &Sprint{ID: id, ProjectID: c.ProjectID, Number: c.Number, Name: c.Name, Goal: c.Goal,
			Start: c.Start, End: c.End, State: SprintPlanned, Version: e.Version, CreatedAt: e.At}, nil
	}
	if sp == nil {
		return nil, fmt.Errorf("store: %s (seq %d) before sprint.created", e.Type, e.Seq)
	}
	next := *sp
	at := e.At
	switch p := p.(type) {
	case *SprintEdited:
		for _, f := range []struct {
			c *StringChange
			v *string
		}{{p.Name, &next.Name}, {p.Goal, &next.Goal}, {p.Start, &next.Start}, {p.End, &next.End}} {
			if f.c != nil {
				*f.v = f.c.To
			}
		}
	case *SprintDeleted:
		next.deleted = true
	case *SprintStarted:
		next.State, next.Start, next.End, next.StartedAt = SprintActive, p.Start, p.End, &at
	case *SprintScopeChanged:
	case *SprintCompletedEvent:
		next.State, next.CompletedAt = SprintCompleted, &at
	case *SprintReopened:
		next.State, next.CompletedAt = SprintActive, nil
	default:
		return nil, fmt.Errorf("store: %s is not a sprint event", e.Type)
	}
	next.Version = e.Version
	return &next, nil
}

// projectSprint folds a sprint event into the sprints read model and the project's
// activity (a scope change names its task there).
func (pr projector) projectSprint(id string, e Event, p Payload) error {
	var current *Sprint
	if _, created := p.(*SprintCreated); !created {
		var err error
		if current, err = loadSprint(pr.tx, id); err != nil {
			return err
		}
	}
	next, err := applySprint(current, e, p)
	if err != nil {
		return err
	}
	if err := saveSprint(pr.tx, next, e.Actor); err != nil {
		return err
	}
	taskID := ""
	if sc, ok := p.(*SprintScopeChanged); ok {
		taskID = sc.TaskID
	}
	return pr.addActivity(next.ProjectID, taskID, e)
}

const sprintColumns = `s.id, s.project_id, s.number, s.name, s.goal, s.start_date, s.end_date, s.state,
	s.started_at, s.completed_at, s.version, s.created_at, s.deleted`

// sprintRow is a sprints row as stored, with the list queries' counts.
type sprintRow struct {
	ID          string  `db:"id"`
	ProjectID   string  `db:"project_id"`
	Number      int     `db:"number"`
	Name        string  `db:"name"`
	Goal        string  `db:"goal"`
	Start       string  `db:"start_date"`
	End         string  `db:"end_date"`
	State       string  `db:"state"`
	StartedAt   string  `db:"started_at"`
	CompletedAt string  `db:"completed_at"`
	Version     int     `db:"version"`
	CreatedAt   string  `db:"created_at"`
	Deleted     bool    `db:"deleted"`
	Tasks       int     `db:"tasks"`
	Points      float64 `db:"points"`
}

func (r sprintRow) sprint() (*Sprint, error) {
	sp := &Sprint{ID: r.ID, ProjectID: r.ProjectID, Number: r.Number, Name: r.Name, Goal: r.Goal,
		Start: r.Start, End: r.End, State: SprintState(r.State), Version: r.Version,
		Tasks: r.Tasks, Points: r.Points, deleted: r.Deleted}
	var err error
	if sp.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return nil, err
	}
	for _, t := range []struct {
		s string
		p **time.Time
	}{{r.StartedAt, &sp.StartedAt}, {r.CompletedAt, &sp.CompletedAt}} {
		if t.s == "" {
			continue
		}
		at, err := parseTime(t.s)
		if err != nil {
			return nil, err
		}
		*t.p = &at
	}
	return sp, nil
}

func optTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

// loadSprint reads a sprint's row, a deleted one included.
func loadSprint(q sqlx.Queryer, id string) (*Sprint, error) {
	var r sprintRow
	if err := sqlx.Get(q, &r, `SELECT `+sprintColumns+` FROM sprints s WHERE s.id = ?`, id); err != nil {
		return nil, notFound(err, "No such sprint.")
	}
	return r.sprint()
}

// saveSprint writes a sprint's row; createdBy is kept from its creation.
func saveSprint(tx sqlx.Ext, sp *Sprint, createdBy string) error {
	_, err := tx.Exec(`INSERT INTO sprints (id, project_id, number, name, goal, start_date, end_date, state,
			started_at, completed_at, version, created_by, created_at, deleted)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, goal = excluded.goal, start_date = excluded.start_date,
			end_date = excluded.end_date, state = excluded.state, started_at = excluded.started_at,
			completed_at = excluded.completed_at, version = excluded.version, deleted = excluded.deleted`,
		sp.ID, sp.ProjectID, sp.Number, sp.Name, sp.Goal, sp.Start, sp.End, sp.State,
		optTime(sp.StartedAt), optTime(sp.CompletedAt), sp.Version, createdBy, formatTime(sp.CreatedAt), sp.deleted)
	return err
}

// normSprintName trims a sprint's name; "" becomes "KEY Sprint N".
func normSprintName(name, key string, number int) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return fmt.Sprintf("%s Sprint %d", key, number), nil
	}
	if utf8.RuneCountInString(name) > MaxSprintName {
		return "", invalidField("name", "A sprint name is %d characters at most.", MaxSprintName)
	}
	return name, nil
}

func normSprintGoal(goal string) (string, error) {
	goal = strings.TrimSpace(goal)
	if utf8.RuneCountInString(goal) > MaxSprintGoal {
		return "", invalidField("goal", "A sprint goal is %d characters at most.", MaxSprintGoal)
	}
	return goal, nil
}

// normSprintDate checks a planned date: "" (not set) or YYYY-MM-DD.
func normSprintDate(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < 1900 || d.Year() > 9999 {
		return "", invalidField(field, "The %s date %q is not a date like 2026-11-10.", field, s)
	}
	return d.Format(time.DateOnly), nil
}

// checkSprintDates refuses an end before the start.
func checkSprintDates(start, end string) error {
	if start != "" && end != "" && end < start {
		return invalidField("end", "The end date %s is before the start date %s.", end, start)
	}
	return nil
}

// nextSprintNumber is the number the project's next sprint gets (deleted ones count).
func nextSprintNumber(q sqlxGetter, projectID string) (int, error) {
	var n int
	if err := q.Get(&n, `SELECT COALESCE(MAX(number), 0) + 1 FROM sprints WHERE project_id = ?`, projectID); err != nil {
		return 0, fmt.Errorf("store: next sprint number: %w", err)
	}
	return n, nil
}

// projectKey returns the key of a project.
func projectKey(q sqlxGetter, projectID string) (string, error) {
	var key string
	if err := q.Get(&key, `SELECT key FROM projects WHERE id = ?`, projectID); err != nil {
		return "", notFound(err, "No such project.")
	}
	return key, nil
}

// CreateSprint creates a planned sprint numbered after the project's last one.
func (s *Store) CreateSprint(ctx context.Context, actor string, in NewSprint) (*Sprint, error) {
	var err error
	created := SprintCreated{ProjectID: in.ProjectID}
	if created.Goal, err = normSprintGoal(in.Goal); err != nil {
		return nil, err
	}
	if created.Start, err = normSprintDate("start", in.Start); err != nil {
		return nil, err
	}
	if created.End, err = normSprintDate("end", in.End); err != nil {
		return nil, err
	}
	if err := checkSprintDates(created.Start, created.End); err != nil {
		return nil, err
	}
	id := newID()
	_, err = s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, in.ProjectID, actor, Role.CanEdit, "plan sprints"); err != nil {
			return err
		}
		return w.createSprint(id, actor, &created, in.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("store: create sprint: %w", err)
	}
	return s.Sprint(ctx, id)
}

// createSprint numbers and names a new sprint (name "" → "KEY Sprint N") and appends
// its creation.
func (w *writer) createSprint(id, actor string, created *SprintCreated, name string) error {
	key, err := projectKey(w.tx, created.ProjectID)
	if err != nil {
		return err
	}
	if created.Number, err = nextSprintNumber(w.tx, created.ProjectID); err != nil {
		return err
	}
	if created.Name, err = normSprintName(name, key, created.Number); err != nil {
		return err
	}
	_, err = w.append(sprintStream(id), 0, actor, created)
	return err
}

// sprintForCommand reads a sprint for a command of actor, who must be allowed to plan
// in its project (non-members find no sprint).
func sprintForCommand(w *writer, actor, sprintID string) (*Sprint, error) {
	sp, err := loadSprint(w.tx, sprintID)
	if err != nil {
		return nil, err
	}
	if sp.deleted {
		return nil, Errorf(ENOTFOUND, "No such sprint.")
	}
	if _, err := requireRole(w.tx, sp.ProjectID, actor, Role.CanEdit, "plan sprints"); err != nil {
		return nil, err
	}
	return sp, nil
}

// sprintSince checks baseVersion against the sprint and returns the sprint's events
// since then.
func sprintSince(w *writer, sp *Sprint, baseVersion int) ([]decodedEvent, error) {
	if baseVersion < 1 || baseVersion > sp.Version {
		return nil, invalidField("version", "%s has no version %d (it is at version %d). Reload the page and try again.", sp.Name, baseVersion, sp.Version)
	}
	if baseVersion == sp.Version {
		return nil, nil
	}
	return streamEventsAfter(w.tx, sprintStream(sp.ID), baseVersion)
}

// requireUnchanged refuses a lifecycle command (start, complete, reopen, delete) when
// the sprint itself changed since baseVersion. Tasks entering or leaving it (scope
// changes) do not count: the command acts on its tasks as they are now.
func requireUnchanged(w *writer, sp *Sprint, baseVersion int) error {
	since, err := sprintSince(w, sp, baseVersion)
	if err != nil {
		return err
	}
	for i := len(since) - 1; i >= 0; i-- {
		if _, scope := since[i].payload.(*SprintScopeChanged); !scope {
			return &SprintConflictError{SprintID: sp.ID, SprintName: sp.Name, BaseVersion: baseVersion,
				CurrentVersion: sp.Version, ChangedBy: since[i].Actor, ChangedAt: since[i].At, Sprint: sp}
		}
	}
	return nil
}

// sprintInState is the frame of the lifecycle commands: the sprint, for an actor who may
// plan in its project, unchanged since baseVersion, and in state from (else EINVALID:
// "TACK Sprint 2 is active: only a planned sprint can be started.").
func sprintInState(w *writer, actor, sprintID string, baseVersion int, from SprintState, verb string) (*Sprint, error) {
	sp, err := sprintForCommand(w, actor, sprintID)
	if err != nil {
		return nil, err
	}
	if err := requireUnchanged(w, sp, baseVersion); err != nil {
		return nil, err
	}
	if sp.State != from {
		article := "a"
		if from == SprintActive {
			article = "an"
		}
		return nil, Errorf(EINVALID, "%s is %s: only %s %s sprint can be %s.", sp.Name, sp.State, article, from, verb)
	}
	return sp, nil
}

// refuseCompleted refuses changing a completed sprint.
func refuseCompleted(sp *Sprint) error {
	if sp.State == SprintCompleted {
		return Errorf(EINVALID, "%s is completed; reopen it before changing it.", sp.Name)
	}
	return nil
}

// sprintFieldOf returns the value of a sprint's named field.
func sprintFieldOf(sp *Sprint, field string) string {
	switch field {
	case "name":
		return sp.Name
	case "goal":
		return sp.Goal
	case "start":
		return sp.Start
	}
	return sp.End
}

// sprintFieldsTouched lists the fields an event changed.
func sprintFieldsTouched(p Payload) []string {
	var out []string
	switch p := p.(type) {
	case *SprintEdited:
		for _, f := range []struct {
			name string
			c    *StringChange
		}{{"name", p.Name}, {"goal", p.Goal}, {"start", p.Start}, {"end", p.End}} {
			if f.c != nil {
				out = append(out, f.name)
			}
		}
	case *SprintStarted:
		out = []string{"start", "end"}
	}
	return out
}

// UpdateSprint changes a sprint's name, goal or dates under the merge rule: fields
// nobody changed since the base merge; a field changed since then to another value
// than the user's is a *SprintConflictError, and nothing is applied. Completed sprints
// are read-only. A name set to "" becomes "KEY Sprint N".
func (s *Store) UpdateSprint(ctx context.Context, actor string, u SprintUpdate) (*Sprint, error) {
	var conflict *SprintConflictError
	_, err := s.writeTx(ctx, func(w *writer) error {
		sp, err := sprintForCommand(w, actor, u.SprintID)
		if err != nil {
			return err
		}
		if err := refuseCompleted(sp); err != nil {
			return err
		}
		key, err := projectKey(w.tx, sp.ProjectID)
		if err != nil {
			return err
		}
		type want struct {
			field, value string
		}
		var wants []want
		if u.Name.Set {
			v, err := normSprintName(u.Name.V, key, sp.Number)
			if err != nil {
				return err
			}
			wants = append(wants, want{"name", v})
		}
		if u.Goal.Set {
			v, err := normSprintGoal(u.Goal.V)
			if err != nil {
				return err
			}
			wants = append(wants, want{"goal", v})
		}
		for _, d := range []struct {
			field string
			o     Opt[string]
		}{{"start", u.Start}, {"end", u.End}} {
			if d.o.Set {
				v, err := normSprintDate(d.field, d.o.V)
				if err != nil {
					return err
				}
				wants = append(wants, want{d.field, v})
			}
		}
		since, err := sprintSince(w, sp, u.BaseVersion)
		if err != nil {
			return err
		}
		base := sp
		if len(since) > 0 {
			history, err := streamEvents(w.tx, sprintStream(sp.ID))
			if err != nil {
				return err
			}
			base = nil
			for _, e := range history[:u.BaseVersion] {
				if base, err = applySprint(base, e.Event, e.payload); err != nil {
					return err
				}
			}
		}
		edited := SprintEdited{}
		next := *sp
		for _, wt := range wants {
			if wt.value == sprintFieldOf(base, wt.field) || wt.value == sprintFieldOf(sp, wt.field) {
				continue // untouched by the user, or already so
			}
			if i := slices.IndexFunc(since, func(e decodedEvent) bool {
				return slices.Contains(sprintFieldsTouched(e.payload), wt.field)
			}); i >= 0 {
				last := since[i]
				for _, e := range since[i:] {
					if slices.Contains(sprintFieldsTouched(e.payload), wt.field) {
						last = e
					}
				}
				if conflict == nil {
					conflict = &SprintConflictError{SprintID: sp.ID, SprintName: sp.Name, BaseVersion: u.BaseVersion,
						CurrentVersion: sp.Version, ChangedBy: last.Actor, ChangedAt: last.At, Sprint: sp}
				}
				conflict.Fields = append(conflict.Fields, SprintFieldConflict{Field: wt.field, Yours: wt.value, Theirs: sprintFieldOf(sp, wt.field)})
				continue
			}
			c := &StringChange{From: sprintFieldOf(sp, wt.field), To: wt.value}
			switch wt.field {
			case "name":
				edited.Name, next.Name = c, wt.value
			case "goal":
				edited.Goal, next.Goal = c, wt.value
			case "start":
				edited.Start, next.Start = c, wt.value
			case "end":
				edited.End, next.End = c, wt.value
			}
		}
		if conflict != nil {
			return nil
		}
		if err := checkSprintDates(next.Start, next.End); err != nil {
			return err
		}
		if edited == (SprintEdited{}) {
			return nil
		}
		_, err = w.append(sprintStream(sp.ID), sp.Version, actor, &edited)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: update sprint: %w", err)
	}
	if conflict != nil {
		return nil, conflict
	}
	return s.Sprint(ctx, u.SprintID)
}

// DeleteSprint deletes a planned sprint that holds no tasks (archived ones included).
func (s *Store) DeleteSprint(ctx context.Context, actor, sprintID string, baseVersion int) error {
	_, err := s.writeTx(ctx, func(w *writer) error {
		sp, err := sprintInState(w, actor, sprintID, baseVersion, SprintPlanned, "deleted")
		if err != nil {
			return err
		}
		var n int
		if err := w.tx.Get(&n, `SELECT COUNT(*) FROM tasks WHERE project_id = ? AND sprint_id = ?`, sp.ProjectID, sp.ID); err != nil {
			return fmt.Errorf("store: count sprint tasks: %w", err)
		}
		if n > 0 {
			return Errorf(EINVALID, "%s still holds %d task(s) (archived ones included); move them to the backlog or another sprint before deleting it.", sp.Name, n)
		}
		_, err = w.append(sprintStream(sp.ID), sp.Version, actor, &SprintDeleted{})
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete sprint: %w", err)
	}
	return nil
}

// refuseAnotherActive refuses a second active sprint unless the project allows them.
func refuseAnotherActive(w *writer, sp *Sprint) error {
	var parallel bool
	if err := w.tx.Get(&parallel, `SELECT parallel_sprints FROM projects WHERE id = ?`, sp.ProjectID); err != nil {
		return fmt.Errorf("store: project settings: %w", err)
	}
	if parallel {
		return nil
	}
	var names []string
	if err := w.tx.Select(&names, `SELECT name FROM sprints WHERE project_id = ? AND state = 'active' AND id <> ? AND NOT deleted ORDER BY number`,
		sp.ProjectID, sp.ID); err != nil {
		return fmt.Errorf("store: active sprints: %w", err)
	}
	if len(names) > 0 {
		return Errorf(EINVALID, "Another sprint is active: complete %s first, or allow parallel sprints in the project's settings.", names[0])
	}
	return nil
}

// sprintTasks returns the sprint's tasks that are not archived, in rank order.
func sprintTasks(q sqlx.Queryer, sprintID string) ([]*Task, error) {
	var rows []taskRow
	if err := sqlx.Select(q, &rows, `SELECT `+taskColumns+` FROM tasks t JOIN projects p ON p.id = t.project_id
		WHERE t.sprint_id = ? AND NOT t.archived ORDER BY t.rank, t.id`, sprintID); err != nil {
		return nil, fmt.Errorf("store: sprint tasks: %w", err)
	}
	return toTasks(rows)
}

// StartSprint starts a planned sprint, setting its dates when given (it needs a start
// and an end date by then), and records its commitment: its tasks and their points now.
// Another active sprint refuses it unless the project allows parallel sprints.
func (s *Store) StartSprint(ctx context.Context, actor string, st SprintStart) (*Sprint, error) {
	_, err := s.writeTx(ctx, func(w *writer) error {
		sp, err := sprintInState(w, actor, st.SprintID, st.BaseVersion, SprintPlanned, "started")
		if err != nil {
			return err
		}
		started := SprintStarted{Start: sp.Start, End: sp.End, Commitment: []SprintTask{}}
		if st.Start.Set {
			if started.Start, err = normSprintDate("start", st.Start.V); err != nil {
				return err
			}
		}
		if st.End.Set {
			if started.End, err = normSprintDate("end", st.End.V); err != nil {
				return err
			}
		}
		if started.Start == "" || started.End == "" {
			return invalidField("start", "A sprint needs a start and an end date to start.")
		}
		if err := checkSprintDates(started.Start, started.End); err != nil {
			return err
		}
		if err := refuseAnotherActive(w, sp); err != nil {
			return err
		}
		tasks, err := sprintTasks(w.tx, sp.ID)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			started.Commitment = append(started.Commitment, SprintTask{TaskID: t.ID, Points: t.Points})
		}
		_, err = w.append(sprintStream(sp.ID), sp.Version, actor, &started)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: start sprint: %w", err)
	}
	return s.Sprint(ctx, st.SprintID)
}

// workflow returns the project with its workflow's columns, status categories
// included: what Project.Done needs.
func workflow(q sqlx.Queryer, projectID string) (*Project, error) {
	p := &Project{ID: projectID}
	if err := sqlx.Select(q, &p.Columns, `SELECT id, name, wip_limit, category FROM columns WHERE project_id = ? ORDER BY position`, projectID); err != nil {
		return nil, fmt.Errorf("store: workflow: %w", err)
	}
	if len(p.Columns) == 0 {
		return nil, Errorf(ENOTFOUND, "No such project.")
	}
	return p, nil
}

// completionPlan splits an active sprint's tasks into done and unfinished, and lists
// where the unfinished ones may go.
func completionPlan(q sqlx.Queryer, sp *Sprint) (*CompletionPlan, error) {
	p, err := workflow(q, sp.ProjectID)
	if err != nil {
		return nil, err
	}
	tasks, err := sprintTasks(q, sp.ID)
	if err != nil {
		return nil, err
	}
	plan := &CompletionPlan{Sprint: sp, Done: []*Task{}, Unfinished: []*Task{},
		Destinations: []DestinationChoice{{DestBacklog, "the backlog"}}, Default: DestNew}
	for _, t := range tasks {
		if p.Done(t.ColumnID) {
			plan.Done = append(plan.Done, t)
		} else {
			plan.Unfinished = append(plan.Unfinished, t)
		}
	}
	var planned []sprintRow
	if err := sqlx.Select(q, &planned, `SELECT `+sprintColumns+`, 0 AS tasks, 0 AS points FROM sprints s
		WHERE s.project_id = ? AND s.state = 'planned' AND NOT s.deleted ORDER BY s.number`, sp.ProjectID); err != nil {
		return nil, fmt.Errorf("store: planned sprints: %w", err)
	}
	for i, r := range planned {
		if i == 0 {
			plan.Default = DestSprint(r.ID)
		}
		plan.Destinations = append(plan.Destinations, DestinationChoice{DestSprint(r.ID), r.Name})
	}
	plan.Destinations = append(plan.Destinations, DestinationChoice{DestNew, "a new sprint"})
	return plan, nil
}

// CompletionPlan returns what the completion dialog of an active sprint shows.
func (s *Store) CompletionPlan(ctx context.Context, actor, sprintID string) (*CompletionPlan, error) {
	tx, err := s.read.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: completion plan: %w", err)
	}
	defer tx.Rollback()
	sp, err := loadSprint(tx, sprintID)
	if err != nil {
		return nil, err
	}
	if _, err := requireRole(tx, sp.ProjectID, actor, Role.CanEdit, "complete sprints"); err != nil || sp.deleted {
		if err == nil {
			err = Errorf(ENOTFOUND, "No such sprint.")
		}
		return nil, err
	}
	if sp.State != SprintActive {
		return nil, Errorf(EINVALID, "%s is %s: only an active sprint can be completed.", sp.Name, sp.State)
	}
	return completionPlan(tx, sp)
}

// CompleteSprint completes an active sprint. Its unfinished tasks (not in a done
// column, not archived) go where c says (per task, else c.Default, else the next planned
// sprint or a new one), each with a task.sprint_changed marked carried over, in the same
// commit; the tasks it completed stay in it. sprint.completed freezes both sets. The
// sprint's tasks are taken as they are now, whatever changed since the dialog opened;
// only a change to the sprint itself since c.BaseVersion refuses the completion.
func (s *Store) CompleteSprint(ctx context.Context, actor string, c SprintCompletion) (*Sprint, error) {
	_, err := s.writeTx(ctx, func(w *writer) error {
		sp, err := sprintInState(w, actor, c.SprintID, c.BaseVersion, SprintActive, "completed")
		if err != nil {
			return err
		}
		plan, err := completionPlan(w.tx, sp)
		if err != nil {
			return err
		}
		done := SprintCompletedEvent{Completed: []SprintTask{}, NotCompleted: []CarriedTask{}}
		for _, t := range plan.Done {
			done.Completed = append(done.Completed, SprintTask{TaskID: t.ID, Points: t.Points})
		}
		newSprint := "" // created once, by the first task sent to a new sprint
		for _, t := range plan.Unfinished {
			dest := c.Tasks[t.ID]
			if dest == "" {
				dest = c.Default
			}
			if dest == "" {
				dest = plan.Default
			}
			to, err := w.destination(actor, sp, dest, &newSprint)
			if err != nil {
				return err
			}
			if _, err := w.append(taskStream(t.ID), t.Version, actor, &TaskSprintChanged{From: sp.ID, To: to, CarriedOver: true}); err != nil {
				return err
			}
			done.NotCompleted = append(done.NotCompleted, CarriedTask{TaskID: t.ID, Points: t.Points, To: to})
		}
		_, err = w.append(sprintStream(sp.ID), sp.Version, actor, &done)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: complete sprint: %w", err)
	}
	return s.Sprint(ctx, c.SprintID)
}

// destination resolves where a completion sends a task: "" for the backlog, or the id
// of a planned sprint of the project; DestNew creates that sprint once (*created).
func (w *writer) destination(actor string, from *Sprint, d Destination, created *string) (string, error) {
	switch {
	case d == DestBacklog:
		return "", nil
	case d == DestNew:
		if *created == "" {
			id := newID()
			if err := w.createSprint(id, actor, &SprintCreated{ProjectID: from.ProjectID}, ""); err != nil {
				return "", err
			}
			*created = id
		}
		return *created, nil
	}
	id, ok := strings.CutPrefix(string(d), "sprint:")
	if !ok {
		return "", invalidField("destination", "Unknown destination %q: choose the backlog, a planned sprint or a new sprint.", d)
	}
	to, err := loadSprint(w.tx, id)
	if err != nil || to.deleted || to.ProjectID != from.ProjectID {
		return "", invalidField("destination", "That sprint is not part of this project.")
	}
	if to.State != SprintPlanned {
		return "", invalidField("destination", "%s is %s: unfinished tasks can go to a planned sprint, a new sprint or the backlog.", to.Name, to.State)
	}
	return to.ID, nil
}

// ReopenSprint makes a completed sprint active again; tasks it carried over stay where
// they went. Another active sprint refuses it unless the project allows parallel sprints.
func (s *Store) ReopenSprint(ctx context.Context, actor, sprintID string, baseVersion int) (*Sprint, error) {
	_, err := s.writeTx(ctx, func(w *writer) error {
		sp, err := sprintInState(w, actor, sprintID, baseVersion, SprintCompleted, "reopened")
		if err != nil {
			return err
		}
		if err := refuseAnotherActive(w, sp); err != nil {
			return err
		}
		_, err = w.append(sprintStream(sp.ID), sp.Version, actor, &SprintReopened{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: reopen sprint: %w", err)
	}
	return s.Sprint(ctx, sprintID)
}

// SetParallelSprints allows or forbids more than one active sprint; admins only.
// Forbidding them while several are active is allowed: it applies to the next start.
func (s *Store) SetParallelSprints(ctx context.Context, actor, projectID string, on bool) error {
	_, err := s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "change the project's settings"); err != nil {
			return err
		}
		var current bool
		if err := w.tx.Get(&current, `SELECT parallel_sprints FROM projects WHERE id = ?`, projectID); err != nil {
			return notFound(err, "No such project.")
		}
		if current == on {
			return nil
		}
		_, err := w.appendLatest(projectStream(projectID), actor, &SettingsChanged{ParallelSprints: &BoolChange{From: current, To: on}})
		return err
	})
	if err != nil {
		return fmt.Errorf("store: project settings: %w", err)
	}
	return nil
}

// sprintCounts adds each sprint's tasks (not archived) and their points.
const sprintCounts = `,
	(SELECT COUNT(*) FROM tasks t WHERE t.project_id = s.project_id AND t.sprint_id = s.id AND NOT t.archived) AS tasks,
	(SELECT COALESCE(SUM(t.points), 0) FROM tasks t WHERE t.project_id = s.project_id AND t.sprint_id = s.id AND NOT t.archived) AS points`

// sprintOrder: active first, then planned by number, then completed newest first.
const sprintOrder = ` ORDER BY CASE s.state WHEN 'active' THEN 0 WHEN 'planned' THEN 1 ELSE 2 END,
	CASE WHEN s.state = 'completed' THEN s.completed_at END DESC, s.number`

func selectSprints(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]*Sprint, error) {
	var rows []sprintRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+sprintColumns+sprintCounts+` FROM sprints s
		WHERE NOT s.deleted AND `+where+sprintOrder, args...); err != nil {
		return nil, fmt.Errorf("store: sprints: %w", err)
	}
	out := make([]*Sprint, 0, len(rows))
	for _, r := range rows {
		sp, err := r.sprint()
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}

func oneSprint(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) (*Sprint, error) {
	sps, err := selectSprints(ctx, q, where, args...)
	if err != nil {
		return nil, err
	}
	if len(sps) == 0 {
		return nil, Errorf(ENOTFOUND, "No such sprint.")
	}
	return sps[0], nil
}

// Sprints lists a project's sprints: active first, then planned by number, then
// completed newest first, with Tasks and Points filled.
func (s *Store) Sprints(ctx context.Context, projectID string) ([]*Sprint, error) {
	return selectSprints(ctx, s.read, `s.project_id = ?`, projectID)
}

// Sprint returns the sprint with the given id, with Tasks and Points filled. It checks
// no membership: callers acting for a user check the sprint's project.
func (s *Store) Sprint(ctx context.Context, id string) (*Sprint, error) {
	return oneSprint(ctx, s.read, `s.id = ?`, id)
}

// SprintByNumber returns the project's sprint number n.
func (s *Store) SprintByNumber(ctx context.Context, projectID string, n int) (*Sprint, error) {
	return oneSprint(ctx, s.read, `s.project_id = ? AND s.number = ?`, projectID, n)
}

// ActiveSprints returns the project's active sprints by number.
func (s *Store) ActiveSprints(ctx context.Context, projectID string) ([]*Sprint, error) {
	return selectSprints(ctx, s.read, `s.project_id = ? AND s.state = 'active'`, projectID)
}

// Backlog returns the backlog page's lists, each in rank order (rank, id): the active
// then planned sprints with their tasks (not archived), and the backlog: tasks not
// archived and not done (by their column's status category) with no sprint or whose
// sprint is completed. It reads one snapshot.
func (s *Store) Backlog(ctx context.Context, projectID string) (*Backlog, error) {
	tx, err := s.read.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: backlog: %w", err)
	}
	defer tx.Rollback()
	p, err := workflow(tx, projectID)
	if err != nil {
		return nil, err
	}
	sprints, err := selectSprints(ctx, tx, `s.project_id = ?`, projectID)
	if err != nil {
		return nil, err
	}
	b := &Backlog{Backlog: PlanList{Tasks: []*Task{}}}
	lists := map[string]int{}
	for _, sp := range sprints {
		if sp.State != SprintCompleted {
			lists[sp.ID] = len(b.Sprints)
			b.Sprints = append(b.Sprints, PlanList{Sprint: sp, Tasks: []*Task{}})
		}
	}
	var rows []taskRow
	if err := tx.SelectContext(ctx, &rows, `SELECT `+taskColumns+` FROM tasks t JOIN projects p ON p.id = t.project_id
		WHERE t.project_id = ? AND NOT t.archived ORDER BY t.rank, t.id`, projectID); err != nil {
		return nil, fmt.Errorf("store: backlog: %w", err)
	}
	tasks, err := toTasks(rows)
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		if i, ok := lists[t.SprintID]; ok {
			b.Sprints[i].Tasks = append(b.Sprints[i].Tasks, t)
		} else if !p.Done(t.ColumnID) {
			b.Backlog.Tasks = append(b.Backlog.Tasks, t)
		}
	}
	return b, nil
}
