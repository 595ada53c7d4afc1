package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
)

// SprintURL returns the path of a sprint's page; suffix may be "" or like "/complete".
func SprintURL(p *store.Project, s *store.Sprint, suffix string) string {
	return ProjectURL(p, "/sprints/"+strconv.Itoa(s.Number)+suffix)
}

// SprintsView is the sprints list page's data.
type SprintsView struct {
	Sprints []*store.Sprint // active, planned, then completed (store order)
	Create  SprintForm
	// NextName is the name a sprint created without one gets: "DEMO Sprint 5".
	NextName string
	// SettingsError is the parallel-sprints setting's error, shown next to it.
	SettingsError string
}

// InState returns the sprints in state st, in list order.
func (v SprintsView) InState(st store.SprintState) []*store.Sprint {
	var out []*store.Sprint
	for _, s := range v.Sprints {
		if s.State == st {
			out = append(out, s)
		}
	}
	return out
}

// NewSprintsView prepares the list page for project p.
func NewSprintsView(p *store.Project, sprints []*store.Sprint, create SprintForm) SprintsView {
	next := 1
	for _, s := range sprints {
		next = max(next, s.Number+1)
	}
	return SprintsView{Sprints: sprints, Create: create, NextName: fmt.Sprintf("%s Sprint %d", p.Key, next)}
}

// SprintForm is the state of a sprint's create, edit or start form, as strings.
type SprintForm struct {
	Name, Goal, Start, End string
	// Orig are the values the edit form was loaded with: a field the user left as it was
	// is not sent as a change, so it cannot undo someone else's edit.
	Orig        map[string]string
	BaseVersion int
	Errors      map[string]string
}

// SprintFormFrom fills the edit form with the sprint's current values.
func SprintFormFrom(s *store.Sprint) SprintForm {
	f := SprintForm{Name: s.Name, Goal: s.Goal, Start: s.Start, End: s.End, BaseVersion: s.Version}
	f.Orig = map[string]string{"name": s.Name, "goal": s.Goal, "start": s.Start, "end": s.End}
	return f
}

// StartFormFor fills the start form: the sprint's planned dates, or today and two weeks
// from today when they are not set.
func StartFormFor(s *store.Sprint, now time.Time) SprintForm {
	f := SprintForm{Start: s.Start, End: s.End, BaseVersion: s.Version}
	if f.Start == "" {
		f.Start = now.Format(time.DateOnly)
	}
	if f.End == "" {
		if start, err := time.Parse(time.DateOnly, f.Start); err == nil {
			f.End = start.AddDate(0, 0, 14).Format(time.DateOnly)
		}
	}
	return f
}

// SprintView is the sprint page's data.
type SprintView struct {
	Sprint  *store.Sprint
	Tasks   []*store.Task // the sprint's tasks now, in board order
	Members []store.Member
	Edit    SprintForm
	Start   SprintForm
	// EditOpen opens the edit form: it was just refused.
	EditOpen bool
	// Error is a refusal of an action that has no field of its own (start, delete,
	// reopen), shown on top.
	Error string
	// Conflict explains why an edit was not saved.
	Conflict *SprintConflictView
	// Sprints are all the project's sprints, to name the one a task was carried over from.
	Sprints []*store.Sprint
	// CarriedOut are the tasks a completed sprint carried over elsewhere (while they stay
	// where the completion put them).
	CarriedOut []*store.Task
}

// Done counts the sprint's tasks in a done-category column.
func (v SprintView) Done(p *store.Project) int {
	n := 0
	for _, t := range v.Tasks {
		if p.Done(t.ColumnID) {
			n++
		}
	}
	return n
}

// Points totals the sprint's story points.
func (v SprintView) Points() float64 {
	var sum float64
	for _, t := range v.Tasks {
		if t.Points != nil {
			sum += *t.Points
		}
	}
	return sum
}

// SprintConflictView is a refused sprint edit: who changed which fields meanwhile, what
// the user wanted, and what "apply mine" posts.
type SprintConflictView struct {
	By      string
	At      time.Time
	Version int // the sprint's version now
	Fields  []SprintConflictLine
	// Mine are the fields the user changed, with their values: "apply mine" posts them
	// against the current version.
	Mine []SprintMineField
}

// SprintConflictLine is one field both sides changed.
type SprintConflictLine struct {
	Label, Theirs, Yours string
}

// SprintMineField is one field the user changed, with the value the sprint has now.
type SprintMineField struct {
	Name, Value, Current string
}

// NewSprintConflictView prepares a sprint edit conflict for display; mine is the form as
// the user submitted it and name names users by id.
func NewSprintConflictView(ce *store.SprintConflictError, mine SprintForm, name func(string) string) *SprintConflictView {
	v := &SprintConflictView{By: name(ce.ChangedBy), At: ce.ChangedAt, Version: ce.CurrentVersion}
	for _, f := range ce.Fields {
		v.Fields = append(v.Fields, SprintConflictLine{Label: sprintFieldLabel(f.Field), Theirs: shown(f.Theirs), Yours: shown(f.Yours)})
	}
	cur := SprintFormFrom(ce.Sprint)
	for _, field := range sprintFieldNames {
		if mine.Changed(field) {
			v.Mine = append(v.Mine, SprintMineField{Name: field, Value: mine.value(field), Current: cur.value(field)})
		}
	}
	return v
}

// sprintFieldNames are the edit form's fields, in form order.
var sprintFieldNames = []string{"name", "goal", "start", "end"}

// Changed reports whether the user changed field from the value the form was loaded with.
// A form without the loaded value counts as a change.
func (f SprintForm) Changed(field string) bool {
	orig, ok := f.Orig[field]
	return !ok || orig != f.value(field)
}

// Set sets field to value.
func (f *SprintForm) Set(field, value string) {
	switch field {
	case "name":
		f.Name = value
	case "goal":
		f.Goal = value
	case "start":
		f.Start = value
	case "end":
		f.End = value
	}
}

func (f SprintForm) value(field string) string {
	switch field {
	case "name":
		return f.Name
	case "goal":
		return f.Goal
	case "start":
		return f.Start
	case "end":
		return f.End
	}
	return ""
}

func sprintFieldLabel(field string) string {
	switch field {
	case "start":
		return "start date"
	case "end":
		return "end date"
	}
	return field
}

func shown(v string) string {
	if v == "" {
		return "(empty)"
	}
	return v
}

// SprintState says a sprint's state in words: "Planned", "Active", "Completed".
func SprintState(s *store.Sprint) string { return Title(string(s.State)) }

// SprintDates writes a sprint's planned dates: "3 Nov – 17 Nov 2026", or what is set.
func SprintDates(s *store.Sprint) string {
	start, serr := time.Parse(time.DateOnly, s.Start)
	end, eerr := time.Parse(time.DateOnly, s.End)
	switch {
	case serr != nil && eerr != nil:
		return "No dates yet"
	case eerr != nil:
		return "From " + start.Format("2 Jan 2006")
	case serr != nil:
		return "Until " + end.Format("2 Jan 2006")
	case start.Year() == end.Year():
		return start.Format("2 Jan") + " – " + end.Format("2 Jan 2006")
	}
	return start.Format("2 Jan 2006") + " – " + end.Format("2 Jan 2006")
}

// DaysLeft says how long an active sprint has to run on day now: "6 days left",
// "1 day left", "Last day", "Ended 2 days ago"; "" without an end date.
func DaysLeft(s *store.Sprint, now time.Time) string {
	end, err := time.Parse(time.DateOnly, s.End)
	if err != nil {
		return ""
	}
	today, _ := time.Parse(time.DateOnly, now.Format(time.DateOnly))
	days := int(end.Sub(today).Hours() / 24)
	switch {
	case days > 1:
		return fmt.Sprintf("%d days left", days)
	case days == 1:
		return "1 day left"
	case days == 0:
		return "Last day"
	case days == -1:
		return "Ended yesterday"
	}
	return fmt.Sprintf("Ended %d days ago", -days)
}

// SprintSummary counts a sprint's tasks and points: "9 tasks · 21 points".
func SprintSummary(tasks int, points float64) string {
	pts := store.FormatPoints(&points)
	t := "tasks"
	if tasks == 1 {
		t = "task"
	}
	p := "points"
	if points == 1 {
		p = "point"
	}
	return fmt.Sprintf("%d %s · %s %s", tasks, t, pts, p)
}

// CompleteView is the complete-sprint page's data.
type CompleteView struct {
	Sprint *store.Sprint
	Plan   *store.CompletionPlan
	// Default and Tasks are the destinations chosen (the form shown again after an
	// error keeps them); Tasks holds overrides by task id, "" for "as the default".
	Default string
	Tasks   map[string]string
	Error   string
}

// DestinationLabel names destination d among the plan's choices.
func (v CompleteView) DestinationLabel(d store.Destination) string {
	for _, c := range v.Plan.Destinations {
		if c.Destination == d {
			return c.Label
		}
	}
	return string(d)
}

// CompletionSummary says what completing the sprint does: "7 done, 3 unfinished".
func (v CompleteView) CompletionSummary() string {
	return fmt.Sprintf("%d done, %d unfinished", len(v.Plan.Done), len(v.Plan.Unfinished))
}

// TaskSprintOptions are the sprints a task can be put in from its page: the backlog,
// active and planned sprints, and the sprint it is in now whatever its state.
func TaskSprintOptions(sprints []*store.Sprint, current string) []*store.Sprint {
	var out []*store.Sprint
	for _, s := range sprints {
		if s.State != store.SprintCompleted || s.ID == current {
			out = append(out, s)
		}
	}
	return out
}

// SprintOptionLabel names a sprint in a select: "DEMO Sprint 4 (active)".
func SprintOptionLabel(s *store.Sprint) string {
	return s.Name + " (" + strings.ToLower(SprintState(s)) + ")"
}

// SprintNamed returns the sprint with id among sprints, or nil.
func SprintNamed(sprints []*store.Sprint, id string) *store.Sprint {
	for _, s := range sprints {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// sprintFieldAttrs is fieldAttrs for a form whose ids carry a prefix.
func sprintFieldAttrs(errs map[string]string, prefix, field string) templ.Attributes {
	if _, ok := errs[field]; !ok {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": "err-" + prefix + field}
}

// NameSprints writes the sprint values of conflict v (built from pc) as sprint names
// rather than ids: "DEMO Sprint 4", or "Backlog".
func NameSprints(v *ConflictView, pc *store.PendingConflict, sprints []*store.Sprint) {
	nameSprintFields(v, pc, func(id string) string {
		if s := SprintNamed(sprints, id); s != nil {
			return s.Name
		}
		return "Backlog"
	})
}

// nameSprintFields writes the sprint values of conflict v (built from pc), which the
// store records as sprint ids ("" for the backlog), as name gives them.
func nameSprintFields(v *ConflictView, pc *store.PendingConflict, name func(id string) string) {
	for i, f := range pc.Fields {
		if f.Field == store.FieldSprint && i < len(v.Fields) {
			yours, _ := f.Yours.(string)
			theirs, _ := f.Theirs.(string)
			v.Fields[i].Yours, v.Fields[i].Theirs = name(yours), name(theirs)
		}
	}
}

// ConflictsOnSprint reports whether any of the conflicts is about a task's sprint.
func ConflictsOnSprint(pcs []*store.PendingConflict) bool {
	for _, pc := range pcs {
		for _, f := range pc.Fields {
			if f.Field == store.FieldSprint {
				return true
			}
		}
	}
	return false
}

// WithSprintNames returns b with the sprint values of the conflicts it shows (from pcs)
// written as sprint names.
func (b BoardView) WithSprintNames(pcs []*store.PendingConflict, sprints []*store.Sprint) BoardView {
	for _, pc := range pcs {
		if v, ok := b.Conflicts[pc.TaskID]; ok {
			NameSprints(v, pc, sprints)
		}
	}
	return b
}
