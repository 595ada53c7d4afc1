package store

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// backlogString writes a backlog page with the fields the page as it was keeps: the
// sprints (with their counts) and every list's tasks, in order. Times are written as
// instants, so that a time read back from the database equals the one folded.
func backlogString(b *Backlog) string {
	var sb strings.Builder
	for _, l := range append(b.Sprints, b.Backlog) {
		if sp := l.Sprint; sp != nil {
			fmt.Fprintf(&sb, "sprint %s #%d %q goal %q %s..%s %s started %s completed %s v%d created %s: %d tasks, %g points\n",
				sp.ID, sp.Number, sp.Name, sp.Goal, sp.Start, sp.End, sp.State, instant(sp.StartedAt), instant(sp.CompletedAt),
				sp.Version, sp.CreatedAt.UTC().Format(time.RFC3339Nano), sp.Tasks, sp.Points)
		} else {
			sb.WriteString("backlog\n")
		}
		for _, t := range l.Tasks {
			fmt.Fprintf(&sb, "  %s\n", planTaskString(t))
		}
	}
	return sb.String()
}

func planTaskString(t *Task) string {
	return fmt.Sprintf("%s %s %q %s %s col=%s rank=%s who=%s labels=%v pts=%s due=%s archived=%v sprint=%s carried=%s est=%s rem=%s logged=%d v%d",
		t.ID, t.Key, t.Title, t.Type, t.Priority, t.ColumnID, t.Rank, t.AssigneeID, t.Labels, ptrString(t.Points), t.Due,
		t.Archived, t.SprintID, t.CarriedFrom, ptrString(t.Estimate), ptrString(t.Remaining), t.Logged, t.Version)
}

// taskPageString writes a task with every field the task page as it was shows, its
// worklogs and its time summary.
func taskPageString(t *Task, worklogs []*Worklog) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s desc=%q by %s at %s, updated by %s at %s; %+v\n", planTaskString(t), t.Description,
		t.CreatedBy, t.CreatedAt.UTC().Format(time.RFC3339Nano), t.UpdatedBy, t.UpdatedAt.UTC().Format(time.RFC3339Nano), timeString(t.Time()))
	for _, w := range worklogs {
		fmt.Fprintf(&sb, "  worklog %s of %s %s by %s %s %s %ds %q v%d %s %s\n", w.ID, w.TaskKey, w.TaskTitle, w.AuthorID, w.Date, w.Start,
			w.Seconds, w.Comment, w.Version, w.CreatedAt.UTC().Format(time.RFC3339Nano), w.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	return sb.String()
}

func timeString(ts TimeSummary) string {
	return fmt.Sprintf("est=%s rem=%s logged=%d expected=%s over=%d bar=%d/%d", ptrString(ts.Estimate), ptrString(ts.Remaining),
		ts.Logged, ptrString(ts.Expected), ts.Over, ts.LoggedPct, ts.RemainingPct)
}

// whyString names the change that explains a remaining estimate, told as the page
// tells it.
func whyString(tt *TaskTime) string {
	if tt.Why == nil {
		return "why: -"
	}
	return fmt.Sprintf("why: %d %s", tt.Why.Seq, tt.Why.Text)
}

func instant(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func ptrString[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// recordedPage is the live backlog and some tasks' pages at a position.
type recordedPage struct {
	seq     int64
	backlog string
	tasks   map[string]string // task id → taskPageString
}

// TestBacklogAsOfMatchesLive: random user actions through the live write path (as in
// TestBoardAsOfMatchesLive, plus sprint edits and a deleted sprint); after each, the
// live backlog page of the first project and the live pages of some of its tasks are
// recorded. Then the backlog as of each recorded position, read in random order with
// checkpoints and without any, equals the recorded live one; and each task as of each
// position equals its recorded live page (fields, time summary, worklogs), with the
// task's previous and next changes.
func TestBacklogAsOfMatchesLive(t *testing.T) {
	defer func(n int) { checkpointEvery = n }(checkpointEvery)
	checkpointEvery = 40
	ctx := context.Background()
	s := mustOpenStore(t)
	g := newLogGenerator(17)
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
	project, err := s.Project(ctx, p.id)
	if err != nil {
		t.Fatal(err)
	}
	var watched []string // the first project's first tasks
	var watchedGen []*genTask
	for _, gt := range g.tasks {
		if gt.project == p && len(watched) < 6 {
			watched = append(watched, gt.ID)
			watchedGen = append(watchedGen, gt)
		}
	}
	record := func() recordedPage {
		t.Helper()
		var r recordedPage
		if err := s.read.Get(&r.seq, `SELECT MAX(seq) FROM events`); err != nil {
			t.Fatal(err)
		}
		b, err := s.Backlog(ctx, p.id)
		if err != nil {
			t.Fatal(err)
		}
		r.backlog = backlogString(b)
		r.tasks = map[string]string{}
		for _, id := range watched {
			task, err := loadTask(s.read, id)
			if err != nil {
				t.Fatal(err)
			}
			wls, err := s.Worklogs(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			tt, err := s.TaskTime(ctx, project, task)
			if err != nil {
				t.Fatal(err)
			}
			r.tasks[id] = taskPageString(task, wls) + whyString(tt)
		}
		return r
	}
	recorded := []recordedPage{record()}
	// A sprint the generator does not know: created, edited, then deleted.
	extra := newID()
	edits := 0
	for i := range 800 {
		switch {
		case i == 100:
			step(func(emit emitFunc) error {
				_, err := g.emit(emit, sprintStream(extra), g.editor(p), &SprintCreated{ProjectID: p.id, Number: 900,
					Name: "Side sprint", Goal: "to be deleted", Start: "2026-02-02", End: "2026-02-13"})
				return err
			})
		case i == 400:
			step(func(emit emitFunc) error {
				_, err := g.emit(emit, sprintStream(extra), g.editor(p), &SprintDeleted{})
				return err
			})
		case i%37 == 5 && len(p.sprints) > 0:
			sp := p.sprints[g.r.IntN(len(p.sprints))]
			edits++
			step(func(emit emitFunc) error {
				_, err := g.emit(emit, sprintStream(sp.id), g.editor(p), &SprintEdited{
					Name: &StringChange{To: fmt.Sprintf("Renamed %d", edits)}, Goal: &StringChange{To: fmt.Sprintf("goal %d", edits)}})
				return err
			})
		case i%11 == 3:
			// Time tracking on a watched task: worklogs logged, edited and deleted.
			gt := watchedGen[g.r.IntN(len(watchedGen))]
			step(func(emit emitFunc) error { return g.timeTracking(emit, gt, g.editor(p)) })
		default:
			step(g.step)
		}
		recorded = append(recorded, record())
		if i%89 == 0 {
			// Reads while the log grows: checkpoints are stored as reads pass them.
			last := recorded[len(recorded)-1]
			b, err := s.BacklogAsOf(ctx, p.id, last.seq)
			if err != nil {
				t.Fatal(err)
			}
			if got := backlogString(b.Backlog); got != last.backlog {
				t.Fatalf("as of %d, read at once:\n%s\nlive:\n%s", last.seq, got, last.backlog)
			}
		}
	}
	worklogs := 0
	for _, r := range recorded {
		for _, page := range r.tasks {
			worklogs += strings.Count(page, "  worklog ")
		}
	}
	t.Logf("events by type: %v; %d sprint edits; %d worklogs on the watched tasks' recorded pages", g.counts, edits, worklogs)
	if worklogs == 0 {
		t.Fatal("no worklog on the watched tasks: the task pages' worklogs are not compared")
	}
	if g.counts[TypeSprintStarted] == 0 || g.counts[TypeSprintCompleted] == 0 || g.counts[TypeTaskSprintChanged] == 0 || g.counts[TypeWorkLogged] == 0 {
		t.Fatalf("the history lacks sprints, planning or worklogs: %v", g.counts)
	}
	seqs := projectSeqs(t, s)[p.id]
	events, err := s.Events(ctx, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	taskSeqs := map[string][]int64{}
	for _, e := range events {
		if kind, id := streamID(e.Stream); kind == "task" && e.Stream == taskStream(id) {
			taskSeqs[id] = append(taskSeqs[id], e.Seq)
		}
	}

	r := rand.New(rand.NewPCG(5, 6))
	r.Shuffle(len(recorded), func(i, j int) { recorded[i], recorded[j] = recorded[j], recorded[i] })
	fromCheckpoint, sprintsSeen := 0, 0
	for _, live := range recorded {
		if live.seq < seqs[0] {
			continue
		}
		with, err := s.BacklogAsOf(ctx, p.id, live.seq)
		if err != nil {
			t.Fatalf("as of %d: %v", live.seq, err)
		}
		without, err := s.backlogAsOf(ctx, p.id, live.seq, asofOptions{})
		if err != nil {
			t.Fatalf("as of %d without checkpoints: %v", live.seq, err)
		}
		if with.From > 0 {
			fromCheckpoint++
		}
		if without.From != 0 {
			t.Fatalf("as of %d without checkpoints started from %d", live.seq, without.From)
		}
		for _, b := range []*BacklogState{with, without} {
			if got := backlogString(b.Backlog); got != live.backlog {
				t.Fatalf("as of %d (from %d):\n%s\nlive:\n%s", live.seq, b.From, got, live.backlog)
			}
		}
		if with.LastSeq != without.LastSeq || with.Since != without.Since || with.Prev != without.Prev || with.Next != without.Next {
			t.Fatalf("as of %d: positions differ with and without checkpoints", live.seq)
		}
		sprintsSeen += len(with.Backlog.Sprints)
		for _, id := range watched {
			ts, err := s.TaskAsOf(ctx, project, &Task{ID: id, Key: keyOf(t, s, id)}, live.seq)
			if err != nil {
				t.Fatalf("task %s as of %d: %v", id, live.seq, err)
			}
			if got := taskPageString(ts.Task, ts.Time.Worklogs) + whyString(ts.Time); got != live.tasks[id] {
				t.Fatalf("task %s as of %d:\n%s\nlive:\n%s", id, live.seq, got, live.tasks[id])
			}
			if got, want := timeString(ts.Time.TimeSummary), timeString(ts.Task.Time()); got != want {
				t.Fatalf("task %s as of %d: time %s, want %s", id, live.seq, got, want)
			}
			own := taskSeqs[id]
			var last, prev, next int64
			since := 0
			for i, q := range own {
				if q <= live.seq {
					last = q
					if i > 0 {
						prev = own[i-1]
					}
				} else {
					if next == 0 {
						next = q
					}
					since++
				}
			}
			if ts.LastSeq != last || ts.Prev != prev || ts.Next != next || ts.Since != since {
				t.Fatalf("task %s as of %d: last %d prev %d next %d since %d; want %d %d %d %d",
					id, live.seq, ts.LastSeq, ts.Prev, ts.Next, ts.Since, last, prev, next, since)
			}
		}
	}
	cps, err := s.BoardCheckpoints(ctx, p.id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d project events, %d checkpoints, %d of %d reads from a checkpoint, %d sprint lists compared", len(seqs), len(cps), fromCheckpoint, len(recorded), sprintsSeen)
	if fromCheckpoint < len(recorded)/2 || sprintsSeen == 0 {
		t.Errorf("%d reads of %d from a checkpoint, %d sprint lists", fromCheckpoint, len(recorded), sprintsSeen)
	}
}

func keyOf(t *testing.T, s *Store, id string) string {
	t.Helper()
	task, err := loadTask(s.read, id)
	if err != nil {
		t.Fatal(err)
	}
	return task.Key
}

// TestTaskAsOfRefusals: a task page as of a position before the task was created is a
// TaskNotYetError (ENOTFOUND) naming the task; positions outside the project's life are
// refused as the board refuses them.
func TestTaskAsOfRefusals(t *testing.T) {
	ctx := context.Background()
	bd := mustBoard(t)
	a := bd.mustCreate(t, "first card", colToDo)
	before := projectSeqs(t, bd.s)[bd.p.ID]
	b := bd.mustCreate(t, "second card", colToDo)
	seqs := projectSeqs(t, bd.s)[bd.p.ID]
	head := seqs[len(seqs)-1]

	_, err := bd.s.TaskAsOf(ctx, bd.p, b, before[len(before)-1])
	var notYet *TaskNotYetError
	if !errors.As(err, &notYet) || ErrorCode(err) != ENOTFOUND || notYet.Key != b.Key || notYet.At.IsZero() {
		t.Fatalf("the second card before its creation: %v", err)
	}
	for _, tc := range []struct {
		at      int64
		message string
	}{
		{0, "A position in the log is a whole number from 1; 0 is not one."},
		{seqs[0] - 1, fmt.Sprintf("TACK did not exist yet at position %d: it begins at %d.", seqs[0]-1, seqs[0])},
		{head + 1, fmt.Sprintf("Position %d is after the last change (%d): there is nothing to show there yet.", head+1, head)},
	} {
		_, err := bd.s.TaskAsOf(ctx, bd.p, a, tc.at)
		wantCode(t, err, EINVALID, tc.message)
	}
	st, err := bd.s.TaskAsOf(ctx, bd.p, b, head)
	if err != nil {
		t.Fatal(err)
	}
	if st.Task.Title != "second card" || st.Task.Key != b.Key || st.Prev != 0 || st.Next != 0 || st.Since != 0 || len(st.Columns) == 0 {
		t.Errorf("the second card as of the last change: %+v", st)
	}
}

// TestCheckpointFormat1Ignored: a checkpoint stored by format 1 (before sprints were
// kept) is passed over and replaced, never read as format 2.
func TestCheckpointFormat1Ignored(t *testing.T) {
	ctx := context.Background()
	bd := mustBoard(t)
	bd.mustCreate(t, "first card", colToDo)
	seqs := projectSeqs(t, bd.s)[bd.p.ID]
	head := seqs[len(seqs)-1]
	var w cpWriter
	w.uint(1)
	w.int(head)
	if _, err := bd.s.write.Exec(`INSERT INTO board_checkpoints (project_id, seq, state) VALUES (?, ?, ?)`, bd.p.ID, head, deflate(t, w.b)); err != nil {
		t.Fatal(err)
	}
	st, err := bd.s.BacklogAsOf(ctx, bd.p.ID, head)
	if err != nil {
		t.Fatal(err)
	}
	if st.From != 0 || len(st.Backlog.Backlog.Tasks) != 1 {
		t.Errorf("past a format 1 checkpoint: from %d, %d backlog tasks", st.From, len(st.Backlog.Backlog.Tasks))
	}
}

func deflate(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkBacklogAsOf compares, in one run on one generated log (as BenchmarkBoardAsOf:
// about 100,000 events of the busiest project, TACK_ASOF_EVENTS for a smaller log), the
// backlog as of a position with the board as of the same position, from checkpoints
// (stored by a first read) and without; and a task page as of the middle of the log.
func BenchmarkBacklogAsOf(b *testing.B) {
	ctx := context.Background()
	s := mustOpenStore(b)
	n := 315_000
	if v := os.Getenv("TACK_ASOF_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10_000 {
			b.Fatalf("TACK_ASOF_EVENTS=%q: want a number of events from 10000", v)
		}
	}
	generateLog(b, s, 1, n, 300, 5_000, logFast)
	if err := s.indexProjectEvents(ctx); err != nil {
		b.Fatal(err)
	}
	var pid string
	if err := s.read.QueryRow(`SELECT project_id, COUNT(*) AS n FROM event_projects GROUP BY project_id ORDER BY n DESC LIMIT 1`).Scan(&pid, &n); err != nil {
		b.Fatal(err)
	}
	var seqs []int64
	if err := s.read.Select(&seqs, `SELECT seq FROM event_projects WHERE project_id = ? ORDER BY seq`, pid); err != nil {
		b.Fatal(err)
	}
	if _, err := s.BacklogAsOf(ctx, pid, seqs[len(seqs)-1]); err != nil { // stores the checkpoints
		b.Fatal(err)
	}
	b.Logf("project with %d events", n)
	for _, d := range []struct {
		name string
		seq  int64
	}{{"latest", seqs[len(seqs)-1]}, {"middle", seqs[len(seqs)/2+CheckpointEvery/2]}} {
		for _, way := range []struct {
			name string
			o    asofOptions
		}{{"checkpoints", asofOptions{useCheckpoints: true}}, {"none", asofOptions{}}} {
			b.Run(fmt.Sprintf("%s/%s/board", d.name, way.name), func(b *testing.B) {
				for b.Loop() {
					if _, err := s.boardAsOf(ctx, pid, d.seq, way.o); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/%s/backlog", d.name, way.name), func(b *testing.B) {
				for b.Loop() {
					if _, err := s.backlogAsOf(ctx, pid, d.seq, way.o); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	p, err := s.Project(ctx, pid)
	if err != nil {
		b.Fatal(err)
	}
	var task Task
	if err := s.read.Get(&task.ID, `SELECT id FROM tasks WHERE project_id = ? ORDER BY version DESC LIMIT 1`, pid); err != nil {
		b.Fatal(err)
	}
	task.Key = "busiest"
	b.Run("task/middle", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.TaskAsOf(ctx, p, &task, seqs[len(seqs)/2]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
