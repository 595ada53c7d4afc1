package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

// workflowForm builds the editor's submission at a project version: rows of id, name,
// wip, order.
func workflowForm(version string, rows [][4]string, remove ...string) url.Values {
	v := url.Values{"base_version": {version}}
	for _, r := range rows {
		v.Add("id", r[0])
		v.Add("name", r[1])
		v.Add("wip", r[2])
		v.Add("order", r[3])
	}
	for _, id := range remove {
		v.Add("remove", id)
	}
	return v
}

func TestWorkflowEditor(t *testing.T) {
	a := newApp(t)
	ana := a.browser()
	ana.signIn(anaEmail, anaPass)
	page := ana.get("/projects/DEMO/workflow")
	expectStatus(t, page, http.StatusOK)
	if n := page.Doc.Find(`input[name="name"]`).Length(); n != 6 {
		t.Errorf("editor has %d name inputs, want 4 columns + 2 blank", n)
	}
	version := func(r *response) string {
		t.Helper()
		v, ok := r.Doc.Find(`form.workflow-editor input[name="base_version"]`).Attr("value")
		if !ok {
			t.Fatalf("%s: the editor carries no base_version", r.Path)
		}
		return v
	}

	// Rename To Do, add "Ready" after it, keep the rest.
	r := ana.post("/projects/DEMO/workflow", workflowForm(version(page), [][4]string{
		{"c1", "Backlog", "0", "1"}, {"c2", "In Progress", "3", "3"}, {"c3", "In Review", "2", "4"}, {"c4", "Done", "0", "5"},
		{"", "Ready", "4", "2"}, {"", "", "0", "6"},
	}))
	expectRedirect(t, r, "/projects/DEMO/workflow")
	board := ana.get("/projects/DEMO/board")
	var names []string
	board.Doc.Find("section.board-column h2").Each(func(_ int, s *goquery.Selection) {
		names = append(names, strings.Fields(s.Text())[0])
	})
	if got := strings.Join(names, ","); got != "Backlog,Ready,In,In,Done" {
		t.Errorf("board columns after the change: %s", got)
	}
	expectText(t, ana.get("/projects/DEMO/activity"), "ol.history", "Ana Lima changed the workflow")

	// A column holding tasks cannot go; the message says why and nothing changes.
	before := a.eventCount()
	page = ana.get("/projects/DEMO/workflow")
	r = ana.post("/projects/DEMO/workflow", workflowForm(version(page), [][4]string{
		{"c1", "Backlog", "0", "1"}, {"c5", "Ready", "4", "2"}, {"c2", "In Progress", "3", "3"}, {"c3", "In Review", "2", "4"}, {"c4", "Done", "0", "5"},
	}, "c2"))
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "main", `Column "In Progress" still holds`)
	if a.eventCount() != before {
		t.Errorf("a refused workflow change appended events")
	}
	r = ana.post("/projects/DEMO/workflow", workflowForm(version(page), [][4]string{{"c1", "Backlog", "x", "1"}}))
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "main", "whole numbers")

	// Members and viewers may read it but not change it.
	for _, who := range [][2]string{{benEmail, benPass}, {chloeEmail, chloePass}} {
		b := a.browser()
		b.signIn(who[0], who[1])
		expectText(t, b.get("/projects/DEMO/workflow"), "main", "Only project admins can change the workflow.")
		expectStatus(t, b.post("/projects/DEMO/workflow", workflowForm(version(page), [][4]string{{"c1", "Mine", "0", "1"}})), http.StatusForbidden)
	}
	if a.eventCount() != before {
		t.Errorf("refused workflow changes appended events")
	}
}

// editorValues returns what the workflow editor on page r submits, with row i's fields
// changed by set (keys "name", "wip", "order").
func editorValues(t *testing.T, r *response, edits map[int]map[string]string) url.Values {
	t.Helper()
	form := r.Doc.Find("form.workflow-editor")
	if form.Length() != 1 {
		t.Fatalf("%s: no workflow editor", r.Path)
	}
	v := formValues(form)
	for i, set := range edits {
		for k, val := range set {
			v[k][i] = val
		}
	}
	return v
}

// boardColumns lists the column names of the DEMO board, in order.
func boardColumns(t *testing.T, a *app) string {
	t.Helper()
	p, err := a.st.Project(a.ctx, a.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range p.Columns {
		names = append(names, c.Name)
	}
	return strings.Join(names, ",")
}

// twoAdminsEditing makes Ben an admin and opens the workflow editor for Ana and Ben.
func twoAdminsEditing(t *testing.T, a *app) (ana, ben *browser, anaPage, benPage *response) {
	t.Helper()
	if err := a.st.ChangeMemberRole(a.ctx, a.ana.ID, a.demo.ID, a.ben.ID, store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	ana, ben = a.browser(), a.browser()
	ana.signIn(anaEmail, anaPass)
	ben.signIn(benEmail, benPass)
	anaPage, benPage = ana.get("/projects/DEMO/workflow"), ben.get("/projects/DEMO/workflow")
	expectStatus(t, anaPage, http.StatusOK)
	expectStatus(t, benPage, http.StatusOK)
	return ana, ben, anaPage, benPage
}

func TestWorkflowStaleFormsAddVsRename(t *testing.T) {
	a := newApp(t)
	ana, ben, anaPage, benPage := twoAdminsEditing(t, a)
	// Ben renames In Review (row 2); Ana, from her older page, adds QA in a blank row.
	r := ben.post("/projects/DEMO/workflow", editorValues(t, benPage, map[int]map[string]string{2: {"name": "Review"}}))
	expectRedirect(t, r, "/projects/DEMO/workflow")
	r = ana.post("/projects/DEMO/workflow", editorValues(t, anaPage, map[int]map[string]string{4: {"name": "QA", "order": "2"}}))
	expectRedirect(t, r, "/projects/DEMO/workflow")
	if got, want := boardColumns(t, a), "To Do,In Progress,QA,Review,Done"; got != want {
		t.Errorf("workflow %s, want %s", got, want)
	}
	expectText(t, ana.follow(r), "main", "changes others made since you opened it were kept")
	// Ben, still on his first page, renames To Do: Ana's column stays.
	r = ben.post("/projects/DEMO/workflow", editorValues(t, benPage, map[int]map[string]string{0: {"name": "Backlog"}, 2: {"name": "Review"}}))
	expectRedirect(t, r, "/projects/DEMO/workflow")
	if got, want := boardColumns(t, a), "Backlog,In Progress,QA,Review,Done"; got != want {
		t.Errorf("workflow %s, want %s", got, want)
	}
}

func TestWorkflowStaleFormsRenameConflict(t *testing.T) {
	a := newApp(t)
	ana, ben, anaPage, benPage := twoAdminsEditing(t, a)
	r := ben.post("/projects/DEMO/workflow", editorValues(t, benPage, map[int]map[string]string{2: {"name": "Review"}}))
	expectRedirect(t, r, "/projects/DEMO/workflow")
	before := a.eventCount()
	r = ana.post("/projects/DEMO/workflow", editorValues(t, anaPage, map[int]map[string]string{
		2: {"name": "QA"}, 4: {"name": "Later", "order": "9"}}))
	expectStatus(t, r, http.StatusConflict)
	expectText(t, r, `section.conflict[role="alert"]`, "Ben Okafor renamed In Review to Review just now; you wanted QA.",
		"Apply mine anyway", "Keep theirs")
	if r.Doc.Find(`section.conflict form.apply-mine button`).Length() != 1 ||
		r.Doc.Find(`section.conflict a[href="/projects/DEMO/workflow"]`).Text() != "Keep theirs" {
		t.Errorf("the conflict box lacks its two choices")
	}
	// Ana's typed values are kept in the editor.
	if v := formValues(r.Doc.Find("form.workflow-editor")); v["name"][2] != "QA" || v["name"][4] != "Later" {
		t.Errorf("editor names %v, want Ana's values", v["name"])
	}
	if got, want := boardColumns(t, a), "To Do,In Progress,Review,Done"; got != want {
		t.Errorf("a conflict changed the workflow to %s", got)
	}
	if a.eventCount() != before+1 {
		t.Errorf("%d events, want the conflict recorded (%d)", a.eventCount(), before+1)
	}
	expectText(t, ana.get("/projects/DEMO/activity"), "ol.history",
		"Ana Lima tried to change the workflow", "Name of In Review: wanted QA, but Ben Okafor had set it to Review")

	// Apply mine anyway: Ana's changes over the current workflow.
	r = ana.submit(r, "form.apply-mine", nil)
	expectRedirect(t, r, "/projects/DEMO/workflow")
	if got, want := boardColumns(t, a), "To Do,In Progress,QA,Done,Later"; got != want {
		t.Errorf("after apply mine anyway: %s, want %s", got, want)
	}
}

func TestWorkflowConflictKeepTheirs(t *testing.T) {
	a := newApp(t)
	ana, ben, anaPage, benPage := twoAdminsEditing(t, a)
	expectRedirect(t, ben.post("/projects/DEMO/workflow", editorValues(t, benPage, map[int]map[string]string{1: {"wip": "5"}})), "/projects/DEMO/workflow")
	r := ana.post("/projects/DEMO/workflow", editorValues(t, anaPage, map[int]map[string]string{1: {"wip": "2"}}))
	expectStatus(t, r, http.StatusConflict)
	expectText(t, r, "section.conflict", "Ben Okafor set the WIP limit of In Progress to 5 just now; you wanted 2.")
	href, _ := r.Doc.Find(`section.conflict a.button`).Attr("href")
	page := ana.get(href)
	expectStatus(t, page, http.StatusOK)
	if v := formValues(page.Doc.Find("form.workflow-editor")); v["wip"][1] != "5" {
		t.Errorf("keep theirs shows WIP %q, want 5", v["wip"][1])
	}
}
