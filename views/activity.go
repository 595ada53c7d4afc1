package views

import (
	"strings"
	"time"

	"github.com/tack-pm/tack/store"
)

// ActivityDay is one day (UTC) of a project's activity, newest first, told as runs of
// consecutive events about one task.
type ActivityDay struct {
	Date  time.Time // the day's midnight, UTC
	Label string    // "Today", "Yesterday", "Monday 23 November"
	Runs  []ActivityRun
}

// ActivityRun is consecutive events about one task, or about the project itself when
// TaskKey is empty.
type ActivityRun struct {
	TaskKey   string
	TaskTitle string
	Entries   []store.HistoryEntry
}

// GroupActivity groups entries (newest first) by day, then into runs of consecutive
// events about the same task, so the page names a task once above what happened to it
// rather than on every line. titles names tasks by id; a task without one shows its key
// alone.
func GroupActivity(now time.Time, entries []store.HistoryEntry, titles map[string]string) []ActivityDay {
	var days []ActivityDay
	for _, e := range entries {
		day := midnightUTC(e.At)
		if len(days) == 0 || !days[len(days)-1].Date.Equal(day) {
			days = append(days, ActivityDay{Date: day, Label: dayLabel(now, day)})
		}
		d := &days[len(days)-1]
		e = underTask(e)
		if n := len(d.Runs); n > 0 && d.Runs[n-1].TaskKey == e.TaskKey {
			d.Runs[n-1].Entries = append(d.Runs[n-1].Entries, e)
			continue
		}
		d.Runs = append(d.Runs, ActivityRun{TaskKey: e.TaskKey, TaskTitle: titles[e.TaskID], Entries: []store.HistoryEntry{e}})
	}
	return days
}

// underTask tells an event below its task's line: the key, already said above, becomes
// "it" ("moved it from To Do to In Progress").
func underTask(e store.HistoryEntry) store.HistoryEntry {
	if e.TaskKey == "" {
		return e
	}
	for i := 0; i < len(e.Text); {
		j := strings.Index(e.Text[i:], e.TaskKey)
		if j < 0 {
			break
		}
		at, end := i+j, i+j+len(e.TaskKey)
		// DEMO-1 is not DEMO-12: the key ends where the number ends.
		if end == len(e.Text) || e.Text[end] < '0' || e.Text[end] > '9' {
			e.Text = e.Text[:at] + "it" + e.Text[end:]
			break
		}
		i = end
	}
	return e
}

func midnightUTC(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayLabel names a day relative to now: Today, Yesterday, a weekday and date this year,
// and with the year before.
func dayLabel(now, day time.Time) string {
	today := midnightUTC(now)
	switch {
	case day.Equal(today):
		return "Today"
	case day.Equal(today.AddDate(0, 0, -1)):
		return "Yesterday"
	case day.Year() == today.Year():
		return day.Format("Monday 2 January")
	}
	return day.Format("Monday 2 January 2006")
}
