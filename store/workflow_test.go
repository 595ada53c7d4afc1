package store

import (
	"context"
	"strings"
	"testing"
)

func TestChangeWorkflow(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.mustCreate(t, "Keeps its column", colInProgress)
	names := func() string {
		t.Helper()
		p, err := b.s.Project(ctx, b.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, c := range p.Columns {
			s := c.ID + "=" + c.Name
			if c.WIPLimit > 0 {
				s += "/" + string(rune('0'+c.WIPLimit))
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " ")
	}
	steps := []struct {
		name    string
		actor   func(*board) string
		columns []Column
		want    string // workflow afterwards
		code    string // error code, "" for success
	}{
		{"rename, limit and reorder keep ids", asAna, []Column{{ID: colToDo, Name: "Backlog"}, {ID: colInReview, Name: "Review", WIPLimit: 2},
			{ID: colInProgress, Name: "Doing", WIPLimit: 3}, {ID: colDone, Name: "Done"}},
			"c1=Backlog c3=Review/2 c2=Doing/3 c4=Done", ""},
		{"a new column gets a new id", asAna, []Column{{ID: colToDo, Name: "Backlog"}, {Name: "Ready"}, {ID: colInProgress, Name: "Doing", WIPLimit: 3},
			{ID: colInReview, Name: "Review", WIPLimit: 2}, {ID: colDone, Name: "Done"}},
			"c1=Backlog c5=Ready c2=Doing/3 c3=Review/2 c4=Done", ""},
		{"an empty column can go", asAna, []Column{{ID: colToDo, Name: "Backlog"}, {ID: colInProgress, Name: "Doing", WIPLimit: 3}, {ID: colDone, Name: "Done"}},
			"c1=Backlog c2=Doing/3 c4=Done", ""},
		{"a column with tasks cannot", asAna, []Column{{ID: colToDo, Name: "Backlog"}, {ID: colDone, Name: "Done"}},
			"c1=Backlog c2=Doing/3 c4=Done", EINVALID},
		{"members cannot change it", asBen, []Column{{ID: colToDo, Name: "Mine"}, {ID: colInProgress, Name: "Doing"}, {ID: colDone, Name: "Done"}},
			"c1=Backlog c2=Doing/3 c4=Done", EFORBIDDEN},
		{"unknown column id", asAna, []Column{{ID: "c99", Name: "Ghost"}, {ID: colInProgress, Name: "Doing"}},
			"c1=Backlog c2=Doing/3 c4=Done", EINVALID},
		{"duplicate names", asAna, []Column{{ID: colToDo, Name: "Same"}, {ID: colInProgress, Name: "same"}},
			"c1=Backlog c2=Doing/3 c4=Done", EINVALID},
		{"the same id twice", asAna, []Column{{ID: colToDo, Name: "One"}, {ID: colToDo, Name: "Two"}, {ID: colInProgress, Name: "Doing"}},
			"c1=Backlog c2=Doing/3 c4=Done", EINVALID},
		{"no columns", asAna, nil, "c1=Backlog c2=Doing/3 c4=Done", EINVALID},
	}
	for _, st := range steps {
		before := eventCount(t, b.s)
		err := b.s.ChangeWorkflow(ctx, st.actor(b), b.p.ID, st.columns)
		if ErrorCode(err) != st.code {
			t.Fatalf("%s: err = %v, want code %q", st.name, err, st.code)
		}
		if got := names(); got != st.want {
			t.Fatalf("%s: workflow %s, want %s", st.name, got, st.want)
		}
		if wantEvents := before + map[bool]int{true: 1, false: 0}[st.code == ""]; eventCount(t, b.s) != wantEvents {
			t.Errorf("%s: %d events, want %d", st.name, eventCount(t, b.s), wantEvents)
		}
	}
	// The same workflow again is no change and records nothing.
	before := eventCount(t, b.s)
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, []Column{{ID: colToDo, Name: "Backlog"}, {ID: colInProgress, Name: "Doing", WIPLimit: 3}, {ID: colDone, Name: "Done"}}); err != nil {
		t.Fatal(err)
	}
	if eventCount(t, b.s) != before {
		t.Errorf("an unchanged workflow appended an event")
	}
	if got := b.task(t, task.ID).ColumnID; got != colInProgress {
		t.Errorf("the task moved to %s", got)
	}
	entries, err := b.s.Activity(ctx, b.p, 0, 1)
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Text, "changed the workflow") {
		t.Errorf("activity = %+v, %v", entries, err)
	}
	rep, err := b.s.Replay(ctx, false)
	if err != nil || !rep.Identical() {
		t.Fatalf("replay after workflow changes: %v\n%s", err, rep)
	}
}
