package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWorkCalendarWorking(t *testing.T) {
	c := newWorkCalendar("Europe/Berlin", DefaultWorkWeekdays, []string{"2026-12-24"})
	for day, want := range map[string]bool{
		"2026-11-27": true,  // Friday
		"2026-11-28": false, // Saturday
		"2026-11-29": false, // Sunday
		"2026-12-24": false, // a non-working Thursday
		"2026-12-23": true,
		"not a day":  false,
	} {
		if got := c.Working(day); got != want {
			t.Errorf("Working(%s) = %v, want %v", day, got, want)
		}
	}
	if c.Location.String() != "Europe/Berlin" {
		t.Errorf("zone %s", c.Location)
	}
	// A project's defaults: UTC, Monday to Friday.
	d := (&Project{}).WorkCalendar()
	if d.Location != time.UTC || d.Weekdays != [7]bool{false, true, true, true, true, true, false} {
		t.Errorf("default calendar %+v", d)
	}
}

func TestWeekdaysText(t *testing.T) {
	for bits, want := range map[int]string{
		62:  "Mon–Fri",
		126: "Mon–Sat",
		127: "Mon–Sun",
		0:   "none",
		1<<time.Monday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday: "Mon, Wed–Fri",
		1<<time.Saturday | 1<<time.Sunday:                                      "Sat, Sun",
	} {
		if got := WeekdaysText(bits); got != want {
			t.Errorf("WeekdaysText(%b) = %q, want %q", bits, got, want)
		}
	}
}

func TestSetWorkCalendar(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	project := func() *Project {
		t.Helper()
		p, err := b.s.Project(ctx, b.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Given a new project: UTC, Monday to Friday, no non-working dates.
	if p := project(); p.TimeZone != "UTC" || p.WorkWeekdays != 62 || len(p.Holidays) != 0 {
		t.Fatalf("new project calendar %q %d %v", p.TimeZone, p.WorkWeekdays, p.Holidays)
	}
	// When its admin sets Berlin, Monday to Saturday and two dates (unsorted, repeated),
	in := WorkCalendarInput{TimeZone: " Europe/Berlin ", Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday,
		time.Thursday, time.Friday, time.Saturday}, Holidays: []string{"2026-12-26", "2026-12-25", "2026-12-26", ""}}
	if err := b.s.SetWorkCalendar(ctx, b.ana, b.p.ID, in); err != nil {
		t.Fatal(err)
	}
	// then the project has them (through ProjectFor too),
	p, _, err := b.s.ProjectFor(ctx, b.ben, b.p.Key)
	if err != nil || p.TimeZone != "Europe/Berlin" || p.WorkWeekdays != 126 || !reflect.DeepEqual(p.Holidays, []string{"2026-12-25", "2026-12-26"}) {
		t.Fatalf("calendar %q %d %v (%v)", p.TimeZone, p.WorkWeekdays, p.Holidays, err)
	}
	if c := p.WorkCalendar(); !c.Working("2026-11-28") || c.Working("2026-12-25") {
		t.Errorf("Saturday should work, Christmas not: %+v", c)
	}
	// and the activity tells the change in one sentence.
	entries, err := b.s.Activity(ctx, p, 0, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("activity: %v %v", entries, err)
	}
	want := "changed the working calendar for reports: time zone UTC → Europe/Berlin, working days Mon–Fri → Mon–Sat, 2 non-working dates"
	if e := entries[0]; e.Text != want || fmt.Sprint(e.Changes) != fmt.Sprint([]ValueChange{{"Time zone", "UTC", "Europe/Berlin"},
		{"Working days", "Mon–Fri", "Mon–Sat"}, {"Non-working dates", "none", "2026-12-25, 2026-12-26"}}) {
		t.Errorf("activity: %q %v", e.Text, e.Changes)
	}
	// Setting the same calendar again records nothing.
	before := project().Version
	if err := b.s.SetWorkCalendar(ctx, b.ana, b.p.ID, in); err != nil {
		t.Fatal(err)
	}
	if after := project().Version; after != before {
		t.Errorf("an unchanged calendar moved the project from version %d to %d", before, after)
	}
	// Refusals: a clear message, nothing stored.
	weekdays := []time.Weekday{time.Monday}
	for _, tt := range []struct {
		name    string
		actor   string
		in      WorkCalendarInput
		code    string
		message string
	}{
		{"a member", b.ben, WorkCalendarInput{Weekdays: weekdays}, EFORBIDDEN, ""},
		{"a viewer", b.vic, WorkCalendarInput{Weekdays: weekdays}, EFORBIDDEN, ""},
		{"an outsider", b.outsider, WorkCalendarInput{Weekdays: weekdays}, ENOTFOUND, ""},
		{"an unknown zone", b.ana, WorkCalendarInput{TimeZone: "Mars/Olympus", Weekdays: weekdays}, EINVALID, `Unknown time zone "Mars/Olympus"`},
		{"a path as zone", b.ana, WorkCalendarInput{TimeZone: "../../etc/passwd", Weekdays: weekdays}, EINVALID, "Unknown time zone"},
		{"no working day", b.ana, WorkCalendarInput{}, EINVALID, "at least one working day"},
		{"a bad weekday", b.ana, WorkCalendarInput{Weekdays: []time.Weekday{9}}, EINVALID, "Unknown weekday"},
		{"a bad date", b.ana, WorkCalendarInput{Weekdays: weekdays, Holidays: []string{"2026-02-30"}}, EINVALID, `"2026-02-30" is not a date`},
	} {
		err := b.s.SetWorkCalendar(ctx, tt.actor, b.p.ID, tt.in)
		if ErrorCode(err) != tt.code || !strings.Contains(ErrorMessage(err), tt.message) {
			t.Errorf("%s: %v, want %s %q", tt.name, err, tt.code, tt.message)
		}
		if q := project(); q.TimeZone != "Europe/Berlin" || q.WorkWeekdays != 126 || len(q.Holidays) != 2 {
			t.Errorf("%s: calendar became %q %d %v", tt.name, q.TimeZone, q.WorkWeekdays, q.Holidays)
		}
	}
	// The read model is rebuilt by replay.
	if rep, err := b.s.Replay(ctx, false); err != nil || !rep.Identical() {
		t.Errorf("replay: %+v %v", rep, err)
	}
}
