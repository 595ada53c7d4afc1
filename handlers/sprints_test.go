package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

// sprintDay is the store's clock in the sprint tests: "days left" depends on it.
var sprintDay = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// newSprintApp is newApp with the clock at sprintDay.
func newSprintApp(t *testing.T) *app {
	t.Helper()
	return newAppWith(t, appOptions{now: func() time.Time { return sprintDay }})
}

// sprint creates a planned sprint as Ana with the given DEMO tasks in it.
func (a *app) sprint(name, start, end string, keys ...string) *store.Sprint {
	a.t.Helper()
	s, err := a.st.CreateSprint(a.ctx, a.ana.ID, store.NewSprint{ProjectID: a.demo.ID, Name: name, Start: start, End: end})
	if err != nil {
		a.t.Fatalf("create sprint %q: %v", name, err)
	}
	for _, key := range keys {
		a.planInto(key, s.ID)
	}
	return a.sprintNow(s.ID)
}

// planInto puts a DEMO task in a sprint ("" for the backlog) as Ana.
func (a *app) planInto(key, sprintID string) {
	a.t.Helper()
	tk := a.task(key)
	if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Sprint: store.Some(sprintID)}); err != nil {
		a.t.Fatalf("plan %s into %q: %v", key, sprintID, err)
	}
}

// sprintNow returns a sprint as stored now.
func (a *app) sprintNow(id string) *store.Sprint {
	a.t.Helper()
	s, err := a.st.Sprint(a.ctx, id)
	if err != nil {
		a.t.Fatalf("sprint %s: %v", id, err)
	}
	return s
}

func sprintPath(s *store.Sprint) string { return fmt.Sprintf("/projects/DEMO/sprints/%d", s.Number) }

// TestSprintLifecycleThroughPages creates, starts and completes a sprint through the
// pages as a member, with one unfinished task sent elsewhere than the default, then
// reopens it.
func TestSprintLifecycleThroughPages(t *testing.T) {
	t.Parallel()
	a := newSprintApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	// The default destination of unfinished tasks: the first planned sprint by number.
	existing, err := a.st.Sprints(a.ctx, a.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	var next *store.Sprint
	last := 0
	for _, sp := range existing {
		if sp.State == store.SprintPlanned && (next == nil || sp.Number < next.Number) {
			next = sp
		}
		last = max(last, sp.Number)
	}
	if next == nil {
		next = a.sprint("", "", "")
		last = next.Number
	}

	list := ben.get("/projects/DEMO/sprints")
	expectStatus(t, list, http.StatusOK)
	name := list.Doc.Find("#new-name").AttrOr("placeholder", "")
	if want := fmt.Sprintf("DEMO Sprint %d", last+1); name != want {
		t.Errorf("name placeholder %q, want %q", name, want)
	}
	r := ben.submit(list, "#create-sprint", map[string]string{"goal": "Ship the reports", "start": "", "end": ""})
	wantPath := fmt.Sprintf("/projects/DEMO/sprints/%d", last+1)
	expectRedirect(t, r, wantPath)
	page := ben.follow(r)
	expectText(t, page, ".flash", "Created "+name+".")
	expectText(t, page, "h1", name)
	expectText(t, page, ".sprint-goal", "Ship the reports")
	expectText(t, page, ".sprint-facts", "Planned", "No dates yet")
	// Start prefills today and two weeks on.
	if got := page.Doc.Find("#start-start").AttrOr("value", ""); got != "2026-11-27" {
		t.Errorf("start date prefilled %q, want today 2026-11-27", got)
	}
	if got := page.Doc.Find("#start-end").AttrOr("value", ""); got != "2026-12-11" {
		t.Errorf("end date prefilled %q, want 2026-12-11", got)
	}
	sprints, err := a.st.Sprints(a.ctx, a.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	var s *store.Sprint
	for _, sp := range sprints {
		if sp.Name == name {
			s = sp
		}
	}
	if s == nil || s.Goal != "Ship the reports" || s.State != store.SprintPlanned {
		t.Fatalf("stored sprint %+v", s)
	}
	for _, key := range []string{"DEMO-1", "DEMO-2", "DEMO-9", "DEMO-10"} {
		a.planInto(key, s.ID)
	}

	page = ben.get(wantPath)
	expectText(t, page, "table.sprint-tasks", "DEMO-1", "DEMO-2", "DEMO-9", "DEMO-10")
	if page.Doc.Find(`form[action$="/delete"]`).Length() != 0 {
		t.Errorf("a sprint with tasks offers Delete")
	}
	r = ben.submit(page, "#start-sprint", map[string]string{"end": "2026-12-03"})
	expectRedirect(t, r, wantPath)
	page = ben.follow(r)
	expectText(t, page, ".flash", "Started "+name, "4 tasks")
	expectText(t, page, ".sprint-facts", "Active", "6 days left")
	if got := a.sprintNow(s.ID); got.State != store.SprintActive || got.Start != "2026-11-27" || got.End != "2026-12-03" {
		t.Errorf("after start: %s %s–%s", got.State, got.Start, got.End)
	}

	// The board shows the sprint's tasks, with its header and the switch.
	board := ben.get("/projects/DEMO/board")
	expectStatus(t, board, http.StatusOK)
	expectText(t, board, ".sprint-header", name, "6 days left", "Ship the reports")
	if n := board.Doc.Find("li.card").Length(); n != 4 {
		t.Errorf("sprint board shows %d cards, want 4", n)
	}
	if href := board.Doc.Find(`.sprint-switch a[aria-current="page"]`).Text(); href != "Sprint" {
		t.Errorf("current switch %q, want Sprint", href)
	}
	all := ben.get(board.Doc.Find(`.sprint-switch a:not([aria-current])`).AttrOr("href", ""))
	if n := all.Doc.Find("li.card").Length(); n != 21 {
		t.Errorf("All tasks shows %d cards, want 21", n)
	}

	// Complete: DEMO-1 and DEMO-2 are done (last column); DEMO-9 goes to the default
	// (the next planned sprint), DEMO-10 to the backlog.
	page = ben.get(wantPath)
	r = ben.get(page.Doc.Find(`a[href$="/complete"]`).AttrOr("href", ""))
	expectStatus(t, r, http.StatusOK)
	expectText(t, r, ".completion-summary", "2 done, 2 unfinished")
	if got := r.Doc.Find(`#complete-default option[selected]`).AttrOr("value", ""); got != "sprint:"+next.ID {
		t.Errorf("default destination %q, want the next planned sprint", got)
	}
	done := ben.submit(r, `form[action$="/complete"]`, map[string]string{"to_" + a.task("DEMO-10").ID: "backlog"})
	expectRedirect(t, done, wantPath)
	page = ben.follow(done)
	expectText(t, page, ".flash", "Completed "+name+": 2 done; 1 moved to "+next.Name+", 1 to the backlog.")
	expectText(t, page, ".sprint-facts", "Completed")
	expectText(t, page, "table.carried-out", "DEMO-9", next.Name, "DEMO-10", "Backlog")
	if got := a.task("DEMO-9"); got.SprintID != next.ID || got.CarriedFrom != s.ID {
		t.Errorf("DEMO-9 in %q carried from %q", got.SprintID, got.CarriedFrom)
	}
	if got := a.task("DEMO-10"); got.SprintID != "" {
		t.Errorf("DEMO-10 in %q, want the backlog", got.SprintID)
	}
	task := ben.get("/projects/DEMO/tasks/DEMO-9")
	expectText(t, task, ".carried", "Carried over from "+name)
	if href := task.Doc.Find(".carried a").AttrOr("href", ""); href != wantPath {
		t.Errorf("carried-over link %q, want %q", href, wantPath)
	}
	carried := ben.get("/projects/DEMO/board?carried=1&sprint=all")
	// Both were carried over (DEMO-9 to the next sprint, DEMO-10 to the backlog), with
	// what earlier sprints carried over; DEMO-1, done in the sprint, was not.
	shown := carried.Doc.Find("li.card")
	if shown.Length() == 0 {
		t.Fatal("the Carried over filter shows nothing")
	}
	keys := map[string]bool{}
	shown.Each(func(_ int, c *goquery.Selection) {
		href := c.Find(`a[href*="/tasks/"]`).First().AttrOr("href", "")
		key := href[strings.LastIndex(href, "/")+1:]
		keys[key] = true
		if a.task(key).CarriedFrom == "" {
			t.Errorf("the Carried over filter shows %s, not carried over", key)
		}
	})
	if !keys["DEMO-9"] || !keys["DEMO-10"] || keys["DEMO-1"] {
		t.Errorf("the Carried over filter shows %v, want DEMO-9 and DEMO-10, not DEMO-1", keys)
	}
	if carried.Doc.Find(`#filter-carried[checked]`).Length() != 1 {
		t.Errorf("the Carried over box is not checked")
	}

	// Reopen.
	r = ben.submit(page, `form[action$="/reopen"]`, nil)
	expectRedirect(t, r, wantPath)
	expectText(t, ben.follow(r), ".flash", "Reopened "+name)
	if got := a.sprintNow(s.ID); got.State != store.SprintActive {
		t.Errorf("after reopen %s", got.State)
	}
}

// TestSprintFormErrors: bad dates are refused with the message next to the field, what
// was typed is kept, and nothing is stored.
func TestSprintFormErrors(t *testing.T) {
	t.Parallel()
	a := newSprintApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	list := ben.get("/projects/DEMO/sprints")
	before := a.eventCount()
	for _, tc := range []struct {
		name        string
		set         map[string]string
		field, want string
	}{
		{"not a date", map[string]string{"start": "31/12/2026"}, "start", "is not a date"},
		{"end before start", map[string]string{"start": "2026-12-10", "end": "2026-12-01"}, "end", "before the start date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.set["goal"] = "Typed goal"
			r := ben.submit(list, "#create-sprint", tc.set)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			expectText(t, r, "#err-new-"+tc.field, tc.want)
			if got := r.Doc.Find("#new-"+tc.field).AttrOr("aria-invalid", ""); got != "true" {
				t.Errorf("field %s aria-invalid %q", tc.field, got)
			}
			if got := r.Doc.Find("#new-goal").Text(); got != "Typed goal" {
				t.Errorf("typed goal not kept: %q", got)
			}
		})
	}
	if after := a.eventCount(); after != before {
		t.Errorf("refused creates appended %d events", after-before)
	}

	s := a.sprint("", "", "")
	page := ben.get(sprintPath(s))
	r := ben.submit(page, "#start-sprint", map[string]string{"start": "2026-12-10", "end": "2026-12-01"})
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "#err-start-end", "before the start date")
	if got := r.Doc.Find("#start-start").AttrOr("value", ""); got != "2026-12-10" {
		t.Errorf("typed start not kept: %q", got)
	}
	r = ben.submit(page, "#edit-sprint", map[string]string{"end": "soon"})
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "#err-edit-end", "is not a date")
	if r.Doc.Find("details.sprint-edit[open]").Length() != 1 {
		t.Errorf("the refused edit form is not open")
	}
	if got := a.sprintNow(s.ID); got.State != store.SprintPlanned || got.End != "" {
		t.Errorf("refused forms changed the sprint: %+v", got)
	}

	// A second active sprint is refused unless parallel sprints are allowed.
	a.sprint("", "2026-11-20", "2026-12-04")
	first := a.sprint("", "2026-11-20", "2026-12-04")
	if _, err := a.st.StartSprint(a.ctx, a.ana.ID, store.SprintStart{SprintID: first.ID, BaseVersion: first.Version}); err != nil {
		t.Fatal(err)
	}
	page = ben.get(sprintPath(s))
	r = ben.submit(page, "#start-sprint", nil)
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "#sprint-error", "Another sprint is active", first.Name)
}

// TestSprintEditConflict: Ben and Ana edit the same sprint from the same version. A
// different field merges; the same field shows the conflict, and "apply mine" applies.
func TestSprintEditConflict(t *testing.T) {
	t.Parallel()
	a := newSprintApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	s := a.sprint("", "2026-12-01", "2026-12-14")
	page := ben.get(sprintPath(s))
	anaEdits := func(u store.SprintUpdate) {
		t.Helper()
		cur := a.sprintNow(s.ID)
		u.SprintID, u.BaseVersion = s.ID, cur.Version
		if _, err := a.st.UpdateSprint(a.ctx, a.ana.ID, u); err != nil {
			t.Fatal(err)
		}
	}

	anaEdits(store.SprintUpdate{Name: store.Some("Reports sprint")})
	r := ben.submit(page, "#edit-sprint", map[string]string{"goal": "Ben's goal"})
	expectRedirect(t, r, sprintPath(s))
	expectText(t, ben.follow(r), ".flash", "were kept")
	if got := a.sprintNow(s.ID); got.Name != "Reports sprint" || got.Goal != "Ben's goal" {
		t.Errorf("after the merge: name %q goal %q", got.Name, got.Goal)
	}

	page = ben.get(sprintPath(s))
	anaEdits(store.SprintUpdate{End: store.Some("2026-12-18")})
	before := a.eventCount()
	r = ben.submit(page, "#edit-sprint", map[string]string{"end": "2026-12-21", "goal": "Ben's second goal"})
	expectStatus(t, r, http.StatusConflict)
	expectText(t, r, "section.conflict", "Ana Lima", "2026-12-18", "2026-12-21")
	if got := a.sprintNow(s.ID); got.End != "2026-12-18" || got.Goal != "Ben's goal" {
		t.Errorf("a conflict changed the sprint: end %s goal %q", got.End, got.Goal)
	}
	if after := a.eventCount(); after != before {
		t.Errorf("a conflict appended %d events", after-before)
	}
	if got := r.Doc.Find("#edit-end").AttrOr("value", ""); got != "2026-12-21" {
		t.Errorf("the form lost what Ben typed: end %q", got)
	}
	r = ben.submit(r, "section.conflict form.apply-mine", nil)
	expectRedirect(t, r, sprintPath(s))
	if got := a.sprintNow(s.ID); got.End != "2026-12-21" || got.Goal != "Ben's second goal" || got.Name != "Reports sprint" {
		t.Errorf("after apply mine: %q %q %s", got.Name, got.Goal, got.End)
	}
}

// TestSprintDeleteAndSettings: an empty planned sprint is deleted after asking; only
// admins change the parallel-sprints setting.
func TestSprintDeleteAndSettings(t *testing.T) {
	t.Parallel()
	a := newSprintApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	s := a.sprint("Throwaway", "", "")
	page := ben.get(sprintPath(s))
	expectText(t, page, "details.confirm summary", "Delete sprint")
	r := ben.submit(page, `form[action$="/delete"]`, nil)
	expectRedirect(t, r, "/projects/DEMO/sprints")
	expectText(t, ben.follow(r), ".flash", "Deleted Throwaway.")
	expectStatus(t, ben.get(sprintPath(s)), http.StatusNotFound)

	list := ben.get("/projects/DEMO/sprints")
	if list.Doc.Find(`form[action="/projects/DEMO/sprints/settings"]`).Length() != 0 {
		t.Errorf("a member is shown the settings form")
	}
	r = ben.post("/projects/DEMO/sprints/settings", url.Values{"parallel": {"on"}})
	expectStatus(t, r, http.StatusForbidden)

	ana := a.browser()
	ana.signIn(anaEmail, anaPass)
	list = ana.get("/projects/DEMO/sprints")
	r = ana.submit(list, `form[action="/projects/DEMO/sprints/settings"]`, map[string]string{"parallel": "on"})
	expectRedirect(t, r, "/projects/DEMO/sprints")
	list = ana.follow(r)
	expectText(t, list, ".flash", "Parallel active sprints are allowed now.")
	if list.Doc.Find("#parallel-sprints[checked]").Length() != 1 {
		t.Errorf("the setting is not shown on")
	}
	p, _, err := a.st.ProjectFor(a.ctx, a.ana.ID, "DEMO")
	if err != nil || !p.ParallelSprints {
		t.Fatalf("parallel sprints not stored: %v", err)
	}

	// Two active sprints: the board has a header line for each and shows both sprints' tasks.
	one := a.sprint("", "2026-11-23", "2026-12-04", "DEMO-3")
	two := a.sprint("", "2026-11-23", "2026-12-11", "DEMO-4", "DEMO-5")
	for _, sp := range []*store.Sprint{one, two} {
		if _, err := a.st.StartSprint(a.ctx, a.ana.ID, store.SprintStart{SprintID: sp.ID, BaseVersion: sp.Version}); err != nil {
			t.Fatal(err)
		}
	}
	board := ana.get("/projects/DEMO/board")
	if n := board.Doc.Find(".sprint-lines li").Length(); n != 2 {
		t.Errorf("%d sprint header lines, want 2", n)
	}
	expectText(t, board, ".sprint-lines", one.Name+" · 7 days left", two.Name+" · 14 days left")
	if n := board.Doc.Find("li.card").Length(); n != 3 {
		t.Errorf("board shows %d cards, want the 3 of both sprints", n)
	}
}

// TestSprintBoardCreateAndFilters: on the sprint board a new card goes in the sprint,
// and the filter and the switch survive a filter, a move and a create.
func TestSprintBoardCreateAndFilters(t *testing.T) {
	t.Parallel()
	a := newSprintApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	s := a.sprint("", "2026-11-23", "2026-12-04", "DEMO-3", "DEMO-4")
	if _, err := a.st.StartSprint(a.ctx, a.ana.ID, store.SprintStart{SprintID: s.ID, BaseVersion: s.Version}); err != nil {
		t.Fatal(err)
	}
	board := ben.get("/projects/DEMO/board")
	if _, filtered := board.Doc.Find("#board").Attr("data-filtered"); !filtered {
		t.Errorf("the sprint board is not marked filtered: live updates would add cards outside the sprint")
	}
	r := ben.submit(board, "#board-create", map[string]string{"title": "Written on the sprint board"})
	expectStatus(t, r, http.StatusSeeOther)
	board = ben.follow(r)
	expectText(t, board, "#board-notice", "Created DEMO-64 in To Do, in "+s.Name)
	if got := a.task("DEMO-64"); got.SprintID != s.ID {
		t.Errorf("DEMO-64 created in sprint %q, want %q", got.SprintID, s.ID)
	}
	if board.Doc.Find(`li.card a[href$="/tasks/DEMO-64"]`).Length() == 0 {
		t.Errorf("the new card is not on the sprint board")
	}

	// All tasks with a type filter: the filter bar keeps the switch, moves keep both.
	all := ben.get("/projects/DEMO/board?sprint=all&type=story")
	if got := all.Doc.Find(`form.filter-bar input[name="sprint"]`).AttrOr("value", ""); got != "all" {
		t.Errorf("the filter bar does not keep sprint=all: %q", got)
	}
	if got := all.Doc.Find(`#drag-move input[name="filter"]`).AttrOr("value", ""); got != "sprint=all&type=story" {
		t.Errorf("the drag form carries filter %q", got)
	}
	tk := a.task("DEMO-12")
	r = ben.post("/projects/DEMO/board/move", url.Values{"task": {tk.ID}, "base_version": {fmt.Sprint(tk.Version)},
		"to": {"column:c2"}, "filter": {"sprint=all&type=story"}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "sprint=all") || !strings.Contains(r.Location, "type=story") {
		t.Errorf("move answered %d to %q, want the filter kept", r.Status, r.Location)
	}
	if got := all.Doc.Find(`.filter-bar a`).AttrOr("href", ""); got != "/projects/DEMO/board?sprint=all" {
		t.Errorf("Clear leads to %q, want the all-tasks board", got)
	}
}

// TestSprintAccess: non-members get 404 on every sprint route; viewers see the pages
// without forms and are refused on every POST; a POST without the CSRF token is refused.
func TestSprintAccess(t *testing.T) {
	t.Parallel()
	a := newSprintApp(t)
	planned := a.sprint("", "2026-12-01", "2026-12-14")
	active := a.sprint("", "2026-11-23", "2026-12-04", "DEMO-3")
	if _, err := a.st.StartSprint(a.ctx, a.ana.ID, store.SprintStart{SprintID: active.ID, BaseVersion: active.Version}); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/projects/DEMO/sprints", sprintPath(planned), sprintPath(active), sprintPath(active) + "/complete"}
	posts := []string{"/projects/DEMO/sprints", "/projects/DEMO/sprints/settings", sprintPath(planned),
		sprintPath(planned) + "/start", sprintPath(planned) + "/delete", sprintPath(active) + "/complete", sprintPath(active) + "/reopen"}
	// form returns the values every refused POST sends (a fresh copy: post adds a token).
	form := func() url.Values {
		return url.Values{"base_version": {"1"}, "name": {"Intruder"}, "parallel": {"on"}, "default": {"backlog"}}
	}

	t.Run("non-member", func(t *testing.T) {
		dana := a.browser()
		dana.signUp("dana@example.com", "Dana Outsider", "dana-password")
		before := a.eventCount()
		for _, path := range append(pages, "/projects/DEMO/sprints/999", "/projects/DEMO/sprints/x") {
			expectStatus(t, dana.get(path), http.StatusNotFound)
		}
		for _, path := range posts {
			r := dana.post(path, form())
			expectStatus(t, r, http.StatusNotFound)
			if strings.Contains(r.Body, planned.Name) {
				t.Errorf("POST %s: the 404 names the sprint", path)
			}
		}
		if after := a.eventCount(); after != before {
			t.Errorf("a non-member appended %d events", after-before)
		}
	})

	t.Run("viewer", func(t *testing.T) {
		chloe := a.browser()
		chloe.signIn(chloeEmail, chloePass)
		for _, path := range pages[:3] {
			r := chloe.get(path)
			expectStatus(t, r, http.StatusOK)
			if n := r.Doc.Find(`main form[method="post"]`).Length(); n != 0 {
				t.Errorf("GET %s shows a viewer %d form(s)", path, n)
			}
		}
		before := a.eventCount()
		for _, path := range posts {
			r := chloe.post(path, form())
			expectStatus(t, r, http.StatusForbidden)
			expectText(t, r, ".error-message", "viewer")
		}
		if after := a.eventCount(); after != before {
			t.Errorf("a viewer appended %d events", after-before)
		}
	})

	t.Run("CSRF", func(t *testing.T) {
		ben := a.browser()
		ben.signIn(benEmail, benPass)
		list := ben.get("/projects/DEMO/sprints")
		expectStatus(t, list, http.StatusOK)
		before := a.eventCount()
		for _, path := range posts {
			r := ben.do(http.MethodPost, path, form(), nil)
			expectStatus(t, r, http.StatusForbidden)
		}
		if after := a.eventCount(); after != before {
			t.Errorf("requests without a token appended %d events", after-before)
		}
	})
}

// TestSprintLifecycleRedrawsOpenBoards: starting, renaming and completing the sprint an
// open board shows tells the board to redraw (the sprint's cards and header change).
func TestSprintLifecycleRedrawsOpenBoards(t *testing.T) {
	t.Parallel()
	a := newSprintApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	live := openBoardStream(t, ben)
	s := a.sprint("", "2026-11-23", "2026-12-04", "DEMO-3")
	expectResync := func(what string) {
		t.Helper()
		data := readBoardEvent(t, live)
		if fragment(t, data).Find(`#live-note[data-resync="true"]`).Length() != 1 {
			t.Errorf("%s: the open board got %.300q, want a redraw", what, data)
		}
	}
	// Planning DEMO-3 into a planned sprint is a card update; the start is a redraw.
	readBoardEvent(t, live)
	s, err := a.st.StartSprint(a.ctx, a.ana.ID, store.SprintStart{SprintID: s.ID, BaseVersion: s.Version})
	if err != nil {
		t.Fatal(err)
	}
	expectResync("start")
	if s, err = a.st.UpdateSprint(a.ctx, a.ana.ID, store.SprintUpdate{SprintID: s.ID, BaseVersion: s.Version, Goal: store.Some("New goal")}); err != nil {
		t.Fatal(err)
	}
	expectResync("goal edit")
	if _, err = a.st.CompleteSprint(a.ctx, a.ana.ID, store.SprintCompletion{SprintID: s.ID, BaseVersion: s.Version, Default: store.DestBacklog}); err != nil {
		t.Fatal(err)
	}
	expectResync("completion")
}

// TestTaskPageSprintField: the task page shows the task's sprint and changes it through
// the edit form, with the usual merge rule: Ana puts the task in one sprint while Ben,
// from the same version, picks another; Ben sees the conflict in sprint names, and
// applying his choice moves it.
func TestTaskPageSprintField(t *testing.T) {
	t.Parallel()
	a := newSprintApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	one := a.sprint("Sprint One", "", "")
	two := a.sprint("Sprint Two", "", "")
	editForm := "form.task-form"

	page := ben.get("/projects/DEMO/tasks/DEMO-5")
	expectText(t, page, "dl.facts", "Sprint", "Backlog")
	if got := page.Text(`#sprint option[selected]`); got != "Backlog" {
		t.Errorf("sprint select shows %q, want Backlog", got)
	}
	r := ben.submit(page, editForm, map[string]string{"sprint": one.ID})
	expectRedirect(t, r, "/projects/DEMO/tasks/DEMO-5")
	page = ben.follow(r)
	expectText(t, page, "dl.facts", "Sprint One")
	if got := a.task("DEMO-5").SprintID; got != one.ID {
		t.Fatalf("DEMO-5 in sprint %q, want Sprint One", got)
	}

	// Same version, different sprints: a conflict in names, then "apply mine".
	a.planInto("DEMO-5", two.ID)
	before := a.task("DEMO-5")
	r = ben.submit(page, editForm, map[string]string{"sprint": ""})
	expectStatus(t, r, http.StatusConflict)
	expectText(t, r, "section.conflict", "Ana Lima", "Sprint Two", "Backlog")
	if strings.Contains(r.Text("section.conflict"), two.ID) {
		t.Errorf("the conflict shows a sprint id: %q", r.Text("section.conflict"))
	}
	if got := a.task("DEMO-5"); got.SprintID != two.ID || got.Version != before.Version {
		t.Errorf("a conflict changed DEMO-5: sprint %q v%d", got.SprintID, got.Version)
	}
	if got := r.Text(`#sprint option[selected]`); got != "Backlog" {
		t.Errorf("the form lost Ben's choice: %q", got)
	}
	// The pending conflict stands in place of the card on the board, in sprint names too.
	board := ben.get("/projects/DEMO/board?sprint=all")
	expectText(t, board, "li.card.conflict", "Ana Lima", "Sprint Two", "Backlog")
	if strings.Contains(board.Text("li.card.conflict"), two.ID) {
		t.Errorf("the board's conflict shows a sprint id: %q", board.Text("li.card.conflict"))
	}
	r = ben.submit(r, `section.conflict form`, map[string]string{"choice": "mine"})
	expectRedirect(t, r, "/projects/DEMO/tasks/DEMO-5")
	if got := a.task("DEMO-5").SprintID; got != "" {
		t.Errorf("after apply mine DEMO-5 is in %q, want the backlog", got)
	}

	// A completed sprint is not offered, except as the sprint a task is in.
	s := a.sprint("Done Sprint", "2026-11-16", "2026-11-27", "DEMO-1", "DEMO-6")
	if s, err := a.st.StartSprint(a.ctx, a.ana.ID, store.SprintStart{SprintID: s.ID, BaseVersion: s.Version}); err != nil {
		t.Fatal(err)
	} else if _, err := a.st.CompleteSprint(a.ctx, a.ana.ID, store.SprintCompletion{SprintID: s.ID, BaseVersion: s.Version, Default: store.DestBacklog}); err != nil {
		t.Fatal(err)
	}
	if n := ben.get("/projects/DEMO/tasks/DEMO-5").Doc.Find(`#sprint option[value="` + s.ID + `"]`).Length(); n != 0 {
		t.Errorf("a completed sprint is offered to a task outside it")
	}
	done := ben.get("/projects/DEMO/tasks/DEMO-1")
	if got := done.Text(`#sprint option[selected]`); got != "Done Sprint (completed)" {
		t.Errorf("DEMO-1's sprint select shows %q", got)
	}
	// Saving another field of a task in a completed sprint leaves its sprint alone.
	r = ben.submit(done, editForm, map[string]string{"priority": "low"})
	expectRedirect(t, r, "/projects/DEMO/tasks/DEMO-1")
	if got := a.task("DEMO-1"); got.SprintID != s.ID || got.Priority != store.PriorityLow {
		t.Errorf("DEMO-1 in %q priority %q", got.SprintID, got.Priority)
	}
	carried := ben.get("/projects/DEMO/tasks/DEMO-6")
	expectText(t, carried, ".carried", "Carried over from Done Sprint")
}

// TestDemoBoardShowsItsActiveSprint: on the demo as seeded, the board shows the active
// sprint's cards under its header; All tasks shows every card.
func TestDemoBoardShowsItsActiveSprint(t *testing.T) {
	t.Parallel()
	a := newAppWith(t, appOptions{activeSprint: true})
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	active, err := a.st.ActiveSprints(a.ctx, a.demo.ID)
	if err != nil || len(active) != 1 {
		t.Fatalf("the demo has %d active sprints (%v), want 1", len(active), err)
	}
	tasks, err := a.st.Tasks(a.ctx, a.demo.ID, store.TaskFilter{Sprint: active[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	board := ben.get("/projects/DEMO/board")
	expectStatus(t, board, http.StatusOK)
	expectText(t, board, ".sprint-header", active[0].Name)
	if got := board.Doc.Find("li.card").Length(); got != len(tasks) || got == 0 {
		t.Errorf("the board shows %d cards, want the %d of %s", got, len(tasks), active[0].Name)
	}
	for _, tk := range tasks {
		if board.Doc.Find(`li.card a[href$="/tasks/`+tk.Key+`"]`).Length() != 1 {
			t.Errorf("%s of the sprint is not on the board", tk.Key)
		}
	}
	all := ben.get("/projects/DEMO/board?sprint=all")
	if got := all.Doc.Find("li.card").Length(); got != 21 {
		t.Errorf("All tasks shows %d cards, want 21", got)
	}
}

// TestSprintChangesRenewTheBoardETag: a browser's cached board is not reused after a
// sprint starts or completes, nor on another day (the header counts days left).
func TestSprintChangesRenewTheBoardETag(t *testing.T) {
	t.Parallel()
	var days atomic.Int32 // after sprintDay
	a := newAppWith(t, appOptions{now: func() time.Time { return sprintDay.AddDate(0, 0, int(days.Load())) }})
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	s := a.sprint("", "2026-11-23", "2026-12-04", "DEMO-3")
	etag := ben.get("/projects/DEMO/board").Header.Get("ETag")
	if r := ben.boardWith("/projects/DEMO/board", etag); r.Status != http.StatusNotModified {
		t.Fatalf("unchanged board: %d, want 304", r.Status)
	}
	s, err := a.st.StartSprint(a.ctx, a.ana.ID, store.SprintStart{SprintID: s.ID, BaseVersion: s.Version})
	if err != nil {
		t.Fatal(err)
	}
	r := ben.boardWith("/projects/DEMO/board", etag)
	expectStatus(t, r, http.StatusOK)
	expectText(t, r, ".sprint-header", s.Name, "7 days left")
	etag = r.Header.Get("ETag")
	days.Add(1)
	r = ben.boardWith("/projects/DEMO/board", etag)
	expectStatus(t, r, http.StatusOK)
	expectText(t, r, ".sprint-header", "6 days left")
	etag = r.Header.Get("ETag")
	if _, err := a.st.CompleteSprint(a.ctx, a.ana.ID, store.SprintCompletion{SprintID: s.ID, BaseVersion: s.Version, Default: store.DestBacklog}); err != nil {
		t.Fatal(err)
	}
	r = ben.boardWith("/projects/DEMO/board", etag)
	expectStatus(t, r, http.StatusOK)
	if r.Doc.Find(".sprint-header").Length() != 0 {
		t.Errorf("the completed sprint's header is still shown")
	}
}
