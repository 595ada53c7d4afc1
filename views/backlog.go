package views

import (
	"fmt"
	"strconv"

	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
)

// BacklogListID is the id of the backlog among a backlog page's lists; a sprint's list
// is named by the sprint's id.
const BacklogListID = "backlog"

// BacklogView is the backlog page's data: the active and planned sprints, then the
// backlog, each in rank order.
type BacklogView struct {
	Lists    []PlanListView
	Members  []store.Member
	Filter   BoardFilter
	Editable bool   // the viewer may plan
	Moved    string // id of the task just planned without JavaScript: its Move button gets focus
	Announce string // text for the live region
	// Notice repeats, visibly, what a change without JavaScript did.
	Notice string
	// Conflicts are the viewer's pending conflicts by task id; each stands in place of its row.
	Conflicts map[string]*ConflictView
	// Sprints names every sprint of the project by id: "carried over from …" and
	// conflicts name sprints that are not listed (completed ones).
	Sprints map[string]*store.Sprint
	// Create is the state of one list's one-line create form after an error, by list id.
	Create map[string]NewTaskForm
}

// PlanListView is one list of the backlog page: a sprint's tasks or the backlog.
type PlanListView struct {
	Sprint *store.Sprint // nil for the backlog
	Tasks  []*store.Task // those the filter shows, in rank order
	Count  int           // tasks in the list, shown or not
	Points float64       // their story points
}

// ID names the list in the page and in forms: the sprint's id, or "backlog".
func (l PlanListView) ID() string {
	if l.Sprint == nil {
		return BacklogListID
	}
	return l.Sprint.ID
}

// SprintID is the list's value of the task's sprint field: "" for the backlog.
func (l PlanListView) SprintID() string {
	if l.Sprint == nil {
		return ""
	}
	return l.Sprint.ID
}

// Name is what the page calls the list: the sprint's name or "Backlog".
func (l PlanListView) Name() string {
	if l.Sprint == nil {
		return "Backlog"
	}
	return l.Sprint.Name
}

// Summary is the list's size: "5 tasks · 13 points".
func (l PlanListView) Summary() string { return SprintSummary(l.Count, l.Points) }

// Shown is how many of the list's tasks the filter shows, for the heading of a
// filtered page: "3 shown".
func (l PlanListView) Shown() string { return strconv.Itoa(len(l.Tasks)) + " shown" }

// plural writes "1 task" or "5 tasks".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// NewPlanList is a list of the page with its totals from all its tasks and the tasks
// the filter shows.
func NewPlanList(sp *store.Sprint, tasks []*store.Task, f BoardFilter) PlanListView {
	l := PlanListView{Sprint: sp, Count: len(tasks), Tasks: make([]*store.Task, 0, len(tasks))}
	for _, t := range tasks {
		if t.Points != nil {
			l.Points += *t.Points
		}
		if f.Match(t) {
			l.Tasks = append(l.Tasks, t)
		}
	}
	return l
}

// NewBacklogView arranges the store's backlog for the page: sprints first, then the
// backlog, each narrowed by the filter. sprints are all the project's sprints.
func NewBacklogView(bl *store.Backlog, sprints []*store.Sprint, members []store.Member, f BoardFilter, editable bool) BacklogView {
	v := BacklogView{Members: members, Filter: f, Editable: editable, Sprints: map[string]*store.Sprint{}}
	for _, sp := range sprints {
		v.Sprints[sp.ID] = sp
	}
	for _, l := range bl.Sprints {
		v.Lists = append(v.Lists, NewPlanList(l.Sprint, l.Tasks, f))
	}
	v.Lists = append(v.Lists, NewPlanList(nil, bl.Backlog.Tasks, f))
	return v
}

// List returns the list with the given id ("backlog" or a sprint id).
func (b BacklogView) List(id string) (PlanListView, bool) {
	for _, l := range b.Lists {
		if l.ID() == id {
			return l, true
		}
	}
	return PlanListView{}, false
}

// ListOf returns the id of the list task t belongs in on this page: its sprint's, or
// the backlog when it has none or its sprint is not listed (completed).
func (b BacklogView) ListOf(t *store.Task) string {
	if t.SprintID != "" {
		if _, ok := b.List(t.SprintID); ok {
			return t.SprintID
		}
	}
	return BacklogListID
}

// SprintName names a sprint id for people: "the backlog" for "".
func (b BacklogView) SprintName(id string) string {
	if id == "" || id == BacklogListID {
		return "the backlog"
	}
	if sp, ok := b.Sprints[id]; ok {
		return sp.Name
	}
	return "a deleted sprint"
}

// Headings returns the lists with the given ids, in page order.
func (b BacklogView) Headings(ids ...string) []PlanListView {
	var out []PlanListView
	for _, l := range b.Lists {
		for _, id := range ids {
			if l.ID() == id {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// WithConflicts returns b showing the viewer's pending conflicts in place of their rows.
// A planning conflict names sprints, not sprint ids.
func (b BacklogView) WithConflicts(p *store.Project, pcs []*store.PendingConflict) BacklogView {
	tasks := map[string]*store.Task{}
	for _, l := range b.Lists {
		for _, t := range l.Tasks {
			tasks[t.ID] = t
		}
	}
	for _, pc := range pcs {
		if t := tasks[pc.TaskID]; t != nil {
			b = b.WithTaskConflict(p, pc, t)
		}
	}
	return b
}

// WithTaskConflict returns b showing the viewer's pending conflict pc on task t (as it
// is now) in place of its row.
func (b BacklogView) WithTaskConflict(p *store.Project, pc *store.PendingConflict, t *store.Task) BacklogView {
	if pc.TaskID != t.ID {
		return b
	}
	v := NewConflictView(p, pc, t, b.Members)
	nameSprintFields(&v, pc, b.SprintName)
	if pc.Command == "plan" {
		v.Keep = b.SprintName(t.SprintID)
	}
	conflicts := make(map[string]*ConflictView, len(b.Conflicts)+1)
	for k, c := range b.Conflicts {
		conflicts[k] = c
	}
	conflicts[t.ID] = &v
	b.Conflicts = conflicts
	return b
}

// PlanConflictSentence says who changed what meanwhile, and what the user wanted:
// "Ana Lima moved DEMO-12 to DEMO Sprint 4 just now. Move it to the backlog anyway?"
func PlanConflictSentence(p Page, v ConflictView) string {
	if v.Command != "plan" || len(v.Fields) == 0 {
		return ConflictSentence(p, v)
	}
	f := v.Fields[0]
	return fmt.Sprintf("%s moved %s to %s %s. Move it to %s anyway?", f.By, v.Task.Key, f.Theirs, RelTime(p.Now, f.At), f.Yours)
}

// planConflictApply labels the button that applies the user's plan after all.
func planConflictApply(v ConflictView) string {
	if v.Command == "plan" && len(v.Fields) > 0 {
		return "Move it to " + v.Fields[0].Yours + " anyway"
	}
	return conflictApply(v)
}

// planConflictKeep labels the button that keeps the task where it is.
func planConflictKeep(p Page, v ConflictView) string {
	if v.Command == "plan" && v.Keep != "" {
		return "Keep it in " + v.Keep
	}
	return conflictKeep(p, v)
}

// RowChange places one changed row on the backlog page.
type RowChange struct {
	TaskID   string
	Task     *store.Task // nil when the row left the page (archived, done, filtered out)
	List     PlanListView
	Index    int
	Of       int    // how many rows its list shows: Index+1 "of" Of
	InsertAt string // htmx out-of-band target: "afterend:#task-ID" or "afterbegin:#rows-LIST"
}

// NewBacklogChange is the backlog page as far as one changed task needs it: every
// list's heading (their sizes) and the task's row where it is now, without reading or
// holding any other row. sprints are all the project's sprints (with their sizes),
// backlog the backlog list's size, place the task's place (store.PlanPlace). The page
// is unfiltered: a filtered page needs its shown rows (NewBacklogView, NewRowChange).
func NewBacklogChange(sprints []*store.Sprint, backlog PlanListView, place *store.PlanPlace, members []store.Member, editable bool) (BacklogView, RowChange) {
	v := BacklogView{Members: members, Editable: editable, Sprints: map[string]*store.Sprint{}}
	for _, sp := range sprints {
		v.Sprints[sp.ID] = sp
		if sp.State != store.SprintCompleted {
			v.Lists = append(v.Lists, PlanListView{Sprint: sp, Count: sp.Tasks, Points: sp.Points})
		}
	}
	backlog.Sprint = nil
	v.Lists = append(v.Lists, backlog)
	u := RowChange{TaskID: place.Task.ID}
	if !place.Shown {
		return v, u
	}
	id := place.List
	if id == "" {
		id = BacklogListID
	}
	l, ok := v.List(id)
	if !ok {
		return v, u
	}
	u.Task, u.List, u.Index, u.Of = place.Task, l, place.Index, l.Count
	u.InsertAt = "afterbegin:#rows-" + l.ID()
	if place.After != "" {
		u.InsertAt = "afterend:#task-" + place.After
	}
	return v, u
}

// NewRowChange finds task id on page b and says where its row goes.
func NewRowChange(b BacklogView, id string) RowChange {
	u := RowChange{TaskID: id}
	for _, l := range b.Lists {
		for i, t := range l.Tasks {
			if t.ID != id {
				continue
			}
			u.Task, u.List, u.Index, u.Of = t, l, i, len(l.Tasks)
			if i == 0 {
				u.InsertAt = "afterbegin:#rows-" + l.ID()
			} else {
				u.InsertAt = "afterend:#task-" + l.Tasks[i-1].ID
			}
			return u
		}
	}
	return u
}

// PlanAnnouncement says where a task is now on the page: "Moved DEMO-12 to DEMO
// Sprint 4, position 3 of 9." A task the filter hides, or that left the page, has none.
func PlanAnnouncement(u RowChange, key string, changed bool) string {
	switch {
	case u.Task == nil:
		return fmt.Sprintf("Moved %s; the page's filter hides it now.", key)
	case !changed:
		return fmt.Sprintf("%s is already in %s, position %d of %d.", key, u.List.Name(), u.Index+1, u.Of)
	}
	return fmt.Sprintf("Moved %s to %s, position %d of %d.", key, u.List.Name(), u.Index+1, u.Of)
}

// BacklogURL is the backlog page with the given encoded filter query.
func BacklogURL(p *store.Project, filter string) string {
	return ProjectURL(p, "/backlog") + queryString(filter)
}

// BacklogMoveURL is a task's no-JavaScript planning page, keeping the page's filter.
func BacklogMoveURL(p *store.Project, t *store.Task, filter string) string {
	return ProjectURL(p, "/backlog/move/"+t.Key) + queryString(filter)
}

// selectValue is what a row's checkbox submits: the task and the version it was seen at.
func selectValue(t *store.Task) string { return t.ID + ":" + strconv.Itoa(t.Version) }

// emptyListText is what an empty list says.
func emptyListText(b BacklogView, l PlanListView) string {
	switch {
	case b.Filter.Active():
		return "No matching tasks — clear the filter to see all."
	case l.Sprint == nil && b.Editable:
		return "The backlog is empty — add a task above."
	case l.Sprint == nil:
		return "The backlog is empty."
	case b.Editable:
		return "Plan a sprint by dragging tasks here, or use Move."
	}
	return "No tasks in this sprint yet."
}

// PlanMenu is what a row's Move menu and the no-JavaScript planning page offer: plain
// forms posting to the backlog's plan endpoint.
type PlanMenu struct {
	Task   *store.Task // nil in the page's template, which the script fills per row
	Lists  []PlanMenuTarget
	Within string // the name of the task's list
	Index  int    // the task's index in its list
	Count  int    // tasks in its list
	Filter string // the page's filter, kept across the move
}

// PlanMenuTarget is one list a task can be moved to.
type PlanMenuTarget struct {
	To   string // "sprint:ID" or "backlog"
	Name string
}

// planTarget is the Move-menu value that moves a task to list l.
func planTarget(l PlanListView) string {
	if l.Sprint == nil {
		return BacklogListID
	}
	return "sprint:" + l.Sprint.ID
}

// NewPlanMenu is the Move menu of task t, which is at index of its list's count,
// offering every other list of b.
func NewPlanMenu(b BacklogView, t *store.Task, index, count int) PlanMenu {
	m := PlanMenu{Task: t, Index: index, Count: count, Filter: b.Filter.Query()}
	own := b.ListOf(t)
	for _, l := range b.Lists {
		if l.ID() == own {
			m.Within = l.Name()
			continue
		}
		m.Lists = append(m.Lists, PlanMenuTarget{To: planTarget(l), Name: l.Name()})
	}
	return m
}

// selectionTargets are the choices of the "move selected" bar.
func selectionTargets(b BacklogView) []PlanMenuTarget {
	out := make([]PlanMenuTarget, 0, len(b.Lists))
	for _, l := range b.Lists {
		out = append(out, PlanMenuTarget{To: planTarget(l), Name: l.Name()})
	}
	return out
}

// createLabel names a list's create button for screen readers: " task in DEMO Sprint 4".
func createLabel(l PlanListView) string { return " task in " + l.Name() }

// filterBar is the filter form on the backlog page.
func (b BacklogView) filterBar(p *store.Project) FilterBar {
	return FilterBar{Path: ProjectURL(p, "/backlog"), Target: "backlog", Label: "Filter the backlog", Placeholder: "Filter tasks…", Filter: b.Filter, Members: b.Members}
}

// createFieldAttrs marks a list's create field invalid and points at its message.
func createFieldAttrs(errs map[string]string, list string) templ.Attributes {
	if _, ok := errs["title"]; !ok {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": "err-title-" + list}
}

// planFormAttrs makes the Move menu's form post with htmx on the backlog page.
func planFormAttrs(p Page, htmx bool) templ.Attributes {
	if !htmx {
		return templ.Attributes{}
	}
	return templ.Attributes{"hx-post": ProjectURL(p.Project, "/backlog/plan"), "hx-swap": "none"}
}

// pageScript is the path of the page's own script.
func pageScript(p Page) string {
	if p.Script == "" {
		return "/static/js/board.js"
	}
	return "/static/js/" + p.Script
}
