package handlers_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tack-pm/tack/store"
)

// e2eSprints gives the sprint browser tests the store as Ana, the admin.
type e2eSprints struct {
	t   *testing.T
	s   *e2eServer
	ana *store.User
}

func newE2ESprints(t *testing.T, s *e2eServer) *e2eSprints {
	t.Helper()
	ana, err := s.st.UserByEmail(context.Background(), e2eAna.Email)
	if err != nil {
		t.Fatal(err)
	}
	return &e2eSprints{t: t, s: s, ana: ana}
}

// byName returns the DEMO sprint with this name.
func (x *e2eSprints) byName(name string) *store.Sprint {
	x.t.Helper()
	list, err := x.s.st.Sprints(context.Background(), x.s.demo.ID)
	if err != nil {
		x.t.Fatal(err)
	}
	for _, sp := range list {
		if sp.Name == name {
			return sp
		}
	}
	x.t.Fatalf("no sprint named %q", name)
	return nil
}

// plan puts the DEMO task with this key in a sprint as Ana.
func (x *e2eSprints) plan(key, sprintID string) {
	x.t.Helper()
	ctx := context.Background()
	tk, err := x.s.st.TaskByKey(ctx, x.s.demo, key)
	if err != nil {
		x.t.Fatal(err)
	}
	if _, err := x.s.st.UpdateTask(ctx, x.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Sprint: store.Some(sprintID)}); err != nil {
		x.t.Fatalf("plan %s: %v", key, err)
	}
}

// create makes a planned sprint as Ana with these tasks, started when start is set.
func (x *e2eSprints) create(name string, start bool, keys ...string) *store.Sprint {
	x.t.Helper()
	ctx := context.Background()
	sp, err := x.s.st.CreateSprint(ctx, x.ana.ID, store.NewSprint{ProjectID: x.s.demo.ID, Name: name, Goal: "Goal of " + name})
	if err != nil {
		x.t.Fatal(err)
	}
	for _, k := range keys {
		x.plan(k, sp.ID)
	}
	if start {
		today := x.s.st.Now()
		if sp, err = x.s.st.Sprint(ctx, sp.ID); err != nil {
			x.t.Fatal(err)
		}
		if sp, err = x.s.st.StartSprint(ctx, x.ana.ID, store.SprintStart{SprintID: sp.ID, BaseVersion: sp.Version,
			Start: store.Some(today.Format("2006-01-02")), End: store.Some(today.AddDate(0, 0, 6).Format("2006-01-02"))}); err != nil {
			x.t.Fatal(err)
		}
	}
	return sp
}

func sprintURLOf(s *e2eServer, sp *store.Sprint) string {
	return s.url + "/projects/DEMO/sprints/" + strconv.Itoa(sp.Number)
}

// flashSays is a page condition: the flash message holds text.
func flashSays(text string) string {
	return fmt.Sprintf(`document.readyState === "complete" && document.querySelector(".flash") && document.querySelector(".flash").textContent.includes(%q)`, text)
}

// e2eSprintLifecycle: Ben creates a sprint on the sprints page, puts a task in it from
// the task page, starts it; the board shows the sprint's cards with its header, and the
// switch shows all tasks and back; he completes it sending one unfinished task to the
// backlog and the other to the default (the next planned sprint), and the task carried
// over says so.
func e2eSprintLifecycle(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	x := newE2ESprints(t, s)
	ben := s.signIn(browser, e2eBen, true)

	ben.do("open the sprints page", chromedp.Navigate(s.url+"/projects/DEMO/sprints"))
	ben.waitUntil("the create form", e2eWait, `document.querySelector("#create-sprint")`)
	name := e2eEval[string](ben, `document.querySelector("#new-name").placeholder`)
	ben.do("create a sprint",
		chromedp.SendKeys(chromedp.CSS("#new-goal"), "Finish the reports"),
		chromedp.Click(chromedp.CSS("#create-sprint button[type=submit]")),
	)
	ben.waitUntil("the new sprint's page", e2eWait, flashSays("Created "+name+"."))
	sp := x.byName(name)

	ben.do("open DEMO-9", chromedp.Navigate(s.url+"/projects/DEMO/tasks/DEMO-9"))
	ben.waitUntil("the task form", e2eWait, `document.querySelector("form.task-form #sprint")`)
	ben.do("put DEMO-9 in the sprint",
		chromedp.SetValue(chromedp.CSS("form.task-form #sprint"), sp.ID),
		chromedp.Click(chromedp.CSS("form.task-form button[type=submit]")),
	)
	ben.waitUntil("saved", e2eWait, flashSays("Saved DEMO-9."))
	ben.expectVisible("on the task page", "dl.facts", name)
	x.plan("DEMO-1", sp.ID) // done: in the last column
	x.plan("DEMO-10", sp.ID)

	ben.do("open the sprint", chromedp.Navigate(sprintURLOf(s, sp)))
	ben.waitUntil("the start form", e2eWait, `document.querySelector("#start-sprint")`)
	ben.do("start it", chromedp.Click(chromedp.CSS("#start-sprint button[type=submit]")))
	ben.waitUntil("started", e2eWait, flashSays("Started "+name))

	ben.do("open the board", chromedp.Navigate(s.url+"/projects/DEMO/board"))
	ben.waitUntil("the sprint board", e2eWait, `document.querySelector(".sprint-header") && document.querySelectorAll("#board li.card").length === 3`)
	ben.expectVisible("on the board", ".sprint-header", name+" · 14 days left")
	ben.expectVisible("on the board", ".sprint-header .sprint-goal", "Finish the reports")
	ben.waitConnected(true)
	ben.do("show all tasks", chromedp.Click(chromedp.CSS(`.sprint-switch a:not([aria-current])`)))
	ben.waitUntil("all tasks", e2eWait, `location.search === "?sprint=all" && document.querySelectorAll("#board li.card").length === 21`)
	// The page was loaded by a click: chromedp's copy of the DOM may still be the previous
	// page's for a moment (its node ids then fail), so act through the page's own script.
	ben.exec(`document.querySelector(".sprint-switch a:not([aria-current])").click()`)
	ben.waitUntil("the sprint's cards", e2eWait, `location.search === "" && document.querySelectorAll("#board li.card").length === 3`)
	ben.waitConnected(true)
	// Filtering (htmx, no reload) keeps the switch's links up to date with the filter.
	ben.do("filter by type", chromedp.SetValue(chromedp.CSS("#filter-type"), "story"))
	ben.exec(`document.getElementById("filter-type").dispatchEvent(new Event("change", {bubbles: true}))`)
	ben.waitUntil("filtered", e2eWait, `new URLSearchParams(location.search).get("type") === "story" && document.querySelector('.sprint-switch a:not([aria-current])').getAttribute("href").includes("type=story")`)
	ben.do("reload without the filter", chromedp.Navigate(s.url+"/projects/DEMO/board"))
	ben.waitUntil("unfiltered", e2eWait, `location.search === "" && document.readyState === "complete" && document.querySelectorAll("#board li.card").length === 3`)
	ben.waitConnected(true)

	// Ana moves a card outside the sprint, then one in it: Ben's sprint board shows the
	// second move (live, by a redraw from the server) and never the card outside.
	ctx := context.Background()
	for _, key := range []string{"DEMO-12", "DEMO-10"} {
		tk, err := s.st.TaskByKey(ctx, s.demo, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.st.MoveTask(ctx, x.ana.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: "c2"}); err != nil {
			t.Fatal(err)
		}
	}
	ben.waitUntil("Ana's move of DEMO-10 shown", e2eWait, `document.querySelector('#col-c2 li.card a[href$="/tasks/DEMO-10"]')`)
	if e2eEval[bool](ben, `document.querySelector('#board li.card a[href$="/tasks/DEMO-12"]') !== null`) {
		t.Errorf("a card outside the sprint appeared on the sprint board")
	}
	if n := e2eEval[int](ben, `document.querySelectorAll("#board li.card").length`); n != 3 {
		t.Errorf("the sprint board shows %d cards after the live updates, want 3", n)
	}

	ben.do("open the sprint", chromedp.Navigate(sprintURLOf(s, sp)))
	ben.do("open the complete page", chromedp.Click(chromedp.CSS(`a[href$="/complete"]`)))
	ben.waitUntil("the complete page", e2eWait, `document.querySelector(".completion-summary")`)
	ben.expectVisible("on the complete page", ".completion-summary", "1 done, 2 unfinished")
	demo10, err := s.st.TaskByKey(ctx, s.demo, "DEMO-10")
	if err != nil {
		t.Fatal(err)
	}
	// Loaded by a click, as above: set and send the form through the page's script.
	ben.exec(`document.getElementById("to-` + demo10.ID + `").value = "backlog";
		document.querySelector('form[action$="/complete"] button[type=submit]').click()`)
	ben.waitUntil("completed", e2eWait, flashSays("Completed "+name+": 1 done"))
	ben.expectVisible("after completing", ".sprint-facts", "Completed")
	demo9, err := s.st.TaskByKey(ctx, s.demo, "DEMO-9")
	if err != nil {
		t.Fatal(err)
	}
	if demo9.SprintID == "" || demo9.SprintID == sp.ID || demo9.CarriedFrom != sp.ID {
		t.Errorf("DEMO-9 in sprint %q carried from %q, want a new sprint, carried from %s", demo9.SprintID, demo9.CarriedFrom, sp.ID)
	}
	if to, err := s.st.Sprint(ctx, demo9.SprintID); err == nil {
		ben.expectVisible("after completing", ".flash", "1 moved to "+to.Name+", 1 to the backlog")
	}
	if demo10, _ = s.st.TaskByKey(ctx, s.demo, "DEMO-10"); demo10.SprintID != "" {
		t.Errorf("DEMO-10 in sprint %q, want the backlog", demo10.SprintID)
	}
	ben.do("open DEMO-9", chromedp.Navigate(s.url+"/projects/DEMO/tasks/DEMO-9"))
	ben.waitUntil("the task page", e2eWait, `document.querySelector("dl.facts")`)
	ben.expectVisible("on the carried-over task", ".carried", "Carried over from "+name)
}

// e2eSprintPagesAxe: axe-core finds no violation, light and dark, on the sprints list,
// a planned sprint's page (start form, edit form open), an active sprint's page, a
// completed one (carried-over tasks, reopen question open), the complete page and the
// board with two active sprints' header.
func e2eSprintPagesAxe(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	x := newE2ESprints(t, s)
	if err := s.st.SetParallelSprints(context.Background(), x.ana.ID, s.demo.ID, true); err != nil {
		t.Fatal(err)
	}
	active := x.create("DEMO Reports", true, "DEMO-1", "DEMO-9", "DEMO-10")
	x.create("DEMO Search", true, "DEMO-20")
	planned := x.create("", false, "DEMO-11")
	ben := s.signIn(browser, e2eBen, true)

	ben.do("open the sprints page", chromedp.Navigate(s.url+"/projects/DEMO/sprints"))
	ben.waitUntil("the sprints page", e2eWait, `document.querySelector("#create-sprint")`)
	ben.axeLightAndDark(axeJS, "sprints page", "sprints")

	ben.do("open the planned sprint", chromedp.Navigate(sprintURLOf(s, planned)))
	ben.waitUntil("the planned sprint", e2eWait, `document.querySelector("#start-sprint")`)
	ben.do("open the edit form", chromedp.Click(chromedp.CSS("details.sprint-edit > summary")))
	ben.waitUntil("the edit form open", e2eWait, `document.querySelector("details.sprint-edit").open`)
	ben.axeLightAndDark(axeJS, "planned sprint page", "sprint-planned")

	ben.do("open the active sprint", chromedp.Navigate(sprintURLOf(s, active)))
	ben.waitUntil("the active sprint", e2eWait, `document.querySelector("table.sprint-tasks")`)
	ben.axeLightAndDark(axeJS, "active sprint page", "sprint-active")

	ben.do("open the demo's completed sprint", chromedp.Navigate(s.url+"/projects/DEMO/sprints/2"))
	ben.waitUntil("its carried-over tasks", e2eWait, `document.querySelector("table.carried-out") && document.querySelector("details.confirm")`)
	ben.do("open the reopen question", chromedp.Click(chromedp.CSS("details.confirm > summary")))
	ben.axeLightAndDark(axeJS, "completed sprint page", "sprint-completed")

	ben.do("open the complete page", chromedp.Navigate(sprintURLOf(s, active)+"/complete"))
	ben.waitUntil("the complete page", e2eWait, `document.querySelector("#complete-default")`)
	ben.axeLightAndDark(axeJS, "complete page", "sprint-complete")

	ben.do("open the board", chromedp.Navigate(s.url+"/projects/DEMO/board"))
	ben.waitUntil("the sprint header", e2eWait, `document.querySelectorAll(".sprint-lines li").length === 2`)
	if got := e2eEval[string](ben, `document.querySelector(".sprint-lines").textContent`); !strings.Contains(got, "DEMO Reports") || !strings.Contains(got, "6 days left") {
		t.Errorf("sprint header says %q", got)
	}
	ben.axeLightAndDark(axeJS, "board with two active sprints", "board-sprints")
}
