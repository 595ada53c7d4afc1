package store

import (
	"fmt"
	"strings"
	"testing"
)

func velocityText(v *VelocityReport) string {
	var b strings.Builder
	for _, l := range v.Sprints {
		fmt.Fprintf(&b, "%s committed=%g added=%g removed=%g reestimated=%g final=%g completed=%g\n",
			l.Name, l.Committed, l.Added, l.Removed, l.Reestimated, l.Final, l.Completed)
	}
	fmt.Fprintf(&b, "average=%.4g median=%g\n", v.Average, v.Median)
	return b.String()
}

// velocityHistory builds three completed sprints and an active one:
// S1: A 3 + B 5 committed, C 2 added, B re-estimated 5 → 8, A done.
// S2: D 4 + E 1 committed, E removed, D done.
// S3: F 6 committed and done.
// S4: G 2, active (not in the report).
func velocityHistory(t *testing.T) *reporting {
	r := mustReporting(t)
	s1 := r.sprint(t, "S1")
	a := r.task(t, "A", "c1", 3, s1.ID)
	b := r.task(t, "B", "c1", 5, s1.ID)
	r.at(t, "2026-11-02 10:00")
	r.start(t, s1.ID)
	r.at(t, "2026-11-03 10:00")
	r.task(t, "C", "c1", 2, s1.ID)
	r.move(t, a.ID, "c4")
	r.points(t, b.ID, 8)
	r.at(t, "2026-11-13 17:00")
	r.complete(t, s1.ID, DestBacklog)

	s2 := r.sprint(t, "S2")
	d := r.task(t, "D", "c1", 4, s2.ID)
	e := r.task(t, "E", "c1", 1, s2.ID)
	r.at(t, "2026-11-16 10:00")
	r.start(t, s2.ID)
	r.at(t, "2026-11-17 10:00")
	r.plan(t, r.ana, e.ID, "")
	r.move(t, d.ID, "c4")
	r.at(t, "2026-11-27 17:00")
	r.complete(t, s2.ID, DestBacklog)

	s3 := r.sprint(t, "S3")
	f := r.task(t, "F", "c1", 6, s3.ID)
	r.at(t, "2026-11-30 10:00")
	r.start(t, s3.ID)
	r.move(t, f.ID, "c4")
	r.at(t, "2026-12-11 17:00")
	r.complete(t, s3.ID, DestBacklog)

	s4 := r.sprint(t, "S4")
	r.task(t, "G", "c1", 2, s4.ID)
	r.at(t, "2026-12-14 10:00")
	r.start(t, s4.ID)
	return r
}

func TestVelocity(t *testing.T) {
	r := velocityHistory(t)
	cases := []struct {
		name string
		unit ReportUnit
		n    int
		want string
	}{
		{"points, all", UnitPoints, 0, `S1 committed=8 added=2 removed=0 reestimated=3 final=13 completed=3
S2 committed=5 added=0 removed=1 reestimated=0 final=4 completed=4
S3 committed=6 added=0 removed=0 reestimated=0 final=6 completed=6
average=4.333 median=4
`},
		{"points, last 7 of 3", UnitPoints, 7, `S1 committed=8 added=2 removed=0 reestimated=3 final=13 completed=3
S2 committed=5 added=0 removed=1 reestimated=0 final=4 completed=4
S3 committed=6 added=0 removed=0 reestimated=0 final=6 completed=6
average=4.333 median=4
`},
		{"points, last 2", UnitPoints, 2, `S2 committed=5 added=0 removed=1 reestimated=0 final=4 completed=4
S3 committed=6 added=0 removed=0 reestimated=0 final=6 completed=6
average=5 median=5
`},
		{"count, all", UnitCount, 0, `S1 committed=2 added=1 removed=0 reestimated=0 final=3 completed=1
S2 committed=2 added=0 removed=1 reestimated=0 final=1 completed=1
S3 committed=1 added=0 removed=0 reestimated=0 final=1 completed=1
average=1 median=1
`},
		{"no estimates in time units", UnitRemaining, 1, `S3 committed=0 added=0 removed=0 reestimated=0 final=0 completed=0
average=0 median=0
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := r.s.Velocity(r.ctx, r.p.ID, c.unit, c.n)
			if err != nil {
				t.Fatal(err)
			}
			if got := velocityText(v); got != c.want {
				t.Errorf("got\n%swant\n%s", got, c.want)
			}
			if v.Available != 3 {
				t.Errorf("available = %d, want 3 (the active sprint is not completed)", v.Available)
			}
		})
	}
}

// TestVelocityMatchesSprintReports checks each line against the sprint's own report:
// the final commitment is what the sprint held at completion (completed + completed
// outside + not completed).
func TestVelocityMatchesSprintReports(t *testing.T) {
	r := velocityHistory(t)
	for _, u := range ReportUnits {
		v, err := r.s.Velocity(r.ctx, r.p.ID, u, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range v.Sprints {
			rep := r.report(t, l.SprintID, u, 0)
			if l.Committed != rep.Totals[BucketCommitted] || l.Added != rep.Totals[BucketAdded] ||
				l.Removed != rep.Totals[BucketRemoved] || l.Completed != rep.Totals[BucketCompleted] || l.AsOf != rep.AsOf {
				t.Errorf("%s %s: line %+v differs from the report's totals %v at %d", u, l.Name, l, rep.Totals, rep.AsOf)
			}
			held := rep.Totals[BucketCompleted] + rep.Totals[BucketCompletedOutside] + rep.Totals[BucketNotCompleted]
			if l.Final != held {
				t.Errorf("%s %s: final %g, but the sprint held %g at completion", u, l.Name, l.Final, held)
			}
			if sum := l.Committed + l.Added - l.Removed + l.Reestimated; sum != held {
				t.Errorf("%s %s: committed + added − removed ± re-estimates = %g, but the sprint held %g", u, l.Name, sum, held)
			}
		}
	}
}

func TestVelocityRefusals(t *testing.T) {
	r := velocityHistory(t)
	_, err := r.s.Velocity(r.ctx, r.p.ID, "hours", 0)
	wantCode(t, err, EINVALID, `Unknown unit "hours": choose points, count, remaining or original.`)
	_, err = r.s.Velocity(r.ctx, r.p.ID, UnitPoints, -1)
	wantCode(t, err, EINVALID, "The number of sprints must be 1 or more (or all).")
	// A project with no completed sprint has an empty report.
	v, err := r.s.Velocity(r.ctx, "no-such-project", UnitPoints, 0)
	if err != nil || len(v.Sprints) != 0 || v.Average != 0 || v.Median != 0 {
		t.Errorf("empty project: %+v, %v", v, err)
	}
}

func TestAverageMedian(t *testing.T) {
	for _, c := range []struct {
		in       []float64
		avg, med float64
	}{
		{nil, 0, 0},
		{[]float64{5}, 5, 5},
		{[]float64{1, 9}, 5, 5},
		{[]float64{9, 1, 2}, 4, 2},
		{[]float64{10, 0, 3, 1}, 3.5, 2},
	} {
		var lines []VelocitySprint
		for _, x := range c.in {
			lines = append(lines, VelocitySprint{Completed: x})
		}
		if a, m := averageMedian(lines); a != c.avg || m != c.med {
			t.Errorf("%v: average %g median %g, want %g %g", c.in, a, m, c.avg, c.med)
		}
	}
}

// TestVelocityReopenedSprint: a sprint reopened and completed again counts once, with its
// latest completion's numbers, at the place of that completion in the log.
func TestVelocityReopenedSprint(t *testing.T) {
	r := mustReporting(t)
	s1 := r.sprint(t, "S1")
	a := r.task(t, "A", "c1", 3, s1.ID)
	b := r.task(t, "B", "c1", 5, s1.ID)
	r.at(t, "2026-11-02 10:00")
	r.start(t, s1.ID)
	r.move(t, a.ID, "c4")
	r.at(t, "2026-11-13 17:00")
	r.complete(t, s1.ID, DestBacklog)
	s2 := r.sprint(t, "S2")
	r.task(t, "C", "c1", 1, s2.ID)
	r.at(t, "2026-11-16 10:00")
	r.start(t, s2.ID)
	r.at(t, "2026-11-27 17:00")
	r.complete(t, s2.ID, DestBacklog)
	before, err := r.s.Velocity(r.ctx, r.p.ID, UnitPoints, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := velocityText(before); got != `S1 committed=8 added=0 removed=0 reestimated=0 final=8 completed=3
S2 committed=1 added=0 removed=0 reestimated=0 final=1 completed=0
average=1.5 median=1.5
` {
		t.Errorf("before reopening:\n%s", got)
	}
	// S1 is reopened, B is put back in it and done, and S1 completed again. B left S1
	// at its first completion, which the reopening undid: a removal; it came back: an
	// addition. The final commitment is what S1 held, A and B: 8 + 5 − 5.
	r.at(t, "2026-11-30 10:00")
	if _, err := r.s.ReopenSprint(r.ctx, r.ben, s1.ID, r.get(t, s1.ID).Version); err != nil {
		t.Fatal(err)
	}
	r.plan(t, r.ana, b.ID, s1.ID)
	r.move(t, b.ID, "c4")
	r.complete(t, s1.ID, DestBacklog)
	v, err := r.s.Velocity(r.ctx, r.p.ID, UnitPoints, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := velocityText(v), `S2 committed=1 added=0 removed=0 reestimated=0 final=1 completed=0
S1 committed=8 added=5 removed=5 reestimated=0 final=8 completed=8
average=4 median=4
`; got != want {
		t.Errorf("after completing S1 again:\n%swant\n%s", got, want)
	}
	if len(v.Sprints) == 2 && v.Sprints[1].Version != 2 {
		t.Errorf("S1's line is version %d, want 2", v.Sprints[1].Version)
	}
}
