package handlers_test

import (
	"fmt"
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

// TestWorkflowCategories: the editor shows each column's status category as a labelled
// select set to the one in effect; a plain form post (no JavaScript) marks a column
// Done; the activity says so; a bad category or a workflow without a done column is
// refused with the reason and nothing stored.
func TestWorkflowCategories(t *testing.T) {
	a := newApp(t)
	ana := a.browser()
	ana.signIn(anaEmail, anaPass)
	page := ana.get("/projects/DEMO/workflow")
	expectStatus(t, page, http.StatusOK)
	var shown []string
	page.Doc.Find(`form.workflow-editor select[name="category"]`).Each(func(i int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if label := page.Doc.Find(`label[for="` + id + `"]`).Text(); !strings.HasPrefix(label, "Status category of ") {
			t.Errorf("select %s is labelled %q", id, label)
		}
		shown = append(shown, s.Find("option[selected]").AttrOr("value", ""))
	})
	if got, want := strings.Join(shown, ","), "todo,in_progress,in_progress,done,in_progress,in_progress"; got != want {
		t.Errorf("categories shown %s, want %s", got, want)
	}
	if n := page.Doc.Find(`select[name="category"] option`).Length(); n != 18 {
		t.Errorf("%d options, want 3 per row", n)
	}

	// Mark In Review (row 2) Done, and add "Won't do" at the end marked Done.
	r := ana.post("/projects/DEMO/workflow", editorValues(t, page, map[int]map[string]string{
		2: {"category": "done"}, 4: {"name": "Won't do", "category": "done"}}))
	expectRedirect(t, r, "/projects/DEMO/workflow")
	p, err := a.st.Project(a.ctx, a.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	var cats []string
	for _, c := range p.Columns {
		cats = append(cats, c.Name+"="+string(c.Category))
	}
	if got, want := strings.Join(cats, ","), "To Do=todo,In Progress=in_progress,In Review=done,Done=done,Won't do=done"; got != want {
		t.Errorf("stored %s, want %s", got, want)
	}
	page = ana.get("/projects/DEMO/workflow")
	if v := formValues(page.Doc.Find("form.workflow-editor")); strings.Join(v["category"], ",") != "todo,in_progress,done,done,done,in_progress,in_progress" {
		t.Errorf("editor after saving: %v", v["category"])
	}
	// Moving To Do to the end keeps every category: nothing is inferred from the place.
	r = ana.post("/projects/DEMO/workflow", editorValues(t, page, map[int]map[string]string{0: {"order": "9"}}))
	expectRedirect(t, r, "/projects/DEMO/workflow")
	page = ana.get("/projects/DEMO/workflow")
	if v := formValues(page.Doc.Find("form.workflow-editor")); strings.Join(v["name"][:5], ",") != "In Progress,In Review,Done,Won't do,To Do" ||
		strings.Join(v["category"][:5], ",") != "in_progress,done,done,done,todo" {
		t.Errorf("after moving To Do last: %v %v", v["name"], v["category"])
	}
	// Changing only a category says just that.
	r = ana.post("/projects/DEMO/workflow", editorValues(t, page, map[int]map[string]string{1: {"category": "in_progress"}}))
	expectRedirect(t, r, "/projects/DEMO/workflow")
	expectText(t, ana.get("/projects/DEMO/activity"), "ol.history", "Ana Lima marked In Review as In progress")

	before := a.eventCount()
	page = ana.get("/projects/DEMO/workflow")
	r = ana.post("/projects/DEMO/workflow", editorValues(t, page, map[int]map[string]string{4: {"category": "finished"}}))
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "main", `Status category of "To Do" must be to do, in progress or done.`)
	r = ana.post("/projects/DEMO/workflow", editorValues(t, page, map[int]map[string]string{
		2: {"category": "in_progress"}, 3: {"category": "todo"}}))
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "main", "A workflow needs at least one column marked Done")
	// What the admin chose is still in the form.
	if v := formValues(r.Doc.Find("form.workflow-editor")); v["category"][2] != "in_progress" || v["category"][3] != "todo" {
		t.Errorf("the refused form shows %v", v["category"])
	}
	if a.eventCount() != before {
		t.Errorf("refused workflows appended events")
	}

	// A member reads the categories.
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	expectText(t, ben.get("/projects/DEMO/workflow"), "main ol", "In Review (In progress, WIP limit 2)", "Won't do (Done)")
}

func TestWorkflowCategoryConflict(t *testing.T) {
	a := newApp(t)
	ana, ben, anaPage, benPage := twoAdminsEditing(t, a)
	expectRedirect(t, ben.post("/projects/DEMO/workflow", editorValues(t, benPage, map[int]map[string]string{2: {"category": "todo"}})),
		"/projects/DEMO/workflow")
	r := ana.post("/projects/DEMO/workflow", editorValues(t, anaPage, map[int]map[string]string{2: {"category": "done"}}))
	expectStatus(t, r, http.StatusConflict)
	expectText(t, r, "section.conflict", "Ben Okafor marked In Review as To do just now; you wanted Done.")
	if v := formValues(r.Doc.Find("form.workflow-editor")); v["category"][2] != "done" {
		t.Errorf("editor shows %q for In Review, want Ana's done", v["category"][2])
	}
	expectText(t, ana.get("/projects/DEMO/activity"), "ol.history", "Status category of In Review: wanted Done, but Ben Okafor had set it to To do")
	r = ana.submit(r, "form.apply-mine", nil)
	expectRedirect(t, r, "/projects/DEMO/workflow")
	p, err := a.st.Project(a.ctx, a.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Done("c3") {
		t.Errorf("after apply mine anyway In Review is %s", p.Category("c3"))
	}
}

// TestAPIColumnCategories: the API gives each column its category in effect, and done
// follows the category rather than the place, checked against the OpenAPI document.
func TestAPIColumnCategories(t *testing.T) {
	e := newAPIEnv(t)
	p, err := e.st.Project(e.ctx, e.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	cols := append([]store.Column(nil), p.Columns...)
	cols[2].Category = store.CategoryDone
	cols[3].Category = store.CategoryInProgress
	if err := e.st.ChangeWorkflow(e.ctx, e.ana.ID, p.ID, p.Version, cols); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Columns []struct {
			Name     string `json:"name"`
			Category string `json:"category"`
			Done     bool   `json:"done"`
		} `json:"columns"`
	}
	for _, path := range []string{"/projects/DEMO/columns", "/projects/DEMO"} {
		e.get(t, e.chloeTok, path).expect(t, http.StatusOK).decode(t, &out)
		var got []string
		for _, c := range out.Columns {
			got = append(got, fmt.Sprintf("%s=%s/%v", c.Name, c.Category, c.Done))
		}
		if want := "To Do=todo/false,In Progress=in_progress/false,In Review=done/true,Done=in_progress/false"; strings.Join(got, ",") != want {
			t.Errorf("%s: %s, want %s", path, strings.Join(got, ","), want)
		}
	}
}
