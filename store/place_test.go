package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/tack-pm/tack/store/rank"
)

// placeByScan is the placement rule as it was written before place read only the rows
// it needs: read the whole column in board order and search it. It is the model place
// is checked against.
func placeByScan(q sqlxSelectGetter, t *Task, col, afterID, beforeID string, step Step) (*TaskMoved, error) {
	var others []slot
	if err := q.Select(&others, `SELECT id, rank, archived FROM tasks WHERE project_id = ? AND column_id = ? AND id <> ? ORDER BY rank, id`,
		t.ProjectID, col, t.ID); err != nil {
		return nil, err
	}
	if step != "" {
		var err error
		if afterID, beforeID, err = stepNeighboursByScan(t, col, others, step); err != nil {
			return nil, err
		}
	}
	index := func(id string) int {
		for i, o := range others {
			if id != "" && o.ID == id {
				return i
			}
		}
		return -1
	}
	rankAt := func(i int) string {
		if i < 0 || i >= len(others) {
			return ""
		}
		return others[i].Rank
	}
	lo, hi := rankAt(len(others)-1), ""
	after, before := "", ""
	// Next to a run of equal ranks, the task goes past the whole run.
	if i := index(afterID); i >= 0 {
		lo, after = others[i].Rank, afterID
		for j := i + 1; j < len(others) && hi == ""; j++ {
			if others[j].Rank > lo {
				hi = others[j].Rank
			}
		}
	} else if i := index(beforeID); i >= 0 {
		hi, before = others[i].Rank, beforeID
		lo = ""
		for j := i - 1; j >= 0 && lo == ""; j-- {
			if others[j].Rank < hi {
				lo = others[j].Rank
			}
		}
	}
	if col == t.ColumnID && (lo == "" || lo < t.Rank) && (hi == "" || t.Rank < hi) {
		return nil, nil
	}
	r, err := rank.Between(lo, hi)
	if err != nil {
		return nil, err
	}
	return &TaskMoved{FromColumn: t.ColumnID, ToColumn: col, FromRank: t.Rank, ToRank: r, After: after, Before: before}, nil
}

func stepNeighboursByScan(t *Task, col string, others []slot, step Step) (after, before string, err error) {
	var visible []string
	pos := 0
	for _, o := range others {
		if o.Archived {
			continue
		}
		visible = append(visible, o.ID)
		if t.ColumnID == col && o.Rank < t.Rank {
			pos++
		}
	}
	if t.ColumnID != col {
		pos = len(visible)
	}
	at := func(i int) string {
		if i < 0 || i >= len(visible) {
			return ""
		}
		return visible[i]
	}
	switch step {
	case StepUp:
		if pos == 0 {
			return "", at(0), nil
		}
		return "", at(pos - 1), nil
	case StepDown:
		if pos >= len(visible) {
			return at(len(visible) - 1), "", nil
		}
		return at(pos), "", nil
	case StepTop:
		return "", at(0), nil
	case StepBottom:
		return at(len(visible) - 1), "", nil
	}
	return "", "", invalidField("step", "Unknown move %q: use up, down, top or bottom.", step)
}

type sqlxSelectGetter interface {
	sqlxGetter
	Select(dest any, query string, args ...any) error
}

// TestPlaceMatchesColumnScan checks place, which reads a card's neighbours one row at
// a time, against the rule it replaced (read the whole column and search it) on random
// boards: random cards in random columns, some archived, reordered by random moves,
// and at every step a random placement (neighbours from any column or none, the card
// itself, every step and an unknown one) decided both ways. Some rounds give cards of a
// column equal ranks, which the read model allows, so that the order by id is covered.
func TestPlaceMatchesColumnScan(t *testing.T) {
	ctx := context.Background()
	columns := []string{colToDo, colInProgress, colInReview, colDone}
	steps := []Step{"", "", "", StepUp, StepDown, StepTop, StepBottom, "sideways"}
	for round := range 20 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(round), 9))
			b := mustBoard(t)
			var ids []string
			for i := range 14 {
				ids = append(ids, b.mustCreate(t, fmt.Sprint("card ", i), columns[rng.IntN(len(columns))]).ID)
			}
			for _, id := range ids {
				if rng.IntN(5) == 0 {
					task := b.task(t, id)
					if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: id, BaseVersion: task.Version, Archived: Some(true)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			ties := round%4 == 3
			pick := func() string {
				if n := rng.IntN(len(ids) + 2); n < len(ids) {
					return ids[n]
				}
				return ""
			}
			for op := range 60 {
				if ties && op%10 == 0 {
					// Give two cards of one column the same rank.
					a, c := b.task(t, ids[rng.IntN(len(ids))]), ids[rng.IntN(len(ids))]
					if _, err := b.s.write.Exec(`UPDATE tasks SET rank = ?, column_id = ? WHERE id = ?`, a.Rank, a.ColumnID, c); err != nil {
						t.Fatal(err)
					}
				}
				task := b.task(t, ids[rng.IntN(len(ids))])
				col := columns[rng.IntN(len(columns))]
				after, before, step := pick(), pick(), steps[rng.IntN(len(steps))]
				want, wantErr := placeByScan(b.s.read, task, col, after, before, step)
				got, gotErr := place(b.s.read, task, col, after, before, step)
				if (wantErr == nil) != (gotErr == nil) || !reflect.DeepEqual(got, want) {
					t.Fatalf("op %d: place(%s in %s rank %q → %s, after %q, before %q, step %q)\n got %+v, %v\nwant %+v, %v\nboard %s",
						op, task.ID, task.ColumnID, task.Rank, col, after, before, step, got, gotErr, want, wantErr, b.columns(t))
				}
				if task.Archived || wantErr != nil || ties {
					continue
				}
				if _, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: task.Version,
					ColumnID: col, AfterID: after, BeforeID: before, Step: step}); err != nil {
					t.Fatalf("op %d: move: %v", op, err)
				}
			}
		})
	}
}

// TestPlaceReadsOnlyNeighbours checks that the queries place runs use the column's rank
// index and stop at the first row, rather than reading the column: SQLite's plan for
// each names the index and sorts nothing itself except ties on id.
func TestPlaceReadsOnlyNeighbours(t *testing.T) {
	b := mustBoard(t)
	for _, q := range []string{
		`SELECT id, rank, archived FROM tasks WHERE project_id = ? AND column_id = ? AND id <> ? AND rank >= ? AND (rank > ? OR id > ?) ORDER BY rank, id LIMIT 1`,
		`SELECT id, rank, archived FROM tasks WHERE project_id = ? AND column_id = ? AND id <> ? AND rank <= ? AND (rank < ? OR id < ?) ORDER BY rank DESC, id DESC LIMIT 1`,
		`SELECT id, rank, archived FROM tasks WHERE project_id = ? AND column_id = ? AND id <> ? AND NOT archived ORDER BY rank, id LIMIT 1`,
		`SELECT id, rank, archived FROM tasks WHERE project_id = ? AND column_id = ? AND id <> ?  ORDER BY rank DESC, id DESC LIMIT 1`,
	} {
		var details []string
		rows, err := b.s.read.Queryx(`EXPLAIN QUERY PLAN `+q, "p", "c", "t", "r", "r", "i")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, notUsed int
			var detail string
			if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
				t.Fatal(err)
			}
			details = append(details, detail)
		}
		rows.Close()
		t.Logf("%q", details)
		if len(details) != 1 || !strings.Contains(details[0], "SEARCH tasks USING COVERING INDEX tasks_board_idx") {
			t.Errorf("plan of %s:\n%q\nwant one search of the covering index tasks_board_idx, in its order (no sort)", q, details)
		}
	}
}
