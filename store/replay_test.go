package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestReplayOfRandomCommands runs random command sequences, stale base versions
// included so that conflicts happen, and checks that the read models rebuilt from the
// log equal the live ones.
func TestReplayOfRandomCommands(t *testing.T) {
	byType := map[string]int{} // events of every seed's log
	defer func() {
		t.Logf("events by type: %v", byType)
		for _, want := range []string{TypeSprintCreated, TypeSprintStarted, TypeSprintCompleted, TypeSprintReopened,
			TypeSprintScopeChanged, TypeTaskSprintChanged, TypeSprintEdited, TypeSprintDeleted, TypeSettingsChanged,
			TypeTaskEstimated, TypeTaskRemainingChanged, TypeWorkLogged, TypeWorklogEdited, TypeWorklogDeleted,
			TypeWorklogConflicted} {
			if byType[want] == 0 {
				t.Errorf("no %s event; the sequences do not exercise sprints and time tracking", want)
			}
		}
	}()
	for _, seed := range []uint64{2, 42, 20261102} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			ctx := context.Background()
			b := mustBoard(t)
			r := rand.New(rand.NewPCG(seed, seed^0x7ac4))
			counts := runRandomCommands(t, b, r, 300)
			t.Logf("outcomes: %v", counts)
			for _, want := range []string{"applied", "no-op", ECONFLICT} {
				if counts[want] == 0 {
					t.Errorf("no command ended %s; the sequence does not exercise the rules", want)
				}
			}
			events, err := b.s.Events(ctx, 0, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				byType[e.Type]++
			}

			rep, err := b.s.Replay(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Identical() {
				t.Fatalf("replay differs:\n%s", rep)
			}
			if rep.Events != eventCount(t, b.s) {
				t.Errorf("replay read %d events, the log has %d", rep.Events, eventCount(t, b.s))
			}

			// The same fold into a store of its own gives the same tasks, field by field.
			rebuilt := mustOpenStore(t)
			tx, err := rebuilt.write.Beginx()
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err = b.s.rebuildInto(ctx, tx, nil); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			live, err := b.s.Tasks(ctx, b.p.ID, TaskFilter{IncludeArchived: true})
			if err != nil {
				t.Fatal(err)
			}
			replayed, err := rebuilt.Tasks(ctx, b.p.ID, TaskFilter{IncludeArchived: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(live) != len(replayed) || len(live) == 0 {
				t.Fatalf("%d live tasks, %d replayed", len(live), len(replayed))
			}
			for i := range live {
				if !reflect.DeepEqual(live[i], replayed[i]) {
					t.Errorf("task %s:\nlive     %+v\nreplayed %+v", live[i].Key, *live[i], *replayed[i])
				}
			}
			for _, task := range live {
				checkBaseValues(t, b.s, task)
			}
			liveMembers, _ := b.s.Members(ctx, b.p.ID)
			replayedMembers, err := rebuilt.Members(ctx, b.p.ID)
			if err != nil || !reflect.DeepEqual(liveMembers, replayedMembers) {
				t.Errorf("members: live %v, replayed %v (%v)", liveMembers, replayedMembers, err)
			}
		})
	}
}

// runRandomCommands issues n random commands on b and counts their outcomes by error
// code, "applied" or "no-op". Errors other than the domain's refusals fail the test.
func runRandomCommands(t *testing.T, b *board, r *rand.Rand, n int) map[string]int {
	t.Helper()
	ctx := context.Background()
	users := []string{b.ana, b.ben, b.cleo, b.vic, b.outsider}
	emails := map[string]string{b.ana: "ana@test.tack", b.ben: "ben@test.tack", b.cleo: "cleo@test.tack",
		b.vic: "vic@test.tack", b.outsider: "olga@test.tack"}
	columns := []string{colToDo, colInProgress, colInReview, colDone}
	titles := []string{"Fix login", "Write docs", "Ship it", "Refactor rank", "Fix login"}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	var tasks, sprints []string
	counts := map[string]int{}
	// sprint returns one of the sprints made so far ("" for the backlog, or when none).
	sprint := func() string {
		if len(sprints) == 0 || r.IntN(4) == 0 {
			return ""
		}
		return sprints[r.IntN(len(sprints))]
	}
	sprintVersion := func(id string) int {
		sp, err := b.s.Sprint(ctx, id)
		if err != nil {
			t.Fatalf("sprint %s: %v", id, err)
		}
		// Mostly current, sometimes stale.
		if r.IntN(5) == 0 {
			return max(1, sp.Version-1)
		}
		return sp.Version
	}
	// editor returns someone likely, not certain, to be allowed to change tasks.
	editor := func() string {
		if r.IntN(10) == 0 {
			return pick(users)
		}
		return pick(users[:3])
	}
	for i := range n {
		var what string
		var res *TaskResult
		var err error
		op := r.IntN(100)
		if len(tasks) == 0 {
			op = 0
		}
		var task *Task
		base := 0
		if len(tasks) > 0 {
			task = b.task(t, tasks[r.IntN(len(tasks))])
			// Mostly current, often a little stale, sometimes from the start.
			base = max(1, task.Version-r.IntN(4))
			if r.IntN(10) == 0 {
				base = 1
			}
		}
		switch {
		case op < 20:
			what = "create"
			in := NewTask{ProjectID: b.p.ID, Title: pick(titles), ColumnID: pick(append(columns, "")),
				Type: TaskTypes[r.IntN(len(TaskTypes))], Priority: Priorities[r.IntN(len(Priorities))]}
			if r.IntN(3) == 0 {
				in.AssigneeID = pick(users)
			}
			if r.IntN(3) == 0 {
				pts := float64(r.IntN(8))
				in.Points = &pts
			}
			in.SprintID = sprint()
			var created *Task
			created, err = b.s.CreateTask(ctx, editor(), in)
			if err == nil {
				tasks = append(tasks, created.ID)
				res = &TaskResult{Events: []Event{{}}}
			}
		case op < 35:
			what = "sprint"
			if len(sprints) == 0 || r.IntN(6) == 0 {
				var sp *Sprint
				sp, err = b.s.CreateSprint(ctx, editor(), NewSprint{ProjectID: b.p.ID, Start: "2026-11-02", End: "2026-11-13"})
				if err == nil {
					sprints = append(sprints, sp.ID)
					res = &TaskResult{Events: []Event{{}}}
				}
				break
			}
			id := sprints[r.IntN(len(sprints))]
			current, err2 := b.s.Sprint(ctx, id)
			if err2 != nil {
				t.Fatal(err2)
			}
			// Mostly what the sprint's state calls for, sometimes anything.
			k := r.IntN(12)
			if r.IntN(2) > 0 {
				choices := map[SprintState][]int{SprintPlanned: {0, 0, 8, 10}, SprintActive: {4, 4, 8}, SprintCompleted: {7, 11}}[current.State]
				k = choices[r.IntN(len(choices))]
			}
			var sp *Sprint
			switch {
			case k < 4:
				sp, err = b.s.StartSprint(ctx, editor(), SprintStart{SprintID: id, BaseVersion: sprintVersion(id)})
			case k < 7:
				c := SprintCompletion{SprintID: id, BaseVersion: sprintVersion(id),
					Default: []Destination{"", DestBacklog, DestNew, DestSprint(sprint())}[r.IntN(4)], Tasks: map[string]Destination{}}
				if len(tasks) > 0 && r.IntN(2) == 0 {
					c.Tasks[tasks[r.IntN(len(tasks))]] = DestNew
				}
				sp, err = b.s.CompleteSprint(ctx, editor(), c)
			case k < 8:
				sp, err = b.s.ReopenSprint(ctx, editor(), id, sprintVersion(id))
			case k < 10:
				sp, err = b.s.UpdateSprint(ctx, editor(), SprintUpdate{SprintID: id, BaseVersion: sprintVersion(id),
					Name: Some(pick([]string{"", "Importer", "Hardening"})), Goal: Some(pick([]string{"", "Ship it"}))})
			case k < 11:
				// Mostly an empty planned sprint, which may be deleted.
				if all, _ := b.s.Sprints(ctx, b.p.ID); r.IntN(4) > 0 {
					for _, c := range all {
						if c.State == SprintPlanned && c.Tasks == 0 {
							id = c.ID
						}
					}
				}
				err = b.s.DeleteSprint(ctx, editor(), id, sprintVersion(id))
				if err == nil {
					sprints = slices.DeleteFunc(sprints, func(s string) bool { return s == id })
					sp = &Sprint{}
				}
			default:
				p, _ := b.s.Project(ctx, b.p.ID)
				if err = b.s.SetParallelSprints(ctx, b.ana, b.p.ID, !p.ParallelSprints); err == nil {
					sp = &Sprint{}
				}
			}
			if err == nil && sp != nil {
				res = &TaskResult{Events: []Event{{}}}
			}
			if n, _ := b.s.Sprints(ctx, b.p.ID); len(n) != len(sprints) {
				// A completion made a new sprint: remember it.
				for _, s := range n {
					if !slices.Contains(sprints, s.ID) {
						sprints = append(sprints, s.ID)
					}
				}
			}
		case op < 45:
			what = "plan"
			pl := TaskPlan{TaskID: task.ID, BaseVersion: base}
			if r.IntN(3) > 0 {
				pl.Sprint = Some(sprint())
			}
			switch r.IntN(3) {
			case 0:
				pl.AfterID = tasks[r.IntN(len(tasks))]
			case 1:
				pl.Step = []Step{StepUp, StepDown, StepTop, StepBottom}[r.IntN(4)]
			}
			res, err = b.s.PlanTask(ctx, editor(), pl)
		case op < 55:
			what = "edit"
			u := TaskUpdate{TaskID: task.ID, BaseVersion: base}
			for range 1 + r.IntN(3) {
				switch r.IntN(10) {
				case 0:
					u.Title = Some(pick(titles))
				case 1:
					u.Description = Some(pick([]string{"", "Steps to reproduce", "See the design doc"}))
				case 2:
					u.Assignee = Some(pick(append(users, "")))
				case 3:
					u.Type = Some(TaskTypes[r.IntN(len(TaskTypes))])
				case 4:
					u.Priority = Some(Priorities[r.IntN(len(Priorities))])
				case 5:
					u.Labels = Some(ParseLabels(pick([]string{"", "ui", "ui api", "api,perf", "perf ui"})))
				case 6:
					if r.IntN(3) == 0 {
						u.Points = Some[*float64](nil)
					} else {
						pts := float64(r.IntN(4)) / 2
						u.Points = Some(&pts)
					}
				case 7:
					u.Due = Some(pick([]string{"", "2026-12-24", "2027-01-15"}))
				case 8:
					u.Estimate = Some(randomSeconds(r))
				case 9:
					u.Remaining = Some(randomSeconds(r))
				}
				if r.IntN(8) == 0 {
					u.Sprint = Some(sprint())
				}
			}
			res, err = b.s.UpdateTask(ctx, editor(), u)
		case op < 75:
			what = "worklog"
			res, err = randomWorklogCommand(t, b, r, task, editor())
		case op < 85:
			what = "move"
			m := TaskMove{TaskID: task.ID, BaseVersion: base, ColumnID: pick(append(columns, ""))}
			if r.IntN(2) == 0 {
				m.AfterID = tasks[r.IntN(len(tasks))]
			}
			if r.IntN(2) == 0 {
				m.BeforeID = tasks[r.IntN(len(tasks))]
			}
			res, err = b.s.MoveTask(ctx, editor(), m)
		case op < 90:
			what = "archive/restore"
			res, err = b.s.UpdateTask(ctx, editor(), TaskUpdate{TaskID: task.ID, BaseVersion: base, Archived: Some(r.IntN(2) == 0)})
		case op < 95:
			what = "answer"
			var pending []pendingRow
			if err := b.s.read.Select(&pending, `SELECT seq, task_id, user_id, project_id, at, data FROM pending_conflicts`); err != nil {
				t.Fatal(err)
			}
			if len(pending) == 0 {
				res = &TaskResult{}
				break
			}
			pc := pending[r.IntN(len(pending))]
			a := ConflictAnswer{TaskID: pc.TaskID, Seq: pc.Seq, Choice: pick([]string{AnswerMine, AnswerTheirs})}
			if r.IntN(2) == 0 {
				a.BaseVersion = b.task(t, pc.TaskID).Version
			}
			res, err = b.s.AnswerConflict(ctx, pc.UserID, a)
		default:
			what = "membership"
			// Mostly by Ana, never to Ana: she stays the admin who undoes the rest.
			actor, user := b.ana, pick(users[1:])
			if r.IntN(5) == 0 {
				actor = pick(users[1:3])
			}
			role := Roles[r.IntN(len(Roles))]
			switch k := r.IntN(20); {
			case k < 10:
				err = b.s.AddMember(ctx, actor, b.p.ID, emails[user], role)
			case k < 17:
				err = b.s.ChangeMemberRole(ctx, actor, b.p.ID, user, role)
			default:
				err = b.s.RemoveMember(ctx, actor, b.p.ID, user)
			}
			if err == nil {
				res = &TaskResult{Events: []Event{{}}}
			}
		}
		switch code := ErrorCode(err); {
		case err == nil && len(res.Events) == 0:
			counts["no-op"]++
		case err == nil:
			counts["applied"]++
		case code == ECONFLICT && what == "worklog":
			var we *WorklogConflictError
			if !errors.As(err, &we) || we.Worklog == nil {
				t.Fatalf("command %d (%s): not a worklog conflict: %v", i, what, err)
			}
			counts["worklog "+code]++
		case code == ECONFLICT && what == "sprint":
			var se *SprintConflictError
			if !errors.As(err, &se) || se.Sprint == nil {
				t.Fatalf("command %d (%s): not a sprint conflict: %v", i, what, err)
			}
			counts["sprint "+code]++
		case code == ECONFLICT:
			var ce *ConflictError
			if !errors.As(err, &ce) || len(ce.Fields) == 0 || ce.Task == nil {
				t.Fatalf("command %d (%s): conflict without fields: %v", i, what, err)
			}
			counts[code]++
		case code == EINVALID || code == EFORBIDDEN || code == ENOTFOUND:
			counts[code]++
		default:
			t.Fatalf("command %d (%s): %v", i, what, err)
		}
	}
	return counts
}

// randomSeconds is an estimate for random commands: none, nothing, or some hours.
func randomSeconds(r *rand.Rand) *int64 {
	if r.IntN(4) == 0 {
		return nil
	}
	v := int64(r.IntN(12)) * 1800
	return &v
}

// randomWorklogCommand logs work on task, or edits or deletes one of its worklogs (from
// a version that is mostly current), with any remaining-estimate choice, as actor.
func randomWorklogCommand(t *testing.T, b *board, r *rand.Rand, task *Task, actor string) (*TaskResult, error) {
	t.Helper()
	ctx := context.Background()
	adjust := Adjusts[r.IntN(len(Adjusts)+1)%len(Adjusts)]
	by := int64(r.IntN(10)) * 1800
	worklogs, err := b.s.Worklogs(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := func(wr *WorklogResult, err error) (*TaskResult, error) {
		if err != nil {
			return nil, err
		}
		return &TaskResult{Task: wr.Task, Events: wr.Events}, nil
	}
	dates := []string{"2026-10-30", "2026-11-01", "2026-11-02"}
	if len(worklogs) == 0 || r.IntN(2) == 0 {
		return out(b.s.LogWork(ctx, actor, NewWorklog{TaskID: task.ID, Date: dates[r.IntN(len(dates))],
			Seconds: int64(1+r.IntN(8)) * 900, Comment: []string{"", "Pairing"}[r.IntN(2)], Adjust: adjust, AdjustBy: by}))
	}
	wl := worklogs[r.IntN(len(worklogs))]
	base := max(1, wl.Version-r.IntN(2)) // from before the last edit half the time: may conflict
	if r.IntN(3) > 0 {
		actor = wl.AuthorID // mostly its author, who may change it
	}
	if r.IntN(3) == 0 {
		return out(b.s.DeleteWorklog(ctx, actor, WorklogDelete{WorklogID: wl.ID, BaseVersion: base, Adjust: adjust, AdjustBy: by}))
	}
	if r.IntN(3) == 0 {
		// Its author changes it first: the edit below, from the version before, merges
		// or conflicts.
		if _, err := b.s.EditWorklog(ctx, wl.AuthorID, WorklogEdit{WorklogID: wl.ID, BaseVersion: wl.Version,
			Seconds: Some(wl.Seconds + 900), Comment: Some("First")}); err != nil && ErrorCode(err) == EINTERNAL {
			t.Fatal(err)
		}
		base = wl.Version
	}
	e := WorklogEdit{WorklogID: wl.ID, BaseVersion: base, Adjust: adjust, AdjustBy: by}
	switch r.IntN(4) {
	case 0, 1:
		e.Seconds = Some(int64(1+r.IntN(8)) * 900)
	case 2:
		e.Date = Some(dates[r.IntN(len(dates))])
	default:
		e.Comment = Some([]string{"", "Pairing", "Review"}[r.IntN(3)])
		e.Start = Some([]string{"", "09:00"}[r.IntN(2)])
	}
	return out(b.s.EditWorklog(ctx, actor, e))
}

func TestReplayFindsAndFixesTamperedReadModels(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Genuine", colToDo)
	b.mustCreate(t, "Also genuine", colDone)
	if _, err := b.s.write.Exec(`UPDATE tasks SET title = 'tampered'`); err != nil {
		t.Fatal(err)
	}

	rep, err := b.s.Replay(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identical() || rep.Fixed {
		t.Fatalf("replay did not notice the tampering:\n%s", rep)
	}
	for _, d := range rep.Tables {
		switch d.Table {
		case "tasks":
			// Both rows exist on both sides with the same key: they are reported as
			// changed, naming the column and both values.
			if d.Differing != 4 || len(d.Changed) != 2 || len(d.OnlyLive) != 0 || len(d.OnlyReplay) != 0 {
				t.Errorf("tasks: %d differing, %d changed, %d only live, %d only replayed; want 4, 2, 0, 0",
					d.Differing, len(d.Changed), len(d.OnlyLive), len(d.OnlyReplay))
			}
			changed := strings.Join(d.Changed, "\n")
			for _, want := range []string{"id=" + task.ID, `title: live "tampered", replayed "Genuine"`} {
				if !strings.Contains(changed, want) {
					t.Errorf("changed rows do not say %q: %q", want, d.Changed)
				}
			}
		default:
			if d.Differing != 0 {
				t.Errorf("%s differs too: %+v", d.Table, d)
			}
		}
	}
	if !strings.Contains(rep.String(), "tampered") || !strings.Contains(rep.String(), "DIFFERENT") {
		t.Errorf("report does not tell:\n%s", rep)
	}
	if got := b.task(t, task.ID); got.Title != "tampered" {
		t.Fatalf("Replay without fix changed the live task: %q", got.Title)
	}

	fixed, err := b.s.Replay(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if !fixed.Fixed {
		t.Errorf("Replay(true) did not fix:\n%s", fixed)
	}
	if got := b.task(t, task.ID); got.Title != "Genuine" {
		t.Errorf("after the fix the task is titled %q, want Genuine", got.Title)
	}
	again, err := b.s.Replay(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Identical() || again.Fixed {
		t.Errorf("replay after the fix:\n%s", again)
	}
	// The fixed store keeps working.
	if _, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: 1, Title: Some("Still genuine")}); err != nil {
		t.Errorf("edit after the fix: %v", err)
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	b := mustBoard(t)
	b.mustCreate(t, "Immutable", colToDo)
	before, err := b.s.Events(context.Background(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sql  string
	}{
		{"update every event", `UPDATE events SET type = 'x'`},
		{"update one event", `UPDATE events SET data = '{}' WHERE seq = 1`},
		{"delete every event", `DELETE FROM events`},
		{"delete one event", `DELETE FROM events WHERE seq = 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.s.write.Exec(tt.sql)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v; want an append-only refusal", tt.sql, err)
			}
			after, err := b.s.Events(context.Background(), 0, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(after, before) {
				t.Errorf("the log changed: %d events before, %d after", len(before), len(after))
			}
		})
	}
}

// TestReplayReportsRowsOnOneSideOnly deletes a read-model row by hand: the rebuilt
// model has it and the live one does not, which the report shows as a whole row.
func TestReplayReportsRowsOnOneSideOnly(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Will vanish", colToDo)
	if _, err := b.s.write.Exec(`DELETE FROM task_history WHERE task_id = ?`, task.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := b.s.Replay(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Tables {
		if d.Table != "task_history" {
			continue
		}
		if d.Differing != 1 || len(d.OnlyReplay) != 1 || len(d.OnlyLive) != 0 || len(d.Changed) != 0 {
			t.Fatalf("task_history: %+v; want one row only in the replay", d)
		}
		if !strings.Contains(d.OnlyReplay[0], "task_id=\""+task.ID+"\"") {
			t.Errorf("the missing row is not shown: %q", d.OnlyReplay[0])
		}
	}
	if !strings.Contains(rep.String(), "only replayed:") {
		t.Errorf("report does not list the missing row:\n%s", rep)
	}
}

// TestReplayOfGeneratedLog: a realistic log written through the live write path (every
// kind of event the generator makes, in commits of a few events) replays into read
// models equal to the live ones, table by table; and the fast way the benchmark writes
// its log (prepared statements, the replay's projector) makes the same live tables.
func TestReplayOfGeneratedLog(t *testing.T) {
	ctx := context.Background()
	for _, way := range []logWay{logLive, logFast} {
		t.Run([]string{"live", "fast"}[way], func(t *testing.T) {
			s := mustOpenStore(t)
			g := generateLog(t, s, 7, 3000, 150, 5, way)
			t.Logf("events by type: %v", g.counts)
			for _, typ := range []string{TypeUserRegistered, TypeProjectCreated, TypeMemberAdded, TypeMemberRoleChanged,
				TypeWorkflowChanged, TypeWorkflowConflicted, TypeTaskCreated, TypeTaskMoved, TypeTaskRetitled,
				TypeTaskDescribed, TypeTaskAssigned, TypeTaskTypeChanged, TypeTaskPrioritized, TypeTaskLabeled,
				TypeTaskPointed, TypeTaskDueChanged, TypeTaskArchived, TypeTaskRestored, TypeTaskConflicted,
				TypeConflictAnswered, TypeSprintCreated, TypeSprintStarted, TypeSprintScopeChanged, TypeSprintCompleted,
				TypeSprintReopened, TypeTaskSprintChanged, TypeTaskEstimated, TypeTaskRemainingChanged, TypeWorkLogged,
				TypeWorklogEdited, TypeWorklogDeleted, TypeWorklogConflicted} {
				if g.counts[typ] == 0 {
					t.Errorf("the generator made no %s event", typ)
				}
			}
			var pending int
			if err := s.read.Get(&pending, `SELECT COUNT(*) FROM pending_conflicts`); err != nil || pending == 0 {
				t.Errorf("%d pending conflicts (%v); the log should leave some unanswered", pending, err)
			}

			var calls, last, total int
			rep, err := s.ReplayWith(ctx, ReplayOptions{Progress: func(done, all int) {
				if done < last || all != eventCount(t, s) {
					t.Errorf("progress %d of %d after %d", done, all, last)
				}
				calls, last, total = calls+1, done, all
			}})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Identical() {
				t.Fatalf("replay differs:\n%s", rep)
			}
			if rep.Events != eventCount(t, s) || rep.Events < 3000+20+3*150 {
				t.Errorf("replay read %d events, the log has %d", rep.Events, eventCount(t, s))
			}
			if last != rep.Events || total != rep.Events || calls != 1+rep.Events/ReplayProgressEvery {
				t.Errorf("progress: %d calls, last %d of %d; want %d calls ending at %d of %d",
					calls, last, total, 1+rep.Events/ReplayProgressEvery, rep.Events, rep.Events)
			}
			for _, d := range rep.Tables {
				if d.LiveRows == 0 {
					t.Errorf("%s is empty: the comparison proves nothing about it", d.Table)
				}
			}
		})
	}
}

// A log the fold cannot read or apply makes Replay fail with the event's position,
// wherever in the log it is: the reader running ahead of the fold stops cleanly.
func TestReplayOfABadLogFails(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, typ, stream, data, want string
	}{
		{"unknown type", "task.teleported", "task:x", `{}`, `unknown event type "task.teleported"`},
		{"undecodable", TypeTaskMoved, "task:x", `{"to_rank": 7}`, "decode task.moved"},
		{"task never created", TypeTaskMoved, "task:nosuchtask", `{"to_rank": "a"}`, "project task.moved"},
	}
	for _, tt := range tests {
		for _, where := range []string{"early", "late"} {
			t.Run(tt.name+" "+where, func(t *testing.T) {
				s := mustOpenStore(t)
				insert := func() {
					if _, err := s.write.Exec(s.d.appendEvent, tt.stream, 1, tt.typ, "u", formatTime(time.Now()), tt.data); err != nil {
						t.Fatal(err)
					}
				}
				if where == "early" {
					insert()
				}
				generateLog(t, s, 3, 3000, 50, 1000, logFast) // more than the reader runs ahead
				if where == "late" {
					insert()
				}
				_, err := s.Replay(ctx, false)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Replay = %v; want an error saying %q", err, tt.want)
				}
			})
		}
	}
}

// checkBaseValues checks, for every version v of the task, that what an edit judges
// from the events since v (baseValue) is the task as it was at v, the fold of its
// events up to there, field by field.
func checkBaseValues(t *testing.T, s *Store, task *Task) {
	t.Helper()
	history, err := streamEvents(s.read, taskStream(task.ID))
	if err != nil {
		t.Fatal(err)
	}
	var folds []*Task
	var fold *Task
	for _, e := range history {
		if fold, err = applyTask(fold, e.Event, e.payload); err != nil {
			t.Fatal(err)
		}
		folds = append(folds, fold)
	}
	for v := 1; v <= len(history); v++ {
		for _, f := range allFields {
			if got, want := baseValue(task, history[v:], f), folds[v-1].value(f); !equalValues(got, want) {
				t.Errorf("%s at version %d: baseValue(%s) = %#v, the fold has %#v", task.Key, v, f, got, want)
			}
		}
	}
}

// TestWritesAfterAReplayReachTheLiveTables: the connection a replay rebuilt on (into
// temporary tables, on PostgreSQL) writes to the live read models again afterwards,
// statements it had prepared before included.
func TestWritesAfterAReplayReachTheLiveTables(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	s.write.SetMaxOpenConns(1) // the replay's connection is the one the writes use
	for i := range 3 {
		mustSeedUser(t, s, fmt.Sprint("Before", i))
		rep, err := s.Replay(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Identical() {
			t.Fatalf("round %d: replay differs:\n%s", i, rep)
		}
		mustSeedUser(t, s, fmt.Sprint("After", i))
		var users int
		if err := s.read.Get(&users, `SELECT COUNT(*) FROM users`); err != nil {
			t.Fatal(err)
		}
		if users != 2*(i+1) {
			t.Fatalf("round %d: %d users in the live table, want %d", i, users, 2*(i+1))
		}
	}
}

// TestReplayOfAReadOnlyStore: a store opened read-only replays (tack replay opens the
// database so) without writing to it, refuses to fix, and refuses writes.
func TestReplayOfAReadOnlyStore(t *testing.T) {
	ctx := context.Background()
	db := freshDatabase(t)
	rw, err := OpenWith(ctx, db, OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if _, err := rw.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenWith(ctx, db, OpenOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rep, err := ro.Replay(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Identical() || rep.Events == 0 {
		t.Fatalf("read-only replay of %d events differs:\n%s", rep.Events, rep)
	}
	if _, err := ro.Replay(ctx, true); ErrorCode(err) != EINVALID {
		t.Errorf("fixing a read-only store: %v, want %s", err, EINVALID)
	}
	if _, err := ro.writeTx(ctx, func(w *writer) error {
		_, err := w.append(userStream("x"), 0, "x", &UserRegistered{Email: "x@test.tack", Name: "X"})
		return err
	}); err == nil {
		t.Error("a read-only store appended an event")
	}
}
