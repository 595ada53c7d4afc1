package views

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
)

// TimeView is a task's time tracking as the task page and the card panel show it: the
// numbers, the bar, why the remaining estimate differs from what the log gives, the
// worklogs, and a form: logging work, or editing or deleting one worklog.
type TimeView struct {
	Task    *store.Task
	Time    *store.TaskTime
	Cal     duration.Calendar
	Members []store.Member
	// UserID is the viewer: their own worklogs carry Edit and Delete.
	UserID string
	// InPanel draws the section for the board's card panel (its headings one level
	// down, its forms answered with the section alone).
	InPanel bool
	// Log is the log-work form.
	Log WorklogForm
	// Change, when set, shows a worklog's edit form or delete confirmation in place of
	// the log-work form.
	Change *WorklogChange
	// Status is the message of the last action, spoken and shown.
	Status string
}

// WorklogForm is a log-work or worklog edit form's state, as typed.
type WorklogForm struct {
	Date, Start, Spent, Comment string
	// Adjust is the remaining-estimate choice: auto, leave, set or reduce.
	Adjust          string
	SetTo, ReduceBy string
	Errors          map[string]string
}

// WorklogChange is one worklog being edited or deleted.
type WorklogChange struct {
	Worklog *store.Worklog // as it is now
	// BaseVersion is the worklog version the form is based on.
	BaseVersion int
	Delete      bool
	Form        WorklogForm
	// Conflict says who changed the worklog since the user opened the form.
	Conflict *WorklogConflict
}

// WorklogConflict is a change made to a worklog meanwhile.
type WorklogConflict struct {
	By     string
	At     time.Time
	Fields []string // people's words: "date", "time spent"
}

// NewWorklogForm is the log-work form for a new worklog on today's date (the user's).
func NewWorklogForm(today string) WorklogForm {
	return WorklogForm{Date: today, Adjust: string(store.AdjustAuto)}
}

// WorklogFormFrom fills the edit form with the worklog's current values.
func WorklogFormFrom(w *store.Worklog, cal duration.Calendar) WorklogForm {
	return WorklogForm{Date: w.Date, Start: w.Start, Spent: cal.Format(w.Seconds), Comment: w.Comment, Adjust: string(store.AdjustAuto)}
}

// CanChange reports whether the viewer may edit or delete the worklog: its author
// while a member who can edit, and admins.
func CanChange(p Page, userID string, w *store.Worklog) bool {
	return p.Role.CanEdit() && (w.AuthorID == userID || p.Role.CanAdmin())
}

// NewWorklogConflict describes a worklog conflict for people.
func NewWorklogConflict(ce *store.WorklogConflictError, members []store.Member) *WorklogConflict {
	c := &WorklogConflict{By: memberNames(members)(ce.By).Name, At: ce.At}
	for _, f := range ce.Fields {
		c.Fields = append(c.Fields, worklogFieldLabel(f))
	}
	return c
}

func worklogFieldLabel(f string) string {
	switch f {
	case "seconds":
		return "time spent"
	case "start":
		return "start time"
	case "date":
		return "work date"
	}
	return f
}

// conflictText says what changed: "Ben Ode changed the time spent and the comment".
func (c *WorklogConflict) text() string {
	if len(c.Fields) == 0 {
		return c.By + " changed this worklog"
	}
	fields := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		fields[i] = "the " + f
	}
	list := fields[0]
	if n := len(fields); n > 1 {
		list = strings.Join(fields[:n-1], ", ") + " and " + fields[n-1]
	}
	return c.By + " changed " + list + " of this worklog"
}

// dur writes seconds with the project's calendar.
func (v TimeView) dur(seconds int64) string { return v.Cal.Format(seconds) }

// durOr writes an optional duration, or none.
func (v TimeView) durOr(seconds *int64, none string) string {
	if seconds == nil {
		return none
	}
	return v.Cal.Format(*seconds)
}

// Summary is the bar's facts as one sentence: "3h logged, 5h remaining of 1d estimated".
func (v TimeView) Summary() string {
	t := v.Time.TimeSummary
	s := v.dur(t.Logged) + " logged"
	if t.Remaining != nil {
		s += ", " + v.dur(*t.Remaining) + " remaining"
	} else {
		s += ", no remaining estimate"
	}
	if t.Estimate != nil {
		s += " of " + v.dur(*t.Estimate) + " estimated"
	} else {
		s += ", no original estimate"
	}
	return s + "."
}

// estimateMark is where the original estimate falls on the bar (0..100) when the task is
// over it, or -1.
func (v TimeView) estimateMark() int {
	t := v.Time.TimeSummary
	if t.Over <= 0 || t.Estimate == nil {
		return -1
	}
	var rem int64
	if t.Remaining != nil {
		rem = *t.Remaining
	}
	total := t.Logged + rem
	if total <= 0 {
		return -1
	}
	return int(*t.Estimate * 100 / total)
}

// whyText explains a remaining estimate that differs from estimate − logged.
func (v TimeView) whyText() string {
	t := v.Time.TimeSummary
	expected := "nothing"
	if t.Expected != nil {
		expected = v.dur(*t.Expected)
	}
	return fmt.Sprintf("Remaining is %s rather than %s (original estimate minus time logged) since ",
		v.durOr(t.Remaining, "not set"), expected)
}

// memberName names a worklog's author.
func (v TimeView) memberName(id string) string { return memberNames(v.Members)(id).Name }

// member is a worklog's author for an avatar.
func (v TimeView) member(id string) store.User { return memberNames(v.Members)(id) }

// workDate writes a YYYY-MM-DD date as "Mon 23 Nov 2026".
func workDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("Mon 2 Jan 2006")
}

// WorklogURL is a worklog's edit page.
func WorklogURL(p *store.Project, t *store.Task, w *store.Worklog) string {
	return TaskURL(p, t) + "/worklogs/" + w.ID
}

// worklogsURL is where work on a task is logged.
func worklogsURL(p *store.Project, t *store.Task) string { return TaskURL(p, t) + "/worklogs" }

// sectionAttrs are the htmx attributes of the section's forms and links: answered with
// the section, swapped in place.
func sectionAttrs(verb, url string) templ.Attributes {
	return templ.Attributes{"hx-" + verb: url, "hx-target": "#time-tracking", "hx-swap": "outerHTML"}
}

func itoa(n int) string { return strconv.Itoa(n) }

// adjustChoices are the remaining-estimate choices of a form, in order, with labels.
func adjustChoices(deleting bool) []struct{ Value, Label string } {
	if deleting {
		return []struct{ Value, Label string }{
			{"auto", "Adjust automatically (add the time back)"},
			{"leave", "Leave the remaining estimate as it is"},
			{"set", "Set it to"},
		}
	}
	return []struct{ Value, Label string }{
		{"auto", "Adjust automatically"},
		{"leave", "Leave the remaining estimate as it is"},
		{"set", "Set it to"},
		{"reduce", "Reduce it by"},
	}
}

// DurationField is a duration in the task form: as the user typed it, or else a stored
// number of seconds, written with the project's calendar when the form is drawn.
type DurationField struct {
	Text    string
	Typed   bool
	Seconds *int64 // nil: none
}

// Value is what the field's input shows.
func (d DurationField) Value(cal duration.Calendar) string {
	if d.Typed {
		return d.Text
	}
	if d.Seconds == nil {
		return ""
	}
	return cal.Format(*d.Seconds)
}

// seconds reads a duration value as a conflict records it: seconds as a typed pointer
// or decoded from JSON; nil for none.
func seconds(v any) *int64 {
	var n int64
	switch x := v.(type) {
	case *int64:
		return x
	case int64:
		n = x
	case int:
		n = int64(x)
	case float64:
		n = int64(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return nil
		}
		n = i
	default:
		return nil
	}
	return &n
}

// changeURL is where the worklog's edit or deletion is posted.
func changeURL(p Page, v TimeView) string {
	u := WorklogURL(p.Project, v.Task, v.Change.Worklog)
	if v.Change.Delete {
		u += "/delete"
	}
	return u
}

// changeHeading names the worklog being changed.
func changeHeading(v TimeView) string {
	w := v.Change.Worklog
	what := "the worklog of " + v.dur(w.Seconds) + " on " + workDate(w.Date) + " by " + v.memberName(w.AuthorID)
	if v.Change.Delete {
		return "Delete " + what + "?"
	}
	return "Edit " + what
}

// changeButton labels the change form's submit button.
func changeButton(v TimeView) string {
	switch {
	case v.Change.Delete && v.Change.Conflict != nil:
		return "Delete it anyway"
	case v.Change.Delete:
		return "Delete worklog"
	case v.Change.Conflict != nil:
		return "Save mine anyway"
	}
	return "Save worklog"
}
