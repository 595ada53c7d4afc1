package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// lists renders the backlog page's lists: "S1: A B | S2: C | backlog: D E".
func (b *planning) lists(t testing.TB) string {
	t.Helper()
	bl, err := b.s.Backlog(b.ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	show := func(name string, tasks []*Task) {
		titles := []string{name + ":"}
		for _, task := range tasks {
			titles = append(titles, task.Title)
		}
		parts = append(parts, strings.Join(titles, " "))
	}
	for _, l := range bl.Sprints {
		show(strings.TrimPrefix(l.Sprint.Name, "TACK Sprint "), l.Tasks)
	}
	show("backlog", bl.Backlog.Tasks)
	return strings.Join(parts, " | ")
}

func TestPlanTaskPlacesInTheListsOrder(t *testing.T) {
	b := mustPlanning(t)
	one := b.sprint(t, "")
	two := b.sprint(t, "")
	ids := map[string]string{}
	for _, title := range []string{"A", "B", "C", "D", "E"} {
		ids[title] = b.task(t, title, colToDo, 1, "").ID
	}
	if got := b.lists(t); got != "1: | 2: | backlog: A B C D E" {
		t.Fatalf("given %q", got)
	}
	tests := []struct {
		title  string
		plan   TaskPlan // TaskID and BaseVersion filled in
		want   string
		events []string
	}{
		{"D", TaskPlan{Sprint: Some(one.ID)}, "1: D | 2: | backlog: A B C E", []string{TypeTaskSprintChanged, TypeTaskMoved}},
		{"B", TaskPlan{Sprint: Some(one.ID), BeforeID: "D"}, "1: B D | 2: | backlog: A C E", []string{TypeTaskSprintChanged, TypeTaskMoved}},
		{"E", TaskPlan{Step: StepTop}, "1: B D | 2: | backlog: E A C", []string{TypeTaskMoved}},
		{"A", TaskPlan{Step: StepDown}, "1: B D | 2: | backlog: E C A", []string{TypeTaskMoved}},
		{"A", TaskPlan{Step: StepDown}, "1: B D | 2: | backlog: E C A", nil},
		{"C", TaskPlan{Sprint: Some(two.ID), AfterID: "nosuch"}, "1: B D | 2: C | backlog: E A", []string{TypeTaskSprintChanged, TypeTaskMoved}},
		{"B", TaskPlan{AfterID: "D"}, "1: D B | 2: C | backlog: E A", []string{TypeTaskMoved}},
		{"D", TaskPlan{Sprint: Some(""), AfterID: "E"}, "1: B | 2: C | backlog: E D A", []string{TypeTaskSprintChanged, TypeTaskMoved}},
		// A neighbour from another list does not count: the task goes to the bottom.
		{"E", TaskPlan{Sprint: Some(two.ID), AfterID: "B"}, "1: B | 2: C E | backlog: D A", []string{TypeTaskSprintChanged, TypeTaskMoved}},
	}
	for i, tt := range tests {
		id := ids[tt.title]
		pl := tt.plan
		pl.TaskID, pl.BaseVersion = id, b.board.task(t, id).Version
		if pl.AfterID != "" && ids[pl.AfterID] != "" {
			pl.AfterID = ids[pl.AfterID]
		}
		if pl.BeforeID != "" {
			pl.BeforeID = ids[pl.BeforeID]
		}
		res, err := b.s.PlanTask(b.ctx, b.ben, pl)
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, tt.title, err)
		}
		var types []string
		for _, e := range res.Events {
			types = append(types, e.Type)
		}
		if got := b.lists(t); got != tt.want || fmt.Sprint(types) != fmt.Sprint(tt.events) {
			t.Errorf("step %d (%s %+v): lists %q events %v\nwant          %q events %v", i, tt.title, tt.plan, got, types, tt.want, tt.events)
		}
		if res.Task.Version != b.board.task(t, id).Version {
			t.Errorf("step %d: result at version %d, stored %d", i, res.Task.Version, b.board.task(t, id).Version)
		}
	}
	// Planning changes no column: every card is still counted in To Do.
	if n, err := b.s.ColumnCount(b.ctx, b.p.ID, colToDo); err != nil || n != 5 {
		t.Errorf("To Do counts %d cards (%v), want 5", n, err)
	}
	for _, title := range []string{"A", "B", "C", "D", "E"} {
		if got := b.board.task(t, ids[title]); got.ColumnID != colToDo {
			t.Errorf("%s moved to column %s", title, got.ColumnID)
		}
	}
}

func TestBacklogAndSprintFilter(t *testing.T) {
	// Given a completed sprint (with a task finished in it, and one moved back out of
	// done after the completion), an active one, a planned one, and the backlog with a
	// done task and an archived one,
	b := mustPlanning(t)
	past := b.sprint(t, "")
	finished := b.task(t, "Finished", colDone, 1, past.ID)
	reopenedTask := b.task(t, "Reopened later", colDone, 1, past.ID)
	b.start(t, past.ID)
	if _, err := b.s.CompleteSprint(b.ctx, b.ben, SprintCompletion{SprintID: past.ID, BaseVersion: b.get(t, past.ID).Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.MoveTask(b.ctx, b.ben, TaskMove{TaskID: reopenedTask.ID, BaseVersion: b.board.task(t, reopenedTask.ID).Version, ColumnID: colToDo}); err != nil {
		t.Fatal(err)
	}
	active := b.sprint(t, "")
	b.task(t, "Active work", colInProgress, 3, active.ID)
	b.task(t, "Active done", colDone, 2, active.ID)
	b.start(t, active.ID)
	planned := b.sprint(t, "")
	b.task(t, "Planned work", colToDo, 5, planned.ID)
	work := b.task(t, "Backlog work", colToDo, -1, "")
	b.task(t, "Backlog done", colDone, -1, "")
	gone := b.task(t, "Backlog archived", colToDo, -1, "")
	if _, err := b.s.UpdateTask(b.ctx, b.ana, TaskUpdate{TaskID: gone.ID, BaseVersion: 1, Archived: Some(true)}); err != nil {
		t.Fatal(err)
	}

	// then the backlog page shows the active then planned sprint with all their
	// tasks, and the backlog without done or archived tasks, in rank order;
	got := b.lists(t)
	if want := "2: Active work Active done | 3: Planned work | backlog: Reopened later Backlog work"; got != want {
		t.Errorf("backlog page:\n got %q\nwant %q", got, want)
	}
	sps, err := b.s.Sprints(b.ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, sp := range sps {
		order = append(order, fmt.Sprintf("%s %s %d/%g", sp.Name, sp.State, sp.Tasks, sp.Points))
	}
	if want := "[TACK Sprint 2 active 2/5 TACK Sprint 3 planned 1/5 TACK Sprint 1 completed 2/2]"; fmt.Sprint(order) != want {
		t.Errorf("Sprints = %v\nwant %s", order, want)
	}

	// and the board's sprint filter narrows the same way.
	for _, tt := range []struct {
		filter string
		want   []string
	}{
		{"active", []string{"Active work", "Active done"}},
		{"none", []string{"Reopened later", "Backlog work"}},
		{planned.ID, []string{"Planned work"}},
		{past.ID, []string{"Finished", "Reopened later"}},
		{"", []string{"Finished", "Reopened later", "Active work", "Active done", "Planned work", "Backlog work", "Backlog done"}},
	} {
		tasks, err := b.s.Tasks(b.ctx, b.p.ID, TaskFilter{Sprint: tt.filter})
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, task := range tasks {
			titles = append(titles, task.Title)
		}
		// Board order is by column, then rank: compare as sets.
		slices.Sort(titles)
		slices.Sort(tt.want)
		if !slices.Equal(titles, tt.want) {
			t.Errorf("Sprint filter %q = %q, want %q", tt.filter, titles, tt.want)
		}
		// The API's query narrows the same way.
		page, _, err := b.s.QueryTasks(b.ctx, TaskQuery{ProjectID: b.p.ID, Sprint: tt.filter, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		titles = titlesOf(page)
		slices.Sort(titles)
		if !slices.Equal(titles, tt.want) {
			t.Errorf("QueryTasks sprint %q = %q, want %q", tt.filter, titles, tt.want)
		}
	}
	_ = finished

	// A task left in a completed sprint is placed among the backlog like the others.
	rerank := func(pl TaskPlan) {
		t.Helper()
		pl.TaskID, pl.BaseVersion = work.ID, b.board.task(t, work.ID).Version
		if _, err := b.s.PlanTask(b.ctx, b.ben, pl); err != nil {
			t.Fatal(err)
		}
	}
	rerank(TaskPlan{Step: StepTop})
	if got := b.lists(t); !strings.HasSuffix(got, "backlog: Backlog work Reopened later") {
		t.Errorf("after top: %q", got)
	}
	rerank(TaskPlan{AfterID: reopenedTask.ID})
	if got := b.lists(t); !strings.HasSuffix(got, "backlog: Reopened later Backlog work") {
		t.Errorf("after Reopened later: %q", got)
	}
	rerank(TaskPlan{BeforeID: reopenedTask.ID})
	if got := b.lists(t); !strings.HasSuffix(got, "backlog: Backlog work Reopened later") {
		t.Errorf("before Reopened later: %q", got)
	}
}

// release runs both actions at once: two goroutines behind one barrier.
func release(a, b func() error) (errA, errB error) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(2)
	go func() { defer wg.Done(); <-start; errA = a() }()
	go func() { defer wg.Done(); <-start; errB = b() }()
	close(start)
	wg.Wait()
	return errA, errB
}

// TestConcurrentPlanningOfOneTask: Ana and Ben plan the same task from the same version
// into different sprints at the same instant. Exactly one applies; the other gets a
// conflict, recorded and pending, naming the winner; answering "mine" applies it. Every
// round the active sprint's scope changes match where the task went.
func TestConcurrentPlanningOfOneTask(t *testing.T) {
	b := mustPlanning(t)
	active := b.sprint(t, "")
	b.start(t, active.ID)
	planned := b.sprint(t, "")
	const rounds = 25
	activeWon := 0
	for round := range rounds {
		task := b.task(t, fmt.Sprintf("Contested %d", round), colToDo, 2, "")
		plan := func(actor, sprint string) func() error {
			return func() error {
				_, err := b.s.PlanTask(b.ctx, actor, TaskPlan{TaskID: task.ID, BaseVersion: 1, Sprint: Some(sprint)})
				return err
			}
		}
		errAna, errBen := release(plan(b.ana, active.ID), plan(b.ben, planned.ID))
		var ce *ConflictError
		var loser, winnerSprint, loserSprint string
		switch {
		case errAna == nil && errors.As(errBen, &ce):
			loser, winnerSprint, loserSprint = b.ben, active.ID, planned.ID
			if ce.Fields[0].ChangedBy != b.ana {
				t.Errorf("round %d: conflict names %s, not Ana", round, ce.Fields[0].ChangedBy)
			}
		case errBen == nil && errors.As(errAna, &ce):
			loser, winnerSprint, loserSprint = b.ana, planned.ID, active.ID
			if ce.Fields[0].ChangedBy != b.ben {
				t.Errorf("round %d: conflict names %s, not Ben", round, ce.Fields[0].ChangedBy)
			}
		default:
			t.Fatalf("round %d: Ana %v, Ben %v; want exactly one applied and one conflict", round, errAna, errBen)
		}
		if winnerSprint == active.ID {
			activeWon++
		}
		if ce.Command != "plan" || ce.Fields[0].Field != FieldSprint || ce.Fields[0].Yours != loserSprint || ce.Fields[0].Theirs != winnerSprint {
			t.Errorf("round %d: conflict %+v", round, ce)
		}
		if got := b.board.task(t, task.ID); got.SprintID != winnerSprint || got.Version != 3 {
			t.Errorf("round %d: task in %q at version %d; want the winner's %q at 3 (sprint change + rank)", round, got.SprintID, got.Version, winnerSprint)
		}
		pc, err := b.s.PendingConflict(b.ctx, task.ID, loser)
		if err != nil || pc.Seq != ce.Seq || pc.Command != "plan" {
			t.Fatalf("round %d: pending %+v, %v", round, pc, err)
		}
		res, err := b.s.AnswerConflict(b.ctx, loser, ConflictAnswer{TaskID: task.ID, Seq: pc.Seq, Choice: AnswerMine})
		if err != nil {
			t.Fatalf("round %d: answer mine: %v", round, err)
		}
		if res.Task.SprintID != loserSprint {
			t.Errorf("round %d: after answering mine the task is in %q, want %q", round, res.Task.SprintID, loserSprint)
		}
		if _, err := b.s.PendingConflict(b.ctx, task.ID, loser); ErrorCode(err) != ENOTFOUND {
			t.Errorf("round %d: still pending after the answer: %v", round, err)
		}
	}
	// Each round the task entered the active sprint once (first or by the answer) and
	// left it again when the active sprint won first.
	scope := strings.Fields(b.scope(t, active.ID, 1))
	var added, removed int
	for _, s := range scope {
		if s[0] == '+' {
			added++
		} else {
			removed++
		}
	}
	if added != rounds || removed != activeWon {
		t.Errorf("%d added, %d removed; want %d and %d", added, removed, rounds, activeWon)
	}
	t.Logf("the active sprint's planner won %d of %d rounds", activeWon, rounds)
	if rep, err := b.s.Replay(b.ctx, false); err != nil || !rep.Identical() {
		t.Fatalf("replay: %v\n%s", err, rep)
	}
}

// TestConcurrentReranksNeverConflict: two users re-rank different tasks of the same
// list at the same instant, each from the version they saw; both always apply.
func TestConcurrentReranksNeverConflict(t *testing.T) {
	b := mustPlanning(t)
	sp := b.sprint(t, "")
	var ids []string
	for i := range 6 {
		ids = append(ids, b.task(t, fmt.Sprintf("T%d", i), colToDo, 1, sp.ID).ID)
	}
	for round := range 25 {
		x, y := ids[round%6], ids[(round+3)%6]
		vx, vy := b.board.task(t, x).Version, b.board.task(t, y).Version
		errX, errY := release(
			func() error {
				_, err := b.s.PlanTask(b.ctx, b.ana, TaskPlan{TaskID: x, BaseVersion: vx, Step: StepTop})
				return err
			},
			func() error {
				_, err := b.s.PlanTask(b.ctx, b.ben, TaskPlan{TaskID: y, BaseVersion: vy, AfterID: x})
				return err
			})
		if errX != nil || errY != nil {
			t.Fatalf("round %d: %v, %v", round, errX, errY)
		}
		bl, err := b.s.Backlog(b.ctx, b.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		list := bl.Sprints[0].Tasks
		if len(list) != 6 {
			t.Fatalf("round %d: %d tasks in the sprint", round, len(list))
		}
		// x went to the top; y right after x, whichever ran first, unless y ran first
		// and x then jumped over it: then y is second or first-after-x either way.
		if list[0].ID != x && !(list[0].ID == y && list[1].ID == x) {
			t.Errorf("round %d: x is not on top: %v", round, titlesOf(list))
		}
	}
}

func titlesOf(tasks []*Task) []string {
	var out []string
	for _, t := range tasks {
		out = append(out, t.Title)
	}
	return out
}
