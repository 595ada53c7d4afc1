package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

// liveBoard is a project's live board as the read models have it at a position.
type liveBoard struct {
	seq     int64
	columns []Column
	tasks   []*Task
}

func readLiveBoard(t *testing.T, s *Store, projectID string) liveBoard {
	t.Helper()
	ctx := context.Background()
	var b liveBoard
	if err := s.read.Get(&b.seq, `SELECT MAX(seq) FROM events`); err != nil {
		t.Fatal(err)
	}
	if err := s.read.Select(&b.columns, `SELECT id, name, wip_limit, category FROM columns WHERE project_id = ? ORDER BY position`, projectID); err != nil {
		t.Fatal(err)
	}
	tasks, err := s.BoardTasks(ctx, projectID, BoardRead{Labels: true})
	if err != nil {
		t.Fatal(err)
	}
	b.tasks = tasks
	return b
}

// projectSeqs folds the whole log independently of event_projects: the positions of
// each project's events (its stream, its tasks' and sprints' streams, no conflicts).
func projectSeqs(t *testing.T, s *Store) map[string][]int64 {
	t.Helper()
	events, err := s.Events(context.Background(), 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{} // task or sprint stream → project id
	out := map[string][]int64{}
	for _, e := range events {
		kind, id := streamID(e.Stream)
		if e.Stream != kind+":"+id {
			continue // a conflict stream
		}
		switch kind {
		case "project":
			out[id] = append(out[id], e.Seq)
		case "task", "sprint":
			if e.Version == 1 {
				p, err := e.Decode()
				if err != nil {
					t.Fatal(err)
				}
				switch p := p.(type) {
				case *TaskCreated:
					owner[e.Stream] = p.ProjectID
				case *SprintCreated:
					owner[e.Stream] = p.ProjectID
				}
			}
			out[owner[e.Stream]] = append(out[owner[e.Stream]], e.Seq)
		}
	}
	return out
}

// TestBoardAsOfMatchesLive: random user actions through the live write path (moves,
// edits, archiving, workflow changes, sprints started and completed, conflicts,
// worklogs); after each, the live board of the first project is recorded. Then the
// board as of each recorded position, read in random order with checkpoints (stored
// lazily as the reads pass their places) and without any, equals the recorded live
// board; and the changes since, previous and next positions agree with an independent
// fold of the log.
func TestBoardAsOfMatchesLive(t *testing.T) {
	defer func(n int) { checkpointEvery = n }(checkpointEvery)
	checkpointEvery = 40 // many checkpoints in a short history
	defer func(n int64) { indexChunk = n }(indexChunk)
	indexChunk = 97 // event_projects caught up in many transactions
	ctx := context.Background()
	s := mustOpenStore(t)
	g := newLogGenerator(11)
	step := func(fn func(emit emitFunc) error) {
		t.Helper()
		_, err := s.writeTx(ctx, func(w *writer) error {
			return fn(func(stream string, expected int, actor string, at time.Time, p Payload) (Event, error) {
				w.now = at
				events, err := w.append(stream, expected, actor, p)
				if err != nil {
					return Event{}, err
				}
				return events[0], nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	step(func(emit emitFunc) error { return g.setup(emit, 8, 3, 30) })
	p := g.projects[0]
	var recorded []liveBoard
	recorded = append(recorded, readLiveBoard(t, s, p.id))
	for i := range 1000 {
		step(g.step)
		live := readLiveBoard(t, s, p.id)
		recorded = append(recorded, live)
		if i%97 == 0 {
			// Reads while the log grows: event_projects and checkpoints catch up in steps.
			b, err := s.BoardAsOf(ctx, p.id, live.seq)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b.Tasks, live.tasks) || !reflect.DeepEqual(b.Project.Columns, live.columns) {
				t.Fatalf("as of %d, read at once: cards differ\n%s", live.seq, firstDiff(b.Tasks, live.tasks))
			}
		}
	}
	t.Logf("events by type: %v", g.counts)
	if g.counts[TypeSprintStarted] == 0 || g.counts[TypeSprintCompleted] == 0 || g.counts[TypeWorkflowChanged] == 0 || g.counts[TypeTaskArchived] == 0 {
		t.Fatalf("the history lacks sprints, workflow changes or archiving: %v", g.counts)
	}
	seqs := projectSeqs(t, s)[p.id]
	r := rand.New(rand.NewPCG(3, 4))
	r.Shuffle(len(recorded), func(i, j int) { recorded[i], recorded[j] = recorded[j], recorded[i] })
	fromCheckpoint := 0
	for _, live := range recorded {
		with, err := s.BoardAsOf(ctx, p.id, live.seq)
		if err != nil {
			t.Fatalf("as of %d: %v", live.seq, err)
		}
		without, err := s.boardAsOf(ctx, p.id, live.seq, asofOptions{})
		if err != nil {
			t.Fatalf("as of %d without checkpoints: %v", live.seq, err)
		}
		if with.From > 0 {
			fromCheckpoint++
		}
		if without.From != 0 {
			t.Fatalf("as of %d without checkpoints started from %d", live.seq, without.From)
		}
		for _, b := range []*BoardState{with, without} {
			if !reflect.DeepEqual(b.Project.Columns, live.columns) {
				t.Fatalf("as of %d (from %d): columns\n%+v\nlive\n%+v", live.seq, b.From, b.Project.Columns, live.columns)
			}
			if !reflect.DeepEqual(b.Tasks, live.tasks) {
				t.Fatalf("as of %d (from %d): %d cards differ from the live board's %d\n%s", live.seq, b.From, len(b.Tasks), len(live.tasks), firstDiff(b.Tasks, live.tasks))
			}
		}
		// Independent positions: the last project event ≤ seq, the one before, the next.
		i, _ := slices.BinarySearch(seqs, live.seq+1) // seqs[:i] ≤ live.seq
		want := positions{LastSeq: seqs[i-1], Since: len(seqs) - i, Head: seqs[len(seqs)-1]}
		if i >= 2 {
			want.Prev = seqs[i-2]
		}
		if i < len(seqs) {
			want.Next = seqs[i]
		}
		for _, b := range []*BoardState{with, without} {
			got := positions{LastSeq: b.LastSeq, Since: b.Since, Prev: b.Prev, Next: b.Next, Head: b.Head}
			if got != want {
				t.Fatalf("as of %d: positions %+v, want %+v", live.seq, got, want)
			}
		}
		if !with.At.Equal(without.At) || with.Project.Key != p.key || with.Project.Name != without.Project.Name {
			t.Fatalf("as of %d: instant %v/%v, key %q", live.seq, with.At, without.At, with.Project.Key)
		}
	}
	cps, err := s.BoardCheckpoints(ctx, p.id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d project events, %d checkpoints, %d of %d reads from a checkpoint", len(seqs), len(cps), fromCheckpoint, len(recorded))
	if len(cps) < len(seqs)/checkpointEvery || fromCheckpoint < len(recorded)/2 {
		t.Errorf("%d checkpoints for %d events, %d reads of %d from one", len(cps), len(seqs), fromCheckpoint, len(recorded))
	}
}

type positions struct {
	LastSeq, Prev, Next, Head int64
	Since                     int
}

func firstDiff(got, want []*Task) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return "got  " + taskString(got[i]) + "\nwant " + taskString(want[i])
		}
	}
	return "(one is a prefix of the other)"
}

func taskString(t *Task) string { return fmt.Sprintf("%+v", *t) }

// TestBoardAsOfBesideMoves: an as-of read (which lists new events and stores
// checkpoints, both writes) and a move released together, 30 rounds: the read answers
// the board as it was before the move, and event_projects ends up listing exactly each
// project's events.
func TestBoardAsOfBesideMoves(t *testing.T) {
	defer func(n int) { checkpointEvery = n }(checkpointEvery)
	checkpointEvery = 3
	ctx := context.Background()
	bd := mustBoard(t)
	var tasks []*Task
	for i := range 6 {
		tasks = append(tasks, bd.mustCreate(t, fmt.Sprint("card ", i), colToDo))
	}
	columns := []string{colToDo, colInProgress, colInReview, colDone}
	for round := range 30 {
		before := readLiveBoard(t, bd.s, bd.p.ID)
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			got   *BoardState
			rerr  error
			merr  error
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			got, rerr = bd.s.BoardAsOf(ctx, bd.p.ID, before.seq)
		}()
		go func() {
			defer wg.Done()
			<-start
			i := round % len(tasks)
			res, err := bd.s.MoveTask(ctx, bd.ben, TaskMove{TaskID: tasks[i].ID, BaseVersion: tasks[i].Version, ColumnID: columns[(round/len(tasks)+1)%len(columns)]})
			if err == nil {
				tasks[i] = res.Task
			}
			merr = err
		}()
		close(start)
		wg.Wait()
		if rerr != nil || merr != nil {
			t.Fatalf("round %d: read %v, move %v", round, rerr, merr)
		}
		if !reflect.DeepEqual(got.Tasks, before.tasks) {
			t.Fatalf("round %d: the board as of %d is not the board then\n%s", round, before.seq, firstDiff(got.Tasks, before.tasks))
		}
	}
	if _, err := bd.s.BoardAsOf(ctx, bd.p.ID, readLiveBoard(t, bd.s, bd.p.ID).seq); err != nil {
		t.Fatal(err)
	}
	var listed []int64
	if err := bd.s.read.Select(&listed, `SELECT seq FROM event_projects WHERE project_id = ? ORDER BY seq`, bd.p.ID); err != nil {
		t.Fatal(err)
	}
	if want := projectSeqs(t, bd.s)[bd.p.ID]; !slices.Equal(listed, want) {
		t.Errorf("event_projects lists %d events of the project, the log has %d", len(listed), len(want))
	}
}

// TestBoardAsOfPositions: positions outside the project's life are refused with a
// message a person understands; SeqAt finds the last change at or before an instant.
func TestBoardAsOfPositions(t *testing.T) {
	ctx := context.Background()
	bd := mustBoard(t) // the users are registered before the project
	first := projectSeqs(t, bd.s)[bd.p.ID][0]
	a := bd.mustCreate(t, "first card", colToDo)
	bd.s.Now = func() time.Time { return time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC) }
	b := bd.mustCreate(t, "second card", colToDo)
	seqs := projectSeqs(t, bd.s)[bd.p.ID]
	head := seqs[len(seqs)-1]

	for _, tc := range []struct {
		at      int64
		message string
	}{
		{0, "A position in the log is a whole number from 1; 0 is not one."},
		{first - 1, fmt.Sprintf("TACK did not exist yet at position %d: it begins at %d.", first-1, first)},
		{head + 1, fmt.Sprintf("Position %d is after the last change (%d): there is nothing to show there yet.", head+1, head)},
	} {
		_, err := bd.s.BoardAsOf(ctx, bd.p.ID, tc.at)
		wantCode(t, err, EINVALID, tc.message)
	}
	_, err := bd.s.BoardAsOf(ctx, "nope", head)
	if ErrorCode(err) != ENOTFOUND {
		t.Errorf("unknown project: %v", err)
	}

	st, err := bd.s.BoardAsOf(ctx, bd.p.ID, head-1)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tasks) != 1 || st.Tasks[0].ID != a.ID || st.Since != 1 || st.Next != head {
		t.Errorf("before the second card: %d cards, %d since, next %d", len(st.Tasks), st.Since, st.Next)
	}
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{
		{time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(2026, 11, 20, 13, 59, 59, 0, time.UTC), head - 1},
		{time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC), head},
		{time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), head},
	} {
		got, err := bd.s.SeqAt(ctx, bd.p.ID, tc.at)
		if err != nil || got != tc.want {
			t.Errorf("SeqAt(%v) = %d, %v; want %d", tc.at, got, err, tc.want)
		}
	}
	// A checkpoint that cannot be read (another format, damage) is passed over.
	if _, err := bd.s.write.Exec(`INSERT INTO board_checkpoints (project_id, seq, state) VALUES (?, ?, ?)`, bd.p.ID, head-1, []byte("not a checkpoint")); err != nil {
		t.Fatal(err)
	}
	st, err = bd.s.BoardAsOf(ctx, bd.p.ID, head)
	if err != nil {
		t.Fatal(err)
	}
	if st.From != 0 || len(st.Tasks) != 2 || st.Tasks[1].ID != b.ID || st.Tasks[0].ID != a.ID {
		t.Errorf("past a damaged checkpoint: from %d, %d cards", st.From, len(st.Tasks))
	}
}
