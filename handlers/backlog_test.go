package handlers_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// backlogRows returns the task keys of a list on a backlog page, in order.
func backlogRows(r *response, list string) []string {
	var keys []string
	r.Doc.Find("#rows-" + list + " > li.plan-row").Each(func(_ int, s *goquery.Selection) {
		keys = append(keys, s.AttrOr("data-key", ""))
	})
	return keys
}

// newSprint creates a planned sprint in DEMO as Ana.
func (a *app) newSprint(name string) *store.Sprint {
	a.t.Helper()
	sp, err := a.st.CreateSprint(a.ctx, a.ana.ID, store.NewSprint{ProjectID: a.demo.ID, Name: name, Goal: "Ship " + name})
	if err != nil {
		a.t.Fatalf("create sprint %s: %v", name, err)
	}
	return sp
}

// backlogTasks returns the stored backlog list of DEMO (tasks in no open sprint).
func (a *app) backlogTasks() []*store.Task {
	a.t.Helper()
	bl, err := a.st.Backlog(a.ctx, a.demo.ID)
	if err != nil {
		a.t.Fatalf("backlog: %v", err)
	}
	return bl.Backlog.Tasks
}

// planHTMX plans a task from the backlog page as htmx does.
func planHTMX(b *browser, form url.Values) *response {
	b.t.Helper()
	form.Set("_csrf", b.token)
	return b.do(http.MethodPost, "/projects/DEMO/backlog/plan", form, http.Header{"HX-Request": {"true"}})
}

func keysOf(tasks []*store.Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.Key
	}
	return out
}

// TestBacklogPage: the page lists the sprints, then the backlog, in the store's order,
// with each list's size; the project navigation links to it.
func TestBacklogPage(t *testing.T) {
	a := newApp(t)
	sp := a.newSprint("Launch sprint")
	first := a.backlogTasks()[0]
	if _, err := a.st.PlanTask(a.ctx, a.ana.ID, store.TaskPlan{TaskID: first.ID, BaseVersion: first.Version, Sprint: store.Some(sp.ID)}); err != nil {
		t.Fatal(err)
	}
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	page := ben.get("/projects/DEMO/backlog")
	expectStatus(t, page, http.StatusOK)
	if got := page.Doc.Find(`nav.project-nav a[aria-current="page"]`).Text(); got != "Backlog" {
		t.Errorf("the project navigation marks %q as the current page, want Backlog", got)
	}
	bl, err := a.st.Backlog(a.ctx, a.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	var sections []string
	page.Doc.Find("#backlog > section.plan-list").Each(func(_ int, s *goquery.Selection) {
		sections = append(sections, s.AttrOr("data-list", ""))
	})
	var want []string
	for _, l := range bl.Sprints {
		want = append(want, l.Sprint.ID)
		if got, w := backlogRows(page, l.Sprint.ID), keysOf(l.Tasks); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("%s lists %v, want %v", l.Sprint.Name, got, w)
		}
	}
	want = append(want, "backlog")
	if strings.Join(sections, " ") != strings.Join(want, " ") {
		t.Errorf("sections %v, want the sprints then the backlog %v", sections, want)
	}
	if got, w := backlogRows(page, "backlog"), keysOf(bl.Backlog.Tasks); strings.Join(got, " ") != strings.Join(w, " ") {
		t.Errorf("the backlog lists %v, want %v", got, w)
	}
	pts := ""
	if first.Points != nil {
		pts = store.FormatPoints(first.Points)
	} else {
		pts = "0"
	}
	expectText(t, page, "#listhead-"+sp.ID, "Launch sprint", "Planned", "1 task · "+pts+" point", "Ship Launch sprint")
	if href := page.Doc.Find("#listh-"+sp.ID+" a").AttrOr("href", ""); href != fmt.Sprintf("/projects/DEMO/sprints/%d", sp.Number) {
		t.Errorf("the sprint's name links to %q, want its page", href)
	}
	expectText(t, page, "#listhead-backlog", "Backlog", fmt.Sprintf("%d tasks", len(bl.Backlog.Tasks)))
	row := page.Doc.Find("li#task-" + first.ID)
	if row.Find(`input.row-select[aria-label="Select `+first.Key+`"]`).Length() != 1 {
		t.Errorf("the row of %s has no checkbox labelled for it", first.Key)
	}
	if href := row.Find("a.move-button").AttrOr("href", ""); href != "/projects/DEMO/backlog/move/"+first.Key {
		t.Errorf("the Move link goes to %q", href)
	}
	if page.Doc.Find(`script[src="/static/js/backlog.js"]`).Length() != 1 || page.Doc.Find(`script[src="/static/js/board.js"]`).Length() != 0 {
		t.Errorf("the page loads the wrong script")
	}

	// A viewer reads the page but gets no form that changes anything.
	chloe := a.browser()
	chloe.signIn(chloeEmail, chloePass)
	view := chloe.get("/projects/DEMO/backlog")
	expectStatus(t, view, http.StatusOK)
	if n := view.Doc.Find(`main form[method="post"]`).Length(); n != 0 {
		t.Errorf("a viewer's backlog shows %d forms that change state", n)
	}
	if n := view.Doc.Find("input.row-select, a.move-button").Length(); n != 0 {
		t.Errorf("a viewer's backlog shows %d checkboxes or Move links", n)
	}
}

// TestBacklogPlanWithoutJavaScript: the Move page's forms plan a task into a sprint,
// back to the backlog and within its list; each leads back to the page with the
// announcement and focus on the task's Move button.
func TestBacklogPlanWithoutJavaScript(t *testing.T) {
	a := newApp(t)
	sp := a.newSprint("Plain sprint")
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	tk := a.backlogTasks()[1]

	move := ben.get("/projects/DEMO/backlog/move/" + tk.Key)
	expectStatus(t, move, http.StatusOK)
	expectText(t, move, "main", "In Backlog, position 2 of")
	r := ben.submit(move, "form.move-options", map[string]string{"to": "sprint:" + sp.ID})
	expectStatus(t, r, http.StatusSeeOther)
	if !strings.HasPrefix(r.Location, "/projects/DEMO/backlog?") || !strings.Contains(r.Location, "moved="+tk.ID) {
		t.Fatalf("redirect to %q", r.Location)
	}
	back := ben.follow(r)
	expectText(t, back, "#announcer", "Moved "+tk.Key+" to Plain sprint, position 1 of 1.")
	expectText(t, back, "#backlog-notice", "Moved "+tk.Key)
	if _, ok := back.Doc.Find("#move-" + tk.ID).Attr("autofocus"); !ok {
		t.Errorf("the moved task's Move button is not focused")
	}
	if got := backlogRows(back, sp.ID); len(got) != 1 || got[0] != tk.Key {
		t.Errorf("the sprint lists %v, want %s", got, tk.Key)
	}
	if got := a.task(tk.Key).SprintID; got != sp.ID {
		t.Errorf("stored sprint %q, want %q", got, sp.ID)
	}

	// Back to the backlog, then one place down within it.
	move = ben.get("/projects/DEMO/backlog/move/" + tk.Key)
	r = ben.submit(move, "form.move-options", map[string]string{"to": "backlog"})
	expectStatus(t, r, http.StatusSeeOther)
	if got := a.task(tk.Key).SprintID; got != "" {
		t.Fatalf("stored sprint %q after moving to the backlog", got)
	}
	// A move to another list without a place puts the task at its bottom.
	rows := backlogRows(ben.follow(r), "backlog")
	i := indexOf(rows, tk.Key)
	if i != len(rows)-1 {
		t.Fatalf("%s at %d of the backlog %v, want the bottom", tk.Key, i, rows)
	}
	move = ben.get("/projects/DEMO/backlog/move/" + tk.Key)
	if move.Doc.Find(`form.move-options button[value="down"]`).Length() != 0 {
		t.Errorf("the Move page of the last task offers Down")
	}
	r = ben.submit(move, "form.move-options", map[string]string{"to": "up"})
	expectStatus(t, r, http.StatusSeeOther)
	after := backlogRows(ben.follow(r), "backlog")
	if j := indexOf(after, tk.Key); j != i-1 {
		t.Errorf("after Up %s is at %d, want %d: %v", tk.Key, j, i-1, after)
	}
}

func indexOf(keys []string, key string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	return -1
}

// TestBacklogPlanHTMX: a drag answers with the row where the server put it, every
// list's heading and the announcement, not the page.
func TestBacklogPlanHTMX(t *testing.T) {
	a := newApp(t)
	sp := a.newSprint("Drag sprint")
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	expectStatus(t, ben.get("/projects/DEMO/backlog"), http.StatusOK)
	tasks := a.backlogTasks()
	x, y := tasks[0], tasks[2]

	res := planHTMX(ben, url.Values{"task": {x.ID}, "base_version": {fmt.Sprint(x.Version)}, "from": {"backlog"}, "list": {sp.ID}})
	expectStatus(t, res, http.StatusOK)
	expectText(t, res, "#announcer", "Moved "+x.Key+" to Drag sprint, position 1 of 1.")
	if res.Doc.Find(`li#task-`+x.ID+`[hx-swap-oob="delete"]`).Length() != 1 {
		t.Errorf("the answer does not remove the row from where it was")
	}
	if res.Doc.Find(`div[hx-swap-oob="afterbegin:#rows-`+sp.ID+`"] > li#task-`+x.ID).Length() != 1 {
		t.Errorf("the answer does not put the row first in the sprint:\n%.800s", res.Body)
	}
	if res.Doc.Find("section").Length() != 0 || res.Doc.Find("li.plan-row").Length() != 1 {
		t.Errorf("the answer carries more than the row")
	}
	expectText(t, res, `header#listhead-`+sp.ID+`[hx-swap-oob]`, "1 task")
	if res.Doc.Find(`header#listhead-backlog[hx-swap-oob]`).Length() != 1 {
		t.Errorf("the answer lacks the backlog's heading")
	}

	// Into the sprint after x: the server places y after it.
	res = planHTMX(ben, url.Values{"task": {y.ID}, "base_version": {fmt.Sprint(y.Version)}, "from": {"backlog"}, "list": {sp.ID}, "after": {x.ID}})
	expectStatus(t, res, http.StatusOK)
	if res.Doc.Find(`div[hx-swap-oob="afterend:#task-`+x.ID+`"] > li#task-`+y.ID).Length() != 1 {
		t.Errorf("y is not placed after x:\n%.600s", res.Body)
	}
	expectText(t, res, "#announcer", "Moved "+y.Key+" to Drag sprint, position 2 of 2.")
	// Within the sprint, y to the top: a re-rank, which never conflicts, even from an old version.
	res = planHTMX(ben, url.Values{"task": {y.ID}, "base_version": {fmt.Sprint(y.Version)}, "from": {sp.ID}, "list": {sp.ID}, "before": {x.ID}})
	expectStatus(t, res, http.StatusOK)
	expectText(t, res, "#announcer", "Moved "+y.Key+" to Drag sprint, position 1 of 2.")
}

// TestBacklogConflict: Ana moves a task into a sprint; Ben, from the same version, moves
// it to another sprint: he gets the conflict in place of the row, naming Ana and both
// sprints; a reload shows it again; "Move it … anyway" applies his plan.
func TestBacklogConflict(t *testing.T) {
	a := newApp(t)
	s1, s2 := a.newSprint("Sprint Ana"), a.newSprint("Sprint Ben")
	tk := a.backlogTasks()[0]
	if _, err := a.st.PlanTask(a.ctx, a.ana.ID, store.TaskPlan{TaskID: tk.ID, BaseVersion: tk.Version, Sprint: store.Some(s1.ID)}); err != nil {
		t.Fatal(err)
	}
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	expectStatus(t, ben.get("/projects/DEMO/backlog"), http.StatusOK)
	res := planHTMX(ben, url.Values{"task": {tk.ID}, "base_version": {fmt.Sprint(tk.Version)}, "to": {"sprint:" + s2.ID}})
	expectStatus(t, res, http.StatusConflict)
	conflict := `li.plan-row.conflict#task-` + tk.ID
	if res.Doc.Find(`div[hx-swap-oob="afterbegin:#rows-`+s1.ID+`"] > `+conflict).Length() != 1 {
		t.Fatalf("the conflict is not put in place of the row in Sprint Ana:\n%.800s", res.Body)
	}
	expectText(t, res, conflict+" .conflict-text", "Ana Lima moved "+tk.Key+" to Sprint Ana", "Move it to Sprint Ben anyway?")
	expectText(t, res, conflict+` button[value="mine"]`, "Move it to Sprint Ben anyway")
	expectText(t, res, conflict+` button[value="theirs"]`, "Keep it in Sprint Ana")
	expectText(t, res, "#announcer", "Conflict: Ana Lima moved")
	if got := a.task(tk.Key).SprintID; got != s1.ID {
		t.Errorf("stored sprint %q after the refused plan, want Ana's", got)
	}

	page := ben.get("/projects/DEMO/backlog")
	if page.Doc.Find(conflict).Length() != 1 {
		t.Fatalf("a reload does not show the pending conflict")
	}
	if v := page.Doc.Find(conflict+` input[name="return"]`).AttrOr("value", ""); v != "backlog" {
		t.Errorf("the answer returns to %q", v)
	}
	r := ben.submit(page, conflict+" form.conflict-actions", map[string]string{"choice": "mine"})
	expectStatus(t, r, http.StatusSeeOther)
	if !strings.HasPrefix(r.Location, "/projects/DEMO/backlog") {
		t.Errorf("the answer leads to %q, want the backlog", r.Location)
	}
	back := ben.follow(r)
	expectText(t, back, "#announcer", "Moved "+tk.Key+" to Sprint Ben")
	if back.Doc.Find(conflict).Length() != 0 {
		t.Errorf("the conflict is still shown after the answer")
	}
	if got := a.task(tk.Key).SprintID; got != s2.ID {
		t.Errorf("stored sprint %q after answering mine, want Ben's", got)
	}
}

// TestBacklogPlanMany: three selected tasks move to a sprint, each with its own version;
// the one Ana moved meanwhile becomes a conflict shown in place, the others move, and
// the message says both.
func TestBacklogPlanMany(t *testing.T) {
	a := newApp(t)
	s1, s2 := a.newSprint("Many A"), a.newSprint("Many B")
	tasks := a.backlogTasks()
	x, y, z := tasks[0], tasks[1], tasks[2]
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	page := ben.get("/projects/DEMO/backlog")
	if _, err := a.st.PlanTask(a.ctx, a.ana.ID, store.TaskPlan{TaskID: y.ID, BaseVersion: y.Version, Sprint: store.Some(s1.ID)}); err != nil {
		t.Fatal(err)
	}
	var picked []string
	for _, tk := range []*store.Task{x, y, z} {
		picked = append(picked, page.Doc.Find("#sel-"+tk.ID).AttrOr("value", ""))
	}
	form := url.Values{"_csrf": {ben.token}, "to": {"sprint:" + s2.ID}, "task": picked}
	r := ben.do(http.MethodPost, "/projects/DEMO/backlog/plan-many", form, nil)
	expectStatus(t, r, http.StatusSeeOther)
	back := ben.follow(r)
	expectText(t, back, "#announcer", "Moved "+x.Key+" and "+z.Key+".", y.Key+" was moved by someone else meanwhile")
	if got := backlogRows(back, s2.ID); strings.Join(got, " ") != x.Key+" "+z.Key {
		t.Errorf("Many B lists %v, want %s %s", got, x.Key, z.Key)
	}
	if back.Doc.Find(`#rows-`+s1.ID+` li.plan-row.conflict#task-`+y.ID).Length() != 1 {
		t.Errorf("the conflict on %s is not shown in place in Many A", y.Key)
	}
	if got := a.task(y.Key).SprintID; got != s1.ID {
		t.Errorf("%s stored in %q, want Ana's sprint", y.Key, got)
	}

	// Nothing selected, or no target: clear 422s, nothing stored.
	before := a.eventCount()
	for _, bad := range []url.Values{
		{"_csrf": {ben.token}, "to": {"backlog"}},
		{"_csrf": {ben.token}, "to": {"nowhere"}, "task": {x.ID + ":1"}},
		{"_csrf": {ben.token}, "to": {"backlog"}, "task": {x.ID}},
	} {
		r := ben.do(http.MethodPost, "/projects/DEMO/backlog/plan-many", bad, nil)
		expectStatus(t, r, http.StatusUnprocessableEntity)
	}
	if after := a.eventCount(); after != before {
		t.Errorf("refused selections changed the log: %d events, was %d", after, before)
	}
}

// TestBacklogCreate: the one-line form of a sprint creates the task in that sprint; an
// empty title is refused where it was typed.
func TestBacklogCreate(t *testing.T) {
	a := newApp(t)
	sp := a.newSprint("Create sprint")
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	page := ben.get("/projects/DEMO/backlog")
	r := ben.submit(page, "#create-"+sp.ID, map[string]string{"title": "Planned from the start"})
	expectStatus(t, r, http.StatusSeeOther)
	back := ben.follow(r)
	rows := backlogRows(back, sp.ID)
	if len(rows) != 1 {
		t.Fatalf("the sprint lists %v after the create", rows)
	}
	tk := a.task(rows[0])
	if tk.SprintID != sp.ID || tk.Title != "Planned from the start" {
		t.Errorf("created %s in sprint %q titled %q", tk.Key, tk.SprintID, tk.Title)
	}
	expectText(t, back, "#announcer", "Created "+tk.Key+" in Create sprint.")

	res := ben.do(http.MethodPost, "/projects/DEMO/backlog/tasks", url.Values{"_csrf": {ben.token}, "list": {"backlog"}, "title": {"In the backlog"}}, http.Header{"HX-Request": {"true"}})
	expectStatus(t, res, http.StatusOK)
	if res.Doc.Find(`li.plan-row`).Length() != 1 || res.Doc.Find("section").Length() != 0 {
		t.Errorf("the htmx answer is not the new row alone:\n%.600s", res.Body)
	}
	if v := res.Doc.Find(`#create-backlog[hx-swap-oob] input[name="title"]`).AttrOr("value", "x"); v != "" {
		t.Errorf("the backlog's form is not emptied: %q", v)
	}
	before := a.eventCount()
	bad := ben.do(http.MethodPost, "/projects/DEMO/backlog/tasks", url.Values{"_csrf": {ben.token}, "list": {sp.ID}, "title": {"  "}}, http.Header{"HX-Request": {"true"}})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	if bad.Doc.Find(`#create-`+sp.ID+` input[aria-invalid="true"]`).Length() != 1 || bad.Text(".field-error") == "" {
		t.Errorf("the refused create does not mark the title: %.400s", bad.Body)
	}
	if after := a.eventCount(); after != before {
		t.Errorf("a refused create changed the log")
	}
}

// TestBacklogFilter: the board's filters narrow every list; the filter is kept in the
// URL, the Move links and the forms.
func TestBacklogFilter(t *testing.T) {
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	all := a.backlogTasks()
	bugs := 0
	for _, tk := range all {
		if tk.Type == store.TypeBug {
			bugs++
		}
	}
	r := ben.get("/projects/DEMO/backlog?type=bug")
	expectStatus(t, r, http.StatusOK)
	if got := len(backlogRows(r, "backlog")); got != bugs {
		t.Errorf("type=bug shows %d backlog rows, want %d", got, bugs)
	}
	if v := r.Doc.Find(`#filter-type option[selected]`).AttrOr("value", ""); v != "bug" {
		t.Errorf("the filter bar shows type %q", v)
	}
	expectText(t, r, "#listhead-backlog", fmt.Sprintf("%d tasks", len(all)), fmt.Sprintf("%d shown", bugs))
	if bugs > 0 {
		if href := r.Doc.Find("#backlog a.move-button").First().AttrOr("href", ""); !strings.HasSuffix(href, "?type=bug") {
			t.Errorf("Move links go to %q, want the filter kept", href)
		}
	}
	if f := r.Doc.Find(`#plan-drag input[name="filter"]`).AttrOr("value", ""); f != "type=bug" {
		t.Errorf("the drag form carries filter %q", f)
	}
	none := ben.get("/projects/DEMO/backlog?q=no-such-text")
	expectText(t, none, "#list-backlog .empty", "No matching tasks")
}

// TestBacklogAccess: non-members get 404 on every backlog route, viewers cannot plan,
// bad input gets a clear 4xx and a form without its CSRF token is refused; none of it
// changes the log.
func TestBacklogAccess(t *testing.T) {
	a := newApp(t)
	sp := a.newSprint("Guarded")
	tk := a.backlogTasks()[0]
	version := fmt.Sprint(tk.Version)
	dana := a.browser()
	dana.signUp("dana@example.com", "Dana Outsider", "dana-password")
	before := a.eventCount()
	for _, path := range []string{"/projects/DEMO/backlog", "/projects/DEMO/backlog/move/" + tk.Key, "/projects/DEMO/backlog/stream"} {
		expectStatus(t, dana.get(path), http.StatusNotFound)
	}
	for _, path := range []string{"/projects/DEMO/backlog/plan", "/projects/DEMO/backlog/plan-many", "/projects/DEMO/backlog/tasks"} {
		r := dana.post(path, url.Values{"task": {tk.ID}, "base_version": {version}, "to": {"backlog"}, "title": {"Intruder"}})
		expectStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, tk.Title) {
			t.Errorf("404 of %s reveals a task title", path)
		}
	}

	chloe := a.browser()
	chloe.signIn(chloeEmail, chloePass)
	expectStatus(t, chloe.get("/projects/DEMO/backlog"), http.StatusOK)
	expectStatus(t, chloe.get("/projects/DEMO/backlog/move/"+tk.Key), http.StatusForbidden)
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/projects/DEMO/backlog/plan", url.Values{"task": {tk.ID}, "base_version": {version}, "to": {"sprint:" + sp.ID}}},
		{"/projects/DEMO/backlog/plan-many", url.Values{"task": {tk.ID + ":" + version}, "to": {"sprint:" + sp.ID}}},
		{"/projects/DEMO/backlog/tasks", url.Values{"title": {"Viewer task"}, "list": {"backlog"}}},
	} {
		r := chloe.post(tc.path, tc.form)
		expectStatus(t, r, http.StatusForbidden)
		expectText(t, r, ".error-message", "viewer")
	}

	ben := a.browser()
	ben.signIn(benEmail, benPass)
	expectStatus(t, ben.get("/projects/DEMO/backlog"), http.StatusOK)
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		says   string
	}{
		{"no version", url.Values{"task": {tk.ID}, "to": {"backlog"}}, http.StatusUnprocessableEntity, "version"},
		{"unknown target", url.Values{"task": {tk.ID}, "base_version": {version}, "to": {"mars"}}, http.StatusUnprocessableEntity, "Choose"},
		{"nowhere", url.Values{"task": {tk.ID}, "base_version": {version}}, http.StatusUnprocessableEntity, "Choose"},
		{"no such task", url.Values{"task": {"nope"}, "base_version": {version}, "to": {"backlog"}}, http.StatusNotFound, "No such task"},
		{"no such sprint", url.Values{"task": {tk.ID}, "base_version": {version}, "to": {"sprint:nope"}}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ben.post("/projects/DEMO/backlog/plan", tc.form)
			if tc.status == 0 {
				if r.Status < 400 || r.Status >= 500 {
					t.Errorf("status %d, want a 4xx", r.Status)
				}
				return
			}
			expectStatus(t, r, tc.status)
			expectText(t, r, ".error-message", tc.says)
		})
	}
	r := ben.do(http.MethodPost, "/projects/DEMO/backlog/plan", url.Values{"task": {tk.ID}, "base_version": {version}, "to": {"backlog"}}, nil)
	expectStatus(t, r, http.StatusForbidden)
	expectText(t, r, ".error-message", "expired")
	if after := a.eventCount(); after != before {
		t.Errorf("refused requests changed the log: %d events, was %d", after, before)
	}
}

// openBacklogStream opens the DEMO backlog's live stream as b and returns its lines.
func openBacklogStream(t *testing.T, b *browser) <-chan string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+"/projects/DEMO/backlog/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("backlog stream: %d", res.StatusCode)
	}
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// readSSE reads SSE lines until one whole event of the given name and returns its data.
func readSSE(t *testing.T, lines <-chan string, name string) string {
	t.Helper()
	var data []string
	in := false
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("stream ended before a %s event", name)
			}
			switch {
			case line == "event: "+name:
				in = true
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			case line == "":
				if in && len(data) > 0 {
					return strings.Join(data, "\n")
				}
				data, in = nil, false
			}
		case <-timeout:
			t.Fatalf("no %s event within 10 s", name)
		}
	}
}

// TestBacklogLiveUpdate: when Ana plans a task, open backlog pages receive that row with
// where to put it, the lists' headings and who did what; a new sprint makes them redraw.
func TestBacklogLiveUpdate(t *testing.T) {
	a := newApp(t)
	sp := a.newSprint("Live sprint")
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	lines := openBacklogStream(t, ben)
	chloe := a.browser()
	chloe.signIn(chloeEmail, chloePass)
	viewer := openBacklogStream(t, chloe)
	tk := a.backlogTasks()[0]
	if _, err := a.st.PlanTask(a.ctx, a.ana.ID, store.TaskPlan{TaskID: tk.ID, BaseVersion: tk.Version, Sprint: store.Some(sp.ID)}); err != nil {
		t.Fatal(err)
	}
	seen := fragment(t, readSSE(t, viewer, "backlog"))
	if seen.Find(`li.plan-row[data-key="`+tk.Key+`"]`).Length() != 1 || seen.Find("input.row-select, a.move-button").Length() != 0 {
		t.Errorf("a viewer's update is not the row without checkbox and Move control")
	}
	doc := fragment(t, readSSE(t, lines, "backlog"))
	if doc.Find(`li.plan-row[data-key="`+tk.Key+`"] a.move-button`).Length() != 1 {
		t.Errorf("a member's update lacks the row's Move control")
	}
	if doc.Find(`li#task-`+tk.ID+`[hx-swap-oob="delete"]`).Length() != 1 {
		t.Errorf("the update does not remove the row from its old place")
	}
	if doc.Find(`div[hx-swap-oob="afterbegin:#rows-`+sp.ID+`"] > li.plan-row[data-key="`+tk.Key+`"]`).Length() != 1 {
		t.Errorf("the update does not put %s first in the sprint", tk.Key)
	}
	if got := doc.Find("li.plan-row").Length(); got != 1 {
		t.Errorf("the update carries %d rows, want only the planned one", got)
	}
	if doc.Find(`header#listhead-`+sp.ID+`[hx-swap-oob]`).Length() != 1 || doc.Find(`header#listhead-backlog[hx-swap-oob]`).Length() != 1 {
		t.Errorf("the update does not refresh the lists' headings")
	}
	if note := doc.Find("#live-note").AttrOr("data-note", ""); !strings.Contains(note, "Ana Lima") || !strings.Contains(note, "Live sprint") {
		t.Errorf("the update's note %q does not say that Ana moved it to Live sprint", note)
	}
	a.newSprint("Another sprint")
	doc = fragment(t, readSSE(t, lines, "backlog"))
	if doc.Find(`#live-note[data-resync="true"]`).Length() != 1 {
		t.Errorf("a new sprint does not make open backlogs redraw")
	}
}

// TestBacklogCarriedOver: the demo's completed sprint is not listed; the tasks it
// carried over say so on their rows; the active sprint says it is active, with dates.
func TestBacklogCarriedOver(t *testing.T) {
	a := newAppWith(t, appOptions{activeSprint: true}) // the demo as seeded: its sprints are what this test reads
	sprints, err := a.st.Sprints(a.ctx, a.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	bl, err := a.st.Backlog(a.ctx, a.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	page := ben.get("/projects/DEMO/backlog")
	name := map[string]string{}
	var completed, active int
	for _, sp := range sprints {
		name[sp.ID] = sp.Name
		switch sp.State {
		case store.SprintCompleted:
			completed++
			if page.Doc.Find("#list-"+sp.ID).Length() != 0 {
				t.Errorf("completed %s is listed", sp.Name)
			}
		case store.SprintActive:
			active++
			expectText(t, page, "#listhead-"+sp.ID, sp.Name, "Active", views.SprintDates(sp))
		}
	}
	carried := 0
	for _, l := range append(bl.Sprints, bl.Backlog) {
		for _, tk := range l.Tasks {
			if tk.CarriedFrom == "" {
				continue
			}
			carried++
			expectText(t, page, "li#task-"+tk.ID+" .carried", "carried over from "+name[tk.CarriedFrom])
		}
	}
	if completed == 0 || active == 0 || carried == 0 {
		t.Fatalf("the demo has %d completed and %d active sprints and %d carried-over tasks; the test needs one of each", completed, active, carried)
	}
}

// TestBacklogPublisherIdleWithoutWatchers: a plan made while no backlog page (and no
// board) is open makes the publisher read nothing but, at most, the task's project; with
// a backlog page open, that page receives the row.
func TestBacklogPublisherIdleWithoutWatchers(t *testing.T) {
	for _, watched := range []bool{false, true} {
		t.Run(fmt.Sprintf("watched=%v", watched), func(t *testing.T) {
			a, log, h := newCountedApp(t, 0)
			sp := a.newSprint("Quiet sprint")
			ben := a.browser()
			ben.signIn(benEmail, benPass)
			expectStatus(t, ben.get("/projects/DEMO/backlog"), http.StatusOK)
			var lines <-chan string
			if watched {
				ana := a.browser()
				ana.signIn(anaEmail, anaPass)
				lines = openBacklogStream(t, ana)
			}
			tk := a.backlogTasks()[0]
			log.start()
			res := planHTMX(ben, url.Values{"task": {tk.ID}, "base_version": {fmt.Sprint(tk.Version)}, "to": {"sprint:" + sp.ID}})
			expectStatus(t, res, http.StatusOK)
			if watched {
				if doc := fragment(t, readSSE(t, lines, "backlog")); doc.Find(`li.plan-row[data-key="`+tk.Key+`"]`).Length() != 1 {
					t.Errorf("the open backlog did not receive %s", tk.Key)
				}
			}
			h.Close() // the publisher finishes what is queued
			publisher, _ := log.stop()
			if !watched && (len(publisher) > 1 || len(publisher) == 1 && !strings.Contains(publisher[0], "SELECT project_id FROM tasks WHERE id = ?")) {
				t.Errorf("with no page open the publisher read more than the task's project:\n%s", strings.Join(publisher, "\n"))
			}
			if watched && len(publisher) == 0 {
				t.Errorf("the publisher ran no statement: the count is not seeing it")
			}
		})
	}
}
