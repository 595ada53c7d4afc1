package views

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
)

// BoardView is the board page's data.
type BoardView struct {
	Columns  []ColumnView
	Members  []store.Member
	Filter   BoardFilter
	Editable bool   // the viewer may move cards
	Moved    string // id of the card just moved without JavaScript: its Move button gets focus
	Announce string // text for the live region
	// Notice repeats, visibly, what a move or create without JavaScript did.
	Notice string
	// Conflicts are the viewer's pending conflicts by task id; each stands in place of its card.
	Conflicts map[string]*ConflictView
	// Create is the one-line create form's state.
	Create NewTaskForm
	// Sprints are the project's active sprints: the board's header names them.
	Sprints []*store.Sprint
}

func firstColumnName(b BoardView) string {
	if len(b.Columns) == 0 {
		return "the board"
	}
	return b.Columns[0].Column.Name
}

// Column returns the column with the given id.
func (b BoardView) Column(id string) (ColumnView, bool) {
	for _, c := range b.Columns {
		if c.Column.ID == id {
			return c, true
		}
	}
	return ColumnView{}, false
}

// BoardFilter narrows the cards shown on a board.
type BoardFilter struct {
	Assignee string // user id, "none" for unassigned, "" for anyone
	Type     string
	Label    string
	Text     string
	// AllTasks is the board's "All tasks" switch (?sprint=all): without it, a project
	// with active sprints shows only their tasks.
	AllTasks bool
	// Carried keeps only tasks carried over from a completed sprint (?carried=1).
	Carried bool
	// sprints are the ids of the sprints whose tasks the board shows, space-separated:
	// the project's active sprints, unless AllTasks. They are not in the URL: each
	// request reads them (see InSprints).
	sprints string
}

// ParseBoardFilter reads a filter from URL query values.
func ParseBoardFilter(q url.Values) BoardFilter {
	return BoardFilter{
		Assignee: strings.TrimSpace(q.Get("assignee")),
		Type:     strings.TrimSpace(q.Get("type")),
		Label:    strings.TrimSpace(q.Get("label")),
		Text:     strings.TrimSpace(q.Get("q")),
		AllTasks: q.Get("sprint") == "all",
		Carried:  q.Get("carried") == "1",
	}
}

// InSprints returns f showing only the tasks of the sprints with these ids (the
// project's active sprints), unless f shows all tasks; no ids shows every task.
func (f BoardFilter) InSprints(ids []string) BoardFilter {
	f.sprints = ""
	if !f.AllTasks {
		f.sprints = strings.Join(ids, " ")
	}
	return f
}

// SprintScoped reports whether the board shows only its active sprints' tasks.
func (f BoardFilter) SprintScoped() bool { return f.sprints != "" }

// Active reports whether the filter hides anything: the user's filter or the sprint view.
func (f BoardFilter) Active() bool { return f.Narrowed() || f.SprintScoped() }

// Narrowed reports whether the user's own filter (text, assignee, type, label, carried
// over) hides anything.
func (f BoardFilter) Narrowed() bool {
	return f.Assignee != "" || f.Type != "" || f.Label != "" || f.Text != "" || f.Carried
}

// Match reports whether task t passes the filter.
func (f BoardFilter) Match(t *store.Task) bool {
	switch {
	case f.sprints != "" && (t.SprintID == "" || !slices.Contains(strings.Fields(f.sprints), t.SprintID)):
		return false
	case f.Carried && t.CarriedFrom == "":
		return false
	case f.Assignee == "none" && t.AssigneeID != "":
		return false
	case f.Assignee != "" && f.Assignee != "none" && t.AssigneeID != f.Assignee:
		return false
	case f.Type != "" && string(t.Type) != f.Type:
		return false
	case f.Label != "" && !slices.ContainsFunc(t.Labels, func(l string) bool { return strings.EqualFold(l, f.Label) }):
		return false
	case f.Text != "":
		text := strings.ToLower(f.Text)
		return strings.Contains(strings.ToLower(t.Title), text) || strings.Contains(strings.ToLower(t.Key), text) ||
			strings.Contains(strings.ToLower(t.Description), text)
	}
	return true
}

// Query encodes the filter as URL query values ("" when it is the default view).
func (f BoardFilter) Query() string {
	q := url.Values{}
	for k, v := range map[string]string{"assignee": f.Assignee, "type": f.Type, "label": f.Label, "q": f.Text} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.AllTasks {
		q.Set("sprint", "all")
	}
	if f.Carried {
		q.Set("carried", "1")
	}
	return q.Encode()
}

// SwitchURL is the board's address showing all tasks (all) or the active sprints'
// tasks, keeping the rest of the filter.
func (f BoardFilter) SwitchURL(p *store.Project, all bool) string {
	f.AllTasks = all
	if q := f.Query(); q != "" {
		return ProjectURL(p, "/board") + "?" + q
	}
	return ProjectURL(p, "/board")
}

// QueryString is Query with a leading "?", or "" when the filter is inactive.
func (f BoardFilter) QueryString() string {
	if q := f.Query(); q != "" {
		return "?" + q
	}
	return ""
}

// NewBoardView groups tasks (in column and rank order) by column, keeping those that
// pass the filter.
func NewBoardView(p *store.Project, tasks []*store.Task, members []store.Member, f BoardFilter, editable bool) BoardView {
	shown := make([]*store.Task, 0, len(tasks))
	for _, t := range tasks {
		if f.Match(t) {
			shown = append(shown, t)
		}
	}
	return BoardView{Columns: NewColumnsView(p, shown), Members: members, Filter: f, Editable: editable}
}

// WithConflicts returns b showing the viewer's pending conflicts in place of their cards.
func (b BoardView) WithConflicts(p *store.Project, pcs []*store.PendingConflict) BoardView {
	if len(pcs) == 0 {
		return b
	}
	tasks := map[string]*store.Task{}
	for _, col := range b.Columns {
		for _, t := range col.Tasks {
			tasks[t.ID] = t
		}
	}
	b.Conflicts = map[string]*ConflictView{}
	for _, pc := range pcs {
		if t := tasks[pc.TaskID]; t != nil {
			v := NewConflictView(p, pc, t, b.Members)
			b.Conflicts[pc.TaskID] = &v
		}
	}
	return b
}

// ConflictSentence says who changed what meanwhile, and what the user wanted:
// "Ana Lima moved DEMO-12 to Done 4 seconds ago. Move it to In Progress anyway?"
func ConflictSentence(p Page, v ConflictView) string {
	if len(v.Fields) == 0 {
		return v.Task.Key + " changed meanwhile."
	}
	f := v.Fields[0]
	if v.Command == "move" {
		return fmt.Sprintf("%s moved %s to %s %s. Move it to %s anyway?", f.By, v.Task.Key, f.Theirs, RelTime(p.Now, f.At), f.Yours)
	}
	return fmt.Sprintf("%s set %s of %s to %q %s. You wanted %q.", f.By, strings.ToLower(f.Label), v.Task.Key, f.Theirs, RelTime(p.Now, f.At), f.Yours)
}

// oobAttrs marks an element for an out-of-band swap.
func oobAttrs(oob bool) templ.Attributes {
	if !oob {
		return templ.Attributes{}
	}
	return templ.Attributes{"hx-swap-oob": "outerHTML"}
}

// CardChange places one changed card on a board.
type CardChange struct {
	TaskID   string
	Task     *store.Task // nil when the card left the board (archived)
	Column   ColumnView
	Index    int
	InsertAt string // htmx out-of-band target: "afterend:#task-ID" or "afterbegin:#cards-COL"
}

// NewCardChange finds task id on board b and says where its card goes.
func NewCardChange(b BoardView, id string) CardChange {
	u := CardChange{TaskID: id}
	for _, col := range b.Columns {
		for i, t := range col.Tasks {
			if t.ID != id {
				continue
			}
			u.Task, u.Column, u.Index = t, col, i
			if i == 0 {
				u.InsertAt = "afterbegin:#cards-" + col.Column.ID
			} else {
				u.InsertAt = "afterend:#task-" + col.Tasks[i-1].ID
			}
			return u
		}
	}
	return u
}

// NewCardBoard is a board drawn for one changed card, without the other cards: every
// column (the card's Move menu lists them) with its card count from counts (the
// headings show it; columns missing from counts show none and must not be rendered).
func NewCardBoard(p *store.Project, members []store.Member, f BoardFilter, editable bool, counts map[string]int) BoardView {
	cols := make([]ColumnView, len(p.Columns))
	for i, c := range p.Columns {
		cols[i] = ColumnView{Column: c, Count: counts[c.ID]}
	}
	return BoardView{Columns: cols, Members: members, Filter: f, Editable: editable}
}

// WithColumnTasks returns b with the cards of column id: those of tasks (the column's
// cards in board order) that pass b's filter.
func (b BoardView) WithColumnTasks(id string, tasks []*store.Task) BoardView {
	b.Columns = slices.Clone(b.Columns)
	for i, c := range b.Columns {
		if c.Column.ID != id {
			continue
		}
		shown := make([]*store.Task, 0, len(tasks))
		for _, t := range tasks {
			if b.Filter.Match(t) {
				shown = append(shown, t)
			}
		}
		b.Columns[i].Tasks, b.Columns[i].Count = shown, len(shown)
	}
	return b
}

// WithCardConflicts returns b showing the viewer's pending conflicts on task t (as it is
// now) in place of its card; b need not hold t's column's cards.
func (b BoardView) WithCardConflicts(p *store.Project, pcs []*store.PendingConflict, t *store.Task) BoardView {
	for _, pc := range pcs {
		if pc.TaskID != t.ID {
			continue
		}
		if b.Conflicts == nil {
			b.Conflicts = map[string]*ConflictView{}
		}
		v := NewConflictView(p, pc, t, b.Members)
		b.Conflicts[t.ID] = &v
	}
	return b
}

// PlacedCard says where task t's card goes on b, given the card just before it in its
// column ("" when first) and its 0-based position: the card's place read from the store
// rather than found among the board's cards. An archived task has no card.
func PlacedCard(b BoardView, t *store.Task, after string, index int) CardChange {
	u := CardChange{TaskID: t.ID}
	col, ok := b.Column(t.ColumnID)
	if !ok || t.Archived {
		return u
	}
	u.Task, u.Column, u.Index = t, col, index
	u.InsertAt = "afterbegin:#cards-" + col.Column.ID
	if after != "" {
		u.InsertAt = "afterend:#task-" + after
	}
	return u
}

// Headings returns the columns of b with the given ids, in board order.
func (b BoardView) Headings(ids ...string) []ColumnView {
	var out []ColumnView
	for _, c := range b.Columns {
		if slices.Contains(ids, c.Column.ID) {
			out = append(out, c)
		}
	}
	return out
}

// lastEntries returns the newest n history entries, newest first.
func lastEntries(h []store.HistoryEntry, n int) []store.HistoryEntry {
	out := make([]store.HistoryEntry, 0, n)
	for i := len(h) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, h[i])
	}
	return out
}

// priorityGlyph is the arrow that stands for a priority on cards: two up for Highest,
// one up for High, "=" for Medium, one down for Low, two down for Lowest.
func priorityGlyph(p store.Priority) string {
	switch p {
	case store.PriorityHighest:
		return "⇈"
	case store.PriorityHigh:
		return "↑"
	case store.PriorityLow:
		return "↓"
	case store.PriorityLowest:
		return "⇊"
	}
	return "="
}

// panelEditable reports whether the card panel shows the edit form.
func panelEditable(p Page, v TaskView) bool {
	return p.Role.CanEdit() && !v.Task.Archived
}

// AsOfView is what the board as it was says about its moment.
type AsOfView struct {
	When       string // the moment shown, in the viewer's zone: "Fri 20 Nov 2026 14:00"
	ChangeWhen string // the instant of the last change shown, in the viewer's zone
	Seq        int64  // the position of the log shown
	Since      int    // the project's changes after it
	Prev, Next int64  // positions one change earlier and later (0: none)
}

// AsOfTime is how the board as it was writes a moment.
const AsOfTime = "Mon 2 Jan 2006 15:04"

// SinceText says how many changes came since: "37 changes since", "no change since".
func (a AsOfView) SinceText() string {
	switch a.Since {
	case 0:
		return "no change since"
	case 1:
		return "1 change since"
	}
	return fmt.Sprintf("%d changes since", a.Since)
}

// PositionText says which change of the log the board shows last, and when it was made
// when that is not the moment asked for.
func (a AsOfView) PositionText() string {
	if a.ChangeWhen == a.When {
		return fmt.Sprintf("The board after change %d of the log.", a.Seq)
	}
	return fmt.Sprintf("The board after change %d of the log, made %s.", a.Seq, a.ChangeWhen)
}
