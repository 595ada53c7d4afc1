package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// reporting is a planning board whose clock the test sets: each command happens at the
// instant given to at (plus a second per call, so events keep their order).
type reporting struct {
	*planning
	clock time.Time
}

func mustReporting(t testing.TB) *reporting {
	t.Helper()
	r := &reporting{planning: mustPlanning(t), clock: time.Date(2026, 10, 30, 9, 0, 0, 0, time.UTC)}
	r.s.Now = func() time.Time {
		r.clock = r.clock.Add(time.Second)
		return r.clock
	}
	return r
}

// at sets the clock to the instant written "2026-11-03 12:00" (UTC).
func (r *reporting) at(t testing.TB, when string) {
	t.Helper()
	c, err := time.Parse("2006-01-02 15:04", when)
	if err != nil {
		t.Fatalf("bad instant %q: %v", when, err)
	}
	r.clock = c
}

func (r *reporting) report(t testing.TB, sprintID string, unit ReportUnit, asOf int64) *SprintReport {
	t.Helper()
	rep, err := r.s.SprintReport(r.ctx, sprintID, unit, asOf)
	if err != nil {
		t.Fatalf("SprintReport(%s, %d): %v", unit, asOf, err)
	}
	return rep
}

func (r *reporting) move(t testing.TB, taskID, col string) {
	t.Helper()
	if _, err := r.s.MoveTask(r.ctx, r.ana, TaskMove{TaskID: taskID, BaseVersion: r.board.task(t, taskID).Version, ColumnID: col}); err != nil {
		t.Fatalf("move %s to %s: %v", taskID, col, err)
	}
}

func (r *reporting) points(t testing.TB, taskID string, pts float64) {
	t.Helper()
	if _, err := r.s.UpdateTask(r.ctx, r.ana, TaskUpdate{TaskID: taskID, BaseVersion: r.board.task(t, taskID).Version, Points: Some(&pts)}); err != nil {
		t.Fatalf("points of %s: %v", taskID, err)
	}
}

func (r *reporting) complete(t testing.TB, id string, dest Destination) {
	t.Helper()
	if _, err := r.s.CompleteSprint(r.ctx, r.ben, SprintCompletion{SprintID: id, BaseVersion: r.get(t, id).Version, Default: dest}); err != nil {
		t.Fatalf("complete: %v", err)
	}
}

func (r *reporting) head(t testing.TB) int64 {
	t.Helper()
	var h int64
	if err := r.s.read.Get(&h, `SELECT MAX(seq) FROM events`); err != nil {
		t.Fatal(err)
	}
	return h
}

func daysText(days []BurndownDay) string {
	var b strings.Builder
	for _, d := range days {
		w := "W"
		if !d.Working {
			w = "-"
		}
		if d.Future {
			fmt.Fprintf(&b, "%s %s ? %.1f\n", d.Date, w, d.Guide)
		} else {
			fmt.Fprintf(&b, "%s %s %g %.1f\n", d.Date, w, d.Remaining, d.Guide)
		}
	}
	return b.String()
}

func TestBurndownScopeWeekendsAndRunningLate(t *testing.T) {
	r := mustReporting(t)
	// Given a sprint planned Mon 2 – Fri 13 November with 3 + 5 + 8 points, started on
	// Monday at 10:00 UTC (project zone UTC, Mon–Fri).
	sp := r.sprint(t, "Sprint A")
	a := r.task(t, "A", "c1", 3, sp.ID)
	b := r.task(t, "B", "c1", 5, sp.ID)
	c := r.task(t, "C", "c2", 8, sp.ID)
	r.at(t, "2026-11-02 10:00")
	r.start(t, sp.ID)
	// When A is done on Tuesday, D (2 points) is added on Wednesday, B is re-estimated
	// to 6 on Thursday, and nothing happens over the weekend.
	r.at(t, "2026-11-03 12:00")
	r.move(t, a.ID, "c4")
	r.at(t, "2026-11-04 15:00")
	d := r.task(t, "D", "c1", 2, sp.ID)
	r.at(t, "2026-11-05 09:00")
	r.points(t, b.ID, 6)
	// Then, as of Friday 6 at noon:
	r.at(t, "2026-11-06 12:00")
	rep := r.report(t, sp.ID, UnitPoints, 0)
	want := `2026-11-02 W 16 14.4
2026-11-03 W 13 12.8
2026-11-04 W 15 11.2
2026-11-05 W 16 9.6
2026-11-06 W 16 8.0
2026-11-07 - ? 8.0
2026-11-08 - ? 8.0
2026-11-09 W ? 6.4
2026-11-10 W ? 4.8
2026-11-11 W ? 3.2
2026-11-12 W ? 1.6
2026-11-13 W ? 0.0
`
	if got := daysText(rep.Burndown.Days); got != want {
		t.Errorf("burndown as of Friday noon:\n%s\nwant (scope added Wednesday does not lift Monday or Tuesday; weekend flat):\n%s", got, want)
	}
	if rep.Burndown.Days[0].Date != "2026-11-02" || !rep.Burndown.Days[0].End.Equal(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("first day %+v, want 2026-11-02 ending at midnight (no day before the start)", rep.Burndown.Days[0])
	}
	if got := rep.Totals; got[BucketCommitted] != 16 || got[BucketAdded] != 2 || got[BucketCompleted] != 3 || got[BucketNotCompleted] != 16 {
		t.Errorf("totals %v, want committed 16, added 2, completed 3, not completed 6 + 8 + 2", got)
	}
	if len(rep.Reestimated) != 1 || rep.Reestimated[0].Task.TaskID != b.ID || rep.Reestimated[0].From != 5 || rep.Reestimated[0].To != 6 {
		t.Errorf("reestimated %+v, want B 5 → 6", rep.Reestimated)
	}
	if len(rep.Added) != 1 || rep.Added[0].Task.TaskID != d.ID || rep.Added[0].Task.By != r.ana {
		t.Errorf("added %+v, want D by Ana", rep.Added)
	}
	_ = c

	// When the sprint runs past its planned end and is completed on Tuesday 17 at 11:00,
	// B and C unfinished, going to the backlog.
	r.at(t, "2026-11-17 11:00")
	r.complete(t, sp.ID, DestBacklog)
	rep = r.report(t, sp.ID, UnitPoints, 0)
	days := rep.Burndown.Days
	last := days[len(days)-1]
	if last.Date != "2026-11-17" || last.Future || last.Remaining != 16 || !last.End.Equal(*rep.CompletedAt) {
		t.Errorf("last day %+v, want 2026-11-17 ending at the completion with 16 left (the carry-overs do not empty it)", last)
	}
	if days[13].Date != "2026-11-15" || days[13].Guide != 0 || days[13].Working {
		t.Errorf("day after the planned end %+v, want guide 0, Sunday not working", days[13])
	}
	if len(rep.NotCompleted) != 3 || rep.NotCompleted[0].To != "" {
		t.Errorf("not completed %+v, want B, C, D to the backlog", rep.NotCompleted)
	}
	if rep.Version != 1 || rep.PreviousAsOf != 0 {
		t.Errorf("version %d previous %d, want 1, 0", rep.Version, rep.PreviousAsOf)
	}
}

func TestBurndownDayBoundariesInTheProjectZone(t *testing.T) {
	for _, tc := range []struct {
		zone string
		want string // remaining at the end of Tuesday and Wednesday
	}{
		{"UTC", "5 5"},           // 23:30 UTC is still Tuesday
		{"Europe/Berlin", "8 5"}, // 23:30 UTC is 00:30 Wednesday in Berlin
	} {
		t.Run(tc.zone, func(t *testing.T) {
			r := mustReporting(t)
			if err := r.s.SetWorkCalendar(r.ctx, r.ana, r.p.ID, WorkCalendarInput{TimeZone: tc.zone,
				Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}}); err != nil {
				t.Fatal(err)
			}
			sp := r.sprint(t, "Zoned")
			a := r.task(t, "A", "c1", 3, sp.ID)
			r.task(t, "B", "c1", 5, sp.ID)
			r.at(t, "2026-11-02 08:00")
			r.start(t, sp.ID)
			// When A is done at 23:30 UTC on Tuesday.
			r.at(t, "2026-11-03 23:30")
			r.move(t, a.ID, "c4")
			r.at(t, "2026-11-05 12:00")
			rep := r.report(t, sp.ID, UnitPoints, 0)
			got := fmt.Sprintf("%g %g", rep.Burndown.Days[1].Remaining, rep.Burndown.Days[2].Remaining)
			if got != tc.want {
				t.Errorf("in %s, remaining at the end of Tue, Wed = %s, want %s\n%s", tc.zone, got, tc.want, daysText(rep.Burndown.Days))
			}
			if rep.TimeZone != tc.zone {
				t.Errorf("time zone %q, want %q", rep.TimeZone, tc.zone)
			}
		})
	}
}

func TestCompletedSprintReportIsFrozen(t *testing.T) {
	r := mustReporting(t)
	sp := r.sprint(t, "Frozen")
	a := r.task(t, "A", "c1", 3, sp.ID)
	b := r.task(t, "B", "c1", 5, sp.ID)
	r.at(t, "2026-11-02 10:00")
	r.start(t, sp.ID)
	r.at(t, "2026-11-04 10:00")
	r.move(t, a.ID, "c4")
	r.at(t, "2026-11-13 17:00")
	r.complete(t, sp.ID, DestBacklog)
	before := map[ReportUnit][]byte{}
	for _, u := range ReportUnits {
		before[u], _ = json.Marshal(r.report(t, sp.ID, u, 0))
	}
	// When its tasks change afterwards: points, title, columns, sprint.
	r.at(t, "2026-11-16 10:00")
	r.points(t, a.ID, 13)
	if _, err := r.s.UpdateTask(r.ctx, r.ana, TaskUpdate{TaskID: a.ID, BaseVersion: r.board.task(t, a.ID).Version, Title: Some("A renamed")}); err != nil {
		t.Fatal(err)
	}
	r.move(t, a.ID, "c1")
	r.move(t, b.ID, "c4")
	next := r.sprint(t, "Next")
	r.plan(t, r.ana, a.ID, next.ID)
	// Then the report, asked now or at the latest position, is the same bytes.
	for _, u := range ReportUnits {
		for _, asOf := range []int64{0, r.head(t)} {
			after, _ := json.Marshal(r.report(t, sp.ID, u, asOf))
			if string(after) != string(before[u]) {
				t.Errorf("unit %s as of %d changed after later edits:\nbefore %s\nafter  %s", u, asOf, before[u], after)
			}
		}
	}
}

func TestSprintReportReopenedMakesANewVersion(t *testing.T) {
	r := mustReporting(t)
	sp := r.sprint(t, "Twice")
	a := r.task(t, "A", "c1", 3, sp.ID)
	r.task(t, "B", "c1", 5, sp.ID)
	r.at(t, "2026-11-02 10:00")
	r.start(t, sp.ID)
	r.at(t, "2026-11-03 10:00")
	r.move(t, a.ID, "c4")
	r.at(t, "2026-11-13 10:00")
	r.complete(t, sp.ID, DestBacklog)
	first := r.head(t)
	r.at(t, "2026-11-13 11:00")
	if _, err := r.s.ReopenSprint(r.ctx, r.ben, sp.ID, r.get(t, sp.ID).Version); err != nil {
		t.Fatal(err)
	}
	r.task(t, "C", "c4", 2, sp.ID)
	r.at(t, "2026-11-13 12:00")
	r.complete(t, sp.ID, DestBacklog)
	second := r.head(t)
	versions, err := r.s.SprintReportVersions(r.ctx, sp.ID)
	if err != nil || len(versions) != 2 || versions[0] != first || versions[1] != second {
		t.Fatalf("versions %v, %v; want [%d %d]", versions, err, first, second)
	}
	v1 := r.report(t, sp.ID, UnitPoints, first)
	v2 := r.report(t, sp.ID, UnitPoints, 0)
	if v1.Version != 1 || v1.AsOf != first || v2.Version != 2 || v2.PreviousAsOf != first || v2.AsOf != second {
		t.Errorf("v1 %d@%d, v2 %d@%d previous %d; want 1@%d, 2@%d previous %d", v1.Version, v1.AsOf, v2.Version, v2.AsOf, v2.PreviousAsOf, first, second, first)
	}
	if v1.Totals[BucketCompleted] != 3 || v1.Totals[BucketNotCompleted] != 5 {
		t.Errorf("v1 totals %v", v1.Totals)
	}
	// C was created done after the reopen: completed outside the sprint.
	if v2.Totals[BucketCompleted] != 3 || v2.Totals[BucketCompletedOutside] != 2 || v2.Totals[BucketNotCompleted] != 0 || v2.Totals[BucketAdded] != 2 {
		t.Errorf("v2 totals %v", v2.Totals)
	}
}

func TestSprintReportRefusals(t *testing.T) {
	r := mustReporting(t)
	sp := r.sprint(t, "TACK Sprint 1")
	_, err := r.s.SprintReport(r.ctx, sp.ID, UnitPoints, 0)
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "TACK Sprint 1 has not started; its report begins when it starts.") {
		t.Errorf("planned sprint: %v", err)
	}
	if _, err := r.s.SprintReport(r.ctx, "nope", UnitPoints, 0); ErrorCode(err) != ENOTFOUND {
		t.Errorf("unknown sprint: %v", err)
	}
	r.start(t, sp.ID)
	if _, err := r.s.SprintReport(r.ctx, sp.ID, "hours", 0); ErrorCode(err) != EINVALID {
		t.Errorf("unknown unit: %v", err)
	}
	if _, err := r.s.SprintReport(r.ctx, sp.ID, UnitPoints, r.head(t)+5); ErrorCode(err) != EINVALID {
		t.Errorf("position beyond the log: %v", err)
	}
	_, err = r.s.SprintReport(r.ctx, sp.ID, UnitPoints, 1)
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "did not exist yet at position 1") {
		t.Errorf("position before the sprint: %v", err)
	}
	if _, err := r.s.SprintReport(r.ctx, sp.ID, UnitPoints, -1); ErrorCode(err) != EINVALID {
		t.Errorf("negative position: %v", err)
	}
}

// TestDemoSprintReport: the demo's completed sprint is a report worth printing: over 40
// tasks, scope added and removed after its start, re-estimates, a carry-over, a task
// completed before it began, work logged, and a weekend inside it.
func TestDemoSprintReport(t *testing.T) {
	s := mustOpenStore(t) // its clock starts on Monday 2026-11-02, after the demo's first sprint
	ctx := t.Context()
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	var projectID string
	if err := s.read.Get(&projectID, `SELECT id FROM projects WHERE key = 'DEMO'`); err != nil {
		t.Fatal(err)
	}
	sp, err := s.SprintByNumber(ctx, projectID, 1)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.SprintReport(ctx, sp.ID, UnitPoints, 0)
	if err != nil {
		t.Fatal(err)
	}
	tasks := len(rep.Completed) + len(rep.CompletedOutside) + len(rep.NotCompleted)
	if len(rep.Committed) < 40 || tasks < 40 {
		t.Errorf("%d committed, %d at completion; want at least 40", len(rep.Committed), tasks)
	}
	if len(rep.Added) < 1 || len(rep.Removed) < 1 || len(rep.Reestimated) < 1 || len(rep.NotCompleted) < 1 || len(rep.CompletedOutside) < 1 {
		t.Errorf("added %d, removed %d, re-estimated %d, not completed %d, completed outside %d; want each at least 1",
			len(rep.Added), len(rep.Removed), len(rep.Reestimated), len(rep.NotCompleted), len(rep.CompletedOutside))
	}
	if rep.TimeLogged == 0 {
		t.Error("no time logged in the demo's first sprint")
	}
	weekend := 0
	for _, d := range rep.Burndown.Days {
		if !d.Working {
			weekend++
		}
	}
	if rep.Burndown.Days[0].Date != "2026-10-19" || rep.Burndown.Days[len(rep.Burndown.Days)-1].Date != "2026-10-30" || weekend != 2 {
		t.Errorf("burndown days %s … %s with %d not working; want 19–30 October with a weekend",
			rep.Burndown.Days[0].Date, rep.Burndown.Days[len(rep.Burndown.Days)-1].Date, weekend)
	}
	for _, u := range ReportUnits[1:] {
		if _, err := s.SprintReport(ctx, sp.ID, u, 0); err != nil {
			t.Errorf("unit %s: %v", u, err)
		}
	}
	t.Logf("demo sprint 1: committed %d, totals %v, time logged %ds\n%s", len(rep.Committed), rep.Totals, rep.TimeLogged, daysText(rep.Burndown.Days))
}

// BenchmarkSprintReportDemo computes the demo's completed sprint report (46 tasks,
// about 400 events folded) from the log.
func BenchmarkSprintReportDemo(b *testing.B) {
	s := mustOpenStore(b)
	ctx := context.Background()
	if _, err := s.SeedDemo(ctx); err != nil {
		b.Fatal(err)
	}
	var id string
	if err := s.read.Get(&id, `SELECT s.id FROM sprints s JOIN projects p ON p.id = s.project_id WHERE p.key = 'DEMO' AND s.number = 1`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.SprintReport(ctx, id, UnitPoints, 0); err != nil {
			b.Fatal(err)
		}
	}
}
