package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
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
		err := b.s.ChangeWorkflow(ctx, st.actor(b), b.p.ID, projectVersion(t, b), st.columns)
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
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, projectVersion(t, b), []Column{{ID: colToDo, Name: "Backlog"}, {ID: colInProgress, Name: "Doing", WIPLimit: 3}, {ID: colDone, Name: "Done"}}); err != nil {
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

// wf builds a workflow from "id=Name/WIP:category" items; "=Name" is a new column, and
// the WIP limit and category are optional.
func wf(items ...string) []Column {
	cols := make([]Column, 0, len(items))
	for _, it := range items {
		id, rest, _ := strings.Cut(it, "=")
		rest, cat, _ := strings.Cut(rest, ":")
		name, wip, _ := strings.Cut(rest, "/")
		n, _ := strconv.Atoi(wip)
		cols = append(cols, Column{ID: id, Name: name, WIPLimit: n, Category: Category(cat)})
	}
	return cols
}

// catString shows the category of each column: "c1:todo c2:in_progress =QA:done".
func catString(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.ID + ":" + string(c.Category)
		if c.ID == "" {
			parts[i] = "=" + c.Name + ":" + string(c.Category)
		}
	}
	return strings.Join(parts, " ")
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

// twoAdmins makes Cleo an admin beside Ana and returns the version both load the
// workflow form at.
func twoAdmins(t *testing.T, b *board) int {
	t.Helper()
	if err := b.s.ChangeMemberRole(context.Background(), b.ana, b.p.ID, b.cleo, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	return projectVersion(t, b)
}

func (b *board) workflow(t *testing.T) string {
	t.Helper()
	p, err := b.s.Project(context.Background(), b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return wfString(p.Columns)
}

func TestWorkflowStaleFormsMerge(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	seen := twoAdmins(t, b)
	// Cleo renames In Review; Ana, from the same page, adds QA after In Progress.
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "c3=Review", "c4=Done")); err != nil {
		t.Fatal(err)
	}
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "=QA", "c3=In Review", "c4=Done")); err != nil {
		t.Fatalf("add vs rename: %v", err)
	}
	if got, want := b.workflow(t), "c1=To Do c2=In Progress c5=QA c3=Review c4=Done"; got != want {
		t.Errorf("workflow %s, want %s", got, want)
	}
	// Cleo, still on her first page, renames To Do: QA and Review stay.
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, seen, wf("c1=Backlog", "c2=In Progress", "c3=In Review", "c4=Done")); err != nil {
		t.Fatalf("rename vs add: %v", err)
	}
	if got, want := b.workflow(t), "c1=Backlog c2=In Progress c5=QA c3=Review c4=Done"; got != want {
		t.Errorf("workflow %s, want %s", got, want)
	}
	// A stale form that changes nothing records nothing.
	before := eventCount(t, b.s)
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "c3=In Review", "c4=Done")); err != nil {
		t.Fatal(err)
	}
	if eventCount(t, b.s) != before {
		t.Errorf("an unchanged stale form appended an event")
	}
	if got, want := b.workflow(t), "c1=Backlog c2=In Progress c5=QA c3=Review c4=Done"; got != want {
		t.Errorf("an unchanged stale form changed the workflow to %s", got)
	}
	// A column removed meanwhile does not come back, and its id is not reused.
	v := projectVersion(t, b)
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, v, wf("c1=Backlog", "c2=In Progress", "c3=Review", "c4=Done")); err != nil {
		t.Fatal(err)
	}
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, v, wf("c1=Backlog", "c2=In Progress", "c5=QA", "c3=Review", "c4=Done", "=Shipped")); err != nil {
		t.Fatal(err)
	}
	if got, want := b.workflow(t), "c1=Backlog c2=In Progress c3=Review c4=Done c6=Shipped"; got != want {
		t.Errorf("workflow %s, want %s", got, want)
	}
}

func TestWorkflowRenameConflict(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	seen := twoAdmins(t, b)
	b.s.Now = func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) }
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "c3=Review", "c4=Done")); err != nil {
		t.Fatal(err)
	}
	b.s.Now = func() time.Time { return time.Date(2026, 11, 27, 9, 3, 0, 0, time.UTC) }
	version, events := projectVersion(t, b), eventCount(t, b.s)
	// Ana renames the same column from the same page, and adds a column too.
	err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "c3=QA", "c4=Done", "=Later"))
	var ce *WorkflowConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *WorkflowConflictError", err)
	}
	if ErrorCode(err) != ECONFLICT {
		t.Errorf("code %q, want %q", ErrorCode(err), ECONFLICT)
	}
	if ce.BaseVersion != seen || ce.CurrentVersion != version || len(ce.Conflicts) != 1 {
		t.Fatalf("conflict %+v", ce)
	}
	c := ce.Conflicts[0]
	if c.ColumnID != colInReview || c.Column != "In Review" || c.Attr != WorkflowName || c.Yours != "QA" || c.Theirs != "Review" ||
		c.ChangedBy != b.cleo || !c.ChangedAt.Equal(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)) || c.Seq == 0 {
		t.Errorf("conflict %+v", c)
	}
	if got, want := wfString(ce.Current), "c1=To Do c2=In Progress c3=Review c4=Done"; got != want {
		t.Errorf("theirs %s, want %s", got, want)
	}
	if got, want := wfString(ce.Mine), "c1=To Do c2=In Progress c3=QA c4=Done =Later"; got != want {
		t.Errorf("mine %s, want %s", got, want)
	}
	// Nothing applied, the project's version unchanged, the attempt in the log.
	if got, want := b.workflow(t), "c1=To Do c2=In Progress c3=Review c4=Done"; got != want {
		t.Errorf("workflow %s, want %s", got, want)
	}
	if projectVersion(t, b) != version {
		t.Errorf("the conflict moved the project's version")
	}
	if p, _ := b.s.Project(ctx, b.p.ID); p.Version != version {
		t.Errorf("projects.version %d, want %d", p.Version, version)
	}
	if eventCount(t, b.s) != events+1 {
		t.Fatalf("%d events, want %d", eventCount(t, b.s), events+1)
	}
	recorded, err := b.s.Events(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	last := recorded[len(recorded)-1]
	if last.Type != TypeWorkflowConflicted || last.Stream != "project:"+b.p.ID+":conflicts" || last.Version != 1 || last.Actor != b.ana {
		t.Errorf("recorded %+v", last)
	}
	entries, err := b.s.Activity(ctx, b.p, 0, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("activity %+v, %v", entries, err)
	}
	e := entries[0]
	if !strings.Contains(e.Text, "tried to change the workflow") || len(e.Conflicts) != 1 ||
		e.Conflicts[0].Field != "Name of In Review" || e.Conflicts[0].Yours != "QA" || e.Conflicts[0].Theirs != "Review" ||
		e.Conflicts[0].By.Name != "Cleo" {
		t.Errorf("activity entry %+v", e)
	}
	// Applying mine anyway: the merged workflow against the current version.
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, ce.CurrentVersion, ce.Mine); err != nil {
		t.Fatalf("apply mine anyway: %v", err)
	}
	if got, want := b.workflow(t), "c1=To Do c2=In Progress c3=QA c4=Done c5=Later"; got != want {
		t.Errorf("workflow %s, want %s", got, want)
	}
	rep, err := b.s.Replay(ctx, false)
	if err != nil || !rep.Identical() {
		t.Fatalf("replay: %v\n%s", err, rep)
	}
}

func TestWorkflowRemovingColumnThatGainedCards(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	seen := twoAdmins(t, b)
	// Ana opens the form while In Review is empty; meanwhile a card lands there.
	b.mustCreate(t, "Review me", colInReview)
	before := eventCount(t, b.s)
	err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "c4=Done"))
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), `"In Review" still holds 1 task(s)`) {
		t.Fatalf("err = %v", err)
	}
	if eventCount(t, b.s) != before {
		t.Errorf("a refused removal appended events")
	}
	if got, want := b.workflow(t), "c1=To Do c2=In Progress c3=In Review c4=Done"; got != want {
		t.Errorf("workflow %s", got)
	}
}

func TestWorkflowBaseVersion(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	v := projectVersion(t, b)
	for _, base := range []int{0, -1, v + 1} {
		err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, base, wf("c1=To Do", "c2=In Progress", "c3=In Review", "c4=Done", "=New"))
		if ErrorCode(err) != EINVALID {
			t.Errorf("base %d: err = %v, want invalid", base, err)
		}
	}
	// An id the form at the base version did not show is refused.
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, v, wf("c1=To Do", "c9=Ghost")); ErrorCode(err) != EINVALID {
		t.Errorf("unknown id: err = %v", err)
	}
	// A merge that would give two columns one name is refused, saying why.
	seen := twoAdmins(t, b)
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "c3=In Review", "c4=Done", "=QA")); err != nil {
		t.Fatal(err)
	}
	err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "c3=qa", "c4=Done"))
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "after merging") {
		t.Errorf("duplicate after merge: err = %v", err)
	}
}

// TestWorkflowReplayOfStaleForms has admins submit random edits from random past
// versions and checks the outcomes, and that replay rebuilds the live read models.
func TestWorkflowReplayOfStaleForms(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	twoAdmins(t, b)
	r := rand.New(rand.NewPCG(7, 11))
	names := []string{"To Do", "Doing", "Review", "QA", "Done", "Blocked", "Ready"}
	counts := map[string]int{}
	for range 150 {
		v := projectVersion(t, b)
		base := max(1, v-r.IntN(4))
		events, err := streamEvents(b.s.read, projectStream(b.p.ID))
		if err != nil {
			t.Fatal(err)
		}
		mine, _ := workflowAt(events, base)
		switch r.IntN(6) {
		case 0:
			mine[r.IntN(len(mine))].Name = names[r.IntN(len(names))]
		case 1:
			mine[r.IntN(len(mine))].WIPLimit = r.IntN(4)
		case 2:
			i := r.IntN(len(mine) + 1)
			mine = slices.Insert(mine, i, Column{Name: names[r.IntN(len(names))] + strconv.Itoa(r.IntN(9))})
		case 3:
			if len(mine) > 2 {
				i := r.IntN(len(mine))
				mine = slices.Delete(mine, i, i+1)
			}
		case 4:
			i, j := r.IntN(len(mine)), r.IntN(len(mine))
			mine[i], mine[j] = mine[j], mine[i]
		case 5:
			mine[r.IntN(len(mine))].Category = Categories[r.IntN(len(Categories))]
		}
		err = b.s.ChangeWorkflow(ctx, []string{b.ana, b.cleo}[r.IntN(2)], b.p.ID, base, mine)
		switch code := ErrorCode(err); code {
		case "":
			counts["ok"]++
		case ECONFLICT, EINVALID:
			counts[code]++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	t.Logf("outcomes %v", counts)
	if counts["ok"] == 0 || counts[ECONFLICT] == 0 {
		t.Errorf("outcomes %v do not exercise the rule", counts)
	}
	rep, err := b.s.Replay(ctx, false)
	if err != nil || !rep.Identical() {
		t.Fatalf("replay: %v\n%s", err, rep)
	}
}

// TestJudgeWorkflowCategories is the workflow rule for status categories, a third
// attribute of a column beside name and WIP limit. The base has none set, as a workflow
// saved before categories existed: first to do, last done, the others in progress.
func TestJudgeWorkflowCategories(t *testing.T) {
	base := wf("c1=To Do", "c2=In Progress", "c3=In Review", "c4=Done")
	tests := []struct {
		name         string
		theirs, mine []Column
		want         string // categories of merged, every one set
		conflicts    string
	}{
		{"nothing changed: the categories in effect are set",
			base, base, "c1:todo c2:in_progress c3:in_progress c4:done", ""},
		{"the categories I saw, submitted explicitly, are no change",
			base, wf("c1=To Do:todo", "c2=In Progress:in_progress", "c3=In Review:in_progress", "c4=Done:done"),
			"c1:todo c2:in_progress c3:in_progress c4:done", ""},
		{"my category change applies",
			base, wf("c1=To Do", "c2=In Progress", "c3=In Review:done", "c4=Done"),
			"c1:todo c2:in_progress c3:done c4:done", ""},
		{"their category change stands when I left it as I saw it",
			wf("c1=To Do", "c2=In Progress", "c3=In Review:done", "c4=Done"),
			wf("c1=Backlog:todo", "c2=In Progress:in_progress", "c3=In Review:in_progress", "c4=Done:done"),
			"c1:todo c2:in_progress c3:done c4:done", ""},
		{"my category change vs their rename of the same column: merge",
			wf("c1=To Do", "c2=In Progress", "c3=Review", "c4=Done"),
			wf("c1=To Do", "c2=In Progress", "c3=In Review:done", "c4=Done"),
			"c1:todo c2:in_progress c3:done c4:done", ""},
		{"the same column's category changed by both differently: conflict",
			wf("c1=To Do", "c2=In Progress", "c3=In Review:todo", "c4=Done"),
			wf("c1=To Do", "c2=In Progress", "c3=In Review:done", "c4=Done"),
			"c1:todo c2:in_progress c3:done c4:done", `c3.category yours="done" theirs="todo"`},
		{"the same column's category changed by both alike: no conflict",
			wf("c1=To Do", "c2=In Progress", "c3=In Review:done", "c4=Done"),
			wf("c1=To Do", "c2=In Progress", "c3=In Review:done", "c4=Done"),
			"c1:todo c2:in_progress c3:done c4:done", ""},
		{"I remove a column whose category they changed: conflict",
			wf("c1=To Do", "c2=In Progress", "c3=In Review:done", "c4=Done"),
			wf("c1=To Do", "c2=In Progress", "c4=Done"),
			"c1:todo c2:in_progress c4:done", `c3.category yours="in_progress" theirs="done" you-removed`},
		{"they removed a column whose category I changed: conflict; mine revives it",
			wf("c1=To Do", "c2=In Progress", "c4=Done"),
			wf("c1=To Do", "c2=In Progress", "c3=In Review:done", "c4=Done"),
			"c1:todo c2:in_progress =In Review:done c4:done", `c3.category yours="done" theirs="in_progress" they-removed`},
		{"my reorder keeps the categories in effect: Done moved up stays done",
			base, wf("c1=To Do", "c4=Done", "c2=In Progress", "c3=In Review"),
			"c1:todo c4:done c2:in_progress c3:in_progress", ""},
		{"their new last column does not take done from the old last one",
			wf("c1=To Do:todo", "c2=In Progress:in_progress", "c3=In Review:in_progress", "c4=Done:done", "c5=Won't do:done"),
			base, "c1:todo c2:in_progress c3:in_progress c4:done c5:done", ""},
		{"my new columns without a category get the default of their place",
			base, wf("c1=To Do", "=Ready", "c2=In Progress", "c3=In Review", "c4=Done", "=Archive"),
			"c1:todo =Ready:in_progress c2:in_progress c3:in_progress c4:done =Archive:done", ""},
		{"my new column with a category keeps it",
			base, wf("c1=To Do", "c2=In Progress", "c3=In Review", "c4=Done", "=Won't do:done"),
			"c1:todo c2:in_progress c3:in_progress c4:done =Won't do:done", ""},
		{"a category conflict beside a name conflict",
			wf("c1=Backlog", "c2=In Progress", "c3=In Review", "c4=Done:in_progress"),
			wf("c1=Inbox", "c2=In Progress", "c3=In Review", "c4=Done:todo"),
			"c1:todo c2:in_progress c3:in_progress c4:todo",
			`c1.name yours="Inbox" theirs="Backlog"; c4.category yours="todo" theirs="in_progress"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			merged, conflicts := judgeWorkflow(base, tt.theirs, tt.mine)
			if got := catString(merged); got != tt.want {
				t.Errorf("merged\n got %s\nwant %s", got, tt.want)
			}
			if got := conflictString(conflicts); got != tt.conflicts {
				t.Errorf("conflicts\n got %s\nwant %s", got, tt.conflicts)
			}
		})
	}
}

func TestWorkflowCategoryValidation(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	tests := []struct {
		name    string
		columns []Column
		message string // "" for success
	}{
		{"an unknown category", wf("c1=To Do", "c2=In Progress:doing", "c3=In Review", "c4=Done"),
			`Status category of "In Progress" must be to do, in progress or done.`},
		{"no column marked done", wf("c1=To Do", "c2=In Progress", "c3=In Review", "c4=Done:in_progress"),
			"A workflow needs at least one column marked Done, so that sprints and reports can tell finished work."},
		{"removing the only done column", wf("c1=To Do", "c2=In Progress", "c3=In Review"),
			"A workflow needs at least one column marked Done"},
		{"the done column moved to the middle", wf("c1=To Do", "c4=Done", "c2=In Progress", "c3=In Review"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := eventCount(t, b.s)
			err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, projectVersion(t, b), tt.columns)
			if tt.message == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tt.message) {
				t.Fatalf("err = %v, want invalid: %s", err, tt.message)
			}
			if eventCount(t, b.s) != before {
				t.Errorf("a refused workflow appended an event")
			}
		})
	}
	p, err := b.s.Project(ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := catString(p.Columns), "c1:todo c4:done c2:in_progress c3:in_progress"; got != want {
		t.Errorf("categories %s, want %s", got, want)
	}
	// A merge that leaves no done column is refused, saying so.
	seen := twoAdmins(t, b)
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, seen, wf("c1=To Do", "c4=Done:done", "c2=In Progress", "c3=In Review:done")); err != nil {
		t.Fatal(err)
	}
	err = b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, seen, wf("c1=To Do", "c4=Done:in_progress", "c2=In Progress", "c3=In Review"))
	if err != nil {
		t.Fatalf("marking Done in progress while Cleo marked In Review done: %v", err)
	}
	seen = projectVersion(t, b)
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, seen, wf("c1=To Do", "c4=Done", "c2=In Progress", "c3=In Review:done", "=Won't do:done")); err != nil {
		t.Fatal(err)
	}
	err = b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, seen, wf("c1=To Do", "c4=Done", "c2=In Progress", "c3=In Review:in_progress"))
	if err != nil {
		t.Fatalf("Won't do keeps a done column: %v", err)
	}
	v := projectVersion(t, b)
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, v, wf("c1=To Do", "c4=Done", "c2=In Progress", "c3=In Review")); ErrorCode(err) != EINVALID {
		t.Fatalf("removing the last done column: err = %v, want invalid", err)
	}
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, v, wf("c1=To Do", "c4=Done:done", "c2=In Progress", "c3=In Review")); err != nil {
		t.Fatal(err) // Cleo marks Done done again and removes Won't do
	}
	err = b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, v, wf("c1=To Do", "c4=Done", "c2=In Progress", "c3=In Review", "c5=Won't do:in_progress"))
	if ErrorCode(err) != ECONFLICT {
		t.Errorf("changing the category of a column removed meanwhile: err = %v, want a conflict", err)
	}
}

// TestWorkflowCategoryStored: categories are stored as set, survive a reorder, read
// back by both project loaders, say what they did in the activity, and replay.
func TestWorkflowCategoryStored(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	// A workflow without categories (as saved before they existed) submitted with the
	// ones in effect is no change.
	before := eventCount(t, b.s)
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, projectVersion(t, b),
		wf("c1=To Do:todo", "c2=In Progress:in_progress", "c3=In Review:in_progress", "c4=Done:done")); err != nil {
		t.Fatal(err)
	}
	if eventCount(t, b.s) != before {
		t.Errorf("submitting the categories in effect appended an event")
	}
	// Ana adds Won't do after Done and marks it done: only then is Done no longer last.
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, projectVersion(t, b),
		wf("c1=To Do:todo", "c2=In Progress:in_progress", "c3=In Review:in_progress", "c4=Done:done", "=Won't do:done")); err != nil {
		t.Fatal(err)
	}
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, projectVersion(t, b),
		wf("c1=To Do:todo", "c2=In Progress:in_progress", "c3=In Review:done", "c4=Done:done", "c5=Won't do:done")); err != nil {
		t.Fatal(err)
	}
	entries, err := b.s.Activity(ctx, b.p, 0, 2)
	if err != nil || len(entries) != 2 {
		t.Fatalf("activity %+v, %v", entries, err)
	}
	if got, want := entries[0].Text, "marked In Review as Done"; got != want {
		t.Errorf("activity %q, want %q", got, want)
	}
	if got := entries[1].Text; got != "changed the workflow" {
		t.Errorf("activity %q, want the workflow change", got)
	}
	// Moving the done columns to the front keeps them done: nothing is inferred by place.
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, projectVersion(t, b),
		wf("c5=Won't do", "c1=To Do", "c2=In Progress", "c3=In Review", "c4=Done")); err != nil {
		t.Fatal(err)
	}
	want := "c5:done c1:todo c2:in_progress c3:done c4:done"
	p, err := b.s.Project(ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := catString(p.Columns); got != want {
		t.Errorf("Project: categories %s, want %s", got, want)
	}
	if !p.Done("c5") || p.Done("c1") {
		t.Errorf("Done(c5) = %v, Done(c1) = %v", p.Done("c5"), p.Done("c1"))
	}
	p, _, err = b.s.ProjectFor(ctx, b.ana, "TACK")
	if err != nil {
		t.Fatal(err)
	}
	if got := catString(p.Columns); got != want {
		t.Errorf("ProjectFor: categories %s, want %s", got, want)
	}
	// Two changes at once read as one sentence each.
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, projectVersion(t, b),
		wf("c5=Won't do:done", "c1=To Do:in_progress", "c2=In Progress", "c3=In Review:in_progress", "c4=Done")); err != nil {
		t.Fatal(err)
	}
	entries, err = b.s.Activity(ctx, b.p, 0, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("activity %+v, %v", entries, err)
	}
	if got, want := entries[0].Text, "marked To Do as In progress and In Review as In progress"; got != want {
		t.Errorf("activity %q, want %q", got, want)
	}
	rep, err := b.s.Replay(ctx, false)
	if err != nil || !rep.Identical() {
		t.Fatalf("replay: %v\n%s", err, rep)
	}
}

func TestWorkflowCategoryConflict(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	seen := twoAdmins(t, b)
	if err := b.s.ChangeWorkflow(ctx, b.cleo, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "c3=In Review:todo", "c4=Done")); err != nil {
		t.Fatal(err)
	}
	err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, seen, wf("c1=To Do", "c2=In Progress", "c3=In Review:done", "c4=Done"))
	var ce *WorkflowConflictError
	if !errors.As(err, &ce) || len(ce.Conflicts) != 1 {
		t.Fatalf("err = %v, want one workflow conflict", err)
	}
	c := ce.Conflicts[0]
	if c.Attr != WorkflowCategory || c.ColumnID != colInReview || c.ChangedBy != b.cleo || c.Seq == 0 ||
		c.Label() != "Status category of In Review" || c.YoursText() != "Done" || c.TheirsText() != "To do" {
		t.Errorf("conflict %+v (%s: %s vs %s)", c, c.Label(), c.YoursText(), c.TheirsText())
	}
	if got, want := catString(ce.Mine), "c1:todo c2:in_progress c3:done c4:done"; got != want {
		t.Errorf("mine %s, want %s", got, want)
	}
	entries, err := b.s.Activity(ctx, b.p, 0, 1)
	if err != nil || len(entries) != 1 || len(entries[0].Conflicts) != 1 ||
		entries[0].Conflicts[0].Field != "Status category of In Review" || entries[0].Conflicts[0].Yours != "Done" {
		t.Errorf("activity %+v, %v", entries, err)
	}
	if err := b.s.ChangeWorkflow(ctx, b.ana, b.p.ID, ce.CurrentVersion, ce.Mine); err != nil {
		t.Fatalf("apply mine anyway: %v", err)
	}
	p, err := b.s.Project(ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Done(colInReview) {
		t.Errorf("In Review is %s after applying mine", p.Category(colInReview))
	}
}
