package views

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
)

// HoursMinutes writes seconds as hours and minutes, never days or weeks: "7h 30m", "45m",
// "40h". A timesheet's cell is one day, so a day unit would say nothing there; seconds
// are rounded to the nearest minute. Zero is "0m".
func HoursMinutes(seconds int64) string {
	neg := seconds < 0
	if neg {
		seconds = -seconds
	}
	minutes := (seconds + 30) / 60
	h, m := minutes/60, minutes%60
	var b strings.Builder
	if neg && minutes > 0 {
		b.WriteByte('-')
	}
	switch {
	case h > 0 && m > 0:
		fmt.Fprintf(&b, "%dh %dm", h, m)
	case h > 0:
		fmt.Fprintf(&b, "%dh", h)
	default:
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}

// TimesheetView is what the timesheet page shows: the grid and the filters it was built
// with. Project is nil on /timesheet (the signed-in user's time in every project).
type TimesheetView struct {
	Project *store.Project
	Sheet   *store.Timesheet // nil when the filters could not be read
	From    string           // the range shown, YYYY-MM-DD
	To      string
	Person  *store.User // whose time, when it is one person's; nil in the team view
	Own     bool        // the time is the signed-in user's
	Sprint  int         // sprint number filtered by, 0 = any
	Sprints []*store.Sprint
	People  []store.Member // the person filter's choices (admins only); nil = no filter
	Query   url.Values     // the filters as a query, for the CSV link and the week links
	Errors  map[string]string
	Today   string // the user's today, YYYY-MM-DD
}

// Team reports whether the rows are people.
func (v TimesheetView) Team() bool { return v.Sheet != nil && v.Sheet.Team }

// base is the page's path without a query.
func (v TimesheetView) base() string {
	if v.Project == nil {
		return "/timesheet"
	}
	return ProjectURL(v.Project, "/timesheet")
}

// link is the page's URL with the same filters over another range.
func (v TimesheetView) link(from, to string) string {
	q := url.Values{}
	for k, vs := range v.Query {
		if k != "from" && k != "to" && k != "week" {
			q[k] = vs
		}
	}
	q.Set("from", from)
	q.Set("to", to)
	return v.base() + "?" + q.Encode()
}

// CSVURL is the CSV export's URL: the worklogs behind the view, with the same filters.
func (v TimesheetView) CSVURL() string {
	q := url.Values{}
	for k, vs := range v.Query {
		q[k] = vs
	}
	q.Set("from", v.From)
	q.Set("to", v.To)
	return v.base() + ".csv?" + q.Encode()
}

// span is the range the date links step from: the one shown, or the user's current
// week when the one asked for cannot be shown.
func (v TimesheetView) span() (from, to string, days int) {
	if d, err := store.TimesheetRange(v.From, v.To); err == nil {
		return v.From, v.To, len(d)
	}
	mon := WeekStart(v.Today)
	return mon, AddDays(mon, 6), 7
}

// shift moves the range by its own length, n times (−1 earlier, +1 later).
func (v TimesheetView) shift(n int) (string, string) {
	from, to, days := v.span()
	return AddDays(from, days*n), AddDays(to, days*n)
}

// PrevURL and NextURL show the range before and after this one.
func (v TimesheetView) PrevURL() string { return v.link(v.shift(-1)) }
func (v TimesheetView) NextURL() string { return v.link(v.shift(1)) }

// ThisWeekURL shows the week of the user's today.
func (v TimesheetView) ThisWeekURL() string {
	mon := WeekStart(v.Today)
	return v.link(mon, AddDays(mon, 6))
}

// stepName names a step of the range: "week" for 7 days, "31 days" otherwise.
func (v TimesheetView) stepName() string {
	if _, _, n := v.span(); n != 7 {
		return fmt.Sprintf("%d days", n)
	}
	return "week"
}

// WeekStart is the Monday of the week day falls in (YYYY-MM-DD); day itself when it is
// not a date.
func WeekStart(day string) string {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)).Format(time.DateOnly)
}

// AddDays is day (YYYY-MM-DD) moved by n days.
func AddDays(day string, n int) string {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return d.AddDate(0, 0, n).Format(time.DateOnly)
}

// Heading is the page's h1.
func (v TimesheetView) Heading() string {
	switch {
	case v.Project == nil:
		return "Timesheet"
	case v.Team():
		return "Team timesheet of " + v.Project.Key
	case !v.Own && v.Person != nil:
		return v.Person.Name + "'s timesheet in " + v.Project.Key
	}
	return "Timesheet of " + v.Project.Key
}

// Caption says whose time the table holds, where and when.
func (v TimesheetView) Caption() string {
	who := "Your time"
	switch {
	case v.Team():
		who = "Everyone's time"
	case !v.Own && v.Person != nil:
		who = v.Person.Name + "'s time"
	}
	where := " in all your projects"
	if v.Project != nil {
		where = " in " + v.Project.Key
	}
	if v.Sprint != 0 {
		for _, s := range v.Sprints {
			if s.Number == v.Sprint {
				where += ", tasks in " + s.Name
			}
		}
	}
	return who + where + ", " + RangeText(v.From, v.To)
}

// RangeText writes a date range for people: "Mon 23 – Sun 29 Nov 2026",
// "Mon 30 Nov – Sun 6 Dec 2026", "Wed 30 Dec 2026 – Fri 1 Jan 2027".
func RangeText(from, to string) string {
	f, ferr := time.Parse(time.DateOnly, from)
	t, terr := time.Parse(time.DateOnly, to)
	if ferr != nil || terr != nil {
		return from + " – " + to
	}
	switch {
	case f.Year() != t.Year():
		return f.Format("Mon 2 Jan 2006") + " – " + t.Format("Mon 2 Jan 2006")
	case f.Month() != t.Month():
		return f.Format("Mon 2 Jan") + " – " + t.Format("Mon 2 Jan 2006")
	}
	return f.Format("Mon 2") + " – " + t.Format("Mon 2 Jan 2006")
}

// dayHeading writes a column's day: "Mon 23 Nov".
func dayHeading(day string) string {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return d.Format("Mon 2 Jan")
}

// Cell writes a cell's time: hours and minutes, nothing for no time.
func Cell(seconds int64) string {
	if seconds == 0 {
		return ""
	}
	return HoursMinutes(seconds)
}

// personURL is the timesheet of one person (same range and sprint), from the team view.
func (v TimesheetView) personURL(userID string) string {
	q := url.Values{}
	for k, vs := range v.Query {
		if k != "who" {
			q[k] = vs
		}
	}
	q.Set("from", v.From)
	q.Set("to", v.To)
	q.Set("who", userID)
	return v.base() + "?" + q.Encode()
}

// rowID names a row for tests and scripts: the task key, or the person's id.
func rowID(r *store.TimesheetRow) string {
	if r.TaskKey != "" {
		return r.TaskKey
	}
	return r.UserID
}

// todayAttr marks the column of the user's today.
func todayAttr(today bool) templ.Attributes {
	if !today {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-current": "date"}
}
