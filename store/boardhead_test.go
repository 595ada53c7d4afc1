package store

import (
	"context"
	"testing"
)

// TestProjectHead: the head moves with every event a board shows (a move, a refused
// move recorded as the user's conflict, its answer, a member's role) and with nothing
// of another project.
func TestProjectHead(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	ana, _ := s.UserByEmail(ctx, DemoUsers[0].Email)
	ben, _ := s.UserByEmail(ctx, DemoUsers[1].Email)
	demo, _, err := s.ProjectFor(ctx, ana.ID, "DEMO")
	if err != nil {
		t.Fatal(err)
	}
	head := func() int64 {
		t.Helper()
		h, err := s.ProjectHead(ctx, demo.ID)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	expectMoved := func(what string, before int64) int64 {
		t.Helper()
		after := head()
		if after <= before {
			t.Fatalf("after %s the head is %d, was %d: want it to move", what, after, before)
		}
		return after
	}
	h := head()
	if h == 0 {
		t.Fatal("the demo project's head is 0")
	}

	tasks, err := s.Tasks(ctx, demo.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	x := tasks[0]
	if _, err := s.MoveTask(ctx, ana.ID, TaskMove{TaskID: x.ID, BaseVersion: x.Version, ColumnID: "c4"}); err != nil {
		t.Fatal(err)
	}
	h = expectMoved("a move", h)

	// Ben's stale move is refused and recorded as his conflict: his board shows it.
	if _, err := s.MoveTask(ctx, ben.ID, TaskMove{TaskID: x.ID, BaseVersion: x.Version, ColumnID: "c2"}); ErrorCode(err) != ECONFLICT {
		t.Fatalf("Ben's stale move: %v, want a conflict", err)
	}
	h = expectMoved("a recorded conflict", h)
	pending, err := s.PendingConflict(ctx, x.ID, ben.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := s.Task(ctx, x.ID)
	if _, err := s.AnswerConflict(ctx, ben.ID, ConflictAnswer{TaskID: x.ID, Seq: pending.Seq, Choice: AnswerTheirs, BaseVersion: cur.Version}); err != nil {
		t.Fatal(err)
	}
	h = expectMoved("an answer to the conflict", h)
	if err := s.ChangeMemberRole(ctx, ana.ID, demo.ID, ben.ID, RoleViewer); err != nil {
		t.Fatal(err)
	}
	h = expectMoved("a role change", h)

	// Another project's events leave the head where it is.
	other, err := s.CreateProject(ctx, ana.ID, NewProject{Key: "OTHER", Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTask(ctx, ana.ID, NewTask{ProjectID: other.ID, Title: "Elsewhere"}); err != nil {
		t.Fatal(err)
	}
	if got := head(); got != h {
		t.Errorf("another project's events moved the head from %d to %d", h, got)
	}
	if got, err := s.ProjectHead(ctx, "no-such-project"); err != nil || got != 0 {
		t.Errorf("head of no project = %d, %v; want 0, nil", got, err)
	}
}
