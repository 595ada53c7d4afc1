package views

import (
	"cmp"
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
)

// ListColumn is one column of the List table: the sort key its header links to, its
// heading, and the direction a first click sorts it by.
type ListColumn struct {
	Sort  string
	Label string
	Desc  bool
}

// ListColumns are the List table's columns, in order. Each sorts; a first click on
// Priority puts the most urgent first, on Updated the newest.
var ListColumns = []ListColumn{
	{Sort: "key", Label: "Key"},
	{Sort: "title", Label: "Title"},
	{Sort: "status", Label: "Status"},
	{Sort: "assignee", Label: "Assignee"},
	{Sort: "priority", Label: "Priority", Desc: true},
	{Sort: "points", Label: "Points"},
	{Sort: "updated", Label: "Updated", Desc: true},
}

// TaskSort is the List table's order: a column's sort key and a direction.
type TaskSort struct {
	By   string
	Desc bool
}

// DefaultTaskSort is the board's order: by status (workflow column), then rank.
var DefaultTaskSort = TaskSort{By: "status"}

// ParseTaskSort reads ?sort=COLUMN&dir=asc|desc. An unknown column gives the default
// order; an unknown direction gives the column's first-click direction.
func ParseTaskSort(q url.Values) TaskSort {
	i := slices.IndexFunc(ListColumns, func(c ListColumn) bool { return c.Sort == q.Get("sort") })
	if i < 0 {
		return DefaultTaskSort
	}
	s := TaskSort{By: ListColumns[i].Sort, Desc: ListColumns[i].Desc}
	switch q.Get("dir") {
	case "asc":
		s.Desc = false
	case "desc":
		s.Desc = true
	}
	return s
}

// Dir is the direction as written in URLs: "asc" or "desc".
func (s TaskSort) Dir() string {
	if s.Desc {
		return "desc"
	}
	return "asc"
}

// query returns the sort as URL query values; none for the default order.
func (s TaskSort) query() url.Values {
	q := url.Values{}
	if s != DefaultTaskSort {
		q.Set("sort", s.By)
		q.Set("dir", s.Dir())
	}
	return q
}

// ListView is the List page's data: the project's tasks that pass the filter, as a
// sortable table.
type ListView struct {
	Project *store.Project
	Tasks   []*store.Task // in Sort order
	Total   int           // tasks before filtering
	Members []store.Member
	Filter  BoardFilter
	Sort    TaskSort
	// Create is the one-line create form's state.
	Create NewTaskForm
}

// NewListView keeps the tasks (in column and rank order) that pass the filter and
// sorts them. Ties keep the board's order; tasks without an assignee or points come
// last in either direction.
func NewListView(p *store.Project, tasks []*store.Task, members []store.Member, f BoardFilter, s TaskSort) ListView {
	v := ListView{Project: p, Total: len(tasks), Members: members, Filter: f, Sort: s}
	for _, t := range tasks {
		if f.Match(t) {
			v.Tasks = append(v.Tasks, t)
		}
	}
	status := map[string]int{}
	for i, c := range p.Columns {
		status[c.ID] = i
	}
	// order compares two tasks by the sorted column; missing reports a task without a value.
	var order func(a, b *store.Task) int
	var missing func(t *store.Task) bool
	switch s.By {
	case "key":
		order = func(a, b *store.Task) int { return cmp.Compare(a.Number, b.Number) }
	case "title":
		order = func(a, b *store.Task) int { return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)) }
	case "assignee":
		name := func(t *store.Task) string { return strings.ToLower(MemberName(members, t.AssigneeID)) }
		order = func(a, b *store.Task) int { return strings.Compare(name(a), name(b)) }
		missing = func(t *store.Task) bool { return t.AssigneeID == "" }
	case "priority":
		// By urgency, not by name: descending is Highest first, as in Jira.
		order = func(a, b *store.Task) int { return cmp.Compare(b.Priority.Rank(), a.Priority.Rank()) }
	case "points":
		order = func(a, b *store.Task) int { return cmp.Compare(*a.Points, *b.Points) }
		missing = func(t *store.Task) bool { return t.Points == nil }
	case "updated":
		order = func(a, b *store.Task) int { return a.UpdatedAt.Compare(b.UpdatedAt) }
	default:
		order = func(a, b *store.Task) int { return cmp.Compare(status[a.ColumnID], status[b.ColumnID]) }
	}
	slices.SortStableFunc(v.Tasks, func(a, b *store.Task) int {
		if missing != nil {
			if ma, mb := missing(a), missing(b); ma || mb {
				if ma && mb {
					return 0
				}
				if ma {
					return 1
				}
				return -1
			}
		}
		if s.Desc {
			return order(b, a)
		}
		return order(a, b)
	})
	return v
}

// SortURL is where a column's header links: sorted by that column, in the other
// direction when it is the sorted one already, keeping the filter.
func (v ListView) SortURL(col ListColumn) string {
	s := TaskSort{By: col.Sort, Desc: col.Desc}
	if v.Sort.By == col.Sort {
		s.Desc = !v.Sort.Desc
	}
	q, _ := url.ParseQuery(v.Filter.Query())
	q.Set("sort", s.By)
	q.Set("dir", s.Dir())
	return ProjectURL(v.Project, "") + "?" + q.Encode()
}

// sortAttrs gives the sorted column's header its aria-sort; the others have none.
func (v ListView) sortAttrs(col ListColumn) templ.Attributes {
	if v.Sort.By != col.Sort {
		return templ.Attributes{}
	}
	if v.Sort.Desc {
		return templ.Attributes{"aria-sort": "descending"}
	}
	return templ.Attributes{"aria-sort": "ascending"}
}

// SortDescription says how the table is sorted, for its caption.
func (v ListView) SortDescription() string {
	for _, c := range ListColumns {
		if c.Sort == v.Sort.By {
			if v.Sort.Desc {
				return "sorted by " + strings.ToLower(c.Label) + ", descending"
			}
			return "sorted by " + strings.ToLower(c.Label) + ", ascending"
		}
	}
	return ""
}

// filterBar is the board's filter form, narrowing the List and keeping its order.
func (v ListView) filterBar() FilterBar {
	bar := FilterBar{Path: ProjectURL(v.Project, ""), Target: "task-table", Label: "Filter the list", Placeholder: "Filter tasks…", Filter: v.Filter, Members: v.Members}
	q := v.Sort.query()
	for _, name := range []string{"sort", "dir"} {
		if q.Has(name) {
			bar.Keep = append(bar.Keep, Hidden{Name: name, Value: q.Get(name)})
		}
	}
	return bar
}

// FilterBar is the filter form the board and the List share: the page it narrows, the
// element htmx replaces with the same element of the answer, its accessible name, the
// choices it offers and other query values it keeps (the List's order).
type FilterBar struct {
	Path        string
	Target      string // an element id
	Label       string
	Placeholder string // of the text field
	Filter      BoardFilter
	Members     []store.Member
	Keep        []Hidden
	// SelectOOB names other elements (a CSS selector) htmx takes from the answer too:
	// the board's Sprint / All tasks switch, whose links keep the filter.
	SelectOOB string
}

// filterBar is the filter form on the board.
func (b BoardView) filterBar(p *store.Project) FilterBar {
	bar := FilterBar{Path: ProjectURL(p, "/board"), Target: "board", Label: "Filter the board", Placeholder: "Filter cards…", Filter: b.Filter, Members: b.Members}
	if b.Filter.AllTasks {
		bar.Keep = []Hidden{{Name: "sprint", Value: "all"}}
	}
	if len(b.Sprints) > 0 {
		bar.SelectOOB = "#sprint-switch"
	}
	return bar
}

// ClearURL is the page without the filter, keeping the other query values.
func (f FilterBar) ClearURL() string {
	q := url.Values{}
	for _, h := range f.Keep {
		q.Add(h.Name, h.Value)
	}
	if len(q) == 0 {
		return f.Path
	}
	return f.Path + "?" + q.Encode()
}
