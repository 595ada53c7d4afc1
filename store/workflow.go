package store

// This file holds the concurrency rule for a project's workflow, the same rule tasks
// follow (rules.go): the workflow form carries the project version its user saw (the
// base); what others changed since then is kept; what the user left as they saw it is
// not a change; the same attribute of the same column changed by both is a conflict, and
// a conflict refuses the whole command.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WorkflowAttr names what a workflow conflict is about.
type WorkflowAttr string

// Workflow attributes that two admins can both change.
const (
	WorkflowName     WorkflowAttr = "name"      // a column's name
	WorkflowWIP      WorkflowAttr = "wip_limit" // a column's WIP limit
	WorkflowCategory WorkflowAttr = "category"  // a column's status category
	WorkflowOrder    WorkflowAttr = "order"     // the order of the columns both kept
)

// WorkflowConflict is one attribute changed both by the user and, since the version the
// user saw, by someone else. Yours and Theirs are the values: a name, a WIP limit ("0"
// for none), a category ("todo", "in_progress", "done") or, for the order, the column
// names in order.
type WorkflowConflict struct {
	ColumnID string       `json:"column_id,omitempty"` // "" for the order
	Column   string       `json:"column,omitempty"`    // the column's name as the user saw it
	Attr     WorkflowAttr `json:"attr"`
	Yours    string       `json:"yours"`
	Theirs   string       `json:"theirs"`
	// YouRemoved: the user removed a column someone else changed meanwhile.
	YouRemoved bool `json:"you_removed,omitempty"`
	// TheyRemoved: someone else removed a column the user changed.
	TheyRemoved bool      `json:"they_removed,omitempty"`
	ChangedBy   string    `json:"changed_by"`
	ChangedAt   time.Time `json:"changed_at"`
	Seq         int64     `json:"seq"`
}

// WorkflowConflictError refuses a workflow change because it changes what someone else
// changed after the version the user saw. Nothing was applied; the attempt is recorded.
type WorkflowConflictError struct {
	ProjectID      string
	BaseVersion    int
	CurrentVersion int
	Conflicts      []WorkflowConflict
	// Current is the workflow as it is now ("keep theirs").
	Current []Column
	// Mine is the current workflow with every change of the user applied, the user's
	// value winning each conflict: what "apply mine anyway" submits with CurrentVersion.
	// Columns without an id are new.
	Mine []Column
}

func (e *WorkflowConflictError) Error() string {
	return fmt.Sprintf("The workflow was changed by someone else since version %d (now version %d); %d of your changes conflict. Nothing was saved.",
		e.BaseVersion, e.CurrentVersion, len(e.Conflicts))
}

// Unwrap lets ErrorCode and ErrorMessage see the conflict as an ECONFLICT error.
func (e *WorkflowConflictError) Unwrap() error { return &Error{Code: ECONFLICT, Message: e.Error()} }

// judgeWorkflow merges the user's workflow (mine, edited from base) with the current one
// (base plus what others changed since). Columns are identified by id; columns in mine
// without an id are new. The rule, per column and attribute:
//
//   - a name, WIP limit or category the user left as in base takes the current value;
//     one the user changed takes theirs unless others changed it too to something
//     else: a conflict;
//   - a column the user removed goes, unless others renamed it or changed its limit or
//     category meanwhile: a conflict (removing it would silently drop their change);
//   - a column others removed stays removed, unless the user changed it: a conflict;
//   - columns others added are kept, placed after the column before them in their order;
//     columns the user added are placed after the column before them in the user's order;
//   - the order of the columns kept by both is the user's if only the user reordered,
//     theirs if only they did; both reordering differently is a conflict.
//
// Categories are compared as they take effect: a column without one has the default of
// its place in its own list (Project.Category), and a column of mine without one keeps
// the category it had in base. Every column of merged has its category set, so that
// reordering later never changes a category silently: the one it had (or the user
// gave it), and for the user's new columns without one the default of their place.
//
// merged resolves every conflict in the user's favour: the caller refuses the command
// when conflicts is not empty, and offers merged as "apply mine anyway".
// ChangedBy, ChangedAt and Seq of the conflicts are left to the caller, which knows the events.
func judgeWorkflow(base, current, mine []Column) (merged []Column, conflicts []WorkflowConflict) {
	inBase, inCurrent := byID(base), byID(current)
	inMine := byID(mine)
	catB, catC := categories(base), categories(current)
	catM := func(m Column) Category {
		if m.Category != "" {
			return m.Category
		}
		return catB[m.ID]
	}

	// Columns present in all three: merge attribute by attribute.
	final := map[string]Column{}
	for _, b := range base {
		c, okC := inCurrent[b.ID]
		m, okM := inMine[b.ID]
		switch {
		case okC && okM:
			name, wip := c.Name, c.WIPLimit
			if m.Name != b.Name && m.Name != c.Name {
				if c.Name != b.Name {
					conflicts = append(conflicts, WorkflowConflict{ColumnID: b.ID, Column: b.Name, Attr: WorkflowName, Yours: m.Name, Theirs: c.Name})
				}
				name = m.Name
			}
			if m.WIPLimit != b.WIPLimit && m.WIPLimit != c.WIPLimit {
				if c.WIPLimit != b.WIPLimit {
					conflicts = append(conflicts, WorkflowConflict{ColumnID: b.ID, Column: b.Name, Attr: WorkflowWIP,
						Yours: strconv.Itoa(m.WIPLimit), Theirs: strconv.Itoa(c.WIPLimit)})
				}
				wip = m.WIPLimit
			}
			cat := catC[b.ID]
			if mc := catM(m); mc != catB[b.ID] && mc != catC[b.ID] {
				if catC[b.ID] != catB[b.ID] {
					conflicts = append(conflicts, WorkflowConflict{ColumnID: b.ID, Column: b.Name, Attr: WorkflowCategory,
						Yours: string(mc), Theirs: string(catC[b.ID])})
				}
				cat = mc
			}
			final[b.ID] = Column{ID: b.ID, Name: name, WIPLimit: wip, Category: cat}
		case okC && !okM: // the user removed it
			if c.Name != b.Name {
				conflicts = append(conflicts, WorkflowConflict{ColumnID: b.ID, Column: b.Name, Attr: WorkflowName, Yours: b.Name, Theirs: c.Name, YouRemoved: true})
			}
			if c.WIPLimit != b.WIPLimit {
				conflicts = append(conflicts, WorkflowConflict{ColumnID: b.ID, Column: b.Name, Attr: WorkflowWIP,
					Yours: strconv.Itoa(b.WIPLimit), Theirs: strconv.Itoa(c.WIPLimit), YouRemoved: true})
			}
			if catC[b.ID] != catB[b.ID] {
				conflicts = append(conflicts, WorkflowConflict{ColumnID: b.ID, Column: b.Name, Attr: WorkflowCategory,
					Yours: string(catB[b.ID]), Theirs: string(catC[b.ID]), YouRemoved: true})
			}
		case !okC && okM: // others removed it
			if m.Name != b.Name {
				conflicts = append(conflicts, WorkflowConflict{ColumnID: b.ID, Column: b.Name, Attr: WorkflowName, Yours: m.Name, Theirs: b.Name, TheyRemoved: true})
			}
			if m.WIPLimit != b.WIPLimit {
				conflicts = append(conflicts, WorkflowConflict{ColumnID: b.ID, Column: b.Name, Attr: WorkflowWIP,
					Yours: strconv.Itoa(m.WIPLimit), Theirs: strconv.Itoa(b.WIPLimit), TheyRemoved: true})
			}
			if mc := catM(m); mc != catB[b.ID] {
				conflicts = append(conflicts, WorkflowConflict{ColumnID: b.ID, Column: b.Name, Attr: WorkflowCategory,
					Yours: string(mc), Theirs: string(catB[b.ID]), TheyRemoved: true})
			}
		}
	}
	// A column others removed but the user changed comes back, as a new column, only if
	// the user insists; it is then placed like the user's own new columns.
	revived := map[string]bool{}
	for _, cf := range conflicts {
		if cf.TheyRemoved {
			revived[cf.ColumnID] = true
		}
	}

	// The order of the columns all three share.
	shared := func(cols []Column) []string {
		var ids []string
		for _, c := range cols {
			if _, ok := final[c.ID]; ok {
				ids = append(ids, c.ID)
			}
		}
		return ids
	}
	orderB, orderC, orderM := shared(base), shared(current), shared(mine)
	order := orderC
	if !slices.Equal(orderM, orderB) {
		if !slices.Equal(orderC, orderB) && !slices.Equal(orderC, orderM) {
			conflicts = append(conflicts, WorkflowConflict{Attr: WorkflowOrder,
				Yours: columnNames(orderM, final), Theirs: columnNames(orderC, final)})
		}
		order = orderM
	}
	for _, id := range order {
		merged = append(merged, final[id])
	}

	// Others' new columns, then the user's, each after the column before it in its list.
	for i, c := range current {
		if _, ok := inBase[c.ID]; !ok {
			c.Category = catC[c.ID]
			merged = insertAfter(merged, predecessor(current, i, merged), c)
		}
	}
	for i, m := range mine {
		if revived[m.ID] {
			m.Category = catM(m)
		}
		if m.ID == "" || revived[m.ID] {
			merged = insertAfter(merged, predecessor(mine, i, merged), m)
		}
	}
	// A revived column is new: its old id is not reused.
	for i := range merged {
		if revived[merged[i].ID] {
			merged[i].ID = ""
		}
	}
	return withCategories(merged), conflicts
}

// categories maps each column's id to the category it takes effect with in cols.
func categories(cols []Column) map[string]Category {
	m := make(map[string]Category, len(cols))
	for _, c := range withCategories(cols) {
		m[c.ID] = c.Category
	}
	return m
}

// withCategories returns cols with each column's category set: its own, or the default
// of its place.
func withCategories(cols []Column) []Column {
	out := slices.Clone(cols)
	for i := range out {
		if out[i].Category == "" {
			out[i].Category = DefaultCategory(i, len(out))
		}
	}
	return out
}

// CategoryName is how people read a category: "To do", "In progress", "Done".
func CategoryName(c Category) string {
	switch c {
	case CategoryToDo:
		return "To do"
	case CategoryInProgress:
		return "In progress"
	case CategoryDone:
		return "Done"
	}
	return "Default"
}

func byID(cols []Column) map[string]Column {
	m := make(map[string]Column, len(cols))
	for _, c := range cols {
		if c.ID != "" {
			m[c.ID] = c
		}
	}
	return m
}

// predecessor returns the index in merged of the nearest column before list[i] that
// merged holds, or -1 when there is none. New columns (no id) are matched by name.
func predecessor(list []Column, i int, merged []Column) int {
	for j := i - 1; j >= 0; j-- {
		for k, c := range merged {
			if (list[j].ID != "" && c.ID == list[j].ID) || (c.ID == "" && list[j].ID == "" && c.Name == list[j].Name) {
				return k
			}
		}
	}
	return -1
}

func insertAfter(cols []Column, at int, c Column) []Column {
	return slices.Insert(cols, at+1, c)
}

func columnNames(ids []string, cols map[string]Column) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = cols[id].Name
	}
	return strings.Join(names, ", ")
}

// workflowAt folds a project's events up to version (all of them when version is 0)
// into its workflow, and returns the highest column number any version of it used.
func workflowAt(events []decodedEvent, version int) (cols []Column, maxNumber int) {
	for _, e := range events {
		var next []Column
		switch p := e.payload.(type) {
		case *ProjectCreated:
			next = p.Columns
		case *WorkflowChanged:
			next = p.To
		default:
			continue
		}
		for _, c := range next {
			if n, ok := columnNumber(c.ID); ok && n > maxNumber {
				maxNumber = n
			}
		}
		if version == 0 || e.Version <= version {
			cols = next
		}
	}
	return slices.Clone(cols), maxNumber
}

// columnNumber reads the number of a column id "cN".
func columnNumber(id string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "c"))
	return n, err == nil && strings.HasPrefix(id, "c")
}

// touchedBy reports whether a workflow change from → to changed what conflict cf is about.
func (cf WorkflowConflict) touchedBy(from, to []Column) bool {
	f, t := byID(from), byID(to)
	switch {
	case cf.Attr == WorkflowOrder:
		var a, b []string
		for _, c := range from {
			if _, ok := t[c.ID]; ok {
				a = append(a, c.ID)
			}
		}
		for _, c := range to {
			if _, ok := f[c.ID]; ok {
				b = append(b, c.ID)
			}
		}
		return !slices.Equal(a, b)
	case cf.TheyRemoved:
		_, was := f[cf.ColumnID]
		_, is := t[cf.ColumnID]
		return was && !is
	}
	a, okA := f[cf.ColumnID]
	b, okB := t[cf.ColumnID]
	if !okA || !okB {
		return okA != okB
	}
	switch cf.Attr {
	case WorkflowName:
		return a.Name != b.Name
	case WorkflowCategory:
		return categories(from)[cf.ColumnID] != categories(to)[cf.ColumnID]
	}
	return a.WIPLimit != b.WIPLimit
}

// attributeConflicts fills in who made the other change of each conflict and when: the
// latest workflow change since the base that touched it.
func attributeConflicts(conflicts []WorkflowConflict, since []decodedEvent) {
	for i := range conflicts {
		for j := len(since) - 1; j >= 0; j-- {
			wc, ok := since[j].payload.(*WorkflowChanged)
			if ok && conflicts[i].touchedBy(wc.From, wc.To) {
				conflicts[i].ChangedBy, conflicts[i].ChangedAt, conflicts[i].Seq = since[j].Actor, since[j].At, since[j].Seq
				break
			}
		}
	}
}

// validateColumns trims column names and checks a workflow: 1 to 20 columns, each with
// a name of at most 40 characters, names unique regardless of case, no negative limit,
// a known category or none.
func validateColumns(cols []Column) error {
	if len(cols) == 0 {
		return invalidField("columns", "A workflow needs at least one column.")
	}
	if len(cols) > 20 {
		return invalidField("columns", "A workflow has at most 20 columns.")
	}
	seen := map[string]bool{}
	for i := range cols {
		c := &cols[i]
		c.Name = strings.TrimSpace(c.Name)
		switch {
		case c.Name == "":
			return invalidField("columns", "Column %d needs a name.", i+1)
		case len([]rune(c.Name)) > 40:
			return invalidField("columns", "Column name %q is too long (40 characters at most).", c.Name)
		case seen[strings.ToLower(c.Name)]:
			return invalidField("columns", "Column %q appears twice.", c.Name)
		case c.WIPLimit < 0:
			return invalidField("columns", "WIP limit of %q can't be negative.", c.Name)
		case c.Category != "" && !slices.Contains(Categories, c.Category):
			return invalidField("columns", "Status category of %q must be to do, in progress or done.", c.Name)
		}
		seen[strings.ToLower(c.Name)] = true
	}
	return nil
}

// requireDone refuses a workflow without a column whose tasks count as done.
func requireDone(cols []Column) error {
	for _, c := range withCategories(cols) {
		if c.Category == CategoryDone {
			return nil
		}
	}
	return invalidField("columns", "A workflow needs at least one column marked Done, so that sprints and reports can tell finished work.")
}

// Label names what the conflict is about for people: "Name of In Review".
func (cf WorkflowConflict) Label() string {
	switch cf.Attr {
	case WorkflowName:
		return "Name of " + cf.Column
	case WorkflowWIP:
		return "WIP limit of " + cf.Column
	case WorkflowCategory:
		return "Status category of " + cf.Column
	}
	return "Order of the columns"
}

// YoursText shows the user's side of the conflict: a name, a WIP limit, an order, or
// "(column removed)".
func (cf WorkflowConflict) YoursText() string {
	if cf.YouRemoved {
		return "(column removed)"
	}
	return cf.valueText(cf.Yours)
}

// TheirsText shows the other side of the conflict, as YoursText does.
func (cf WorkflowConflict) TheirsText() string {
	if cf.TheyRemoved {
		return "(column removed)"
	}
	return cf.valueText(cf.Theirs)
}

func (cf WorkflowConflict) valueText(v string) string {
	switch {
	case cf.Attr == WorkflowWIP && (v == "0" || v == ""):
		return "no limit"
	case cf.Attr == WorkflowCategory:
		return CategoryName(Category(v))
	}
	return v
}
