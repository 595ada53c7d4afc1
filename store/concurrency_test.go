package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentCommands runs 32 goroutines × 100 commands against one store. Each
// goroutine edits and moves only its own task (always from the version it just read) and
// creates tasks in the shared project, so every command must apply: any error, lost
// event, version gap or replay difference is a bug in the store, not in the test.
func TestConcurrentCommands(t *testing.T) {
	const (
		workers  = 32
		commands = 100
	)
	ctx := context.Background()
	b := mustBoard(t)
	actors := []string{b.ana, b.ben, b.cleo}
	columns := []string{colToDo, colInProgress, colInReview, colDone}
	own := make([]*Task, workers)
	for g := range own {
		own[g] = b.mustCreate(t, fmt.Sprintf("worker %d", g), colToDo)
	}
	baseline := streamCounts(t, b.s)
	var heardMu sync.Mutex
	var heard []int64
	b.s.Listen(func(events []Event) {
		heardMu.Lock()
		defer heardMu.Unlock()
		for _, e := range events {
			heard = append(heard, e.Seq)
		}
	})

	type outcome struct {
		events    []Event // every event the commands reported, in the order they returned
		created   int
		lastTitle string
		merged    int // commands that reported fields merged from a stale base
		errs      []error
	}
	outcomes := make([]outcome, workers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := &outcomes[g]
			actor := actors[g%len(actors)]
			id := own[g].ID
			fail := func(i int, what string, err error) {
				out.errs = append(out.errs, fmt.Errorf("worker %d command %d (%s): %w", g, i, what, err))
			}
			<-start
			var stale int // a version of the task from two commands back
			for i := range commands {
				current, err := b.s.Task(ctx, id)
				if err != nil {
					fail(i, "read", err)
					continue
				}
				var res *TaskResult
				switch i % 4 {
				case 0:
					task, err := b.s.CreateTask(ctx, actor, NewTask{ProjectID: b.p.ID, Title: fmt.Sprintf("created by %d at %d", g, i),
						ColumnID: columns[i%len(columns)], AssigneeID: actors[i%len(actors)]})
					if err != nil {
						fail(i, "create", err)
						continue
					}
					out.created++
					out.events = append(out.events, Event{Stream: taskStream(task.ID), Version: 1, Type: TypeTaskCreated})
					stale = current.Version
					continue
				case 1:
					title := fmt.Sprintf("worker %d, edit %d", g, i)
					res, err = b.s.UpdateTask(ctx, actor, TaskUpdate{TaskID: id, BaseVersion: current.Version,
						Title: Some(title), Labels: Some([]string{fmt.Sprintf("w%d", g), fmt.Sprintf("i%d", i)})})
					if err == nil {
						out.lastTitle = title
					}
				case 2:
					// To the next column, after another worker's task when it is there.
					next := columns[(colIndex(current.ColumnID)+1)%len(columns)]
					res, err = b.s.MoveTask(ctx, actor, TaskMove{TaskID: id, BaseVersion: current.Version, ColumnID: next,
						AfterID: own[(g+1)%workers].ID, BeforeID: own[(g+workers-1)%workers].ID})
				case 3:
					// From a version before this worker's own edit and move: the fields
					// differ, so they merge.
					pts := float64(i)
					res, err = b.s.UpdateTask(ctx, actor, TaskUpdate{TaskID: id, BaseVersion: stale,
						Priority: Some(Priorities[i%len(Priorities)]), Points: Some(&pts)})
					if err == nil && len(res.Merged) > 0 {
						out.merged++
					}
				}
				if err != nil {
					fail(i, "task command", err)
					continue
				}
				out.events = append(out.events, res.Events...)
			}
		}()
	}
	close(start)
	wg.Wait()

	// Every command applied.
	var errs []error
	created := 0
	want := map[string]int{}
	for g, out := range outcomes {
		errs = append(errs, out.errs...)
		created += out.created
		for _, e := range out.events {
			want[e.Stream]++
		}
		if out.merged != commands/4 {
			t.Errorf("worker %d: %d stale-base edits reported merged fields, want %d", g, out.merged, commands/4)
		}
	}
	if len(errs) > 0 {
		t.Fatalf("%d commands failed, first: %v", len(errs), errors.Join(errs[:min(len(errs), 5)]...))
	}
	if created != workers*commands/4 {
		t.Errorf("created %d tasks, want %d", created, workers*commands/4)
	}

	// Every reported event is in the log, and nothing else was added.
	got := streamCounts(t, b.s)
	for stream, n := range got {
		if added := n - baseline[stream]; added != want[stream] {
			t.Errorf("stream %s gained %d events, commands reported %d", stream, added, want[stream])
		}
	}
	for stream := range want {
		if _, ok := got[stream]; !ok {
			t.Errorf("stream %s reported but missing from the log", stream)
		}
	}
	seen := map[int64]bool{}
	for _, out := range outcomes {
		var last int64
		for _, e := range out.events {
			if e.Seq == 0 {
				continue // a creation, counted per stream above
			}
			if seen[e.Seq] {
				t.Errorf("seq %d reported twice", e.Seq)
			}
			seen[e.Seq] = true
			if e.Seq <= last {
				t.Errorf("a later command of one worker got seq %d after %d", e.Seq, last)
			}
			last = e.Seq
		}
	}
	stored, err := b.s.Events(ctx, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	byseq := map[int64]Event{}
	for _, e := range stored {
		byseq[e.Seq] = e
	}
	for _, out := range outcomes {
		for _, e := range out.events {
			if s, ok := byseq[e.Seq]; e.Seq != 0 && (!ok || s.Stream != e.Stream || s.Version != e.Version || s.Type != e.Type) {
				t.Errorf("reported event %d %s v%d %s is stored as %+v", e.Seq, e.Stream, e.Version, e.Type, s)
			}
		}
	}

	// Versions are gap-free per stream, sequence numbers gap-free and increasing, and
	// every stream's versions follow the global order.
	var gaps []struct {
		Stream string `db:"stream"`
		N      int    `db:"n"`
		Min    int    `db:"min_version"`
		Max    int    `db:"max_version"`
	}
	if err := b.s.read.Select(&gaps, `SELECT stream, COUNT(*) AS n, MIN(version) AS min_version, MAX(version) AS max_version
		FROM events GROUP BY stream HAVING COUNT(*) <> MAX(version) OR MIN(version) <> 1`); err != nil {
		t.Fatal(err)
	}
	for _, g := range gaps {
		t.Errorf("stream %s has %d events with versions %d..%d", g.Stream, g.N, g.Min, g.Max)
	}
	lastVersion := map[string]int{}
	for i, e := range stored {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d; want gap-free, increasing seqs", i, e.Seq)
		}
		if i > 0 && e.At.Before(stored[i-1].At) {
			t.Errorf("seq %d is dated %v, before seq %d", e.Seq, e.At, stored[i-1].Seq)
		}
		if e.Version != lastVersion[e.Stream]+1 {
			t.Errorf("seq %d is version %d of %s, after version %d", e.Seq, e.Version, e.Stream, lastVersion[e.Stream])
		}
		lastVersion[e.Stream] = e.Version
	}

	// Listeners heard every new event once, in commit order.
	heardMu.Lock()
	defer heardMu.Unlock()
	if len(heard) != len(stored)-sumCounts(baseline) {
		t.Errorf("listeners heard %d events, %d were appended", len(heard), len(stored)-sumCounts(baseline))
	}
	for i := 1; i < len(heard); i++ {
		if heard[i] != heard[i-1]+1 {
			t.Fatalf("listeners heard seq %d after %d", heard[i], heard[i-1])
		}
	}

	// Task numbers are unique and gap-free.
	var numbers []int
	if err := b.s.read.Select(&numbers, `SELECT number FROM tasks WHERE project_id = ? ORDER BY number`, b.p.ID); err != nil {
		t.Fatal(err)
	}
	if len(numbers) != workers+created {
		t.Errorf("%d tasks, want %d", len(numbers), workers+created)
	}
	for i, n := range numbers {
		if n != i+1 {
			t.Fatalf("task numbers %v...; want 1..%d", numbers[:i+1], len(numbers))
		}
	}

	// Each worker's task ends as its worker left it.
	for g, task := range own {
		got := b.task(t, task.ID)
		if got.Title != outcomes[g].lastTitle {
			t.Errorf("worker %d's task is titled %q, want %q", g, got.Title, outcomes[g].lastTitle)
		}
		if got.Version != lastVersion[taskStream(task.ID)] {
			t.Errorf("worker %d's task is at version %d, its stream at %d", g, got.Version, lastVersion[taskStream(task.ID)])
		}
	}

	rep, err := b.s.Replay(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Identical() {
		t.Errorf("replay differs:\n%s", rep)
	}
	if rep.Events != len(stored) {
		t.Errorf("replay read %d events, the log has %d", rep.Events, len(stored))
	}
}

// TestConcurrentMovesOfOneCard races two users moving the same card from the same
// version to different columns: one applies, the other is told who moved it first.
func TestConcurrentMovesOfOneCard(t *testing.T) {
	const rounds = 50
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Contested", colToDo)
	columns := []string{colToDo, colInProgress, colInReview, colDone}
	users := [2]string{b.ana, b.ben}

	for round := range rounds {
		current := b.task(t, task.ID)
		from := colIndex(current.ColumnID)
		targets := [2]string{columns[(from+1)%4], columns[(from+2)%4]}
		var results [2]*TaskResult
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = b.s.MoveTask(ctx, users[i], TaskMove{TaskID: task.ID, BaseVersion: current.Version, ColumnID: targets[i]})
			}()
		}
		close(start)
		wg.Wait()

		winner := -1
		for i := range 2 {
			if errs[i] == nil {
				if winner >= 0 {
					t.Fatalf("round %d: both moves applied", round)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: neither move applied: %v; %v", round, errs[0], errs[1])
		}
		loser := 1 - winner
		var ce *ConflictError
		if !errors.As(errs[loser], &ce) {
			t.Fatalf("round %d: the second move got %v; want *ConflictError", round, errs[loser])
		}
		if len(ce.Fields) != 1 || ce.Fields[0].ChangedBy != users[winner] || ce.Fields[0].Theirs != targets[winner] {
			t.Errorf("round %d: conflict %+v; want the column, changed by the winner to %s", round, ce.Fields, targets[winner])
		}
		if len(results[winner].Events) != 1 {
			t.Errorf("round %d: the winning move recorded %d events", round, len(results[winner].Events))
		}
		if got := b.task(t, task.ID); got.ColumnID != targets[winner] || got.Version != current.Version+1 {
			t.Errorf("round %d: task in %s at v%d; want %s at v%d", round, got.ColumnID, got.Version, targets[winner], current.Version+1)
		}
	}
	if v, err := streamVersion(b.s.read, conflictStream(task.ID)); err != nil || v != rounds {
		t.Errorf("conflict stream at version %d (%v), want %d", v, err, rounds)
	}
	if rep, err := b.s.Replay(ctx, false); err != nil || !rep.Identical() {
		t.Errorf("replay: %v\n%s", err, rep)
	}
}

// TestReplayDuringWrites replays, with fix, while commands are being written: a replay
// either compares against one consistent state of the log or gives up saying so; it
// never reports a difference that is only a write landing meanwhile, and never rolls
// the read models back to an older rebuild.
func TestReplayDuringWrites(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := b.s.CreateTask(ctx, b.ben, NewTask{ProjectID: b.p.ID, Title: fmt.Sprintf("%d-%d", g, i)}); err != nil {
					t.Errorf("create: %v", err)
					return
				}
			}
		}()
	}
	rep, err := b.s.Replay(ctx, true)
	switch {
	case errors.Is(err, errLogMoved):
		t.Log("replay gave up: the log kept moving")
	case err != nil:
		t.Errorf("replay: %v", err)
	case !rep.Identical() || rep.Fixed:
		t.Errorf("replay during writes differs:\n%s", rep)
	}
	close(stop)
	wg.Wait()
	if rep, err := b.s.Replay(ctx, false); err != nil || !rep.Identical() {
		t.Errorf("replay after writes: %v\n%s", err, rep)
	}
	var tasks, created int
	if err := b.s.read.Get(&tasks, `SELECT COUNT(*) FROM tasks`); err != nil {
		t.Fatal(err)
	}
	if err := b.s.read.Get(&created, `SELECT COUNT(*) FROM events WHERE type = ?`, TypeTaskCreated); err != nil {
		t.Fatal(err)
	}
	if tasks != created || tasks == 0 {
		t.Errorf("%d tasks in the read model, %d created in the log", tasks, created)
	}
}

func sumCounts(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

func colIndex(id string) int {
	return int(id[1] - '1')
}

// streamCounts returns the number of events in every stream.
func streamCounts(t testing.TB, s *Store) map[string]int {
	t.Helper()
	var rows []struct {
		Stream string `db:"stream"`
		N      int    `db:"n"`
	}
	if err := s.read.Select(&rows, `SELECT stream, COUNT(*) AS n FROM events GROUP BY stream`); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Stream] = r.N
	}
	return out
}
