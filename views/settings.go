package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
)

// TimeSettingsForm is the time-tracking settings form's state: the values as typed
// (or as stored when the page opens) and a message per field that is wrong.
type TimeSettingsForm struct {
	DayHours string // hours in a working day: "8", "7.5" or "7h 20m"
	WeekDays string // working days in a week, 1–7
	Errors   map[string]string
}

// WorkCalendarForm is the working-calendar form's state: the values as typed (or as
// stored) and a message per field that is wrong.
type WorkCalendarForm struct {
	TimeZone string
	Weekdays [7]bool // indexed by time.Weekday
	Holidays string  // as typed: dates separated by commas or lines
	Errors   map[string]string
}

// NewWorkCalendarForm is the form filled with the project's calendar for reports.
func NewWorkCalendarForm(p *store.Project) WorkCalendarForm {
	c := p.WorkCalendar()
	return WorkCalendarForm{TimeZone: c.Location.String(), Weekdays: c.Weekdays, Holidays: strings.Join(p.Holidays, "\n")}
}

// weekOrder is the week as the form lists it, Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// NewTimeSettingsForm is the form filled with the project's calendar.
func NewTimeSettingsForm(c duration.Calendar) TimeSettingsForm {
	return TimeSettingsForm{DayHours: DayHours(c.DayMinutes), WeekDays: fmt.Sprint(c.WeekDays)}
}

// DayHours writes a working day's minutes as the form shows them: whole or decimal hours
// when that is exact ("8", "7.5", "7.25"), hours and minutes otherwise ("7h 20m").
func DayHours(minutes int) string {
	if minutes*100%60 == 0 {
		return strconv.FormatFloat(float64(minutes)/60, 'f', -1, 64)
	}
	return fmt.Sprintf("%dh %dm", minutes/60, minutes%60)
}

// calendarExample says what a day and a week are under calendar c.
func calendarExample(c duration.Calendar) string {
	week := int64(c.DayMinutes) * 60 * int64(c.WeekDays)
	return fmt.Sprintf("1d = %s and 1w = %dd (%s).", HoursMinutes(int64(c.DayMinutes)*60),
		c.WeekDays, HoursMinutes(week))
}

// weekDaysText writes a number of days: "1 day", "5 days".
func weekDaysText(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// describedBy lists a field's hint and, when it is wrong, its error message.
func describedBy(errs map[string]string, field, hint string) string {
	if _, ok := errs[field]; ok {
		return hint + " err-" + field
	}
	return hint
}

// invalidAttr marks a field that is wrong.
func invalidAttr(errs map[string]string, field string) templ.Attributes {
	if _, ok := errs[field]; ok {
		return templ.Attributes{"aria-invalid": "true"}
	}
	return templ.Attributes{}
}
