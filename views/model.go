// Package views renders Tack's pages and fragments with templ. It uses the store's plain
// domain types and never its database code.
package views

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
)

// Page is what every page's layout needs.
type Page struct {
	Title   string
	Now     time.Time
	Path    string
	User    *store.User
	CSRF    string
	Project *store.Project
	Role    store.Role
	Flash   string
	// Live loads htmx, its SSE extension, SortableJS and the page's script.
	Live bool
	// Script is the page's own script under /static/js ("" means board.js).
	Script string
	// AsOf is the position of the log a page as it was shows (0: live); its links to
	// tasks lead to them as they were then.
	AsOf int64
}

// TaskHref is the link to task t from this page: its page as it was on a page as it
// was, its live page otherwise.
func (p Page) TaskHref(t *store.Task) string {
	if p.AsOf > 0 {
		return TaskAtURL(p.Project, t.Key, p.AsOf)
	}
	return TaskURL(p.Project, t)
}

// htmxConfig keeps htmx within a strict CSP and lets 409 (conflict) and 422 (invalid
// input) answers swap their fragments; other errors do not swap.
const htmxConfig = `{"allowEval":false,"includeIndicatorStyles":false,"historyCacheSize":0,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},` +
	`{"code":"409","swap":true,"error":false},{"code":"422","swap":true,"error":false},` +
	`{"code":"[45]..","swap":false,"error":true},{"code":"...","swap":false}]}`

// SignInForm is the sign-in form's state.
type SignInForm struct {
	Email string
	Next  string
	Error string
	// SignUpClosed hides the link to public sign-up.
	SignUpClosed bool
}

// SignUpForm is the sign-up form's state.
type SignUpForm struct {
	Email  string
	Name   string
	Errors map[string]string
}

// NewProjectForm is the create-project form's state.
type NewProjectForm struct {
	Key  string
	Name string
	// KeySuggested is the key the page's script last put in the key field.
	KeySuggested string
	Columns      string
	Errors       map[string]string
}

// NewTaskForm is the one-line create-task form's state.
type NewTaskForm struct {
	Title  string
	Type   string
	Errors map[string]string
}

// AddMemberForm is the add-member form's state.
type AddMemberForm struct {
	Email  string
	Role   string
	Errors map[string]string
}

// ColumnView is one workflow column with its tasks.
type ColumnView struct {
	Column store.Column
	Tasks  []*store.Task
	// Count is how many cards the column holds when Tasks are not all read: a board
	// drawn for one changed card carries its columns' counts, not their cards.
	Count int
}

// Len returns how many cards the column holds.
func (c ColumnView) Len() int { return max(c.Count, len(c.Tasks)) }

// OverLimit reports whether the column holds more tasks than its WIP limit.
func (c ColumnView) OverLimit() bool {
	return c.Column.WIPLimit > 0 && c.Len() > c.Column.WIPLimit
}

// NewColumnsView groups tasks (already in column and rank order) by column.
func NewColumnsView(p *store.Project, tasks []*store.Task) []ColumnView {
	out := make([]ColumnView, len(p.Columns))
	index := map[string]int{}
	for i, c := range p.Columns {
		out[i].Column = c
		index[c.ID] = i
	}
	for _, t := range tasks {
		if i, ok := index[t.ColumnID]; ok {
			out[i].Tasks = append(out[i].Tasks, t)
		}
	}
	return out
}

// TaskView is the task page's data.
type TaskView struct {
	Task    *store.Task
	Members []store.Member
	History []store.HistoryEntry
	Form    TaskForm
	// Conflict is the viewer's pending conflict on the task, shown above everything.
	Conflict *ConflictView
	// Sprints are the project's sprints: the task's sprint, the one it was carried over
	// from, and the choices of its sprint field.
	Sprints []*store.Sprint
	// Time is the task's time tracking section; nil leaves it out.
	Time *TimeView
}

// TaskForm is the task edit form's state, as strings.
type TaskForm struct {
	Title, Description, Type, Priority, Assignee, Labels, Points, Due string
	// Sprint is the task's sprint id, "" for the backlog.
	Sprint string
	// Estimate and Remaining are the original and remaining estimates (time tracking).
	Estimate, Remaining DurationField
	// BaseVersion is the version the values were read at; a form shown again after an
	// error keeps the version the user started from, so the merge rule still protects
	// changes others made meanwhile.
	BaseVersion int
	Errors      map[string]string
}

// TaskFormFrom fills the edit form with the task's current values.
func TaskFormFrom(t *store.Task) TaskForm {
	pts := ""
	if t.Points != nil {
		pts = store.FormatPoints(t.Points)
	}
	return TaskForm{
		Title: t.Title, Description: t.Description, Type: string(t.Type), Priority: string(t.Priority),
		Assignee: t.AssigneeID, Labels: strings.Join(t.Labels, ", "), Points: pts, Due: t.Due,
		Sprint: t.SprintID, BaseVersion: t.Version,
		Estimate: DurationField{Seconds: t.Estimate}, Remaining: DurationField{Seconds: t.Remaining},
	}
}

// Fill overwrites the form with the submitted values, empty ones included, so nothing
// typed (or cleared) is lost on an error.
func (f *TaskForm) Fill(submitted url.Values) {
	for name, dst := range map[string]*string{
		"title": &f.Title, "description": &f.Description, "type": &f.Type, "priority": &f.Priority,
		"assignee": &f.Assignee, "labels": &f.Labels, "points": &f.Points, "due": &f.Due, "sprint": &f.Sprint,
	} {
		if vs, ok := submitted[name]; ok && len(vs) > 0 {
			*dst = vs[0]
		}
	}
	for name, dst := range map[string]*DurationField{"estimate": &f.Estimate, "remaining": &f.Remaining} {
		if vs, ok := submitted[name]; ok && len(vs) > 0 {
			*dst = DurationField{Text: vs[0], Typed: true}
		}
	}
	if v, err := strconv.Atoi(submitted.Get("base_version")); err == nil && v > 0 {
		f.BaseVersion = v
	}
}

// Hidden is a hidden form input.
type Hidden struct {
	Name  string
	Value string
}

// ConflictView is a conflict pending for the viewer: who changed what meanwhile, what
// the viewer wanted, and the two answers.
type ConflictView struct {
	Seq     int64
	Task    *store.Task // the task as it is now
	Command string
	Fields  []ConflictField
	// Keep names where the task stays with "keep theirs": "Done" for a move.
	Keep string
}

// ConflictField is one field both sides changed.
type ConflictField struct {
	Label  string
	Yours  string
	Theirs string
	By     string
	At     time.Time
}

// NewConflictView prepares a pending conflict on task current for display.
func NewConflictView(p *store.Project, pc *store.PendingConflict, current *store.Task, members []store.Member) ConflictView {
	name := memberNames(members)
	v := ConflictView{Seq: pc.Seq, Task: current, Command: pc.Command}
	for _, f := range pc.Fields {
		v.Fields = append(v.Fields, ConflictField{
			Label: store.FieldLabel(f.Field), Yours: store.FormatValue(p, f.Field, f.Yours, name),
			Theirs: store.FormatValue(p, f.Field, f.Theirs, name), By: name(f.ChangedBy).Name, At: f.ChangedAt,
		})
	}
	if pc.Command == "move" {
		v.Keep = p.ColumnName(current.ColumnID)
	}
	return v
}

// AnswerURL is where the conflict's answer is posted.
func (v ConflictView) AnswerURL(p *store.Project) string {
	return TaskURL(p, v.Task) + "/conflicts/" + fmt.Sprint(v.Seq)
}

// Keep overlays the values a pending edit conflict wanted on the form, so that what the
// user typed is still there while they decide.
func (f *TaskForm) Keep(pc *store.PendingConflict) {
	for field, dst := range map[store.Field]*string{
		store.FieldTitle: &f.Title, store.FieldDescription: &f.Description, store.FieldType: &f.Type,
		store.FieldPriority: &f.Priority, store.FieldAssignee: &f.Assignee, store.FieldLabels: &f.Labels,
		store.FieldPoints: &f.Points, store.FieldDue: &f.Due, store.FieldSprint: &f.Sprint,
	} {
		if v, ok := pc.Wants(field); ok {
			*dst = formValue(v)
		}
	}
	for field, dst := range map[store.Field]*DurationField{store.FieldEstimate: &f.Estimate, store.FieldRemaining: &f.Remaining} {
		if v, ok := pc.Wants(field); ok {
			*dst = DurationField{Seconds: seconds(v)}
		}
	}
}

// formValue writes a field value the way the task form submits it.
func formValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []string:
		return strings.Join(x, ", ")
	case []any: // labels decoded from a stored event
		parts := make([]string, len(x))
		for i, l := range x {
			parts[i] = fmt.Sprint(l)
		}
		return strings.Join(parts, ", ")
	case float64: // points decoded from a stored event
		return store.FormatPoints(&x)
	case *float64:
		if x == nil {
			return ""
		}
		return store.FormatPoints(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

func memberNames(members []store.Member) func(string) store.User {
	byID := map[string]store.User{}
	for _, m := range members {
		byID[m.User.ID] = m.User
	}
	return func(id string) store.User {
		if id == "" {
			return store.User{Name: "nobody"}
		}
		if u, ok := byID[id]; ok {
			return u
		}
		return store.User{ID: id, Name: "a former member"}
	}
}

// MemberName returns the display name of a member id, "Unassigned" for "".
func MemberName(members []store.Member, id string) string {
	if id == "" {
		return "Unassigned"
	}
	return memberNames(members)(id).Name
}

// Initials returns up to two initials of a name, for avatars.
func Initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// AvatarHue picks a stable colour for a person from their id.
func AvatarHue(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return fmt.Sprintf("avatar-%d", h.Sum32()%12)
}

// RelTime says how long ago t was, relative to now: "2 minutes ago".
func RelTime(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, unit)
	}
	switch {
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		return plural(int(d.Seconds()), "second")
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute")
	case d < 24*time.Hour:
		return plural(int(d.Hours()), "hour")
	case d < 30*24*time.Hour:
		return plural(int(d.Hours()/24), "day")
	}
	return t.Format("2 Jan 2006")
}

// ISO formats t for a title or datetime attribute.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Title capitalises a lower-case enum value for display: "in progress" → "In progress".
func Title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ProjectURL returns the path of a project page; suffix may be "" or like "/activity".
func ProjectURL(p *store.Project, suffix string) string { return "/projects/" + p.Key + suffix }

// TaskURL returns the path of a task's page.
func TaskURL(p *store.Project, t *store.Task) string { return "/projects/" + p.Key + "/tasks/" + t.Key }

// TaskKeyURL returns the path of a task's page from its key.
func TaskKeyURL(p *store.Project, key string) string { return "/projects/" + p.Key + "/tasks/" + key }

func httpStatusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

// fieldAttrs marks an input invalid and points at its message when it has an error.
func fieldAttrs(errs map[string]string, field string) templ.Attributes {
	if _, ok := errs[field]; !ok {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": "err-" + field}
}

func conflictVerb(command string) string {
	if command == "move" {
		return "moving"
	}
	return "editing"
}

// conflictApply labels the button that applies the user's change after all.
func conflictApply(v ConflictView) string {
	if v.Command == "move" && len(v.Fields) > 0 {
		return "Move it to " + v.Fields[0].Yours + " anyway"
	}
	return "Apply my change anyway"
}

// conflictKeep labels the button that keeps the current state.
func conflictKeep(p Page, v ConflictView) string {
	if v.Command == "move" && v.Keep != "" {
		return "Keep it in " + v.Keep
	}
	return "Keep their version"
}

// WorkflowForm is the workflow editor's state: one row per column plus blank rows for
// new ones.
type WorkflowForm struct {
	Rows   []WorkflowRow
	Errors map[string]string
	// Version is the project version the rows were loaded at; the store merges against it.
	Version int
	// Conflict, when set, explains why the rows were not saved.
	Conflict *WorkflowConflictView
}

// WorkflowRow is one column in the workflow editor. Category is the status category
// the row's select shows: the one in effect for an existing column.
type WorkflowRow struct {
	ID, Name, WIP, Order string
	Category             store.Category
	Remove               bool
}

// NewWorkflowForm fills the editor with the project's columns and two blank rows.
func NewWorkflowForm(p *store.Project) WorkflowForm {
	f := WorkflowForm{Version: p.Version}
	for i, c := range p.Columns {
		f.Rows = append(f.Rows, WorkflowRow{ID: c.ID, Name: c.Name, WIP: fmt.Sprint(c.WIPLimit), Order: fmt.Sprint(i + 1),
			Category: p.Category(c.ID)})
	}
	for i := range 2 {
		f.Rows = append(f.Rows, WorkflowRow{Order: fmt.Sprint(len(p.Columns) + i + 1), WIP: "0", Category: store.CategoryInProgress})
	}
	return f
}

func rowLabel(r WorkflowRow, i int) string {
	if r.Name != "" {
		return r.Name
	}
	return fmt.Sprintf("new column %d", i+1)
}

func newColumnPlaceholder(r WorkflowRow) string {
	if r.ID == "" {
		return "New column"
	}
	return ""
}

// currentPage marks the link to the page being shown (aria-current="page").
func currentPage(current bool) templ.Attributes {
	if current {
		return templ.Attributes{"aria-current": "page"}
	}
	return templ.Attributes{}
}
