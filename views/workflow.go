package views

import (
	"fmt"
	"time"

	"github.com/tack-pm/tack/store"
)

// WorkflowConflictView explains a refused workflow change, sentence by sentence, and
// carries what "Apply mine anyway" resubmits.
type WorkflowConflictView struct {
	Lines []WorkflowConflictLine
	// Version is the project's current version, which "Apply mine anyway" submits.
	Version int
	// Mine is the current workflow with the user's changes applied, as editor rows.
	Mine []WorkflowRow
}

// WorkflowConflictLine tells one conflict: "<By> <Did> <Theirs> <when>; <Wanted> <Yours>."
// as in "Ben Ortiz renamed In Review to Review 3 minutes ago; you wanted QA."
type WorkflowConflictLine struct {
	By     string
	Did    string
	Theirs string
	At     time.Time
	Wanted string
	Yours  string
}

// NewWorkflowConflictView prepares the conflict box for ce; name resolves user ids.
func NewWorkflowConflictView(ce *store.WorkflowConflictError, name func(id string) string) *WorkflowConflictView {
	v := &WorkflowConflictView{Version: ce.CurrentVersion}
	for _, c := range ce.Conflicts {
		l := WorkflowConflictLine{By: name(c.ChangedBy), At: c.ChangedAt, Wanted: "you wanted", Theirs: c.TheirsText(), Yours: c.YoursText()}
		switch c.Attr {
		case store.WorkflowName:
			l.Did = "renamed " + c.Column + " to"
		case store.WorkflowWIP:
			l.Did = "set the WIP limit of " + c.Column + " to"
		case store.WorkflowCategory:
			l.Did = "marked " + c.Column + " as"
		default:
			l.Did = "reordered the columns to"
		}
		switch {
		case c.TheyRemoved:
			l.Did, l.Theirs = "removed "+c.Column, ""
			l.Wanted = "you wanted to rename it to"
			switch c.Attr {
			case store.WorkflowWIP:
				l.Wanted = "you wanted to set its WIP limit to"
			case store.WorkflowCategory:
				l.Wanted = "you wanted to mark it as"
			}
		case c.YouRemoved:
			l.Wanted, l.Yours = "you wanted to remove it", ""
		}
		v.Lines = append(v.Lines, l)
	}
	for i, c := range ce.Mine {
		v.Mine = append(v.Mine, WorkflowRow{ID: c.ID, Name: c.Name, WIP: fmt.Sprint(c.WIPLimit), Order: fmt.Sprint(i + 1), Category: c.Category})
	}
	return v
}

// columnFacts describes a column for those who cannot edit the workflow: its status
// category and WIP limit, as in "In progress, WIP limit 3".
func columnFacts(p *store.Project, c store.Column) string {
	s := store.CategoryName(p.Category(c.ID))
	if c.WIPLimit > 0 {
		s += fmt.Sprintf(", WIP limit %d", c.WIPLimit)
	}
	return s
}
