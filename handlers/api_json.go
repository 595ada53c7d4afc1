package handlers

import (
	"encoding/json"
	"time"

	"github.com/tack-pm/tack/store"
)

// taskJSON is a task as the API shows it. version is also the ETag.
type taskJSON struct {
	ID          string   `json:"id"`
	Key         string   `json:"key"`
	Number      int      `json:"number"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Type        string   `json:"type"`
	Priority    string   `json:"priority"`
	ColumnID    string   `json:"column_id"`
	Rank        string   `json:"rank"`
	AssigneeID  *string  `json:"assignee_id"`
	Labels      []string `json:"labels"`
	Points      *float64 `json:"points"`
	Due         *string  `json:"due"`
	Archived    bool     `json:"archived"`
	Sprint      *int     `json:"sprint"`       // the sprint's number; null in the backlog
	SprintID    *string  `json:"sprint_id"`    // the sprint's id; null in the backlog
	CarriedFrom *int     `json:"carried_from"` // the sprint a completion carried it over from
	// Time tracking, in seconds: the original and remaining estimates (null when not
	// estimated) and the time its worklogs add up to.
	OriginalEstimate  *int64    `json:"original_estimate"`
	RemainingEstimate *int64    `json:"remaining_estimate"`
	TimeLogged        int64     `json:"time_logged"`
	Version           int       `json:"version"`
	CreatedBy         string    `json:"created_by"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedBy         string    `json:"updated_by"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// newTaskJSON shows a task; refs turns its sprint ids into the numbers the API names
// sprints by.
func newTaskJSON(t *store.Task, refs *sprintRefs) taskJSON {
	j := taskJSON{
		ID: t.ID, Key: t.Key, Number: t.Number, Title: t.Title, Description: t.Description,
		Type: string(t.Type), Priority: string(t.Priority), ColumnID: t.ColumnID, Rank: t.Rank,
		Labels: t.Labels, Points: t.Points, Archived: t.Archived, Version: t.Version,
		OriginalEstimate: t.Estimate, RemainingEstimate: t.Remaining, TimeLogged: t.Logged,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, UpdatedBy: t.UpdatedBy, UpdatedAt: t.UpdatedAt,
	}
	if j.Labels == nil {
		j.Labels = []string{}
	}
	if t.AssigneeID != "" {
		j.AssigneeID = &t.AssigneeID
	}
	if t.Due != "" {
		j.Due = &t.Due
	}
	if t.SprintID != "" {
		id := t.SprintID
		j.SprintID, j.Sprint = &id, refs.number(id)
	}
	j.CarriedFrom = refs.number(t.CarriedFrom)
	return j
}

// fieldJSON writes a field value the way taskJSON does (null for none, a sprint by its
// number).
func fieldJSON(f store.Field, v any, refs *sprintRefs) any {
	switch x := v.(type) {
	case string:
		if f == store.FieldSprint {
			if n := refs.number(x); n != nil {
				return *n
			}
			return nil
		}
		if x == "" && (f == store.FieldAssignee || f == store.FieldDue) {
			return nil
		}
	case *float64:
		if x == nil {
			return nil
		}
		return *x
	case *int64: // an estimate, in seconds
		if x == nil {
			return nil
		}
		return *x
	case store.TaskType, store.Priority:
		return x
	}
	return v
}

// projectJSON is a project with its workflow and the caller's role.
type projectJSON struct {
	ID      string       `json:"id"`
	Key     string       `json:"key"`
	Name    string       `json:"name"`
	Role    string       `json:"role"`
	Columns []columnJSON `json:"columns"`
	// ParallelSprints says whether more than one sprint may be active at a time.
	ParallelSprints bool `json:"parallel_sprints"`
	// HoursPerDay and DaysPerWeek are the working calendar duration strings are read
	// and written by ("1d" is HoursPerDay hours); admins set them on the board.
	HoursPerDay float64   `json:"hours_per_day"`
	DaysPerWeek int       `json:"days_per_week"`
	CreatedAt   time.Time `json:"created_at"`
}

// columnJSON is one workflow column with the status category in effect; its tasks
// count as done when the category is done.
type columnJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
	WIPLimit *int   `json:"wip_limit"`
	Category string `json:"category"`
	Done     bool   `json:"done"`
}

func newColumnsJSON(p *store.Project) []columnJSON {
	out := make([]columnJSON, len(p.Columns))
	for i, c := range p.Columns {
		out[i] = columnJSON{ID: c.ID, Name: c.Name, Position: i, Category: string(p.Category(c.ID)), Done: p.Done(c.ID)}
		if c.WIPLimit > 0 {
			limit := c.WIPLimit
			out[i].WIPLimit = &limit
		}
	}
	return out
}

func newProjectJSON(p *store.Project, role store.Role) projectJSON {
	cal := p.Calendar()
	return projectJSON{ID: p.ID, Key: p.Key, Name: p.Name, Role: string(role), Columns: newColumnsJSON(p),
		ParallelSprints: p.ParallelSprints, HoursPerDay: float64(cal.DayMinutes) / 60, DaysPerWeek: cal.WeekDays,
		CreatedAt: p.CreatedAt}
}

// memberJSON is a project member.
type memberJSON struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Email   string    `json:"email"`
	Role    string    `json:"role"`
	AddedAt time.Time `json:"added_at"`
}

// eventJSON is one event of the log as the feed and the stream show it.
type eventJSON struct {
	Seq     int64           `json:"seq"`
	Stream  string          `json:"stream"`
	Version int             `json:"version"`
	Type    string          `json:"type"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
	TaskID  *string         `json:"task_id"`
	Data    json.RawMessage `json:"data"`
}

func newEventJSON(e store.Event) eventJSON {
	j := eventJSON{Seq: e.Seq, Stream: e.Stream, Version: e.Version, Type: e.Type, Actor: e.Actor, At: e.At, Data: e.Data}
	if id := taskIDOf(e); id != "" {
		if i := len(id) - len(":conflicts"); i > 0 && id[i:] == ":conflicts" {
			id = id[:i]
		}
		j.TaskID = &id
	}
	return j
}

// historyJSON is one entry of a task's history or a project's activity, told for people
// and with the structured values a client can show itself.
type historyJSON struct {
	Seq       int64              `json:"seq"`
	At        time.Time          `json:"at"`
	Type      string             `json:"type"`
	Actor     actorJSON          `json:"actor"`
	TaskKey   *string            `json:"task_key"`
	Text      string             `json:"text"`
	Changes   []valueChangeJSON  `json:"changes"`
	Conflicts []conflictNoteJSON `json:"conflicts"`
}

type actorJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type valueChangeJSON struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

type conflictNoteJSON struct {
	Field     string    `json:"field"`
	Yours     string    `json:"yours"`
	Theirs    string    `json:"theirs"`
	ChangedBy actorJSON `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

func newHistoryJSON(h store.HistoryEntry) historyJSON {
	j := historyJSON{Seq: h.Seq, At: h.At, Type: h.Type, Actor: actorJSON{h.Actor.ID, h.Actor.Name}, Text: h.Actor.Name + " " + h.Text,
		Changes: []valueChangeJSON{}, Conflicts: []conflictNoteJSON{}}
	if h.TaskKey != "" {
		key := h.TaskKey
		j.TaskKey = &key
	}
	for _, c := range h.Changes {
		j.Changes = append(j.Changes, valueChangeJSON{c.Field, c.From, c.To})
	}
	for _, c := range h.Conflicts {
		j.Conflicts = append(j.Conflicts, conflictNoteJSON{c.Field, c.Yours, c.Theirs, actorJSON{c.By.ID, c.By.Name}, c.At})
	}
	return j
}

// pendingConflictJSON is a refused change waiting for its author's answer: what it
// wanted, what it met, and the task as it is now.
type pendingConflictJSON struct {
	Seq            int64          `json:"seq"`
	TaskID         string         `json:"task_id"`
	TaskKey        string         `json:"task_key"`
	Command        string         `json:"command"`
	At             time.Time      `json:"at"`
	BaseVersion    int            `json:"base_version"`
	CurrentVersion int            `json:"current_version"`
	Task           taskJSON       `json:"task"`
	Conflicts      []conflictJSON `json:"conflicts"`
	Wanted         map[string]any `json:"wanted"`
}

func newPendingConflictJSON(pc *store.PendingConflict, t *store.Task, refs *sprintRefs) pendingConflictJSON {
	j := pendingConflictJSON{Seq: pc.Seq, TaskID: pc.TaskID, TaskKey: t.Key, Command: pc.Command, At: pc.At,
		BaseVersion: pc.BaseVersion, CurrentVersion: pc.CurrentVersion, Task: newTaskJSON(t, refs),
		Conflicts: newConflictsJSON(pc.Fields, refs), Wanted: make(map[string]any, len(pc.Wanted))}
	for f, v := range pc.Wanted {
		j.Wanted[apiField(string(f))] = fieldJSON(f, v, refs)
	}
	return j
}

// newConflictsJSON shows the fields of a conflict with the API's names and values.
func newConflictsJSON(fields []store.FieldConflict, refs *sprintRefs) []conflictJSON {
	out := make([]conflictJSON, 0, len(fields))
	for _, f := range fields {
		out = append(out, conflictJSON{Field: apiField(string(f.Field)), Yours: fieldJSON(f.Field, f.Yours, refs),
			Theirs: fieldJSON(f.Field, f.Theirs, refs), ChangedBy: f.ChangedBy, ChangedAt: f.ChangedAt, Seq: f.Seq})
	}
	return out
}
