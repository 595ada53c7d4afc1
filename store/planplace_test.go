package store

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// PlanPlace and BacklogSize read one task's place and the backlog's size without the
// page's other rows; they must say what the whole page (Backlog) says, whatever the
// mix of sprints, columns, completed sprints, archived tasks and rank ties.
func TestPlanPlaceAgreesWithTheBacklog(t *testing.T) {
	b := mustPlanning(t)
	rng := rand.New(rand.NewPCG(10, 11))
	done := b.sprint(t, "")
	b.start(t, done.ID)
	active := b.sprint(t, "")
	planned := b.sprint(t, "")
	lists := []string{"", done.ID, active.ID, planned.ID}
	columns := []string{colToDo, colInProgress, colInReview, colDone}
	var ids []string
	for i := range 40 {
		task := b.task(t, "T"+string(rune('A'+i%26))+string(rune('a'+i/26)), columns[rng.IntN(len(columns))], float64(rng.IntN(5)), lists[rng.IntN(len(lists))])
		ids = append(ids, task.ID)
	}
	// Some reorders, and some archived tasks.
	for range 15 {
		id := ids[rng.IntN(len(ids))]
		after := ids[rng.IntN(len(ids))]
		if _, err := b.s.PlanTask(b.ctx, b.ben, TaskPlan{TaskID: id, BaseVersion: b.board.task(t, id).Version, AfterID: after}); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		id := ids[rng.IntN(len(ids))]
		if _, err := b.s.UpdateTask(b.ctx, b.ben, TaskUpdate{TaskID: id, BaseVersion: b.board.task(t, id).Version, Archived: Some(true)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.s.CompleteSprint(b.ctx, b.ana, SprintCompletion{SprintID: done.ID, BaseVersion: b.get(t, done.ID).Version, Default: DestBacklog}); err != nil {
		t.Fatal(err)
	}
	b.start(t, active.ID)

	bl, err := b.s.Backlog(b.ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	type place struct {
		list, after string
		index       int
	}
	want := map[string]place{}
	for _, l := range append(bl.Sprints, bl.Backlog) {
		list := ""
		if l.Sprint != nil {
			list = l.Sprint.ID
		}
		for i, task := range l.Tasks {
			p := place{list: list, index: i}
			if i > 0 {
				p.after = l.Tasks[i-1].ID
			}
			want[task.ID] = p
		}
	}
	if len(want) == 0 || len(bl.Backlog.Tasks) == 0 {
		t.Fatalf("the test's backlog is empty: %d shown, %d in the backlog", len(want), len(bl.Backlog.Tasks))
	}
	for _, id := range ids {
		got, err := b.s.PlanPlace(b.ctx, id, true)
		if err != nil {
			t.Fatal(err)
		}
		w, shown := want[id]
		if got.Shown != shown {
			t.Errorf("%s: shown %v, the page %v", got.Task.Title, got.Shown, shown)
			continue
		}
		if shown && (got.List != w.list || got.After != w.after || got.Index != w.index) {
			t.Errorf("%s: list %q after %q at %d; the page: list %q after %q at %d", got.Task.Title, got.List, got.After, got.Index, w.list, w.after, w.index)
		}
	}
	// The task list's "none" filter (the API's ?sprint=none) is the same backlog.
	none, err := b.s.Tasks(b.ctx, b.p.ID, TaskFilter{Sprint: "none"})
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs, wantIDs []string
	for _, task := range none {
		gotIDs = append(gotIDs, task.ID)
	}
	for _, task := range bl.Backlog.Tasks {
		wantIDs = append(wantIDs, task.ID)
	}
	slices.Sort(gotIDs)
	slices.Sort(wantIDs)
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("Tasks(Sprint: none) = %d tasks, the backlog %d", len(gotIDs), len(wantIDs))
	}
	n, pts, err := b.s.BacklogSize(b.ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wantPts float64
	for _, task := range bl.Backlog.Tasks {
		wantPts += *task.Points
	}
	if n != len(bl.Backlog.Tasks) || pts != wantPts {
		t.Errorf("BacklogSize = %d tasks, %v points; the page shows %d, %v", n, pts, len(bl.Backlog.Tasks), wantPts)
	}
}
