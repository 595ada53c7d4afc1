package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestTaskResultIsTheStoredTask checks that the task a command answers with (its state
// computed in the transaction, not read back) is the task the read model holds
// afterwards, for random edits and moves, from current and stale versions, including
// commands that change nothing.
func TestTaskResultIsTheStoredTask(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	columns := []string{colToDo, colInProgress, colInReview, colDone}
	var ids []string
	for i := range 6 {
		ids = append(ids, b.mustCreate(t, fmt.Sprint("card ", i), columns[i%len(columns)]).ID)
	}
	rng := rand.New(rand.NewPCG(4, 2))
	for op := range 120 {
		id := ids[rng.IntN(len(ids))]
		cur := b.task(t, id)
		base := max(1, cur.Version-rng.IntN(2))
		var res *TaskResult
		var err error
		switch rng.IntN(4) {
		case 0:
			res, err = b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: id, BaseVersion: base, ColumnID: columns[rng.IntN(len(columns))],
				AfterID: ids[rng.IntN(len(ids))]})
		case 1:
			res, err = b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: id, BaseVersion: base, ColumnID: cur.ColumnID,
				Step: []Step{StepUp, StepDown, StepTop, StepBottom}[rng.IntN(4)]})
		case 2:
			pts := float64(rng.IntN(5))
			res, err = b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: id, BaseVersion: cur.Version,
				Title: Some(fmt.Sprint("title ", rng.IntN(3))), Points: Some(&pts), Labels: Some([]string{fmt.Sprint("l", rng.IntN(2))})})
		case 3:
			res, err = b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: id, BaseVersion: base, Priority: Some(Priorities[rng.IntN(len(Priorities))]),
				Assignee: Some([]string{"", b.ben}[rng.IntN(2)])})
		}
		if ErrorCode(err) == ECONFLICT {
			continue // a stale move whose column changed meanwhile: recorded, nothing to compare
		}
		if err != nil {
			t.Fatalf("op %d: %v", op, err)
		}
		if stored := b.task(t, id); !reflect.DeepEqual(res.Task, stored) {
			t.Fatalf("op %d: command answered\n%+v\nthe read model holds\n%+v", op, res.Task, stored)
		}
	}
}
