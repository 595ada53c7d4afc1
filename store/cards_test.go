package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestCardPlaceAgreesWithTheBoard: after random creates, moves and archives, every
// card's place read alone (neighbour, position, column count) is what the whole board
// read in order says, and so are ColumnCount and ColumnTasks.
func TestCardPlaceAgreesWithTheBoard(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	rng := rand.New(rand.NewPCG(9, 9))
	cols := b.p.Columns
	var ids []string
	for i := range 40 {
		ids = append(ids, b.mustCreate(t, fmt.Sprintf("card %d", i), cols[rng.IntN(len(cols))].ID).ID)
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
	tasks, err := b.s.Tasks(ctx, b.p.ID, TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byColumn := map[string][]*Task{}
	for _, tk := range tasks {
		byColumn[tk.ColumnID] = append(byColumn[tk.ColumnID], tk)
	}
	for _, c := range cols {
		n, err := b.s.ColumnCount(ctx, b.p.ID, c.ID)
		if err != nil || n != len(byColumn[c.ID]) {
			t.Errorf("ColumnCount(%s) = %d, %v; the board has %d", c.ID, n, err, len(byColumn[c.ID]))
		}
		got, err := b.s.ColumnTasks(ctx, b.p.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a, w := titles(got), titles(byColumn[c.ID]); a != w {
			t.Errorf("ColumnTasks(%s) = %s, the board has %s", c.ID, a, w)
		}
		for i, tk := range byColumn[c.ID] {
			want := CardPlace{Index: i, Count: len(byColumn[c.ID])}
			if i > 0 {
				want.After = byColumn[c.ID][i-1].ID
			}
			pl, err := b.s.CardPlace(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Task.ID != tk.ID || pl.After != want.After || pl.Index != want.Index || pl.Count != want.Count {
				t.Errorf("CardPlace(%s) = after %q, %d of %d; the board has after %q, %d of %d",
					tk.Title, pl.After, pl.Index, pl.Count, want.After, want.Index, want.Count)
			}
		}
	}
	archived := 0
	for _, id := range ids {
		if tk := b.task(t, id); tk.Archived {
			archived++
			pl, err := b.s.CardPlace(ctx, id)
			if err != nil || !pl.Task.Archived || pl.Count != 0 || pl.After != "" {
				t.Errorf("CardPlace of archived %s = %+v, %v", tk.Title, pl, err)
			}
		}
	}
	if archived == 0 {
		t.Errorf("the random run archived nothing: the archived case is untested")
	}
}

func titles(tasks []*Task) string {
	var s []string
	for _, t := range tasks {
		s = append(s, t.Title)
	}
	return strings.Join(s, ",")
}

// TestCardQueriesUseTheBoardIndex: SQLite plans the card's queries as ranges of the
// board index, never a scan of the project's tasks.
func TestCardQueriesUseTheBoardIndex(t *testing.T) {
	s := mustOpenStore(t)
	for _, q := range []string{
		`SELECT id FROM tasks WHERE project_id = 'p' AND column_id = 'c' AND archived = 0 AND (rank, id) < ('m', 'x') ORDER BY rank DESC, id DESC LIMIT 1`,
		`SELECT COUNT(*) FROM tasks WHERE project_id = 'p' AND column_id = 'c' AND archived = 0 AND (rank, id) < ('m', 'x')`,
		`SELECT COUNT(*) FROM tasks WHERE project_id = 'p' AND column_id = 'c' AND archived = 0`,
	} {
		var plan []struct {
			ID      int    `db:"id"`
			Parent  int    `db:"parent"`
			NotUsed int    `db:"notused"`
			Detail  string `db:"detail"`
		}
		if err := s.read.Select(&plan, "EXPLAIN QUERY PLAN "+q); err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, p := range plan {
			details = append(details, p.Detail)
		}
		d := strings.Join(details, "; ")
		if !strings.Contains(d, "USING COVERING INDEX tasks_board_idx") || strings.Contains(d, "SCAN") {
			t.Errorf("%s\nis planned as %q, want a search of the covering index tasks_board_idx", q, d)
		}
	}
}

// TestOnStatementSeesEveryStatement: the option reports the statements of both pools,
// prepared ones at each execution.
func TestOnStatementSeesEveryStatement(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var seen []string
	s := openTestStore(t, OpenOptions{PasswordCost: bcrypt.MinCost,
		OnStatement: func(q string) { mu.Lock(); seen = append(seen, q); mu.Unlock() }})
	count := func(substr string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, q := range seen {
			if strings.Contains(q, substr) {
				n++
			}
		}
		return n
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if count("SELECT 1") != 1 {
		t.Errorf("a read was not reported once: %q", seen)
	}
	mustSeedUser(t, s, "Ana")
	if count("INSERT INTO events") != 1 {
		t.Errorf("a write was not reported once")
	}
	st, err := s.read.Preparex(`SELECT COUNT(*) FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for range 3 {
		var n int
		if err := st.Get(&n); err != nil || n != 1 {
			t.Fatalf("count users = %d, %v", n, err)
		}
	}
	if got := count("SELECT COUNT(*) FROM users"); got != 3 {
		t.Errorf("a prepared statement run 3 times was reported %d times", got)
	}
}
