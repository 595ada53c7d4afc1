package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/tack-pm/tack/store/duration"
)

func TestProjectCalendar(t *testing.T) {
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

	// Given a new project, its calendar is 8-hour days and 5-day weeks.
	if got := project().Calendar(); got != duration.Default {
		t.Fatalf("a new project's calendar is %+v, want %+v", got, duration.Default)
	}

	// When its admin sets 7h 30m days and 4-day weeks,
	if err := b.s.SetCalendar(ctx, b.ana, b.p.ID, duration.Calendar{DayMinutes: 450, WeekDays: 4}); err != nil {
		t.Fatal(err)
	}
	// then the project has them, its members read them through ProjectFor too,
	want := duration.Calendar{DayMinutes: 450, WeekDays: 4}
	if got := project().Calendar(); got != want {
		t.Errorf("calendar %+v, want %+v", got, want)
	}
	p, _, err := b.s.ProjectFor(ctx, b.ben, b.p.Key)
	if err != nil || p.Calendar() != want {
		t.Errorf("ProjectFor: calendar %+v (%v), want %+v", p.Calendar(), err, want)
	}
	// durations are written with them (stored seconds do not change),
	if got := p.Calendar().Format(8 * 3600); got != "1d 30m" {
		t.Errorf("8h with 7h 30m days reads %q, want 1d 30m", got)
	}
	// and the activity says what changed.
	entries, err := b.s.Activity(ctx, p, 0, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("activity: %v %v", entries, err)
	}
	if e := entries[0]; e.Text != "changed the working calendar for time tracking" || fmt.Sprint(e.Changes) != fmt.Sprint([]ValueChange{{"Working day", "8h", "7h 30m"}, {"Working week", "5 days", "4 days"}}) {
		t.Errorf("activity: %q %v", e.Text, e.Changes)
	}

	// Setting the same calendar again records nothing.
	before := project().Version
	if err := b.s.SetCalendar(ctx, b.ana, b.p.ID, want); err != nil {
		t.Fatal(err)
	}
	if after := project().Version; after != before {
		t.Errorf("an unchanged calendar moved the project from version %d to %d", before, after)
	}

	// Refusals: nothing is stored.
	refusals := []struct {
		name  string
		actor string
		cal   duration.Calendar
		code  string
	}{
		{"a member", b.ben, duration.Default, EFORBIDDEN},
		{"a viewer", b.vic, duration.Default, EFORBIDDEN},
		{"an outsider", b.outsider, duration.Default, ENOTFOUND},
		{"a day of 0 minutes", b.ana, duration.Calendar{DayMinutes: 0, WeekDays: 5}, EINVALID},
		{"a day of 25 hours", b.ana, duration.Calendar{DayMinutes: 25 * 60, WeekDays: 5}, EINVALID},
		{"an 8-day week", b.ana, duration.Calendar{DayMinutes: 480, WeekDays: 8}, EINVALID},
	}
	for _, tt := range refusals {
		err := b.s.SetCalendar(ctx, tt.actor, b.p.ID, tt.cal)
		if ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
		if got := project().Calendar(); got != want {
			t.Errorf("%s: calendar became %+v", tt.name, got)
		}
	}

	// The read model is rebuilt by replay.
	if rep, err := b.s.Replay(ctx, false); err != nil || !rep.Identical() {
		t.Errorf("replay: %+v %v", rep, err)
	}
}
