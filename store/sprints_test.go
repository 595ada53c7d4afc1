package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// planning is a board with sprints: the helpers build the "given" of the sprint tests.
type planning struct {
	*board
	ctx context.Context
}

func mustPlanning(t testing.TB) *planning {
	t.Helper()
	return &planning{board: mustBoard(t), ctx: context.Background()}
}

// task creates a task in column col with points (nil when pts < 0), in sprint sprintID.
func (b *planning) task(t testing.TB, title, col string, pts float64, sprintID string) *Task {
	t.Helper()
	in := NewTask{ProjectID: b.p.ID, Title: title, ColumnID: col, SprintID: sprintID}
	if pts >= 0 {
		in.Points = &pts
	}
	task, err := b.s.CreateTask(b.ctx, b.ana, in)
	if err != nil {
		t.Fatalf("create %q: %v", title, err)
	}
	return task
}

// sprint creates a planned sprint with dates.
func (b *planning) sprint(t testing.TB, name string) *Sprint {
	t.Helper()
	sp, err := b.s.CreateSprint(b.ctx, b.ben, NewSprint{ProjectID: b.p.ID, Name: name, Start: "2026-11-02", End: "2026-11-13"})
	if err != nil {
		t.Fatalf("create sprint %q: %v", name, err)
	}
	return sp
}

func (b *planning) get(t testing.TB, id string) *Sprint {
	t.Helper()
	sp, err := b.s.Sprint(b.ctx, id)
	if err != nil {
		t.Fatalf("sprint %s: %v", id, err)
	}
	return sp
}

func (b *planning) start(t testing.TB, id string) *Sprint {
	t.Helper()
	sp, err := b.s.StartSprint(b.ctx, b.ben, SprintStart{SprintID: id, BaseVersion: b.get(t, id).Version})
	if err != nil {
		t.Fatalf("start sprint: %v", err)
	}
	return sp
}

// plan puts a task in a sprint ("" = the backlog) as actor, from its current version.
func (b *planning) plan(t testing.TB, actor, taskID, sprintID string) *TaskResult {
	t.Helper()
	res, err := b.s.PlanTask(b.ctx, actor, TaskPlan{TaskID: taskID, BaseVersion: b.board.task(t, taskID).Version, Sprint: Some(sprintID)})
	if err != nil {
		t.Fatalf("plan %s into %q: %v", taskID, sprintID, err)
	}
	return res
}

// events returns the payloads of a sprint's stream after version after.
func (b *planning) events(t testing.TB, sprintID string, after int) []Payload {
	t.Helper()
	es, err := streamEventsAfter(b.s.read, sprintStream(sprintID), after)
	if err != nil {
		t.Fatal(err)
	}
	var out []Payload
	for _, e := range es {
		out = append(out, e.payload)
	}
	return out
}

// scope tells a sprint's scope changes after version after: "+TACK-2(3) -TACK-1(none)".
func (b *planning) scope(t testing.TB, sprintID string, after int) string {
	t.Helper()
	var parts []string
	for _, p := range b.events(t, sprintID, after) {
		if sc, ok := p.(*SprintScopeChanged); ok {
			sign := "+"
			if sc.Change == ScopeRemoved {
				sign = "-"
			}
			parts = append(parts, fmt.Sprintf("%s%s(%s)", sign, b.board.task(t, sc.TaskID).Key, FormatPoints(sc.Points)))
		}
	}
	return strings.Join(parts, " ")
}

func (b *planning) activityTexts(t testing.TB) []string {
	t.Helper()
	p, err := b.s.Project(b.ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := b.s.Activity(b.ctx, p, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hs {
		out = append(out, h.Actor.Name+" "+h.Text)
	}
	return out
}

func wantActivity(t *testing.T, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("activity lacks %q; it has:\n%s", w, strings.Join(got, "\n"))
		}
	}
}

func wantCode(t *testing.T, err error, code, message string) {
	t.Helper()
	if ErrorCode(err) != code || !strings.Contains(ErrorMessage(err), message) {
		t.Errorf("err = %v (%s); want %s saying %q", err, ErrorCode(err), code, message)
	}
}

func TestCreateSprintNamesAndNumbers(t *testing.T) {
	b := mustPlanning(t)
	one, err := b.s.CreateSprint(b.ctx, b.ben, NewSprint{ProjectID: b.p.ID, Goal: "  Ship the importer "})
	if err != nil {
		t.Fatal(err)
	}
	two := b.sprint(t, "Hardening")
	if one.Number != 1 || one.Name != "TACK Sprint 1" || one.Goal != "Ship the importer" || one.State != SprintPlanned || one.Version != 1 {
		t.Errorf("first sprint = %+v", one)
	}
	if two.Number != 2 || two.Name != "Hardening" || two.Start != "2026-11-02" || two.End != "2026-11-13" {
		t.Errorf("second sprint = %+v", two)
	}
	byNumber, err := b.s.SprintByNumber(b.ctx, b.p.ID, 2)
	if err != nil || byNumber.ID != two.ID {
		t.Errorf("SprintByNumber(2) = %+v, %v", byNumber, err)
	}
	if _, err := b.s.SprintByNumber(b.ctx, b.p.ID, 3); ErrorCode(err) != ENOTFOUND {
		t.Errorf("SprintByNumber(3) = %v; want not found", err)
	}
	wantActivity(t, b.activityTexts(t), "Ben created TACK Sprint 1", "Ben created Hardening")
}

func TestSprintInputIsValidated(t *testing.T) {
	b := mustPlanning(t)
	tests := []struct {
		name string
		in   NewSprint
		want string
	}{
		{"a start that is not a date", NewSprint{Start: "2026-13-01"}, `The start date "2026-13-01" is not a date like 2026-11-10.`},
		{"an end that is not a date", NewSprint{End: "next friday"}, `The end date "next friday" is not a date like 2026-11-10.`},
		{"an end before the start", NewSprint{Start: "2026-11-10", End: "2026-11-01"}, "The end date 2026-11-01 is before the start date 2026-11-10."},
		{"a name too long", NewSprint{Name: strings.Repeat("x", MaxSprintName+1)}, "A sprint name is 80 characters at most."},
		{"a goal too long", NewSprint{Goal: strings.Repeat("x", MaxSprintGoal+1)}, "A sprint goal is 1000 characters at most."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.ProjectID = b.p.ID
			_, err := b.s.CreateSprint(b.ctx, b.ben, tt.in)
			wantCode(t, err, EINVALID, tt.want)
		})
	}
	if sps, err := b.s.Sprints(b.ctx, b.p.ID); err != nil || len(sps) != 0 {
		t.Errorf("refused sprints were stored: %v, %v", sps, err)
	}
}

func TestSprintCommandsNeedTheRightRole(t *testing.T) {
	b := mustPlanning(t)
	sp := b.sprint(t, "")
	task := b.task(t, "A", colToDo, 1, "")

	// A viewer can read but not plan; someone outside the project finds nothing.
	_, err := b.s.CreateSprint(b.ctx, b.vic, NewSprint{ProjectID: b.p.ID})
	wantCode(t, err, EFORBIDDEN, "does not allow you to plan sprints")
	_, err = b.s.PlanTask(b.ctx, b.vic, TaskPlan{TaskID: task.ID, BaseVersion: 1, Sprint: Some(sp.ID)})
	wantCode(t, err, EFORBIDDEN, "does not allow you")
	_, err = b.s.StartSprint(b.ctx, b.vic, SprintStart{SprintID: sp.ID, BaseVersion: 1})
	wantCode(t, err, EFORBIDDEN, "does not allow you")
	err = b.s.SetParallelSprints(b.ctx, b.ben, b.p.ID, true)
	wantCode(t, err, EFORBIDDEN, "does not allow you to change the project's settings")

	_, err = b.s.CreateSprint(b.ctx, b.outsider, NewSprint{ProjectID: b.p.ID})
	wantCode(t, err, ENOTFOUND, "No such project.")
	_, err = b.s.PlanTask(b.ctx, b.outsider, TaskPlan{TaskID: task.ID, BaseVersion: 1, Sprint: Some(sp.ID)})
	wantCode(t, err, ENOTFOUND, "")
	_, err = b.s.StartSprint(b.ctx, b.outsider, SprintStart{SprintID: sp.ID, BaseVersion: 1})
	wantCode(t, err, ENOTFOUND, "")
	_, err = b.s.CompletionPlan(b.ctx, b.outsider, sp.ID)
	wantCode(t, err, ENOTFOUND, "")
	err = b.s.DeleteSprint(b.ctx, b.outsider, sp.ID, 1)
	wantCode(t, err, ENOTFOUND, "")
	_, err = b.s.UpdateSprint(b.ctx, b.outsider, SprintUpdate{SprintID: sp.ID, BaseVersion: 1, Name: Some("Mine")})
	wantCode(t, err, ENOTFOUND, "")

	if got := b.get(t, sp.ID); got.Version != 1 || got.State != SprintPlanned {
		t.Errorf("refused commands changed the sprint: %+v", got)
	}
	if got := b.board.task(t, task.ID); got.SprintID != "" || got.Version != 1 {
		t.Errorf("refused plans changed the task: %+v", got)
	}
}

func TestStartRecordsTheCommitment(t *testing.T) {
	// Given a planned sprint with two tasks (one estimated), an archived one, and a
	// task in the backlog,
	b := mustPlanning(t)
	sp := b.sprint(t, "")
	a := b.task(t, "A", colToDo, 3, sp.ID)
	c := b.task(t, "C", colInProgress, -1, sp.ID)
	gone := b.task(t, "Gone", colToDo, 5, sp.ID)
	if _, err := b.s.UpdateTask(b.ctx, b.ana, TaskUpdate{TaskID: gone.ID, BaseVersion: 1, Archived: Some(true)}); err != nil {
		t.Fatal(err)
	}
	b.task(t, "Backlog", colToDo, 8, "")
	if b.scope(t, sp.ID, 0) != "" {
		t.Errorf("a planned sprint recorded scope changes: %s", b.scope(t, sp.ID, 0))
	}

	// when it starts,
	started := b.start(t, sp.ID)

	// then sprint.started lists its tasks with their points then, and it is active.
	evs := b.events(t, sp.ID, 1)
	if len(evs) != 1 {
		t.Fatalf("events after start: %#v", evs)
	}
	st := evs[0].(*SprintStarted)
	want := []SprintTask{{TaskID: a.ID, Points: ptr(3.0)}, {TaskID: c.ID}}
	if !reflect.DeepEqual(st.Commitment, want) || st.Start != "2026-11-02" || st.End != "2026-11-13" {
		t.Errorf("started = %+v; want commitment %+v", st, want)
	}
	if started.State != SprintActive || started.StartedAt == nil || started.Tasks != 2 || started.Points != 3 {
		t.Errorf("started sprint = %+v", started)
	}
	active, err := b.s.ActiveSprints(b.ctx, b.p.ID)
	if err != nil || len(active) != 1 || active[0].ID != sp.ID {
		t.Errorf("ActiveSprints = %v, %v", active, err)
	}
	wantActivity(t, b.activityTexts(t), "Ben started TACK Sprint 1 with 2 tasks, 3 points")
}

func TestStartNeedsDatesAndOneActiveSprint(t *testing.T) {
	b := mustPlanning(t)
	undated, err := b.s.CreateSprint(b.ctx, b.ben, NewSprint{ProjectID: b.p.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.s.StartSprint(b.ctx, b.ben, SprintStart{SprintID: undated.ID, BaseVersion: 1})
	wantCode(t, err, EINVALID, "A sprint needs a start and an end date to start.")
	_, err = b.s.StartSprint(b.ctx, b.ben, SprintStart{SprintID: undated.ID, BaseVersion: 1, Start: Some("2026-11-10"), End: Some("2026-11-01")})
	wantCode(t, err, EINVALID, "The end date 2026-11-01 is before the start date 2026-11-10.")
	// Dates given with the start are recorded by it.
	got, err := b.s.StartSprint(b.ctx, b.ben, SprintStart{SprintID: undated.ID, BaseVersion: 1, Start: Some("2026-11-02"), End: Some("2026-11-16")})
	if err != nil || got.Start != "2026-11-02" || got.End != "2026-11-16" || got.State != SprintActive {
		t.Fatalf("start with dates = %+v, %v", got, err)
	}
	_, err = b.s.StartSprint(b.ctx, b.ben, SprintStart{SprintID: undated.ID, BaseVersion: got.Version})
	wantCode(t, err, EINVALID, "TACK Sprint 1 is active: only a planned sprint can be started.")

	second := b.sprint(t, "")
	_, err = b.s.StartSprint(b.ctx, b.ben, SprintStart{SprintID: second.ID, BaseVersion: 1})
	wantCode(t, err, EINVALID, "Another sprint is active: complete TACK Sprint 1 first, or allow parallel sprints in the project's settings.")

	// With parallel sprints allowed (by an admin), the second one starts.
	if err := b.s.SetParallelSprints(b.ctx, b.ana, b.p.ID, true); err != nil {
		t.Fatal(err)
	}
	if p, _ := b.s.Project(b.ctx, b.p.ID); !p.ParallelSprints {
		t.Errorf("the setting did not stick: %+v", p)
	}
	b.start(t, second.ID)
	if active, _ := b.s.ActiveSprints(b.ctx, b.p.ID); len(active) != 2 {
		t.Errorf("%d active sprints, want 2", len(active))
	}
	wantActivity(t, b.activityTexts(t), "Ana allowed parallel sprints")
}

func TestScopeChangesAreRecordedOnlyAfterStart(t *testing.T) {
	// Given a planned sprint that gets a task before it starts,
	b := mustPlanning(t)
	sp := b.sprint(t, "")
	early := b.task(t, "Early", colToDo, 2, "")
	b.plan(t, b.ben, early.ID, sp.ID)
	late := b.task(t, "Late", colToDo, 5, "")
	b.start(t, sp.ID)
	startedAt := b.get(t, sp.ID).Version

	// when tasks enter and leave it after the start (planned in, created in, archived,
	// restored, sent to the backlog, edited into it from the task form),
	b.plan(t, b.ben, late.ID, sp.ID)
	created := b.task(t, "Created in", colToDo, 1, sp.ID)
	if _, err := b.s.UpdateTask(b.ctx, b.cleo, TaskUpdate{TaskID: created.ID, BaseVersion: 1, Archived: Some(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.UpdateTask(b.ctx, b.cleo, TaskUpdate{TaskID: created.ID, BaseVersion: 2, Archived: Some(false)}); err != nil {
		t.Fatal(err)
	}
	b.plan(t, b.ben, early.ID, "")
	if _, err := b.s.UpdateTask(b.ctx, b.cleo, TaskUpdate{TaskID: early.ID, BaseVersion: b.board.task(t, early.ID).Version, Sprint: Some(sp.ID)}); err != nil {
		t.Fatal(err)
	}
	// Edits that keep a task where it is change no scope.
	if _, err := b.s.MoveTask(b.ctx, b.ben, TaskMove{TaskID: late.ID, BaseVersion: b.board.task(t, late.ID).Version, ColumnID: colInProgress}); err != nil {
		t.Fatal(err)
	}

	// then each entry and exit is one scope change with the task's points then,
	// and none was recorded before the start.
	if got, want := b.scope(t, sp.ID, startedAt), "+TACK-2(5) +TACK-3(1) -TACK-3(1) +TACK-3(1) -TACK-1(2) +TACK-1(2)"; got != want {
		t.Errorf("scope changes after start = %q, want %q", got, want)
	}
	if got := b.scope(t, sp.ID, 0); !strings.HasPrefix(got, "+TACK-2(5)") {
		t.Errorf("scope changes before the start: %q", got)
	}
	wantActivity(t, b.activityTexts(t), "Ben added TACK-2 to TACK Sprint 1 after it started",
		"Ben removed TACK-1 from TACK Sprint 1 after it started", "Ben moved TACK-1 to the backlog", "Ben moved TACK-2 to TACK Sprint 1")
}

func TestCompleteSendsUnfinishedTasksWhereAsked(t *testing.T) {
	// Given an active sprint with a done task and four unfinished ones, and a planned
	// sprint after it,
	b := mustPlanning(t)
	sp := b.sprint(t, "")
	next := b.sprint(t, "")
	done := b.task(t, "Done", colDone, 3, sp.ID)
	toNext := b.task(t, "To next", colToDo, 2, sp.ID)
	toBacklog := b.task(t, "To backlog", colInProgress, 1, sp.ID)
	toNew := b.task(t, "To new", colInReview, -1, sp.ID)
	alsoNew := b.task(t, "Also new", colToDo, 5, sp.ID)
	b.start(t, sp.ID)
	plan, err := b.s.CompletionPlan(b.ctx, b.cleo, sp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Done) != 1 || len(plan.Unfinished) != 4 || plan.Default != DestSprint(next.ID) || len(plan.Destinations) != 3 {
		t.Errorf("completion plan = %+v", plan)
	}

	// when it completes with the next sprint by default and per-task destinations,
	completed, err := b.s.CompleteSprint(b.ctx, b.cleo, SprintCompletion{SprintID: sp.ID, BaseVersion: b.get(t, sp.ID).Version,
		Tasks: map[string]Destination{toBacklog.ID: DestBacklog, toNew.ID: DestNew, alsoNew.ID: DestNew}})
	if err != nil {
		t.Fatal(err)
	}

	// then the done task stays in it, each unfinished task went where it was sent
	// (both "new" ones into the one sprint the completion created), marked as carried
	// over, and sprint.completed froze both sets.
	if completed.State != SprintCompleted || completed.CompletedAt == nil {
		t.Errorf("completed sprint = %+v", completed)
	}
	created, err := b.s.SprintByNumber(b.ctx, b.p.ID, 3)
	if err != nil || created.State != SprintPlanned || created.Name != "TACK Sprint 3" {
		t.Fatalf("new sprint = %+v, %v", created, err)
	}
	for _, w := range []struct {
		task *Task
		to   string
	}{{done, sp.ID}, {toNext, next.ID}, {toBacklog, ""}, {toNew, created.ID}, {alsoNew, created.ID}} {
		got := b.board.task(t, w.task.ID)
		wantFrom := sp.ID
		if w.task == done {
			wantFrom = ""
		}
		if got.SprintID != w.to || got.CarriedFrom != wantFrom {
			t.Errorf("%s: sprint %q carried from %q; want %q from %q", got.Title, got.SprintID, got.CarriedFrom, w.to, wantFrom)
		}
	}
	evs := b.events(t, sp.ID, 0)
	final := evs[len(evs)-1].(*SprintCompletedEvent)
	byID := func(a, b CarriedTask) int { return strings.Compare(a.TaskID, b.TaskID) }
	slices.SortFunc(final.NotCompleted, byID)
	wantFinal := &SprintCompletedEvent{Completed: []SprintTask{{TaskID: done.ID, Points: ptr(3.0)}},
		NotCompleted: []CarriedTask{{toNext.ID, ptr(2.0), next.ID}, {toBacklog.ID, ptr(1.0), ""}, {toNew.ID, nil, created.ID}, {alsoNew.ID, ptr(5.0), created.ID}}}
	slices.SortFunc(wantFinal.NotCompleted, byID)
	if !reflect.DeepEqual(final, wantFinal) {
		t.Errorf("sprint.completed = %+v\nwant %+v", final, wantFinal)
	}
	// No scope change: the tasks left because the sprint ended, not during it.
	if got := b.scope(t, sp.ID, 0); got != "" {
		t.Errorf("completion recorded scope changes: %s", got)
	}
	texts := b.activityTexts(t)
	wantActivity(t, texts, "Cleo carried TACK-2 over from TACK Sprint 1 to TACK Sprint 2", "Cleo created TACK Sprint 3")
	var told string
	for _, s := range texts {
		if strings.HasPrefix(s, "Cleo completed TACK Sprint 1: 1 done, ") {
			told = s
		}
	}
	for _, part := range []string{"1 done, 2 carried over to TACK Sprint 3", ", 1 to TACK Sprint 2", ", 1 to the backlog"} {
		if !strings.Contains(told, part) {
			t.Errorf("completion told as %q; want it to say %q", told, part)
		}
	}

	// Later edits don't rewrite the frozen membership; a person changing a carried
	// task's sprint clears its marker, by planning or by the edit form.
	b.plan(t, b.ben, toNext.ID, "")
	if _, err := b.s.UpdateTask(b.ctx, b.ben, TaskUpdate{TaskID: toNew.ID, BaseVersion: b.board.task(t, toNew.ID).Version, Sprint: Some(next.ID)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{toNext.ID, toNew.ID} {
		if got := b.board.task(t, id); got.CarriedFrom != "" {
			t.Errorf("%s still carried from %q after a person changed its sprint", got.Title, got.CarriedFrom)
		}
	}
	if got := b.board.task(t, alsoNew.ID); got.CarriedFrom != sp.ID {
		t.Errorf("an untouched carried task lost its marker: %+v", got)
	}
	if evs2 := b.events(t, sp.ID, 0); len(evs2) != len(evs) {
		t.Errorf("the completed sprint's stream grew: %d → %d", len(evs), len(evs2))
	}
	// A completed sprint takes no task and no edit.
	_, err = b.s.PlanTask(b.ctx, b.ben, TaskPlan{TaskID: toNext.ID, BaseVersion: b.board.task(t, toNext.ID).Version, Sprint: Some(sp.ID)})
	wantCode(t, err, EINVALID, "TACK Sprint 1 is completed; reopen it before planning tasks into it.")
	_, err = b.s.UpdateSprint(b.ctx, b.ben, SprintUpdate{SprintID: sp.ID, BaseVersion: b.get(t, sp.ID).Version, Name: Some("Renamed")})
	wantCode(t, err, EINVALID, "TACK Sprint 1 is completed; reopen it before changing it.")
}

func TestCompleteDefaultsToANewSprintWithoutAPlannedOne(t *testing.T) {
	b := mustPlanning(t)
	sp := b.sprint(t, "")
	left := b.task(t, "Left", colToDo, 1, sp.ID)
	b.start(t, sp.ID)
	if _, err := b.s.CompleteSprint(b.ctx, b.ben, SprintCompletion{SprintID: sp.ID, BaseVersion: b.get(t, sp.ID).Version}); err != nil {
		t.Fatal(err)
	}
	got := b.board.task(t, left.ID)
	created, err := b.s.SprintByNumber(b.ctx, b.p.ID, 2)
	if err != nil || got.SprintID != created.ID || got.CarriedFrom != sp.ID {
		t.Errorf("left task = %+v; new sprint %+v, %v", got, created, err)
	}
}

func TestCompletionRefusesADestinationThatIsNotAPlannedSprint(t *testing.T) {
	b := mustPlanning(t)
	if err := b.s.SetParallelSprints(b.ctx, b.ana, b.p.ID, true); err != nil {
		t.Fatal(err)
	}
	sp := b.sprint(t, "")
	left := b.task(t, "Left", colToDo, 1, sp.ID)
	b.start(t, sp.ID)
	other := b.sprint(t, "")
	b.start(t, other.ID)
	elsewhere, err := b.s.CreateProject(b.ctx, b.ana, NewProject{Key: "ELSE", Name: "Elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := b.s.CreateSprint(b.ctx, b.ana, NewSprint{ProjectID: elsewhere.ID})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dest Destination
		want string
	}{
		{DestSprint(other.ID), "TACK Sprint 2 is active: unfinished tasks can go to a planned sprint, a new sprint or the backlog."},
		{DestSprint(sp.ID), "TACK Sprint 1 is active"},
		{DestSprint(foreign.ID), "That sprint is not part of this project."},
		{DestSprint("nosuch"), "That sprint is not part of this project."},
		{"elsewhere", `Unknown destination "elsewhere"`},
	}
	for _, tt := range tests {
		t.Run(string(tt.dest), func(t *testing.T) {
			_, err := b.s.CompleteSprint(b.ctx, b.ben, SprintCompletion{SprintID: sp.ID, BaseVersion: b.get(t, sp.ID).Version,
				Tasks: map[string]Destination{left.ID: tt.dest}})
			wantCode(t, err, EINVALID, tt.want)
			if got := b.get(t, sp.ID); got.State != SprintActive {
				t.Errorf("a refused completion completed it: %+v", got)
			}
			if got := b.board.task(t, left.ID); got.SprintID != sp.ID {
				t.Errorf("a refused completion moved the task: %+v", got)
			}
		})
	}
}

func TestCompletionTakesTheSprintAsItIsNow(t *testing.T) {
	b := mustPlanning(t)
	sp := b.sprint(t, "")
	b.task(t, "A", colToDo, 1, sp.ID)
	b.start(t, sp.ID)
	seen := b.get(t, sp.ID).Version

	// Someone plans a task into it after the dialog opened: not a conflict, it is taken.
	late := b.task(t, "Late", colToDo, 2, "")
	b.plan(t, b.ben, late.ID, sp.ID)
	if _, err := b.s.CompleteSprint(b.ctx, b.cleo, SprintCompletion{SprintID: sp.ID, BaseVersion: seen, Default: DestBacklog}); err != nil {
		t.Fatalf("complete after a scope change: %v", err)
	}
	if got := b.board.task(t, late.ID); got.SprintID != "" || got.CarriedFrom != sp.ID {
		t.Errorf("the late task was not carried: %+v", got)
	}

	// A second completion (or any sprint change) from the same version is a conflict
	// naming who changed the sprint.
	_, err := b.s.CompleteSprint(b.ctx, b.ben, SprintCompletion{SprintID: sp.ID, BaseVersion: seen, Default: DestBacklog})
	var ce *SprintConflictError
	if !errors.As(err, &ce) || ce.ChangedBy != b.cleo || ErrorCode(err) != ECONFLICT {
		t.Fatalf("second completion = %v; want a sprint conflict naming Cleo", err)
	}
	_, err = b.s.ReopenSprint(b.ctx, b.ben, sp.ID, seen)
	if !errors.As(err, &ce) {
		t.Errorf("reopen from before the completion = %v; want a sprint conflict", err)
	}
}

func TestReopenKeepsCarriedTasksWhereTheyWent(t *testing.T) {
	b := mustPlanning(t)
	sp := b.sprint(t, "")
	finished := b.task(t, "Finished", colDone, 1, sp.ID)
	left := b.task(t, "Left", colToDo, 1, sp.ID)
	b.start(t, sp.ID)
	if _, err := b.s.CompleteSprint(b.ctx, b.ben, SprintCompletion{SprintID: sp.ID, BaseVersion: b.get(t, sp.ID).Version, Default: DestBacklog}); err != nil {
		t.Fatal(err)
	}
	// Another sprint starts meanwhile: reopening is refused while it is active.
	other := b.sprint(t, "")
	b.start(t, other.ID)
	_, err := b.s.ReopenSprint(b.ctx, b.ben, sp.ID, b.get(t, sp.ID).Version)
	wantCode(t, err, EINVALID, "Another sprint is active: complete TACK Sprint 2 first")
	if _, err := b.s.CompleteSprint(b.ctx, b.ben, SprintCompletion{SprintID: other.ID, BaseVersion: b.get(t, other.ID).Version}); err != nil {
		t.Fatal(err)
	}

	reopened, err := b.s.ReopenSprint(b.ctx, b.ben, sp.ID, b.get(t, sp.ID).Version)
	if err != nil {
		t.Fatal(err)
	}
	if reopened.State != SprintActive || reopened.CompletedAt != nil || reopened.StartedAt == nil {
		t.Errorf("reopened = %+v", reopened)
	}
	if got := b.board.task(t, left.ID); got.SprintID != "" {
		t.Errorf("the carried task came back: %+v", got)
	}
	if got := b.board.task(t, finished.ID); got.SprintID != sp.ID {
		t.Errorf("the finished task left: %+v", got)
	}
	wantActivity(t, b.activityTexts(t), "Ben reopened TACK Sprint 1")
	_, err = b.s.ReopenSprint(b.ctx, b.ben, sp.ID, reopened.Version)
	wantCode(t, err, EINVALID, "only a completed sprint can be reopened")
}

// TestDoneIsTheColumnsCategory: completion counts a task as done by its column's status
// category, never by the column's place.
func TestDoneIsTheColumnsCategory(t *testing.T) {
	tests := []struct {
		name     string
		columns  []Column
		done     []string // columns whose tasks count as completed
		unfinish []string
	}{
		{"default: the last column is done",
			[]Column{{Name: "To Do"}, {Name: "Doing"}, {Name: "Done"}}, []string{"c3"}, []string{"c1", "c2"}},
		{"a last column Won't do marked done, and a middle column marked done",
			[]Column{{Name: "To Do"}, {Name: "Done", Category: CategoryDone}, {Name: "Won't do", Category: CategoryDone}},
			[]string{"c2", "c3"}, []string{"c1"}},
		{"a last column marked to do does not count",
			[]Column{{Name: "To Do"}, {Name: "Done", Category: CategoryDone}, {Name: "Icebox", Category: CategoryToDo}},
			[]string{"c2"}, []string{"c1", "c3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustPlanning(t)
			p, err := b.s.CreateProject(b.ctx, b.ana, NewProject{Key: "WF", Name: "Workflow", Columns: tt.columns})
			if err != nil {
				t.Fatal(err)
			}
			sp, err := b.s.CreateSprint(b.ctx, b.ana, NewSprint{ProjectID: p.ID, Start: "2026-11-02", End: "2026-11-13"})
			if err != nil {
				t.Fatal(err)
			}
			byColumn := map[string]string{}
			for _, col := range append(slices.Clone(tt.done), tt.unfinish...) {
				task, err := b.s.CreateTask(b.ctx, b.ana, NewTask{ProjectID: p.ID, Title: "in " + col, ColumnID: col, SprintID: sp.ID})
				if err != nil {
					t.Fatal(err)
				}
				byColumn[col] = task.ID
			}
			if _, err := b.s.StartSprint(b.ctx, b.ana, SprintStart{SprintID: sp.ID, BaseVersion: 1}); err != nil {
				t.Fatal(err)
			}
			if _, err := b.s.CompleteSprint(b.ctx, b.ana, SprintCompletion{SprintID: sp.ID, BaseVersion: 2, Default: DestBacklog}); err != nil {
				t.Fatal(err)
			}
			evs := b.events(t, sp.ID, 2)
			final := evs[len(evs)-1].(*SprintCompletedEvent)
			var completed, carried []string
			for _, c := range final.Completed {
				completed = append(completed, c.TaskID)
			}
			for _, c := range final.NotCompleted {
				carried = append(carried, c.TaskID)
			}
			for _, col := range tt.done {
				if !slices.Contains(completed, byColumn[col]) {
					t.Errorf("the task in %s is not completed", col)
				}
			}
			for _, col := range tt.unfinish {
				if !slices.Contains(carried, byColumn[col]) {
					t.Errorf("the task in %s is not carried over", col)
				}
			}
		})
	}
}

func TestUpdateSprintMergesAndConflicts(t *testing.T) {
	b := mustPlanning(t)
	sp := b.sprint(t, "")
	// Ben renames it and Ana, from the same version, sets its goal: both apply.
	if _, err := b.s.UpdateSprint(b.ctx, b.ben, SprintUpdate{SprintID: sp.ID, BaseVersion: 1, Name: Some("Importer")}); err != nil {
		t.Fatal(err)
	}
	got, err := b.s.UpdateSprint(b.ctx, b.ana, SprintUpdate{SprintID: sp.ID, BaseVersion: 1, Name: Some(sp.Name), Goal: Some("Ship it")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Importer" || got.Goal != "Ship it" || got.Version != 3 {
		t.Errorf("merged sprint = %+v", got)
	}
	// Cleo renames it from version 1 too: a conflict naming Ben, nothing applied.
	_, err = b.s.UpdateSprint(b.ctx, b.cleo, SprintUpdate{SprintID: sp.ID, BaseVersion: 1, Name: Some("Cleo's name"), End: Some("2026-11-20")})
	var ce *SprintConflictError
	if !errors.As(err, &ce) || ce.ChangedBy != b.ben || len(ce.Fields) != 1 ||
		ce.Fields[0] != (SprintFieldConflict{Field: "name", Yours: "Cleo's name", Theirs: "Importer"}) {
		t.Fatalf("conflicting rename = %v (%+v)", err, ce)
	}
	if now := b.get(t, sp.ID); now.Version != 3 || now.End != "2026-11-13" {
		t.Errorf("a refused update applied: %+v", now)
	}
	// An end before the start, after merging, is refused; an empty name is the default.
	_, err = b.s.UpdateSprint(b.ctx, b.cleo, SprintUpdate{SprintID: sp.ID, BaseVersion: 3, End: Some("2026-11-01")})
	wantCode(t, err, EINVALID, "The end date 2026-11-01 is before the start date 2026-11-02.")
	if got, err := b.s.UpdateSprint(b.ctx, b.cleo, SprintUpdate{SprintID: sp.ID, BaseVersion: 3, Name: Some("  ")}); err != nil || got.Name != "TACK Sprint 1" {
		t.Errorf("blank name = %+v, %v", got, err)
	}
	wantActivity(t, b.activityTexts(t), "Ben renamed TACK Sprint 1 to Importer", "Ana changed TACK Sprint 1")
}

func TestDeleteOnlyAnEmptyPlannedSprint(t *testing.T) {
	b := mustPlanning(t)
	one := b.sprint(t, "")
	two := b.sprint(t, "")
	task := b.task(t, "Kept", colToDo, 1, two.ID)
	err := b.s.DeleteSprint(b.ctx, b.ben, two.ID, 1)
	wantCode(t, err, EINVALID, "TACK Sprint 2 still holds 1 task(s)")
	b.plan(t, b.ben, task.ID, "")
	if err := b.s.DeleteSprint(b.ctx, b.ben, two.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.Sprint(b.ctx, two.ID); ErrorCode(err) != ENOTFOUND {
		t.Errorf("deleted sprint found: %v", err)
	}
	// Its number is never given again.
	if three := b.sprint(t, ""); three.Number != 3 || three.Name != "TACK Sprint 3" {
		t.Errorf("sprint after a deletion = %+v", three)
	}
	b.start(t, one.ID)
	err = b.s.DeleteSprint(b.ctx, b.ben, one.ID, 2)
	wantCode(t, err, EINVALID, "only a planned sprint can be deleted")
	// Planning into a deleted sprint is refused.
	_, err = b.s.PlanTask(b.ctx, b.ben, TaskPlan{TaskID: task.ID, BaseVersion: b.board.task(t, task.ID).Version, Sprint: Some(two.ID)})
	wantCode(t, err, EINVALID, "That sprint is not part of this project.")
	wantActivity(t, b.activityTexts(t), "Ben deleted TACK Sprint 2")
}

func TestDemoHasSprintsInEveryState(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	var projectID string
	if err := s.read.Get(&projectID, `SELECT id FROM projects WHERE key = 'DEMO'`); err != nil {
		t.Fatal(err)
	}
	sps, err := s.Sprints(ctx, projectID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sp := range sps {
		got = append(got, fmt.Sprintf("%s %s %d", sp.Name, sp.State, sp.Tasks))
	}
	if want := "[DEMO Sprint 2 active 5 DEMO Sprint 3 planned 3 DEMO Sprint 1 completed 1]"; fmt.Sprint(got) != want {
		t.Errorf("demo sprints = %v\nwant %s", got, want)
	}
	bl, err := s.Backlog(ctx, projectID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bl.Backlog.Tasks) == 0 {
		t.Error("the demo backlog is empty")
	}
	var carried, scope int
	for _, l := range bl.Sprints {
		for _, task := range l.Tasks {
			if task.CarriedFrom != "" {
				carried++
			}
		}
	}
	if err := s.read.Get(&scope, `SELECT COUNT(*) FROM events WHERE type = ?`, TypeSprintScopeChanged); err != nil {
		t.Fatal(err)
	}
	// Scope changes: sprint 1 gains three tasks and loses one after its start, sprint 2
	// gains one and loses one.
	if carried != 2 || scope != 6 {
		t.Errorf("%d carried-over tasks and %d scope changes; want 2 and 6", carried, scope)
	}
}
