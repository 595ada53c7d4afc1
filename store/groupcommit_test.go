package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestGroupCommitIsolatesCommands releases 24 writers together, 20 rounds: a third
// move their own task, a third append an event and then fail, a third append an event
// and then panic. Writers that queue behind a running transaction share the next one,
// so failures and panics happen between other commands of the same transaction. Every
// move must be applied, reported and heard once; every failure and panic must reach its
// own caller and leave no trace in the log or the read models.
func TestGroupCommitIsolatesCommands(t *testing.T) {
	const (
		writers = 24
		rounds  = 20
	)
	ctx := context.Background()
	b := mustBoard(t)
	tasks := make([]*Task, writers)
	for g := range tasks {
		tasks[g] = b.mustCreate(t, fmt.Sprintf("writer %d", g), colToDo)
	}
	var mu sync.Mutex
	var heard []int64
	maxBatch := 0
	b.s.onBatch = func(n int) {
		mu.Lock()
		defer mu.Unlock()
		maxBatch = max(maxBatch, n)
	}
	b.s.Listen(func(events []Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range events {
			heard = append(heard, e.Seq)
		}
	})
	columns := []string{colToDo, colInProgress, colInReview, colDone}
	errRefused := errors.New("refused after writing")
	for round := range rounds {
		before := eventCount(t, b.s)
		mu.Lock()
		heard = heard[:0]
		mu.Unlock()
		var reported []int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make([]error, writers)
		moved := make([]*TaskResult, writers)
		for g := range writers {
			wg.Go(func() {
				<-start
				task := tasks[g]
				switch g % 3 {
				case 0:
					moved[g], results[g] = b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: task.Version,
						ColumnID: columns[(round+1)%len(columns)]})
				case 1, 2:
					// A retitle written to the log and the read models, then refused.
					defer func() {
						if p := recover(); p != nil {
							results[g] = fmt.Errorf("panic: %v", p)
						}
					}()
					_, results[g] = b.s.writeTx(ctx, func(w *writer) error {
						if _, err := w.append(taskStream(task.ID), task.Version, b.ana, &TaskRetitled{From: task.Title, To: "never"}); err != nil {
							return err
						}
						if g%3 == 2 {
							panic("command panicked")
						}
						return errRefused
					})
				}
			})
		}
		close(start)
		wg.Wait()
		for g, err := range results {
			switch g % 3 {
			case 0:
				if err != nil {
					t.Fatalf("round %d: writer %d: move: %v", round, g, err)
				}
				if len(moved[g].Events) != 1 || moved[g].Task.Version != tasks[g].Version+1 {
					t.Fatalf("round %d: writer %d: move reported %d events, version %d", round, g, len(moved[g].Events), moved[g].Task.Version)
				}
				reported = append(reported, moved[g].Events[0].Seq)
				tasks[g] = moved[g].Task
			case 1:
				if !errors.Is(err, errRefused) {
					t.Fatalf("round %d: writer %d: got %v, want its own error", round, g, err)
				}
			case 2:
				if err == nil || err.Error() != "panic: command panicked" {
					t.Fatalf("round %d: writer %d: got %v, want its panic", round, g, err)
				}
			}
		}
		if got, want := eventCount(t, b.s)-before, writers/3; got != want {
			t.Fatalf("round %d: log grew by %d events, want %d (the moves only)", round, got, want)
		}
		for g, task := range tasks {
			if got := b.task(t, task.ID); got.Title != fmt.Sprintf("writer %d", g) || got.Version != task.Version {
				t.Fatalf("round %d: task %d is %q at version %d, want %q at %d", round, g, got.Title, got.Version, fmt.Sprintf("writer %d", g), task.Version)
			}
		}
		var n int
		if err := b.s.read.Get(&n, `SELECT COUNT(*) FROM task_history WHERE type = ?`, TypeTaskRetitled); err != nil || n != 0 {
			t.Fatalf("round %d: %d retitles in the history (%v)", round, n, err)
		}
		mu.Lock()
		got := slices.Clone(heard)
		mu.Unlock()
		slices.Sort(reported)
		if !slices.IsSorted(got) || !slices.Equal(got, reported) {
			t.Fatalf("round %d: listeners heard %v, moves reported %v", round, got, reported)
		}
	}
	if maxBatch < 2 {
		t.Errorf("no transaction held more than one command (largest %d): the test did not exercise group commit", maxBatch)
	}
	t.Logf("largest transaction: %d commands", maxBatch)
	if rep, err := b.s.Replay(ctx, false); err != nil || !rep.Identical() {
		t.Errorf("replay after the rounds: %+v, %v", rep, err)
	}
}
