package store

import (
	"context"
	"fmt"
	"strconv"
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

// wf builds a workflow from "id=Name/WIP" items; "=Name" is a new column.
func wf(items ...string) []Column {
	cols := make([]Column, 0, len(items))
	for _, it := range items {
		id, rest, _ := strings.Cut(it, "=")
		name, wip, _ := strings.Cut(rest, "/")
		n, _ := strconv.Atoi(wip)
		cols = append(cols, Column{ID: id, Name: name, WIPLimit: n})
	}
	return cols
}

// wfString shows a workflow the way wf reads it.
func wfString(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.ID + "=" + c.Name
		if c.WIPLimit > 0 {
			parts[i] += "/" + strconv.Itoa(c.WIPLimit)
		}
	}
	return strings.Join(parts, " ")
}

func conflictString(cs []WorkflowConflict) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s.%s yours=%q theirs=%q", c.ColumnID, c.Attr, c.Yours, c.Theirs)
		if c.YouRemoved {
			parts[i] += " you-removed"
		}
		if c.TheyRemoved {
			parts[i] += " they-removed"
		}
	}
	return strings.Join(parts, "; ")
}

// TestJudgeWorkflow is the workflow rule: given the workflow a user saw (base), the
// workflow now (theirs) and the user's edit (mine), the merged workflow and conflicts.
func TestJudgeWorkflow(t *testing.T) {
	base := wf("c1=To Do", "c2=In Progress/3", "c3=In Review", "c4=Done")
	tests := []struct {
		name         string
		theirs, mine []Column
		want         string // merged; with conflicts, the user's side wins ("apply mine anyway")
		conflicts    string
	}{
		{"nothing changed by me: theirs stands",
			wf("c1=Backlog", "c2=In Progress/3", "c3=In Review", "c5=QA", "c4=Done"), base,
			"c1=Backlog c2=In Progress/3 c3=In Review c5=QA c4=Done", ""},
		{"nothing changed by anyone", base, base, "c1=To Do c2=In Progress/3 c3=In Review c4=Done", ""},
		{"my add vs their rename: merge",
			wf("c1=To Do", "c2=In Progress/3", "c3=Review", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/3", "=QA", "c3=In Review", "c4=Done"),
			"c1=To Do c2=In Progress/3 =QA c3=Review c4=Done", ""},
		{"my rename vs their add: their new column stays",
			wf("c1=To Do", "c2=In Progress/3", "c5=Blocked", "c3=In Review", "c4=Done"),
			wf("c1=Backlog", "c2=In Progress/3", "c3=In Review", "c4=Done"),
			"c1=Backlog c2=In Progress/3 c5=Blocked c3=In Review c4=Done", ""},
		{"both added columns after the same one",
			wf("c1=To Do", "c5=Blocked", "c2=In Progress/3", "c3=In Review", "c4=Done"),
			wf("c1=To Do", "=Ready", "c2=In Progress/3", "c3=In Review", "c4=Done"),
			"c1=To Do =Ready c5=Blocked c2=In Progress/3 c3=In Review c4=Done", ""},
		{"same column renamed by both differently: conflict",
			wf("c1=To Do", "c2=In Progress/3", "c3=Review", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/3", "c3=QA", "c4=Done"),
			"c1=To Do c2=In Progress/3 c3=QA c4=Done", `c3.name yours="QA" theirs="Review"`},
		{"same column renamed by both to the same name: no conflict",
			wf("c1=To Do", "c2=In Progress/3", "c3=Review", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/3", "c3=Review", "c4=Done"),
			"c1=To Do c2=In Progress/3 c3=Review c4=Done", ""},
		{"WIP limit changed by both: conflict",
			wf("c1=To Do", "c2=In Progress/5", "c3=In Review", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/2", "c3=In Review", "c4=Done"),
			"c1=To Do c2=In Progress/2 c3=In Review c4=Done", `c2.wip_limit yours="2" theirs="5"`},
		{"WIP limit removed by me, raised by them: conflict",
			wf("c1=To Do", "c2=In Progress/5", "c3=In Review", "c4=Done"),
			wf("c1=To Do", "c2=In Progress", "c3=In Review", "c4=Done"),
			"c1=To Do c2=In Progress c3=In Review c4=Done", `c2.wip_limit yours="0" theirs="5"`},
		{"my rename vs their WIP change of the same column: merge",
			wf("c1=To Do", "c2=In Progress/3", "c3=In Review/2", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/3", "c3=QA", "c4=Done"),
			"c1=To Do c2=In Progress/3 c3=QA/2 c4=Done", ""},
		{"I remove a column they renamed: conflict",
			wf("c1=To Do", "c2=In Progress/3", "c3=Review", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/3", "c4=Done"),
			"c1=To Do c2=In Progress/3 c4=Done", `c3.name yours="In Review" theirs="Review" you-removed`},
		{"I remove a column whose limit they changed: conflict",
			wf("c1=To Do", "c2=In Progress/3", "c3=In Review/4", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/3", "c4=Done"),
			"c1=To Do c2=In Progress/3 c4=Done", `c3.wip_limit yours="0" theirs="4" you-removed`},
		{"I remove a column they only moved: removed",
			wf("c1=To Do", "c3=In Review", "c2=In Progress/3", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/3", "c4=Done"),
			"c1=To Do c2=In Progress/3 c4=Done", ""},
		{"they removed a column I renamed: conflict; mine revives it as a new column",
			wf("c1=To Do", "c2=In Progress/3", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/3", "c3=QA", "c4=Done"),
			"c1=To Do c2=In Progress/3 =QA c4=Done", `c3.name yours="QA" theirs="In Review" they-removed`},
		{"they removed a column I left alone: stays removed",
			wf("c1=To Do", "c2=In Progress/3", "c4=Done"),
			wf("c1=Backlog", "c2=In Progress/3", "c3=In Review", "c4=Done"),
			"c1=Backlog c2=In Progress/3 c4=Done", ""},
		{"both removed the same column",
			wf("c1=To Do", "c2=In Progress/3", "c4=Done"),
			wf("c1=To Do", "c2=In Progress/3", "c4=Done"),
			"c1=To Do c2=In Progress/3 c4=Done", ""},
		{"my reorder vs their add: their column stays after its predecessor",
			wf("c1=To Do", "c2=In Progress/3", "c3=In Review", "c5=QA", "c4=Done"),
			wf("c1=To Do", "c3=In Review", "c2=In Progress/3", "c4=Done"),
			"c1=To Do c3=In Review c5=QA c2=In Progress/3 c4=Done", ""},
		{"their reorder vs my add and rename: merge",
			wf("c2=In Progress/3", "c1=To Do", "c3=In Review", "c4=Done"),
			wf("c1=Backlog", "=Ready", "c2=In Progress/3", "c3=In Review", "c4=Done"),
			"c2=In Progress/3 c1=Backlog =Ready c3=In Review c4=Done", ""},
		{"both reordered differently: conflict on the order",
			wf("c2=In Progress/3", "c1=To Do", "c3=In Review", "c4=Done"),
			wf("c1=To Do", "c3=In Review", "c2=In Progress/3", "c4=Done"),
			"c1=To Do c3=In Review c2=In Progress/3 c4=Done",
			`.order yours="To Do, In Review, In Progress, Done" theirs="In Progress, To Do, In Review, Done"`},
		{"both reordered the same way: no conflict",
			wf("c1=To Do", "c3=In Review", "c2=In Progress/3", "c4=Done"),
			wf("c1=To Do", "c3=In Review", "c2=In Progress/3", "c4=Done"),
			"c1=To Do c3=In Review c2=In Progress/3 c4=Done", ""},
		{"two conflicts and a merge at once",
			wf("c1=Backlog", "c2=Doing/4", "c3=In Review", "c4=Done"),
			wf("c1=Inbox", "c2=In Progress/1", "c3=Review", "c4=Done"),
			"c1=Inbox c2=Doing/1 c3=Review c4=Done",
			`c1.name yours="Inbox" theirs="Backlog"; c2.wip_limit yours="1" theirs="4"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			merged, conflicts := judgeWorkflow(base, tt.theirs, tt.mine)
			if got := wfString(merged); got != tt.want {
				t.Errorf("merged\n got %s\nwant %s", got, tt.want)
			}
			if got := conflictString(conflicts); got != tt.conflicts {
				t.Errorf("conflicts\n got %s\nwant %s", got, tt.conflicts)
			}
		})
	}
}
