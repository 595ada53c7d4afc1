package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestCheckpointsRunBesideTheWriter: the writer's own automatic checkpoint is only a
// backstop, and the background checkpointer copies the log into the database file
// after commits, so that the log does not grow for ever.
func TestCheckpointsRunBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	var auto int
	if err := s.write.GetContext(ctx, &auto, `PRAGMA wal_autocheckpoint`); err != nil {
		t.Fatal(err)
	}
	if auto != writerAutoCheckpoint {
		t.Fatalf("writer's wal_autocheckpoint = %d, want %d", auto, writerAutoCheckpoint)
	}
	u, err := s.RegisterUser(ctx, NewUser{Email: "ck@example.com", Name: "Check Point", Password: "check-point-password"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProject(ctx, u.ID, NewProject{Key: "CK", Name: "Checkpoints"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if _, err := s.CreateTask(ctx, u.ID, NewTask{ProjectID: p.ID, Title: fmt.Sprintf("Task %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The commits woke the checkpointer: wait (with a deadline, not a timing) until it
	// has copied the log into the database file.
	deadline := time.Now().Add(10 * time.Second)
	for s.ckpt.copied.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no background checkpoint copied anything after 200 commits")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// And the data is all there, through a fresh read.
	tasks, err := s.Tasks(ctx, p.ID, TaskFilter{})
	if err != nil || len(tasks) != 200 {
		t.Fatalf("%d tasks, %v; want 200", len(tasks), err)
	}
}

// TestReadOnlyStoreHasNoCheckpointer: a read-only store writes nothing, checkpoints
// included.
func TestReadOnlyStoreHasNoCheckpointer(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenWith(ctx, path, OpenOptions{ReadOnly: true, NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if ro.ckpt != nil {
		t.Fatal("a read-only store runs a checkpointer")
	}
}
