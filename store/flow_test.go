package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// flowText writes a flow's days as "2026-11-02 c1=2 c2=1 …" lines, names where asked.
func flowText(r *FlowReport, names bool) string {
	var b strings.Builder
	for _, d := range r.Days {
		b.WriteString(d.Date)
		for _, c := range d.Columns {
			if names {
				fmt.Fprintf(&b, " %s:%s=%d", c.ColumnID, c.Name, c.Count)
			} else {
				fmt.Fprintf(&b, " %s=%d", c.ColumnID, c.Count)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func (r *reporting) renameColumn(t testing.TB, id, name string) {
	t.Helper()
	p, err := r.s.Project(r.ctx, r.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	cols := slices.Clone(p.Columns)
	for i := range cols {
		if cols[i].ID == id {
			cols[i].Name = name
		}
	}
	if err := r.s.ChangeWorkflow(r.ctx, r.ana, r.p.ID, p.Version, cols); err != nil {
		t.Fatalf("rename %s: %v", id, err)
	}
}

func (r *reporting) archive(t testing.TB, id string) {
	t.Helper()
	if _, err := r.s.UpdateTask(r.ctx, r.ana, TaskUpdate{TaskID: id, BaseVersion: r.board.task(t, id).Version, Archived: Some(true)}); err != nil {
		t.Fatalf("archive %s: %v", id, err)
	}
}

// Given a history over four days in Berlin (UTC+1) with moves, a renamed column, an
// archived task and a move at 00:30 Berlin time (23:30 UTC the day before), when the
// flow and the cycle times are read, then each day counts the board at its end in
// Berlin, the renamed column shows its name of the day, and the task done after
// midnight is done on the Berlin day.
func TestCumulativeFlowAndCycleTimes(t *testing.T) {
	r := mustReporting(t)
	r.at(t, "2026-11-01 08:00")
	if err := r.s.SetWorkCalendar(r.ctx, r.ana, r.p.ID, WorkCalendarInput{TimeZone: "Europe/Berlin", Weekdays: []time.Weekday{time.Monday}}); err != nil {
		t.Fatal(err)
	}
	r.at(t, "2026-11-02 09:00")
	a := r.mustCreate(t, "A", "c1")
	b := r.mustCreate(t, "B", "c1")
	c := r.mustCreate(t, "C", "c2")
	r.at(t, "2026-11-03 10:00")
	r.move(t, a.ID, "c2")
	r.at(t, "2026-11-03 23:30") // 00:30 on the 4th in Berlin
	r.move(t, a.ID, "c4")
	r.at(t, "2026-11-04 12:00")
	r.renameColumn(t, "c3", "Review")
	r.move(t, b.ID, "c3")
	r.at(t, "2026-11-05 12:00")
	r.archive(t, c.ID)
	r.at(t, "2026-11-05 18:00")

	fl, err := r.s.CumulativeFlow(r.ctx, r.p.ID, "2026-11-01", "2026-11-05")
	if err != nil {
		t.Fatal(err)
	}
	want := `2026-11-01 c1=0 c2=0 c3=0 c4=0
2026-11-02 c1=2 c2=1 c3=0 c4=0
2026-11-03 c1=1 c2=2 c3=0 c4=0
2026-11-04 c1=0 c2=1 c3=1 c4=1
2026-11-05 c1=0 c2=0 c3=1 c4=1
`
	if got := flowText(fl, false); got != want {
		t.Errorf("flow:\n%s\nwant:\n%s", got, want)
	}
	if d, _ := fl.Days[2].Columns[2], 0; d.Name != "In Review" {
		t.Errorf("3 Nov: c3 is %q, want its name then, In Review", d.Name)
	}
	if d := fl.Days[3].Columns[2]; d.Name != "Review" {
		t.Errorf("4 Nov: c3 is %q, want Review", d.Name)
	}
	if s := fl.Series[2]; s.Label() != "Review (earlier In Review)" {
		t.Errorf("series label %q", s.Label())
	}
	if fl.TimeZone != "Europe/Berlin" || fl.Key != "TACK" {
		t.Errorf("zone %q key %q", fl.TimeZone, fl.Key)
	}

	ct, err := r.s.CycleTimes(r.ctx, r.p.ID, "2026-11-01", "2026-11-05")
	if err != nil {
		t.Fatal(err)
	}
	if len(ct.Tasks) != 1 || ct.Tasks[0].TaskID != a.ID || ct.Tasks[0].Seconds == nil || *ct.Tasks[0].Seconds != 13*3600+30*60 {
		t.Fatalf("cycle times: %+v", ct.Tasks)
	}
	if ct.Median != 13*3600+30*60 || ct.P85 != ct.Median || ct.Measured != 1 {
		t.Errorf("median %d p85 %d measured %d", ct.Median, ct.P85, ct.Measured)
	}
	// Done at 00:30 on the 4th in Berlin: not done on the 3rd.
	ct, err = r.s.CycleTimes(r.ctx, r.p.ID, "2026-11-03", "2026-11-03")
	if err != nil {
		t.Fatal(err)
	}
	if len(ct.Tasks) != 0 {
		t.Errorf("3 Nov: %+v, want none done", ct.Tasks)
	}
}

// A task moved straight from to do to done is listed without a cycle time and left
// out of the percentiles; a column made done by a workflow change completes its tasks.
func TestCycleTimesWithoutStartAndCategoryChange(t *testing.T) {
	r := mustReporting(t)
	r.at(t, "2026-11-02 09:00")
	a := r.mustCreate(t, "A", "c1")
	b := r.mustCreate(t, "B", "c2")
	r.at(t, "2026-11-02 12:00")
	r.move(t, a.ID, "c4")
	r.at(t, "2026-11-03 09:00")
	p, err := r.s.Project(r.ctx, r.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	cols := slices.Clone(p.Columns)
	cols[1].Category = CategoryDone
	if err := r.s.ChangeWorkflow(r.ctx, r.ana, r.p.ID, p.Version, cols); err != nil {
		t.Fatal(err)
	}
	ct, err := r.s.CycleTimes(r.ctx, r.p.ID, "2026-11-02", "2026-11-03")
	if err != nil {
		t.Fatal(err)
	}
	// The test clock adds a second per command.
	if len(ct.Tasks) != 2 || ct.Tasks[0].TaskID != a.ID || ct.Tasks[0].Seconds != nil || ct.Tasks[1].TaskID != b.ID ||
		ct.Tasks[1].Seconds == nil || *ct.Tasks[1].Seconds != int64(ct.Tasks[1].Done.Sub(*ct.Tasks[1].Started)/time.Second) ||
		*ct.Tasks[1].Seconds < 24*3600-10 || *ct.Tasks[1].Seconds > 24*3600 {
		t.Fatalf("cycle times: %+v", ct.Tasks)
	}
	if ct.Measured != 1 || ct.Median != *ct.Tasks[1].Seconds {
		t.Errorf("measured %d median %d", ct.Measured, ct.Median)
	}
}

func TestNearestRank(t *testing.T) {
	for _, c := range []struct {
		in       []int64
		p50, p85 int64
	}{
		{nil, 0, 0},
		{[]int64{5}, 5, 5},
		{[]int64{1, 2}, 1, 2},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, 9},
		{[]int64{15, 20, 35, 40, 50}, 35, 50},
	} {
		if g50, g85 := NearestRank(c.in, 50), NearestRank(c.in, 85); g50 != c.p50 || g85 != c.p85 {
			t.Errorf("%v: p50 %d p85 %d, want %d %d", c.in, g50, g85, c.p50, c.p85)
		}
	}
}

func TestFlowRangeRefusals(t *testing.T) {
	r := mustReporting(t)
	r.at(t, "2026-11-10 09:00")
	for _, c := range [][2]string{
		{"2026-11-xx", "2026-11-05"}, {"2026-11-01", ""}, {"2026-11-05", "2026-11-01"},
		{"2025-01-01", "2026-01-02"}, {"2026-11-01", "2026-11-30"},
	} {
		_, err := r.s.CumulativeFlow(r.ctx, r.p.ID, c[0], c[1])
		if ErrorCode(err) != EINVALID || ErrorMessage(err) == "" {
			t.Errorf("%v: %v, want EINVALID with a message", c, err)
		}
	}
	if _, err := r.s.CumulativeFlow(r.ctx, "nope", "2026-11-01", "2026-11-02"); ErrorCode(err) != ENOTFOUND {
		t.Errorf("unknown project: %v", err)
	}
	// 366 days is the most.
	if _, err := r.s.CumulativeFlow(r.ctx, r.p.ID, "2025-11-10", "2026-11-10"); err != nil {
		t.Errorf("366 days: %v", err)
	}
}

// Randomized: for random histories over about ten days (moves, archives and restores,
// renames, category flips, a column removed), each day's counts and workflow equal the
// board as it was (BoardAsOf) at the project's last event of that day (SeqAt).
func TestCumulativeFlowMatchesBoardAsOf(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := mustReporting(t)
			rnd := rand.New(rand.NewPCG(seed, seed*31+7))
			zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Pacific/Chatham"}
			r.at(t, "2026-11-01 00:00")
			if err := r.s.SetWorkCalendar(r.ctx, r.ana, r.p.ID, WorkCalendarInput{TimeZone: zones[rnd.IntN(len(zones))], Weekdays: []time.Weekday{time.Monday}}); err != nil {
				t.Fatal(err)
			}
			cols := []string{"c1", "c2", "c3", "c4"}
			var tasks []string
			ok := func(err error) {
				t.Helper()
				if err != nil && ErrorCode(err) != EINVALID && ErrorCode(err) != ECONFLICT {
					t.Fatalf("seed %d: %v", seed, err)
				}
			}
			for step := 0; step < 80; step++ {
				r.clock = r.clock.Add(time.Duration(rnd.IntN(6*60)+1) * time.Minute)
				a := rnd.IntN(10)
				if len(tasks) == 0 || a < 2 {
					task, err := r.s.CreateTask(r.ctx, r.ana, NewTask{ProjectID: r.p.ID, Title: fmt.Sprint("T", step), ColumnID: cols[rnd.IntN(4)]})
					ok(err)
					if err == nil {
						tasks = append(tasks, task.ID)
					}
					continue
				}
				id := tasks[rnd.IntN(len(tasks))]
				task := r.board.task(t, id)
				switch {
				case a < 6:
					_, err := r.s.MoveTask(r.ctx, r.ben, TaskMove{TaskID: id, BaseVersion: task.Version, ColumnID: cols[rnd.IntN(4)]})
					ok(err)
				case a < 7:
					_, err := r.s.UpdateTask(r.ctx, r.ana, TaskUpdate{TaskID: id, BaseVersion: task.Version, Archived: Some(!task.Archived)})
					ok(err)
				default:
					p, err := r.s.Project(r.ctx, r.p.ID)
					if err != nil {
						t.Fatal(err)
					}
					columns := slices.Clone(p.Columns)
					switch rnd.IntN(3) {
					case 0:
						columns[len(columns)/2].Name = fmt.Sprint("Step ", step)
					case 1:
						i := rnd.IntN(len(columns))
						if columns[i].Category == CategoryDone {
							columns[i].Category = CategoryInProgress
						} else {
							columns[i].Category = CategoryDone
						}
					default:
						if len(columns) > 3 {
							columns = slices.Delete(columns, 2, 3) // refused while it holds tasks
						}
					}
					ok(r.s.ChangeWorkflow(r.ctx, r.ana, r.p.ID, p.Version, columns))
				}
			}
			r.clock = r.clock.Add(time.Hour)
			from := "2026-10-31"
			to := r.clock.UTC().Format(time.DateOnly) // tomorrow in Tokyo, today elsewhere: clamp below
			fl, err := r.s.CumulativeFlow(r.ctx, r.p.ID, from, to)
			if ErrorCode(err) == EINVALID {
				to = r.clock.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
				fl, err = r.s.CumulativeFlow(r.ctx, r.p.ID, from, to)
			}
			if err != nil {
				t.Fatal(err)
			}
			checked := checkFlowAgainstBoardAsOf(t, r.s, r.p.ID, fl)
			if checked < 5 {
				t.Fatalf("only %d days checked", checked)
			}
		})
	}
}

// checkFlowAgainstBoardAsOf checks each day of fl against the board as it was at the
// project's last event of that day, and returns how many days had a board.
func checkFlowAgainstBoardAsOf(t *testing.T, s *Store, projectID string, fl *FlowReport) int {
	t.Helper()
	ctx := context.Background()
	loc, _ := time.LoadLocation(fl.TimeZone)
	checked := 0
	for _, d := range fl.Days {
		seq, err := s.SeqAt(ctx, projectID, d.End.Add(-time.Nanosecond))
		if err != nil {
			t.Fatal(err)
		}
		if seq != d.Seq {
			t.Fatalf("%s: flow at seq %d, last event of the day (in %s) is %d", d.Date, d.Seq, loc, seq)
		}
		if seq == 0 {
			if len(d.Columns) != 0 {
				t.Fatalf("%s: columns before the project existed: %+v", d.Date, d.Columns)
			}
			continue
		}
		st, err := s.BoardAsOf(ctx, projectID, seq)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, task := range st.Tasks {
			counts[task.ColumnID]++
		}
		var want []FlowCount
		for _, c := range st.Project.Columns {
			want = append(want, FlowCount{ColumnID: c.ID, Name: c.Name, Category: st.Project.Category(c.ID), Count: counts[c.ID]})
		}
		if !slices.Equal(d.Columns, want) {
			t.Fatalf("%s (seq %d):\n got %+v\nwant %+v", d.Date, seq, d.Columns, want)
		}
		checked++
	}
	return checked
}

// The demo's whole history (sprints, archives, many moves) agrees with BoardAsOf day
// by day.
func TestCumulativeFlowOfTheDemoMatchesBoardAsOf(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	var id string
	if err := s.read.Get(&id, `SELECT id FROM projects WHERE key = 'DEMO'`); err != nil {
		t.Fatal(err)
	}
	to := s.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	from := s.Now().UTC().AddDate(0, 0, -120).Format(time.DateOnly)
	fl, err := s.CumulativeFlow(ctx, id, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if n := checkFlowAgainstBoardAsOf(t, s, id, fl); n < 10 {
		t.Fatalf("only %d days with a board", n)
	}
	ct, err := s.CycleTimes(ctx, id, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if ct.Measured == 0 {
		t.Errorf("the demo has no cycle time in %s..%s", from, to)
	}
	// The page's one fold gives both reports, the same as each alone.
	bothFlow, bothCycle, err := s.FlowAndCycle(ctx, id, from, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]any{{fl, bothFlow}, {ct, bothCycle}} {
		alone, _ := json.Marshal(pair[0])
		both, _ := json.Marshal(pair[1])
		if string(alone) != string(both) {
			t.Errorf("FlowAndCycle differs from the report alone:\n%s\n%s", both, alone)
		}
	}
}
