package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// mustConflict runs cmd and returns the conflict it must cause.
func mustConflict(t *testing.T, b *board, cmd taskCmd, taskID string) *ConflictError {
	t.Helper()
	_, err := cmd.run(b, taskID)
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("want a conflict, got %v", err)
	}
	return ce
}

// pendingFor lists the task ids with a conflict pending for user in b's project.
func pendingFor(t *testing.T, b *board, user string) []string {
	t.Helper()
	pcs, err := b.s.PendingConflicts(context.Background(), b.p.ID, user)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, pc := range pcs {
		ids = append(ids, pc.TaskID)
	}
	return ids
}

func TestPendingConflictLifecycle(t *testing.T) {
	ctx := context.Background()
	anaMovesToDone := taskCmd{actor: asAna, move: &TaskMove{BaseVersion: 1, ColumnID: colDone}}
	benMovesToProgress := taskCmd{actor: asBen, move: &TaskMove{BaseVersion: 1, ColumnID: colInProgress}}

	tests := []struct {
		name string
		// then runs after Ana's move and Ben's refused move; it returns whether Ben's
		// conflict should still be pending, and the task's column at the end.
		then       func(t *testing.T, b *board, task *Task, ce *ConflictError) (pending bool, column string)
		historyHas string // a history entry ends with this, "" for none
	}{
		{
			name: "pending until answered",
			then: func(t *testing.T, b *board, task *Task, ce *ConflictError) (bool, string) {
				return true, colDone
			},
		},
		{
			name: "answer theirs keeps the task as it is",
			then: func(t *testing.T, b *board, task *Task, ce *ConflictError) (bool, string) {
				res, err := b.s.AnswerConflict(ctx, b.ben, ConflictAnswer{TaskID: task.ID, Seq: ce.Seq, Choice: AnswerTheirs})
				if err != nil {
					t.Fatal(err)
				}
				if res.Task.Version != ce.CurrentVersion {
					t.Errorf("keeping theirs changed the version: %d → %d", ce.CurrentVersion, res.Task.Version)
				}
				return false, colDone
			},
			historyHas: "kept Ana's move of TACK-1 to Done",
		},
		{
			name: "answer mine applies the move with the version shown",
			then: func(t *testing.T, b *board, task *Task, ce *ConflictError) (bool, string) {
				res, err := b.s.AnswerConflict(ctx, b.ben, ConflictAnswer{TaskID: task.ID, Seq: ce.Seq, Choice: AnswerMine, BaseVersion: ce.CurrentVersion})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Events) != 2 || res.Events[0].Type != TypeTaskMoved || res.Events[1].Type != TypeConflictAnswered {
					t.Errorf("events = %v, want a move then the answer", res.Events)
				}
				return false, colInProgress
			},
			historyHas: "chose to move TACK-1 to In Progress anyway, over Ana's move to Done",
		},
		{
			name: "a later change of the same field by its author ends it",
			then: func(t *testing.T, b *board, task *Task, ce *ConflictError) (bool, string) {
				if _, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: ce.CurrentVersion, ColumnID: colInReview}); err != nil {
					t.Fatal(err)
				}
				return false, colInReview
			},
		},
		{
			name: "a change of another field by its author does not",
			then: func(t *testing.T, b *board, task *Task, ce *ConflictError) (bool, string) {
				if _, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: ce.CurrentVersion, Title: Some("Ben's title")}); err != nil {
					t.Fatal(err)
				}
				return true, colDone
			},
		},
		{
			name: "someone else's change of the same field does not",
			then: func(t *testing.T, b *board, task *Task, ce *ConflictError) (bool, string) {
				if _, err := b.s.MoveTask(ctx, b.cleo, TaskMove{TaskID: task.ID, BaseVersion: ce.CurrentVersion, ColumnID: colInReview}); err != nil {
					t.Fatal(err)
				}
				return true, colInReview
			},
		},
		{
			name: "answering mine after a newer change conflicts anew and stays pending",
			then: func(t *testing.T, b *board, task *Task, ce *ConflictError) (bool, string) {
				if _, err := b.s.MoveTask(ctx, b.cleo, TaskMove{TaskID: task.ID, BaseVersion: ce.CurrentVersion, ColumnID: colInReview}); err != nil {
					t.Fatal(err)
				}
				_, err := b.s.AnswerConflict(ctx, b.ben, ConflictAnswer{TaskID: task.ID, Seq: ce.Seq, Choice: AnswerMine, BaseVersion: ce.CurrentVersion})
				var again *ConflictError
				if !errors.As(err, &again) || again.Seq <= ce.Seq || again.Fields[0].ChangedBy != b.cleo {
					t.Fatalf("answer = %v, want a new conflict naming Cleo", err)
				}
				pc, err := b.s.PendingConflict(ctx, task.ID, b.ben)
				if err != nil || pc.Seq != again.Seq {
					t.Fatalf("pending = %+v, %v; want the new conflict %d", pc, err, again.Seq)
				}
				_, err = b.s.AnswerConflict(ctx, b.ben, ConflictAnswer{TaskID: task.ID, Seq: ce.Seq, Choice: AnswerTheirs})
				if ErrorCode(err) != ENOTFOUND {
					t.Errorf("answering the replaced conflict = %v, want not found", err)
				}
				return true, colInReview
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mustBoard(t)
			task := b.mustCreate(t, "Race", colToDo)
			if _, err := anaMovesToDone.run(b, task.ID); err != nil {
				t.Fatal(err)
			}
			ce := mustConflict(t, b, benMovesToProgress, task.ID)
			if ce.Seq == 0 {
				t.Fatal("conflict has no seq")
			}
			if got := pendingFor(t, b, b.ben); !reflect.DeepEqual(got, []string{task.ID}) {
				t.Fatalf("Ben's pending conflicts = %v, want [%s]", got, task.ID)
			}
			for _, other := range []string{b.ana, b.cleo, b.vic} {
				if got := pendingFor(t, b, other); len(got) != 0 {
					t.Fatalf("someone else sees Ben's conflict: %v", got)
				}
			}
			pending, column := tc.then(t, b, task, ce)
			if got := len(pendingFor(t, b, b.ben)) == 1; got != pending {
				t.Errorf("pending = %v, want %v", got, pending)
			}
			if got := b.task(t, task.ID).ColumnID; got != column {
				t.Errorf("column = %s, want %s", got, column)
			}
			if tc.historyHas != "" {
				h, err := b.s.TaskHistory(ctx, b.p, task.ID)
				if err != nil {
					t.Fatal(err)
				}
				var texts []string
				for _, e := range h {
					texts = append(texts, e.Actor.Name+" "+e.Text)
				}
				if !strings.Contains(strings.Join(texts, "\n"), tc.historyHas) {
					t.Errorf("history lacks %q:\n%s", tc.historyHas, strings.Join(texts, "\n"))
				}
			}
			if rep, err := b.s.Replay(ctx, false); err != nil || !rep.Identical() {
				t.Errorf("replay = %v, %v", rep, err)
			}
		})
	}
}

func TestAnswerMineReappliesAnEdit(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Original", colToDo)
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: task.ID, BaseVersion: 1, Title: Some("Ana's")}); err != nil {
		t.Fatal(err)
	}
	three := 3.0
	ce := mustConflict(t, b, taskCmd{actor: asBen, update: &TaskUpdate{BaseVersion: 1, Title: Some("Ben's"),
		Labels: Some([]string{"ui", "api"}), Points: Some(&three), Priority: Some(PriorityHigh), Due: Some("2026-12-24")}}, task.ID)
	pc, err := b.s.PendingConflict(ctx, task.ID, b.ben)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := pc.Wants(FieldTitle); !ok || v != "Ben's" {
		t.Errorf("wanted title = %v, %v", v, ok)
	}
	if _, err := b.s.PendingConflict(ctx, task.ID, b.ana); ErrorCode(err) != ENOTFOUND {
		t.Errorf("Ana's pending conflict = %v, want not found", err)
	}
	if _, err := b.s.AnswerConflict(ctx, b.ben, ConflictAnswer{TaskID: task.ID, Seq: ce.Seq, Choice: AnswerMine}); err != nil {
		t.Fatal(err)
	}
	got := b.task(t, task.ID)
	if got.Title != "Ben's" || !reflect.DeepEqual(got.Labels, []string{"api", "ui"}) || got.Points == nil || *got.Points != 3 ||
		got.Priority != PriorityHigh || got.Due != "2026-12-24" {
		t.Errorf("task after answering mine = %+v", got)
	}
	if _, err := b.s.AnswerConflict(ctx, b.ben, ConflictAnswer{TaskID: task.ID, Seq: ce.Seq, Choice: AnswerMine}); ErrorCode(err) != ENOTFOUND {
		t.Errorf("second answer = %v, want not found", err)
	}
}

func TestAnswerConflictRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Original", colToDo)
	before := eventCount(t, b.s)
	_, err := b.s.AnswerConflict(ctx, b.ben, ConflictAnswer{TaskID: task.ID, Seq: 1, Choice: "maybe"})
	if ErrorCode(err) != EINVALID {
		t.Errorf("bad choice = %v, want invalid", err)
	}
	_, err = b.s.AnswerConflict(ctx, b.ben, ConflictAnswer{TaskID: task.ID, Seq: 1, Choice: AnswerTheirs})
	if ErrorCode(err) != ENOTFOUND {
		t.Errorf("no pending conflict = %v, want not found", err)
	}
	if after := eventCount(t, b.s); after != before {
		t.Errorf("refused answers appended %d events", after-before)
	}
}

func TestUpdateFromWanted(t *testing.T) {
	two := 2.5
	tests := []struct {
		name    string
		wanted  map[Field]any
		want    TaskUpdate
		wantErr bool
	}{
		{"strings", map[Field]any{FieldTitle: "T", FieldDescription: "D", FieldAssignee: "u1", FieldDue: ""},
			TaskUpdate{Title: Some("T"), Description: Some("D"), Assignee: Some("u1"), Due: Some("")}, false},
		{"enums", map[Field]any{FieldType: "bug", FieldPriority: "low"},
			TaskUpdate{Type: Some(TypeBug), Priority: Some(PriorityLow)}, false},
		{"decoded JSON", map[Field]any{FieldPoints: 2.5, FieldLabels: []any{"a", "b"}, FieldArchived: true},
			TaskUpdate{Points: Some(&two), Labels: Some([]string{"a", "b"}), Archived: Some(true)}, false},
		{"cleared", map[Field]any{FieldPoints: nil, FieldLabels: nil},
			TaskUpdate{Points: Some[*float64](nil), Labels: Some([]string{})}, false},
		{"wrong type", map[Field]any{FieldTitle: 3.0}, TaskUpdate{}, true},
		{"wrong label", map[Field]any{FieldLabels: []any{"a", 1.0}}, TaskUpdate{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := updateFromWanted("t", 4, tc.wanted)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			tc.want.TaskID, tc.want.BaseVersion = "t", 4
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
