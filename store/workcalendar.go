package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultWorkWeekdays is Monday to Friday: bit i set = time.Weekday i works.
const DefaultWorkWeekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday

// MaxHolidays bounds a project's non-working dates.
const MaxHolidays = 1000

// WorkCalendar is the calendar reports count days by: the project's time zone, its
// working weekdays and its non-working dates.
type WorkCalendar struct {
	Location *time.Location // the project's time zone (UTC by default)
	Weekdays [7]bool        // indexed by time.Weekday
	Holidays map[string]bool
}

// WorkCalendarInput sets a project's calendar for reports.
type WorkCalendarInput struct {
	TimeZone string         // IANA name such as "Europe/Berlin"; "" = UTC
	Weekdays []time.Weekday // the working weekdays; at least one
	Holidays []string       // non-working dates YYYY-MM-DD
}

// WorkCalendar returns the project's calendar for reports; an unknown zone or an empty
// week falls back to UTC and Monday to Friday.
func (p *Project) WorkCalendar() WorkCalendar {
	return newWorkCalendar(p.TimeZone, p.WorkWeekdays, p.Holidays)
}

func newWorkCalendar(zone string, weekdays int, holidays []string) WorkCalendar {
	loc, err := loadZone(zone)
	if err != nil {
		loc = time.UTC
	}
	if weekdays&127 == 0 {
		weekdays = DefaultWorkWeekdays
	}
	c := WorkCalendar{Location: loc, Holidays: map[string]bool{}}
	for d := range 7 {
		c.Weekdays[d] = weekdays&(1<<d) != 0
	}
	for _, h := range holidays {
		c.Holidays[h] = true
	}
	return c
}

// loadZone loads an IANA zone; "" and "UTC" are UTC.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if name == "Local" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return nil, fmt.Errorf("not an IANA zone name")
	}
	return time.LoadLocation(name)
}

// Working reports whether day (YYYY-MM-DD) is a working day: a working weekday that is
// not a non-working date. A malformed day is not working.
func (c WorkCalendar) Working(day string) bool {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return false
	}
	return c.Weekdays[d.Weekday()] && !c.Holidays[day]
}

// weekdayBits is the bit set of a list of weekdays.
func weekdayBits(days []time.Weekday) int {
	bits := 0
	for _, d := range days {
		if d >= time.Sunday && d <= time.Saturday {
			bits |= 1 << d
		}
	}
	return bits
}

var weekdayShort = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// WeekdaysText writes a weekday bit set for people, Monday first: "Mon–Fri",
// "Mon, Wed–Fri", "none".
func WeekdaysText(bits int) string {
	order := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	var parts []string
	for i := 0; i < len(order); {
		if bits&(1<<order[i]) == 0 {
			i++
			continue
		}
		j := i
		for j+1 < len(order) && bits&(1<<order[j+1]) != 0 {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, weekdayShort[order[i]])
		case j == i+1:
			parts = append(parts, weekdayShort[order[i]], weekdayShort[order[j]])
		default:
			parts = append(parts, weekdayShort[order[i]]+"–"+weekdayShort[order[j]])
		}
		i = j + 1
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// calendarChangeText is the history's account of a change of the calendar for reports:
// "time zone UTC → Europe/Berlin, working days Mon–Fri → Mon–Sat, 2 non-working dates".
func calendarChangeText(e *SettingsChanged) string {
	var parts []string
	if c := e.TimeZone; c != nil {
		parts = append(parts, fmt.Sprintf("time zone %s → %s", c.From, c.To))
	}
	if c := e.WorkWeekdays; c != nil {
		parts = append(parts, fmt.Sprintf("working days %s → %s", WeekdaysText(c.From), WeekdaysText(c.To)))
	}
	if c := e.Holidays; c != nil {
		switch n := len(c.To); n {
		case 0:
			parts = append(parts, "no non-working dates")
		case 1:
			parts = append(parts, "1 non-working date")
		default:
			parts = append(parts, fmt.Sprintf("%d non-working dates", n))
		}
	}
	return strings.Join(parts, ", ")
}

// holidaysJSON is the stored form of a list of dates.
func holidaysJSON(days []string) string {
	if len(days) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(days)
	return string(b)
}

// parseHolidays reads the stored form of a list of dates.
func parseHolidays(s string) []string {
	var days []string
	if err := json.Unmarshal([]byte(s), &days); err != nil || days == nil {
		return []string{}
	}
	return days
}

// normWorkCalendar checks a calendar input and returns its stored form.
func normWorkCalendar(in WorkCalendarInput) (zone string, weekdays int, holidays []string, err error) {
	zone = strings.TrimSpace(in.TimeZone)
	if zone == "" {
		zone = "UTC"
	}
	if _, zerr := loadZone(zone); zerr != nil {
		return "", 0, nil, invalidField("time_zone", "Unknown time zone %q: use a name like Europe/Berlin or America/New_York.", zone)
	}
	for _, d := range in.Weekdays {
		if d < time.Sunday || d > time.Saturday {
			return "", 0, nil, invalidField("weekdays", "Unknown weekday %d.", int(d))
		}
	}
	weekdays = weekdayBits(in.Weekdays)
	if weekdays == 0 {
		return "", 0, nil, invalidField("weekdays", "Choose at least one working day of the week.")
	}
	holidays = []string{}
	for _, h := range in.Holidays {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		d, perr := time.Parse(time.DateOnly, h)
		if perr != nil || d.Year() < 1900 || d.Year() > 9999 {
			return "", 0, nil, invalidField("holidays", "The non-working date %q is not a date like 2026-12-24.", h)
		}
		holidays = append(holidays, d.Format(time.DateOnly))
	}
	slices.Sort(holidays)
	holidays = slices.Compact(holidays)
	if len(holidays) > MaxHolidays {
		return "", 0, nil, invalidField("holidays", "A project has %d non-working dates at most.", MaxHolidays)
	}
	return zone, weekdays, holidays, nil
}

// SetWorkCalendar sets the project's calendar for reports (admins only): its time zone,
// working weekdays and non-working dates. Only what changed is recorded; an unchanged
// calendar records nothing.
func (s *Store) SetWorkCalendar(ctx context.Context, actor, projectID string, in WorkCalendarInput) error {
	zone, weekdays, holidays, err := normWorkCalendar(in)
	if err != nil {
		return err
	}
	_, err = s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "change the project's settings"); err != nil {
			return err
		}
		var now struct {
			Zone     string `db:"time_zone"`
			Weekdays int    `db:"work_weekdays"`
			Holidays string `db:"holidays"`
		}
		if err := w.tx.Get(&now, `SELECT time_zone, work_weekdays, holidays FROM projects WHERE id = ?`, projectID); err != nil {
			return notFound(err, "No such project.")
		}
		var e SettingsChanged
		if now.Zone != zone {
			e.TimeZone = &StringChange{From: now.Zone, To: zone}
		}
		if now.Weekdays != weekdays {
			e.WorkWeekdays = &IntChange{From: now.Weekdays, To: weekdays}
		}
		if from := parseHolidays(now.Holidays); !slices.Equal(from, holidays) {
			e.Holidays = &StringsChange{From: from, To: holidays}
		}
		if e.TimeZone == nil && e.WorkWeekdays == nil && e.Holidays == nil {
			return nil
		}
		_, err := w.appendLatest(projectStream(projectID), actor, &e)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: project calendar for reports: %w", err)
	}
	return nil
}
