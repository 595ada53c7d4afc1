package views

import (
	"fmt"
	"strconv"

	"github.com/tack-pm/tack/store"
)

// AsOfPageView is what the backlog or a task page as it was says about its moment: the
// board's AsOfView, and which page it is.
type AsOfPageView struct {
	AsOfView
	// Path is the live page's path ("/projects/DEMO/backlog"); ?at=SEQ on it is the page
	// as it was at SEQ.
	Path string
	// What names the page in sentences: "The backlog", "DEMO-12".
	What string
	// OwnChanges says that Since, Prev and Next count the page's own changes (a task's),
	// not the project's.
	OwnChanges bool
}

// URL is the page as it was at position seq.
func (a AsOfPageView) URL(seq int64) string {
	return a.Path + "?at=" + strconv.FormatInt(seq, 10)
}

// SinceText says how many changes came since, of the task on a task page.
func (a AsOfPageView) SinceText() string {
	if !a.OwnChanges {
		return a.AsOfView.SinceText()
	}
	switch a.Since {
	case 0:
		return "no change to " + a.What + " since"
	case 1:
		return "1 change to " + a.What + " since"
	}
	return fmt.Sprintf("%d changes to %s since", a.Since, a.What)
}

// PositionText says which change of the log the page shows last.
func (a AsOfPageView) PositionText() string {
	if a.ChangeWhen == a.When {
		return fmt.Sprintf("%s after change %d of the log.", a.What, a.Seq)
	}
	return fmt.Sprintf("%s after change %d of the log, made %s.", a.What, a.Seq, a.ChangeWhen)
}

// BoardAtURL is the board as it was at position seq.
func BoardAtURL(p *store.Project, seq int64) string {
	return ProjectURL(p, "/board") + "?at=" + strconv.FormatInt(seq, 10)
}

// TaskAtURL is task key's page as it was at position seq.
func TaskAtURL(p *store.Project, key string, seq int64) string {
	return TaskKeyURL(p, key) + "?at=" + strconv.FormatInt(seq, 10)
}

// readOnly is the page as components that offer changes see it on a page as it was:
// as a viewer, who may change nothing.
func readOnly(p Page) Page {
	p.Role = store.RoleViewer
	return p
}

// atPosition is the page as a page as it was at position seq shows it: read-only, its
// task links leading to the tasks as they were.
func atPosition(p Page, seq int64) Page {
	p = readOnly(p)
	p.AsOf = seq
	return p
}

// AsOfPages are the project's pages that can be shown as they were, for the banner's
// links to the others at the same change.
var asOfPages = []struct{ name, path string }{{"Board", "/board"}, {"Backlog", "/backlog"}}
