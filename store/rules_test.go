package store

import (
	"reflect"
	"testing"
	"time"
)

// ruleClock is the time of the event with sequence number seq in the rule tables.
func ruleClock(seq int64) time.Time {
	return time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Minute)
}

// given builds the events a task went through after its base version, by hand: each
// call is one event with its sequence number, actor and payload.
func given(base *Task, events ...decodedEvent) []decodedEvent {
	for i := range events {
		events[i].Stream = taskStream(base.ID)
		events[i].Version = base.Version + i + 1
		events[i].Type = events[i].payload.EventType()
		events[i].At = ruleClock(events[i].Seq)
	}
	return events
}

func by(actor string, seq int64, p Payload) decodedEvent {
	return decodedEvent{Event: Event{Seq: seq, Actor: actor}, payload: p}
}

// foldSince returns base with since applied, the way taskCommand computes the current task.
func foldSince(t *testing.T, base *Task, since []decodedEvent) *Task {
	t.Helper()
	current := base
	for _, e := range since {
		var err error
		if current, err = applyTask(current, e.Event, e.payload); err != nil {
			t.Fatalf("fold %s: %v", e.Type, err)
		}
	}
	return current
}

func ruleBase() *Task {
	return &Task{
		ID: "t1", Title: "Old title", Description: "", Type: TypeTask, Priority: PriorityMedium,
		ColumnID: "c1", Rank: "V", Labels: []string{"ui"}, Points: ptr(3.0), Version: 4,
	}
}

func ptr[T any](v T) *T { return &v }

func TestJudgeEdit(t *testing.T) {
	archivedBase := ruleBase()
	archivedBase.Archived = true

	tests := []struct {
		name    string
		base    *Task // ruleBase() when nil
		since   func(base *Task) []decodedEvent
		changes []change
		// then
		wantApply     []change // compared only when no conflicts are expected
		wantConflicts []FieldConflict
		wantMerged    []Field
	}{
		{
			name:       "nothing changed since the base: the edit applies",
			changes:    []change{{FieldTitle, "New title"}},
			wantApply:  []change{{FieldTitle, "New title"}},
			wantMerged: nil,
		},
		{
			name: "someone changed another field: both kept, theirs reported as merged",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskRetitled{From: "Old title", To: "Ana's title"}))
			},
			changes:    []change{{FieldPriority, PriorityHigh}},
			wantApply:  []change{{FieldPriority, PriorityHigh}},
			wantMerged: []Field{FieldTitle},
		},
		{
			name: "someone changed the same field: conflict against the last change to it",
			since: func(b *Task) []decodedEvent {
				return given(b,
					by("ana", 10, &TaskRetitled{From: "Old title", To: "Ana's title"}),
					by("cleo", 11, &TaskPrioritized{From: PriorityMedium, To: PriorityLow}),
					by("dan", 12, &TaskRetitled{From: "Ana's title", To: "Dan's title"}),
				)
			},
			changes: []change{{FieldTitle, "Ben's title"}},
			wantConflicts: []FieldConflict{{
				Field: FieldTitle, Yours: "Ben's title", Theirs: "Dan's title",
				ChangedBy: "dan", ChangedAt: ruleClock(12), Seq: 12,
			}},
			wantMerged: []Field{FieldTitle, FieldPriority},
		},
		{
			name: "a value equal to the base is no change, even though the field changed since",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskRetitled{From: "Old title", To: "Ana's title"}))
			},
			changes:    []change{{FieldTitle, "Old title"}, {FieldPriority, PriorityHigh}},
			wantApply:  []change{{FieldPriority, PriorityHigh}},
			wantMerged: []Field{FieldTitle},
		},
		{
			name: "a value equal to the current one is a no-op, not a conflict",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskRetitled{From: "Old title", To: "Same idea"}))
			},
			changes:    []change{{FieldTitle, "Same idea"}},
			wantApply:  nil,
			wantMerged: []Field{FieldTitle},
		},
		{
			name:       "a value equal to the current one without events since is a no-op",
			changes:    []change{{FieldTitle, "Old title"}, {FieldLabels, []string{"ui"}}, {FieldPoints, ptr(3.0)}},
			wantApply:  nil,
			wantMerged: nil,
		},
		{
			name: "points and labels compare by value",
			since: func(b *Task) []decodedEvent {
				return given(b,
					by("ana", 10, &TaskPointed{From: ptr(3.0), To: ptr(5.0)}),
					by("ana", 11, &TaskLabeled{From: []string{"ui"}, To: []string{"api", "ui"}}),
				)
			},
			changes:    []change{{FieldPoints, ptr(5.0)}, {FieldLabels, []string{"api", "ui"}}},
			wantApply:  nil,
			wantMerged: []Field{FieldPoints, FieldLabels},
		},
		{
			name: "several fields with one conflicting: the conflict is reported",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskPointed{From: ptr(3.0), To: nil}))
			},
			changes: []change{{FieldTitle, "Ben's title"}, {FieldPoints, ptr(8.0)}, {FieldDue, "2026-12-31"}},
			wantConflicts: []FieldConflict{{
				Field: FieldPoints, Yours: ptr(8.0), Theirs: (*float64)(nil),
				ChangedBy: "ana", ChangedAt: ruleClock(10), Seq: 10,
			}},
			wantMerged: []Field{FieldPoints},
		},
		{
			name: "a reorder by someone else is neither merged nor in the way",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskMoved{FromColumn: "c1", ToColumn: "c1", FromRank: "V", ToRank: "k"}))
			},
			changes:    []change{{FieldTitle, "Ben's title"}},
			wantApply:  []change{{FieldTitle, "Ben's title"}},
			wantMerged: nil,
		},
		{
			name: "a column move by someone else merges with an edit",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskMoved{FromColumn: "c1", ToColumn: "c4", FromRank: "V", ToRank: "V"}))
			},
			changes:    []change{{FieldTitle, "Ben's title"}},
			wantApply:  []change{{FieldTitle, "Ben's title"}},
			wantMerged: []Field{FieldColumn},
		},
		{
			name: "archiving a task someone archived and restored meanwhile conflicts with the restore",
			since: func(b *Task) []decodedEvent {
				return given(b,
					by("ana", 10, &TaskArchived{}),
					by("cleo", 11, &TaskRestored{}),
				)
			},
			changes: []change{{FieldArchived, true}},
			wantConflicts: []FieldConflict{{
				Field: FieldArchived, Yours: true, Theirs: false,
				ChangedBy: "cleo", ChangedAt: ruleClock(11), Seq: 11,
			}},
			wantMerged: []Field{FieldArchived},
		},
		{
			name: "restoring a task someone restored and archived again meanwhile conflicts with the archive",
			base: archivedBase,
			since: func(b *Task) []decodedEvent {
				return given(b,
					by("ana", 10, &TaskRestored{}),
					by("cleo", 11, &TaskArchived{}),
				)
			},
			changes: []change{{FieldArchived, false}},
			wantConflicts: []FieldConflict{{
				Field: FieldArchived, Yours: false, Theirs: true,
				ChangedBy: "cleo", ChangedAt: ruleClock(11), Seq: 11,
			}},
			wantMerged: []Field{FieldArchived},
		},
		{
			name: "restoring a task someone already restored is a no-op",
			base: archivedBase,
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskRestored{}))
			},
			changes:    []change{{FieldArchived, false}},
			wantApply:  nil,
			wantMerged: []Field{FieldArchived},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base
			if base == nil {
				base = ruleBase()
			}
			var since []decodedEvent
			if tt.since != nil {
				since = tt.since(base)
			}
			current := foldSince(t, base, since)

			for _, f := range allFields {
				if got, want := baseValue(current, since, f), base.value(f); !equalValues(got, want) {
					t.Errorf("baseValue(%s) = %#v, the base has %#v", f, got, want)
				}
			}

			v := judgeEdit(current, since, tt.changes)

			if !reflect.DeepEqual(v.conflicts, tt.wantConflicts) {
				t.Errorf("conflicts = %+v\nwant        %+v", v.conflicts, tt.wantConflicts)
			}
			if len(tt.wantConflicts) == 0 && !reflect.DeepEqual(v.apply, tt.wantApply) {
				t.Errorf("apply = %+v, want %+v", v.apply, tt.wantApply)
			}
			if !reflect.DeepEqual(v.merged, tt.wantMerged) {
				t.Errorf("merged = %v, want %v", v.merged, tt.wantMerged)
			}
		})
	}
}

// placeCase is a table case of a placing rule (judgeMove, judgeSprint): given what
// happened since the base, when the user places the task in list "to", then these
// conflicts and merged fields.
type placeCase struct {
	name  string
	since func(base *Task) []decodedEvent
	to    string
	// then
	wantConflicts []FieldConflict
	wantMerged    []Field
}

// runPlaceCases runs the cases against judge, from ruleBase.
func runPlaceCases(t *testing.T, tests []placeCase, judge func(*Task, []decodedEvent, string) verdict) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := ruleBase()
			var since []decodedEvent
			if tt.since != nil {
				since = tt.since(base)
			}
			current := foldSince(t, base, since)

			v := judge(current, since, tt.to)

			if !reflect.DeepEqual(v.conflicts, tt.wantConflicts) {
				t.Errorf("conflicts = %+v\nwant        %+v", v.conflicts, tt.wantConflicts)
			}
			if !reflect.DeepEqual(v.merged, tt.wantMerged) {
				t.Errorf("merged = %v, want %v", v.merged, tt.wantMerged)
			}
		})
	}
}

func TestJudgeMove(t *testing.T) {
	tests := []placeCase{
		{
			name: "nothing changed since the base",
			to:   "c2",
		},
		{
			name: "someone moved it to another column and I move it to a third: conflict",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskMoved{FromColumn: "c1", ToColumn: "c4", FromRank: "V", ToRank: "V"}))
			},
			to: "c2",
			wantConflicts: []FieldConflict{{
				Field: FieldColumn, Yours: "c2", Theirs: "c4",
				ChangedBy: "ana", ChangedAt: ruleClock(10), Seq: 10,
			}},
			wantMerged: []Field{FieldColumn},
		},
		{
			name: "someone moved it and I move it back to the column I saw: conflict",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskMoved{FromColumn: "c1", ToColumn: "c4", FromRank: "V", ToRank: "V"}))
			},
			to: "c1",
			wantConflicts: []FieldConflict{{
				Field: FieldColumn, Yours: "c1", Theirs: "c4",
				ChangedBy: "ana", ChangedAt: ruleClock(10), Seq: 10,
			}},
			wantMerged: []Field{FieldColumn},
		},
		{
			name: "someone moved it to the column I want too: no conflict",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskMoved{FromColumn: "c1", ToColumn: "c4", FromRank: "V", ToRank: "V"}))
			},
			to:         "c4",
			wantMerged: []Field{FieldColumn},
		},
		{
			name: "conflict names the last column change, after a reorder and a second move",
			since: func(b *Task) []decodedEvent {
				return given(b,
					by("ana", 10, &TaskMoved{FromColumn: "c1", ToColumn: "c2", FromRank: "V", ToRank: "V"}),
					by("cleo", 11, &TaskMoved{FromColumn: "c2", ToColumn: "c3", FromRank: "V", ToRank: "V"}),
					by("ana", 12, &TaskMoved{FromColumn: "c3", ToColumn: "c3", FromRank: "V", ToRank: "k"}),
				)
			},
			to: "c4",
			wantConflicts: []FieldConflict{{
				Field: FieldColumn, Yours: "c4", Theirs: "c3",
				ChangedBy: "cleo", ChangedAt: ruleClock(11), Seq: 11,
			}},
			wantMerged: []Field{FieldColumn},
		},
		{
			name: "someone only reordered it within its column: no conflict",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskMoved{FromColumn: "c1", ToColumn: "c1", FromRank: "V", ToRank: "k"}))
			},
			to: "c2",
		},
		{
			name: "someone edited other fields: no conflict, merged",
			since: func(b *Task) []decodedEvent {
				return given(b,
					by("ana", 10, &TaskRetitled{From: "Old title", To: "Ana's title"}),
					by("ana", 11, &TaskArchived{}),
					by("ana", 12, &TaskRestored{}),
				)
			},
			to:         "c3",
			wantMerged: []Field{FieldTitle, FieldArchived},
		},
	}
	runPlaceCases(t, tests, judgeMove)
}

// TestJudgeSprint: planning follows the move rule on the sprint field. Only a sprint
// change by someone else since the base conflicts, and only when the user wants another
// sprint than the task is in now; re-ranking (a rank-only move) and column moves never do.
func TestJudgeSprint(t *testing.T) {
	tests := []placeCase{
		{name: "nothing changed since the base", to: "s2"},
		{
			name: "someone put it in another sprint and I want a third: conflict naming them",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskSprintChanged{From: "", To: "s1"}))
			},
			to: "s2",
			wantConflicts: []FieldConflict{{
				Field: FieldSprint, Yours: "s2", Theirs: "s1", ChangedBy: "ana", ChangedAt: ruleClock(10), Seq: 10,
			}},
			wantMerged: []Field{FieldSprint},
		},
		{
			name: "someone put it in a sprint and I send it to the backlog I saw: conflict",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ben", 10, &TaskSprintChanged{From: "", To: "s1"}))
			},
			to: "",
			wantConflicts: []FieldConflict{{
				Field: FieldSprint, Yours: "", Theirs: "s1", ChangedBy: "ben", ChangedAt: ruleClock(10), Seq: 10,
			}},
			wantMerged: []Field{FieldSprint},
		},
		{
			name: "someone put it in the sprint I want too: no conflict",
			since: func(b *Task) []decodedEvent {
				return given(b, by("ana", 10, &TaskSprintChanged{From: "", To: "s1"}))
			},
			to:         "s1",
			wantMerged: []Field{FieldSprint},
		},
		{
			name: "a completion carried it over: conflict naming the completion's author",
			since: func(b *Task) []decodedEvent {
				return given(b,
					by("ana", 10, &TaskSprintChanged{From: "", To: "s1"}),
					by("cleo", 11, &TaskSprintChanged{From: "s1", To: "s2", CarriedOver: true}))
			},
			to: "",
			wantConflicts: []FieldConflict{{
				Field: FieldSprint, Yours: "", Theirs: "s2", ChangedBy: "cleo", ChangedAt: ruleClock(11), Seq: 11,
			}},
			wantMerged: []Field{FieldSprint},
		},
		{
			name: "someone re-ranked it and moved it on the board: no conflict",
			since: func(b *Task) []decodedEvent {
				return given(b,
					by("ana", 10, &TaskMoved{FromColumn: "c1", ToColumn: "c1", FromRank: "V", ToRank: "k"}),
					by("ana", 11, &TaskMoved{FromColumn: "c1", ToColumn: "c2", FromRank: "k", ToRank: "k"}))
			},
			to:         "s2",
			wantMerged: []Field{FieldColumn},
		},
	}
	runPlaceCases(t, tests, judgeSprint)
}

// TestJudgeEditSprint: the edit form's sprint field merges and conflicts like any field.
func TestJudgeEditSprint(t *testing.T) {
	base := ruleBase()
	since := given(base, by("ana", 10, &TaskSprintChanged{From: "", To: "s1"}), by("ana", 11, &TaskRetitled{From: "Old title", To: "New"}))
	current := foldSince(t, base, since)
	tests := []struct {
		name      string
		to        string
		apply     bool
		conflicts bool
	}{
		{"resubmitting the sprint I saw is no change", "", false, false},
		{"the sprint it has now is no change", "s1", false, false},
		{"another sprint conflicts", "s2", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judgeEdit(current, since, []change{{FieldSprint, tt.to}})
			if (len(v.apply) > 0) != tt.apply || (len(v.conflicts) > 0) != tt.conflicts {
				t.Errorf("apply %v, conflicts %v", v.apply, v.conflicts)
			}
		})
	}
	v := judgeEdit(base, nil, []change{{FieldSprint, "s2"}})
	if len(v.apply) != 1 || eventFor(base, v.apply[0]).(*TaskSprintChanged).To != "s2" {
		t.Errorf("an unopposed sprint change applies as task.sprint_changed: %+v", v)
	}
}

// allFields lists every task field, for checks that must hold for each.
var allFields = []Field{FieldTitle, FieldDescription, FieldColumn, FieldRank, FieldAssignee, FieldType,
	FieldPriority, FieldLabels, FieldPoints, FieldDue, FieldArchived, FieldSprint, FieldEstimate, FieldRemaining}
