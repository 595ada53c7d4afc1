package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Column ids of a project created with DefaultColumns.
const (
	colToDo       = "c1"
	colInProgress = "c2"
	colInReview   = "c3"
	colDone       = "c4"
)

// board is a project with a user in every role and one outsider.
type board struct {
	s        *Store
	p        *Project
	ana      string // admin, created the project
	ben      string // member
	cleo     string // member
	vic      string // viewer
	outsider string
}

// mustSeedUser records a user.registered event the way RegisterUser does, without the
// bcrypt hash: hashing takes over a second under -race, and only users_test.go needs to
// sign in. The read model it produces is the one RegisterUser produces.
func mustSeedUser(t testing.TB, s *Store, name string) string {
	t.Helper()
	id := newID()
	_, err := s.writeTx(context.Background(), func(w *writer) error {
		_, err := w.append(userStream(id), 0, id, &UserRegistered{Email: strings.ToLower(name) + "@test.tack", Name: name})
		return err
	})
	if err != nil {
		t.Fatalf("seed user %s: %v", name, err)
	}
	return id
}

func mustBoard(t testing.TB) *board {
	t.Helper()
	ctx := context.Background()
	s := mustOpenStore(t)
	b := &board{s: s,
		ana: mustSeedUser(t, s, "Ana"), ben: mustSeedUser(t, s, "Ben"), cleo: mustSeedUser(t, s, "Cleo"),
		vic: mustSeedUser(t, s, "Vic"), outsider: mustSeedUser(t, s, "Olga"),
	}
	var err error
	if b.p, err = s.CreateProject(ctx, b.ana, NewProject{Key: "TACK", Name: "Tack"}); err != nil {
		t.Fatalf("create project: %v", err)
	}
	for _, m := range []struct {
		email string
		role  Role
	}{{"ben@test.tack", RoleMember}, {"cleo@test.tack", RoleMember}, {"vic@test.tack", RoleViewer}} {
		if err := s.AddMember(ctx, b.ana, b.p.ID, m.email, m.role); err != nil {
			t.Fatalf("add %s: %v", m.email, err)
		}
	}
	return b
}

// mustCreate creates a task in the board's project as Ana.
func (b *board) mustCreate(t testing.TB, title, column string) *Task {
	t.Helper()
	task, err := b.s.CreateTask(context.Background(), b.ana, NewTask{ProjectID: b.p.ID, Title: title, ColumnID: column})
	if err != nil {
		t.Fatalf("create %q: %v", title, err)
	}
	return task
}

func (b *board) task(t testing.TB, id string) *Task {
	t.Helper()
	task, err := b.s.Task(context.Background(), id)
	if err != nil {
		t.Fatalf("task %s: %v", id, err)
	}
	return task
}

// columns renders the board as "c1: A B | c2: C" from Tasks, in its order.
func (b *board) columns(t testing.TB) string {
	t.Helper()
	tasks, err := b.s.Tasks(context.Background(), b.p.ID, TaskFilter{})
	if err != nil {
		t.Fatalf("tasks: %v", err)
	}
	var parts []string
	col := ""
	for _, task := range tasks {
		if task.ColumnID != col {
			col = task.ColumnID
			parts = append(parts, col+":")
		}
		parts[len(parts)-1] += " " + task.Title
	}
	return strings.Join(parts, " | ")
}

// eventCount returns the number of events in the log.
func eventCount(t testing.TB, s *Store) int {
	t.Helper()
	var n int
	if err := s.read.Get(&n, `SELECT COUNT(*) FROM events`); err != nil {
		t.Fatalf("count events: %v", err)
	}
	return n
}

// taskCmd is one task command by one user, for the given/when tables.
type taskCmd struct {
	actor  func(*board) string
	update *TaskUpdate // TaskID is filled in; an Assignee "@name" names a board user
	move   *TaskMove   // TaskID is filled in
}

func (c taskCmd) run(b *board, taskID string) (*TaskResult, error) {
	ctx := context.Background()
	if c.update != nil {
		u := *c.update
		u.TaskID = taskID
		if u.Assignee.Set && strings.HasPrefix(u.Assignee.V, "@") {
			u.Assignee.V = b.user(u.Assignee.V[1:])
		}
		return b.s.UpdateTask(ctx, c.actor(b), u)
	}
	m := *c.move
	m.TaskID = taskID
	return b.s.MoveTask(ctx, c.actor(b), m)
}

// user returns the id of the board's user with this lower-case name.
func (b *board) user(name string) string {
	return map[string]string{"ana": b.ana, "ben": b.ben, "cleo": b.cleo, "vic": b.vic, "outsider": b.outsider}[name]
}

func asAna(b *board) string  { return b.ana }
func asBen(b *board) string  { return b.ben }
func asCleo(b *board) string { return b.cleo }

func TestTaskCommandsUnderTheConcurrencyRule(t *testing.T) {
	tests := []struct {
		name  string
		given []taskCmd // each must apply
		when  taskCmd
		// then, on success
		wantEvents  []string
		wantApplied []Field
		wantMerged  []Field
		// then, on conflict
		wantConflict   Field
		wantConflictBy func(*board) string
		// then, either way
		want func(*Task) string // "" when the task is as expected
	}{
		{
			name:        "Ana retitles at v1, Ben changes the priority from v1: merged",
			given:       []taskCmd{{actor: asAna, update: &TaskUpdate{BaseVersion: 1, Title: Some("Ana's title")}}},
			when:        taskCmd{actor: asBen, update: &TaskUpdate{BaseVersion: 1, Priority: Some(PriorityHigh)}},
			wantEvents:  []string{TypeTaskPrioritized},
			wantApplied: []Field{FieldPriority},
			wantMerged:  []Field{FieldTitle},
			want: func(task *Task) string {
				if task.Title != "Ana's title" || task.Priority != PriorityHigh || task.Version != 3 {
					return fmt.Sprintf("title %q, priority %s, version %d; want Ana's title, high, 3", task.Title, task.Priority, task.Version)
				}
				return ""
			},
		},
		{
			name:           "Ana retitles at v1, Ben retitles from v1: conflict",
			given:          []taskCmd{{actor: asAna, update: &TaskUpdate{BaseVersion: 1, Title: Some("Ana's title")}}},
			when:           taskCmd{actor: asBen, update: &TaskUpdate{BaseVersion: 1, Title: Some("Ben's title"), Priority: Some(PriorityLow)}},
			wantConflict:   FieldTitle,
			wantConflictBy: asAna,
			want: func(task *Task) string {
				if task.Title != "Ana's title" || task.Priority != PriorityMedium || task.Version != 2 {
					return fmt.Sprintf("title %q, priority %s, version %d; want Ana's title, medium, 2 (nothing of Ben's)", task.Title, task.Priority, task.Version)
				}
				return ""
			},
		},
		{
			name:  "Ben resubmits the title he saw with a new priority: Ana's title stays",
			given: []taskCmd{{actor: asAna, update: &TaskUpdate{BaseVersion: 1, Title: Some("Ana's title")}}},
			when: taskCmd{actor: asBen, update: &TaskUpdate{BaseVersion: 1,
				Title: Some("Original"), Description: Some(""), Priority: Some(PriorityLow)}},
			wantEvents:  []string{TypeTaskPrioritized},
			wantApplied: []Field{FieldPriority},
			wantMerged:  []Field{FieldTitle},
			want: func(task *Task) string {
				if task.Title != "Ana's title" || task.Priority != PriorityLow {
					return fmt.Sprintf("title %q, priority %s; want Ana's title, low", task.Title, task.Priority)
				}
				return ""
			},
		},
		{
			name:       "Ana and Ben set the same title from v1: the second is a no-op",
			given:      []taskCmd{{actor: asAna, update: &TaskUpdate{BaseVersion: 1, Title: Some("Same idea")}}},
			when:       taskCmd{actor: asBen, update: &TaskUpdate{BaseVersion: 1, Title: Some("  Same idea ")}},
			wantEvents: nil,
			wantMerged: []Field{FieldTitle},
			want: func(task *Task) string {
				if task.Version != 2 || task.Title != "Same idea" {
					return fmt.Sprintf("title %q, version %d; want Same idea, 2", task.Title, task.Version)
				}
				return ""
			},
		},
		{
			name:           "Ana moves to Done at v1, Ben moves to In Progress from v1: conflict",
			given:          []taskCmd{{actor: asAna, move: &TaskMove{BaseVersion: 1, ColumnID: colDone}}},
			when:           taskCmd{actor: asBen, move: &TaskMove{BaseVersion: 1, ColumnID: colInProgress}},
			wantConflict:   FieldColumn,
			wantConflictBy: asAna,
			want: func(task *Task) string {
				if task.ColumnID != colDone || task.Version != 2 {
					return fmt.Sprintf("column %s, version %d; want %s, 2", task.ColumnID, task.Version, colDone)
				}
				return ""
			},
		},
		{
			name:       "Ana moves to Done at v1, Ben moves to Done from v1: already there",
			given:      []taskCmd{{actor: asAna, move: &TaskMove{BaseVersion: 1, ColumnID: colDone}}},
			when:       taskCmd{actor: asBen, move: &TaskMove{BaseVersion: 1, ColumnID: colDone}},
			wantEvents: nil,
			wantMerged: []Field{FieldColumn},
			want: func(task *Task) string {
				if task.ColumnID != colDone || task.Version != 2 {
					return fmt.Sprintf("column %s, version %d; want %s, 2", task.ColumnID, task.Version, colDone)
				}
				return ""
			},
		},
		{
			name:        "Ana retitles at v1, Ben moves from v1: merged",
			given:       []taskCmd{{actor: asAna, update: &TaskUpdate{BaseVersion: 1, Title: Some("Ana's title")}}},
			when:        taskCmd{actor: asBen, move: &TaskMove{BaseVersion: 1, ColumnID: colInReview}},
			wantEvents:  []string{TypeTaskMoved},
			wantApplied: []Field{FieldColumn},
			wantMerged:  []Field{FieldTitle},
			want: func(task *Task) string {
				if task.ColumnID != colInReview || task.Title != "Ana's title" || task.Version != 3 {
					return fmt.Sprintf("column %s, title %q, version %d; want %s, Ana's title, 3", task.ColumnID, task.Title, task.Version, colInReview)
				}
				return ""
			},
		},
		{
			name:        "Ana moves at v1, Ben edits several fields from v1: merged",
			given:       []taskCmd{{actor: asAna, move: &TaskMove{BaseVersion: 1, ColumnID: colInProgress}}},
			when:        taskCmd{actor: asBen, update: &TaskUpdate{BaseVersion: 1, Labels: Some([]string{"ux", "api", "ux"}), Points: Some(ptr(2.5)), Due: Some("2026-12-31")}},
			wantEvents:  []string{TypeTaskLabeled, TypeTaskPointed, TypeTaskDueChanged},
			wantApplied: []Field{FieldLabels, FieldPoints, FieldDue},
			wantMerged:  []Field{FieldColumn},
			want: func(task *Task) string {
				if task.ColumnID != colInProgress || !slices.Equal(task.Labels, []string{"api", "ux"}) ||
					task.Points == nil || *task.Points != 2.5 || task.Due != "2026-12-31" {
					return fmt.Sprintf("column %s, labels %v, points %v, due %q", task.ColumnID, task.Labels, FormatPoints(task.Points), task.Due)
				}
				return ""
			},
		},
		{
			name: "Ana reorders at v1, Ben moves from v1: a reorder never conflicts",
			given: []taskCmd{
				{actor: asAna, move: &TaskMove{BaseVersion: 1, ColumnID: colToDo}}, // to the bottom, below "Other"
			},
			when:        taskCmd{actor: asBen, move: &TaskMove{BaseVersion: 1, ColumnID: colInProgress}},
			wantEvents:  []string{TypeTaskMoved},
			wantApplied: []Field{FieldColumn},
			wantMerged:  nil,
			want: func(task *Task) string {
				if task.ColumnID != colInProgress || task.Version != 3 {
					return fmt.Sprintf("column %s, version %d; want %s, 3", task.ColumnID, task.Version, colInProgress)
				}
				return ""
			},
		},
		{
			name:           "Ana assigns Cleo at v1, Ben assigns himself from v1: conflict",
			given:          []taskCmd{{actor: asAna, update: &TaskUpdate{BaseVersion: 1, Assignee: Some("@cleo")}}},
			when:           taskCmd{actor: asBen, update: &TaskUpdate{BaseVersion: 1, Assignee: Some("@ben")}},
			wantConflict:   FieldAssignee,
			wantConflictBy: asAna,
		},
		{
			name: "Ana then Cleo retitle, Ben retitles from v1: the conflict names Cleo, the last to change it",
			given: []taskCmd{
				{actor: asAna, update: &TaskUpdate{BaseVersion: 1, Title: Some("Ana's title")}},
				{actor: asCleo, update: &TaskUpdate{BaseVersion: 2, Title: Some("Cleo's title")}},
				{actor: asAna, update: &TaskUpdate{BaseVersion: 3, Priority: Some(PriorityLow)}},
			},
			when:           taskCmd{actor: asBen, update: &TaskUpdate{BaseVersion: 1, Title: Some("Ben's title")}},
			wantConflict:   FieldTitle,
			wantConflictBy: asCleo,
		},
		{
			name:        "Ana retitles at v1, Cleo assigns at v2, Ben describes from v2: only what changed after v2 is merged",
			given:       []taskCmd{{actor: asAna, update: &TaskUpdate{BaseVersion: 1, Title: Some("Ana's title")}}, {actor: asCleo, update: &TaskUpdate{BaseVersion: 2, Assignee: Some("@cleo")}}},
			when:        taskCmd{actor: asBen, update: &TaskUpdate{BaseVersion: 2, Description: Some("Details")}},
			wantEvents:  []string{TypeTaskDescribed},
			wantApplied: []Field{FieldDescription},
			wantMerged:  []Field{FieldAssignee},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := mustBoard(t)
			task := b.mustCreate(t, "Original", colToDo)
			b.mustCreate(t, "Other", colToDo)
			given, when := tt.given, tt.when
			for _, c := range given {
				res, err := c.run(b, task.ID)
				if err != nil || len(res.Events) == 0 {
					t.Fatalf("given: %v, %d events; want applied", err, len(res.Events))
				}
			}
			before := eventCount(t, b.s)

			res, err := when.run(b, task.ID)

			if tt.wantConflict != "" {
				var ce *ConflictError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v; want *ConflictError", err)
				}
				if ErrorCode(err) != ECONFLICT {
					t.Errorf("ErrorCode = %q, want %q", ErrorCode(err), ECONFLICT)
				}
				if len(ce.Fields) != 1 || ce.Fields[0].Field != tt.wantConflict || ce.Fields[0].ChangedBy != tt.wantConflictBy(b) {
					t.Errorf("conflict fields = %+v; want one on %s by %s", ce.Fields, tt.wantConflict, tt.wantConflictBy(b))
				}
				if ce.BaseVersion != 1 || ce.CurrentVersion != 1+len(given) || ce.Task == nil || ce.Task.Version != ce.CurrentVersion {
					t.Errorf("conflict versions: base %d, current %d, task %+v", ce.BaseVersion, ce.CurrentVersion, ce.Task)
				}
				// Exactly one event, in the conflict stream.
				if got := eventCount(t, b.s); got != before+1 {
					t.Errorf("events after conflict = %d, want %d", got, before+1)
				}
				if v, _ := streamVersion(b.s.read, conflictStream(task.ID)); v != 1 {
					t.Errorf("conflict stream version = %d, want 1", v)
				}
			} else {
				if err != nil {
					t.Fatalf("err = %v; want applied", err)
				}
				var types []string
				for _, e := range res.Events {
					types = append(types, e.Type)
					if e.Stream != taskStream(task.ID) || e.Actor != when.actor(b) {
						t.Errorf("event %+v: want stream %s, actor %s", e, taskStream(task.ID), when.actor(b))
					}
				}
				if !slices.Equal(types, tt.wantEvents) {
					t.Errorf("events = %v, want %v", types, tt.wantEvents)
				}
				if got := eventCount(t, b.s); got != before+len(tt.wantEvents) {
					t.Errorf("events in the log grew by %d, want %d", got-before, len(tt.wantEvents))
				}
				if !slices.Equal(res.Applied, tt.wantApplied) {
					t.Errorf("Applied = %v, want %v", res.Applied, tt.wantApplied)
				}
				if !slices.Equal(res.Merged, tt.wantMerged) {
					t.Errorf("Merged = %v, want %v", res.Merged, tt.wantMerged)
				}
				if !reflect.DeepEqual(res.Task, b.task(t, task.ID)) {
					t.Errorf("result task %+v differs from the stored one", res.Task)
				}
			}
			if tt.want != nil {
				if msg := tt.want(b.task(t, task.ID)); msg != "" {
					t.Error(msg)
				}
			}
			if rep, err := b.s.Replay(ctx, false); err != nil || !rep.Identical() {
				t.Errorf("replay: %v\n%s", err, rep)
			}
		})
	}
}

// TestConflictIsRecordedAndResubmitted walks the whole conflict loop: refusal, history,
// and reconfirming against the current version.
func TestConflictIsRecordedAndResubmitted(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Ship it", colToDo)

	// Given Ana moved the task to Done at v1,
	if _, err := b.s.MoveTask(ctx, b.ana, TaskMove{TaskID: task.ID, BaseVersion: 1, ColumnID: colDone}); err != nil {
		t.Fatal(err)
	}
	// when Ben moves it to In Progress from v1,
	_, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: 1, ColumnID: colInProgress})

	// then he gets a conflict naming Ana,
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v; want *ConflictError", err)
	}
	if len(ce.Fields) == 0 || ce.Fields[0].ChangedBy != b.ana || ce.Fields[0].Theirs != colDone || ce.Fields[0].Yours != colInProgress {
		t.Fatalf("conflict fields = %+v; want column: yours %s, theirs %s by Ana", ce.Fields, colInProgress, colDone)
	}
	if ce.Command != "move" || ce.TaskKey != "TACK-1" || ce.CurrentVersion != 2 {
		t.Errorf("conflict = %+v; want move on TACK-1 at current version 2", ce)
	}
	// the task stays in Done,
	if got := b.task(t, task.ID); got.ColumnID != colDone || got.Version != 2 {
		t.Errorf("task in %s at v%d; want %s at v2", got.ColumnID, got.Version, colDone)
	}
	// and the history tells the refused attempt.
	history, err := b.s.TaskHistory(ctx, b.p, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 3 {
		t.Fatalf("history has %d entries, want 3 (created, moved, conflict)", len(history))
	}
	last := history[2]
	if last.Type != TypeTaskConflicted || last.Actor.ID != b.ben || len(last.Conflicts) != 1 {
		t.Fatalf("last history entry = %+v; want Ben's conflict", last)
	}
	note := last.Conflicts[0]
	if note.Field != "Status" || note.Yours != "In Progress" || note.Theirs != "Done" || note.By.ID != b.ana || note.At.IsZero() {
		t.Errorf("conflict note = %+v; want Status: yours In Progress, theirs Done, by Ana", note)
	}
	if !strings.Contains(last.Text, "conflict") {
		t.Errorf("history text %q does not mention the conflict", last.Text)
	}

	// When Ben reconfirms with the current version, the move applies.
	res, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: ce.CurrentVersion, ColumnID: colInProgress})
	if err != nil {
		t.Fatalf("resubmit: %v", err)
	}
	if len(res.Events) != 1 || res.Task.ColumnID != colInProgress || res.Task.Version != 3 || res.Task.UpdatedBy != b.ben {
		t.Errorf("resubmit: %d events, task in %s at v%d by %s; want 1, %s, v3, Ben", len(res.Events), res.Task.ColumnID, res.Task.Version, res.Task.UpdatedBy, colInProgress)
	}
}

func TestMovePlacement(t *testing.T) {
	tests := []struct {
		name string
		// The board starts as "c1: A B C D | c2: E F"; given runs before the move.
		given      func(t *testing.T, b *board, ids map[string]string)
		move       string // task to move
		column     string
		after      string
		before     string
		wantEvents int
		wantBoard  string
	}{
		{name: "after a neighbour", move: "D", column: colToDo, after: "A",
			wantEvents: 1, wantBoard: "c1: A D B C | c2: E F"},
		{name: "before a neighbour", move: "A", column: colToDo, before: "D",
			wantEvents: 1, wantBoard: "c1: B C A D | c2: E F"},
		{name: "after wins over before", move: "D", column: colToDo, after: "A", before: "C",
			wantEvents: 1, wantBoard: "c1: A D B C | c2: E F"},
		{name: "without neighbours: to the bottom", move: "A", column: colToDo,
			wantEvents: 1, wantBoard: "c1: B C D A | c2: E F"},
		{name: "into another column between neighbours", move: "B", column: colInProgress, after: "E", before: "F",
			wantEvents: 1, wantBoard: "c1: A C D | c2: E B F"},
		{name: "into another column before its first task", move: "B", column: colInProgress, before: "E",
			wantEvents: 1, wantBoard: "c1: A C D | c2: B E F"},
		{name: "into another column without neighbours: to the bottom", move: "A", column: colInProgress,
			wantEvents: 1, wantBoard: "c1: B C D | c2: E F A"},
		{name: "after a neighbour that moved away meanwhile: falls back to before", move: "D", column: colToDo, after: "B", before: "C",
			given: func(t *testing.T, b *board, ids map[string]string) {
				mustMove(t, b, ids["B"], colInProgress, "", "")
			},
			wantEvents: 1, wantBoard: "c1: A D C | c2: E F B"},
		{name: "after a neighbour that moved away meanwhile, no before: to the bottom, where it is", move: "D", column: colToDo, after: "B",
			given: func(t *testing.T, b *board, ids map[string]string) {
				mustMove(t, b, ids["B"], colInProgress, "", "")
			},
			wantEvents: 0, wantBoard: "c1: A C D | c2: E F B"},
		{name: "after a task of another column: falls back to before", move: "D", column: colToDo, after: "E", before: "B",
			wantEvents: 1, wantBoard: "c1: A D B C | c2: E F"},
		{name: "both neighbours elsewhere: to the bottom", move: "A", column: colToDo, after: "E", before: "F",
			wantEvents: 1, wantBoard: "c1: B C D A | c2: E F"},
		{name: "after itself is ignored", move: "B", column: colToDo, after: "B", before: "A",
			wantEvents: 1, wantBoard: "c1: B A C D | c2: E F"},
		{name: "after the neighbour it already follows: no events", move: "C", column: colToDo, after: "B",
			wantEvents: 0, wantBoard: "c1: A B C D | c2: E F"},
		{name: "before the neighbour it already precedes: no events", move: "A", column: colToDo, before: "B",
			wantEvents: 0, wantBoard: "c1: A B C D | c2: E F"},
		{name: "to the bottom when it is the bottom: no events", move: "D", column: colToDo,
			wantEvents: 0, wantBoard: "c1: A B C D | c2: E F"},
		{name: "empty column means its own column", move: "A", column: "", after: "C",
			wantEvents: 1, wantBoard: "c1: B C A D | c2: E F"},
		{name: "the task itself was reordered by someone else since the base: no conflict", move: "A", column: colToDo, after: "B",
			given: func(t *testing.T, b *board, ids map[string]string) {
				mustMove(t, b, ids["A"], colToDo, "", "") // A to the bottom
			},
			wantEvents: 1, wantBoard: "c1: B A C D | c2: E F"},
		{name: "after a neighbour someone else reordered meanwhile", move: "A", column: colToDo, after: "C",
			given: func(t *testing.T, b *board, ids map[string]string) {
				mustMove(t, b, ids["C"], colToDo, "", "") // C to the bottom
			},
			wantEvents: 1, wantBoard: "c1: B D C A | c2: E F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := mustBoard(t)
			ids := map[string]string{}
			for _, title := range []string{"A", "B", "C", "D"} {
				ids[title] = b.mustCreate(t, title, colToDo).ID
			}
			for _, title := range []string{"E", "F"} {
				ids[title] = b.mustCreate(t, title, colInProgress).ID
			}
			// Ben's view of the task is from before anything in given happened.
			seen := b.task(t, ids[tt.move])
			if tt.given != nil {
				tt.given(t, b, ids)
			}
			prev := b.task(t, ids[tt.move])
			before := eventCount(t, b.s)

			res, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: ids[tt.move], BaseVersion: seen.Version,
				ColumnID: tt.column, AfterID: ids[tt.after], BeforeID: ids[tt.before]})

			if err != nil {
				t.Fatalf("move: %v", err)
			}
			if len(res.Events) != tt.wantEvents {
				t.Errorf("move recorded %d events, want %d", len(res.Events), tt.wantEvents)
			}
			if got := eventCount(t, b.s) - before; got != tt.wantEvents {
				t.Errorf("log grew by %d events, want %d", got, tt.wantEvents)
			}
			if got := b.columns(t); got != tt.wantBoard {
				t.Errorf("board = %q\nwant    %q", got, tt.wantBoard)
			}
			if res.Task.Version != prev.Version+tt.wantEvents {
				t.Errorf("task version %d, want %d", res.Task.Version, prev.Version+tt.wantEvents)
			}
			if tt.wantEvents > 0 {
				m, err := res.Events[0].Decode()
				if err != nil {
					t.Fatal(err)
				}
				if mv := m.(*TaskMoved); mv.ToRank != res.Task.Rank || mv.ToColumn != res.Task.ColumnID {
					t.Errorf("event %+v does not match the task's rank %q in %s", mv, res.Task.Rank, res.Task.ColumnID)
				}
			}
		})
	}
}

func mustMove(t *testing.T, b *board, id, column, after, before string) {
	t.Helper()
	task := b.task(t, id)
	if _, err := b.s.MoveTask(context.Background(), b.ana, TaskMove{TaskID: id, BaseVersion: task.Version, ColumnID: column, AfterID: after, BeforeID: before}); err != nil {
		t.Fatalf("move: %v", err)
	}
}

func TestTaskValidation(t *testing.T) {
	long := strings.Repeat("é", MaxTitleLen+1)
	tests := []struct {
		name      string
		do        func(b *board, task *Task) error
		wantField string // "" when the error names no field
	}{
		// CreateTask
		{"create: empty title", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: " \n "})
		}, "title"},
		{"create: 256-character title", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: long})
		}, "title"},
		{"create: unknown column", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", ColumnID: "c9"})
		}, "column"},
		{"create: assignee not a member", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", AssigneeID: b.outsider})
		}, "assignee"},
		{"create: assignee unknown", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", AssigneeID: "nobody"})
		}, "assignee"},
		{"create: negative points", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", Points: ptr(-1.0)})
		}, "points"},
		{"create: NaN points", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", Points: ptr(math.NaN())})
		}, "points"},
		{"create: infinite points", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", Points: ptr(math.Inf(1))})
		}, "points"},
		{"create: too many points", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", Points: ptr(MaxPoints + 1.0)})
		}, "points"},
		{"create: bad due date", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", Due: "2026-13-01"})
		}, "due"},
		{"create: bad type", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", Type: "chore"})
		}, "type"},
		{"create: bad priority", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", Priority: "urgent"})
		}, "priority"},
		{"create: bad label", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", Labels: []string{"ok", "bad label!"}})
		}, "labels"},
		{"create: too many labels", func(b *board, _ *Task) error {
			return b.create(NewTask{Title: "x", Labels: strings.Fields("a b c d e f g h i j k")})
		}, "labels"},
		// UpdateTask
		{"update: empty title", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Title: Some("")})
		}, "title"},
		{"update: 256-character title", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Title: Some(long)})
		}, "title"},
		{"update: label with a space and a bang", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Labels: Some([]string{"bad label!"})})
		}, "labels"},
		{"update: assignee not a member", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Assignee: Some(b.outsider)})
		}, "assignee"},
		{"update: negative points", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Points: Some(ptr(-0.5))})
		}, "points"},
		{"update: NaN points", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Points: Some(ptr(math.NaN()))})
		}, "points"},
		{"update: bad due date", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Due: Some("2026-02-30")})
		}, "due"},
		{"update: bad type", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Type: Some[TaskType]("chore")})
		}, "type"},
		{"update: bad priority", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Priority: Some[Priority]("urgent")})
		}, "priority"},
		{"update: valid title with a bad due date stores neither", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Title: Some("fine"), Due: Some("tomorrow")})
		}, "due"},
		{"update: base version 0", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: 0, Title: Some("fine")})
		}, ""},
		{"update: base version after the current one", func(b *board, task *Task) error {
			return b.update(TaskUpdate{TaskID: task.ID, BaseVersion: task.Version + 1, Title: Some("fine")})
		}, ""},
		// MoveTask
		{"move: unknown column", func(b *board, task *Task) error {
			return b.move(TaskMove{TaskID: task.ID, BaseVersion: task.Version, ColumnID: "c9"})
		}, "column"},
		{"move: base version 0", func(b *board, task *Task) error {
			return b.move(TaskMove{TaskID: task.ID, BaseVersion: 0, ColumnID: colDone})
		}, ""},
		{"move: base version after the current one", func(b *board, task *Task) error {
			return b.move(TaskMove{TaskID: task.ID, BaseVersion: task.Version + 1, ColumnID: colDone})
		}, ""},
	}
	b := mustBoard(t)
	task := b.mustCreate(t, "Target", colToDo)
	if _, err := b.s.UpdateTask(context.Background(), b.ana, TaskUpdate{TaskID: task.ID, BaseVersion: 1, Priority: Some(PriorityHigh)}); err != nil {
		t.Fatal(err)
	}
	task = b.task(t, task.ID) // at version 2, so base versions 1 and 2 are both valid
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := eventCount(t, b.s)

			err := tt.do(b, task)

			if ErrorCode(err) != EINVALID {
				t.Fatalf("err = %v (code %q); want %q", err, ErrorCode(err), EINVALID)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %T, want an *Error in the chain", err)
			}
			if e.Field != tt.wantField {
				t.Errorf("error field = %q, want %q", e.Field, tt.wantField)
			}
			if ErrorMessage(err) == "" || strings.HasPrefix(ErrorMessage(err), "Something went wrong") {
				t.Errorf("message %q is not a user-safe explanation", ErrorMessage(err))
			}
			if got := eventCount(t, b.s); got != before {
				t.Errorf("log grew by %d events on a refused command", got-before)
			}
			if got := b.task(t, task.ID); !reflect.DeepEqual(got, task) {
				t.Errorf("task changed: %+v", got)
			}
		})
	}

	t.Run("limits themselves are accepted and normalised", func(t *testing.T) {
		title := strings.Repeat("é", MaxTitleLen)
		created, err := b.s.CreateTask(context.Background(), b.ana, NewTask{ProjectID: b.p.ID, Title: title,
			Type: " Bug ", Priority: "HIGH", Labels: []string{" b", "a", "b", ""}, Points: ptr(1.005), Due: " 2026-02-28 "})
		if err != nil {
			t.Fatal(err)
		}
		if created.Title != title || created.Type != TypeBug || created.Priority != PriorityHigh ||
			!slices.Equal(created.Labels, []string{"a", "b"}) || created.Due != "2026-02-28" || created.ColumnID != colToDo {
			t.Errorf("created = %+v", created)
		}
	})
}

func (b *board) create(in NewTask) error {
	in.ProjectID = b.p.ID
	_, err := b.s.CreateTask(context.Background(), b.ana, in)
	return err
}

func (b *board) update(u TaskUpdate) error {
	_, err := b.s.UpdateTask(context.Background(), b.ben, u)
	return err
}

func (b *board) move(m TaskMove) error {
	_, err := b.s.MoveTask(context.Background(), b.ben, m)
	return err
}

func TestTaskAuthorization(t *testing.T) {
	b := mustBoard(t)
	task := b.mustCreate(t, "Target", colToDo)
	ctx := context.Background()
	commands := []struct {
		name string
		do   func(actor, taskID string) error
	}{
		{"create", func(actor, _ string) error {
			_, err := b.s.CreateTask(ctx, actor, NewTask{ProjectID: b.p.ID, Title: "Sneaky"})
			return err
		}},
		{"update", func(actor, taskID string) error {
			_, err := b.s.UpdateTask(ctx, actor, TaskUpdate{TaskID: taskID, BaseVersion: 1, Title: Some("Sneaky")})
			return err
		}},
		{"move", func(actor, taskID string) error {
			_, err := b.s.MoveTask(ctx, actor, TaskMove{TaskID: taskID, BaseVersion: 1, ColumnID: colDone})
			return err
		}},
	}
	actors := []struct {
		name     string
		id       string
		taskID   string
		wantCode string
	}{
		{"non-member", b.outsider, task.ID, ENOTFOUND},
		{"unknown user", "nobody", task.ID, ENOTFOUND},
		{"viewer", b.vic, task.ID, EFORBIDDEN},
		{"member on a task that does not exist", b.ben, "no-such-task", ENOTFOUND},
	}
	for _, a := range actors {
		for _, c := range commands {
			if c.name == "create" && a.taskID != task.ID {
				continue
			}
			t.Run(a.name+" "+c.name, func(t *testing.T) {
				before := eventCount(t, b.s)

				err := c.do(a.id, a.taskID)

				if got := ErrorCode(err); got != a.wantCode {
					t.Errorf("err = %v (code %q); want %q", err, got, a.wantCode)
				}
				if got := eventCount(t, b.s); got != before {
					t.Errorf("log grew by %d events", got-before)
				}
			})
		}
	}
	t.Run("the task is untouched", func(t *testing.T) {
		if got := b.task(t, task.ID); got.Version != 1 || got.Title != "Target" {
			t.Errorf("task = %+v", got)
		}
		tasks, err := b.s.Tasks(ctx, b.p.ID, TaskFilter{})
		if err != nil || len(tasks) != 1 {
			t.Errorf("Tasks = %d, %v; want the one task", len(tasks), err)
		}
	})
}

func TestArchivedTaskIsFrozenUntilRestored(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Old news", colToDo)
	res, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: 1, Archived: Some(true)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Task.Archived || len(res.Events) != 1 || res.Events[0].Type != TypeTaskArchived {
		t.Fatalf("archive: %+v", res)
	}
	v := res.Task.Version

	refused := []struct {
		name string
		do   func() error
	}{
		{"move", func() error {
			_, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: v, ColumnID: colDone})
			return err
		}},
		{"reorder", func() error {
			_, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: v})
			return err
		}},
		{"edit", func() error {
			_, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: v, Title: Some("Still news")})
			return err
		}},
		{"edit while re-archiving", func() error {
			_, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: v, Title: Some("Still news"), Archived: Some(true)})
			return err
		}},
		{"edit with a restore from before the archive", func() error {
			// Restoring from version 1 is "unchanged" (it was not archived then), so
			// this must not slip an edit onto the archived task.
			_, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: 1, Priority: Some(PriorityLow), Archived: Some(false)})
			return err
		}},
	}
	for _, r := range refused {
		t.Run("archived: "+r.name+" is refused", func(t *testing.T) {
			before := eventCount(t, b.s)
			if err := r.do(); ErrorCode(err) != EINVALID {
				t.Errorf("err = %v; want %s", err, EINVALID)
			}
			if got := eventCount(t, b.s); got != before {
				t.Errorf("log grew by %d events", got-before)
			}
		})
	}
	t.Run("archived tasks leave the board", func(t *testing.T) {
		if got := b.columns(t); got != "" {
			t.Errorf("board = %q, want empty", got)
		}
		all, err := b.s.Tasks(ctx, b.p.ID, TaskFilter{IncludeArchived: true})
		if err != nil || len(all) != 1 || !all[0].Archived {
			t.Errorf("Tasks(IncludeArchived) = %v, %v", all, err)
		}
	})
	t.Run("restore with an edit, then move", func(t *testing.T) {
		res, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: v, Title: Some("News again"), Archived: Some(false)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Task.Archived || res.Task.Title != "News again" || len(res.Events) != 2 {
			t.Fatalf("restore: %d events, task %+v", len(res.Events), res.Task)
		}
		moved, err := b.s.MoveTask(ctx, b.ben, TaskMove{TaskID: task.ID, BaseVersion: res.Task.Version, ColumnID: colDone})
		if err != nil || moved.Task.ColumnID != colDone {
			t.Fatalf("move after restore: %v", err)
		}
		if got := b.columns(t); got != "c4: News again" {
			t.Errorf("board = %q", got)
		}
	})
}

func TestTaskNumbersAndKeys(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	other, err := b.s.CreateProject(ctx, b.ben, NewProject{Key: "OPS", Name: "Ops"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		project, actor string
		wantKey        string
	}{
		{b.p.ID, b.ana, "TACK-1"},
		{other.ID, b.ben, "OPS-1"},
		{b.p.ID, b.ben, "TACK-2"},
		{b.p.ID, b.cleo, "TACK-3"},
		{other.ID, b.ben, "OPS-2"},
	}
	for _, tt := range tests {
		t.Run(tt.wantKey, func(t *testing.T) {
			task, err := b.s.CreateTask(ctx, tt.actor, NewTask{ProjectID: tt.project, Title: tt.wantKey})
			if err != nil {
				t.Fatal(err)
			}
			if task.Key != tt.wantKey || task.CreatedBy != tt.actor || task.Version != 1 {
				t.Errorf("created %s by %s at v%d; want %s by %s at v1", task.Key, task.CreatedBy, task.Version, tt.wantKey, tt.actor)
			}
			p := b.p
			if tt.project == other.ID {
				p = other
			}
			byKey, err := b.s.TaskByKey(ctx, p, strings.ToLower(tt.wantKey))
			if err != nil || byKey.ID != task.ID {
				t.Errorf("TaskByKey(%s) = %v, %v", tt.wantKey, byKey, err)
			}
		})
	}
	if _, err := b.s.TaskByKey(ctx, b.p, "OPS-1"); ErrorCode(err) != ENOTFOUND {
		t.Errorf("TaskByKey of another project's key: %v; want %s", err, ENOTFOUND)
	}
}
