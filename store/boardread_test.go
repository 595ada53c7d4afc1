package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestBoardTasksIsTasksForTheCards: after random creates (with and without points,
// labels, assignee, description, estimates, work logged), moves and archives, BoardTasks returns the cards Tasks
// returns, in the same order, with the same fields a card shows, and labels and
// description exactly when asked for.
func TestBoardTasksIsTasksForTheCards(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	rng := rand.New(rand.NewPCG(16, 16))
	cols := b.p.Columns
	var ids []string
	for i := range 40 {
		in := NewTask{ProjectID: b.p.ID, Title: fmt.Sprintf("card <%d> & co", i), ColumnID: cols[rng.IntN(len(cols))].ID,
			Type: TaskTypes[i%len(TaskTypes)], Priority: Priorities[i%len(Priorities)]}
		if i%3 == 0 {
			pts := float64(i % 8)
			in.Points = &pts
		}
		if i%4 == 0 {
			in.Labels = []string{"ui", fmt.Sprintf("l%d", i)}
		}
		if i%5 == 0 {
			in.AssigneeID, in.Description = b.ben, fmt.Sprintf("description %d", i)
		}
		if i%2 == 0 {
			est := int64(i) * 1800
			in.Estimate = &est
		}
		tk, err := b.s.CreateTask(ctx, b.ana, in)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 1 {
			if _, err := b.s.LogWork(ctx, b.ben, NewWorklog{TaskID: tk.ID, Date: "2026-11-02", Seconds: int64(i) * 600}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, tk.ID)
	}
	for range 80 {
		tk := b.task(t, ids[rng.IntN(len(ids))])
		if tk.Archived {
			continue
		}
		if rng.IntN(10) == 0 {
			if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Archived: Some(true)}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		m := TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: cols[rng.IntN(len(cols))].ID}
		if other := b.task(t, ids[rng.IntN(len(ids))]); other.ID != tk.ID && !other.Archived && rng.IntN(2) == 0 {
			m.ColumnID, m.AfterID = other.ColumnID, other.ID
		}
		if _, err := b.s.MoveTask(ctx, b.ana, m); err != nil {
			t.Fatal(err)
		}
	}
	// The board's order is not the columns' ids' order: Done first, a new empty column.
	p, err := b.s.Project(ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	reordered := []Column{p.Columns[3], p.Columns[0], {Name: "Blocked"}, p.Columns[2], p.Columns[1]}
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, p.Version, reordered); err != nil {
		t.Fatal(err)
	}
	all, err := b.s.Tasks(ctx, b.p.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || len(all) == len(ids) {
		t.Fatalf("the random board has %d of %d tasks on it; want some archived, some not", len(all), len(ids))
	}
	for _, want := range []BoardRead{{}, {Labels: true}, {Description: true}, {Labels: true, Description: true}} {
		t.Run(fmt.Sprintf("%+v", want), func(t *testing.T) {
			got, err := b.s.BoardTasks(ctx, b.p.ID, want)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(all) {
				t.Fatalf("BoardTasks returned %d cards, Tasks %d", len(got), len(all))
			}
			for i, full := range all {
				card := *full
				card.Rank, card.Due, card.CreatedBy, card.UpdatedBy = "", "", "", ""
				card.CreatedAt, card.UpdatedAt = time.Time{}, time.Time{}
				if !want.Labels {
					card.Labels = nil
				}
				if !want.Description {
					card.Description = ""
				}
				if !reflect.DeepEqual(*got[i], card) {
					t.Errorf("card %d:\n got %+v\nwant %+v", i, *got[i], card)
				}
			}
		})
	}
}

// TestBoardTasksOfAnEmptyOrUnknownProject: an empty board is no cards, an unknown
// project is ENOTFOUND.
func TestBoardTasksOfAnEmptyOrUnknownProject(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	got, err := b.s.BoardTasks(ctx, b.p.ID, BoardRead{})
	if err != nil || len(got) != 0 {
		t.Errorf("BoardTasks of an empty board = %v, %v; want no cards", got, err)
	}
	if _, err := b.s.BoardTasks(ctx, "no-such-project", BoardRead{}); ErrorCode(err) != ENOTFOUND {
		t.Errorf("BoardTasks of an unknown project: %v, want ENOTFOUND", err)
	}
}

// BenchmarkBoardRead521 reads a 521-card board the general way (Tasks) and the board's
// way (BoardTasks), one after the other in one run: compare them with each other.
func BenchmarkBoardRead521(b *testing.B) {
	ctx := context.Background()
	bd := mustBoard(b)
	for i := range 521 {
		pts := float64(i % 8)
		_, err := bd.s.CreateTask(ctx, bd.ana, NewTask{ProjectID: bd.p.ID, Title: fmt.Sprintf("Benchmark task number %d with a realistic title", i),
			ColumnID: bd.p.Columns[i%len(bd.p.Columns)].ID, AssigneeID: bd.ben, Points: &pts, Labels: []string{"bench"},
			Description: "A description the board does not show."})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Tasks", func(b *testing.B) {
		for b.Loop() {
			if _, err := bd.s.Tasks(ctx, bd.p.ID, TaskFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("BoardTasks", func(b *testing.B) {
		for b.Loop() {
			if _, err := bd.s.BoardTasks(ctx, bd.p.ID, BoardRead{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
