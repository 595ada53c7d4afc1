package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
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
	for range 1000 {
		step(g.step)
		recorded = append(recorded, readLiveBoard(t, s, p.id))
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
