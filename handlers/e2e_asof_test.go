package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tack-pm/tack/store"
)

// e2eBoardAsOf opens the board as it was before a move, in a real browser: the card is
// where it was, nothing on the page can change anything, axe finds no violation (light
// and dark), and the keyboard reaches "Next change →", which shows the card moved.
func e2eBoardAsOf(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ctx := context.Background()
	events, err := s.st.Events(ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	before := events[len(events)-1].Seq
	ana, err := s.st.UserByEmail(ctx, e2eAna.Email)
	if err != nil {
		t.Fatal(err)
	}
	var x *store.Task
	for i := 1; x == nil || x.ColumnID == "c4"; i++ {
		x = s.taskByKey(fmt.Sprint("DEMO-", i)) // the first task not done
	}
	if _, err := s.st.MoveTask(ctx, ana.ID, store.TaskMove{TaskID: x.ID, BaseVersion: x.Version, ColumnID: "c4"}); err != nil {
		t.Fatal(err)
	}

	ben := s.signIn(browser, e2eBen, true)
	ben.do("open the board as it was", chromedp.Navigate(fmt.Sprintf("%s/projects/DEMO/board?at=%d", s.url, before)))
	ben.waitUntil("the banner", e2eWait, `document.readyState === "complete" && document.querySelector("#asof-banner")`)
	where := e2eEval[string](ben, fmt.Sprintf(`document.querySelector('#board-asof li.card a.card-link[href$="/tasks/%s?at=%d"]').closest("section").dataset.column`, x.Key, before))
	if where != x.ColumnID {
		t.Errorf("as of %d %s is in %s, want %s where it was", before, x.Key, where, x.ColumnID)
	}
	if n := e2eEval[int](ben, `document.querySelectorAll("#board-asof form, #board-asof .move-button, [sse-connect], [draggable=true]").length`); n != 0 {
		t.Errorf("the board as it was has %d controls that change things", n)
	}
	ben.axe(axeJS, "board as it was")
	ben.screenshot("board-asof", "")

	// Keyboard: Tab until "Next change →" has the focus, then Enter.
	for i := 0; i < 40 && e2eEval[string](ben, `document.activeElement ? document.activeElement.id : ""`) != "asof-next"; i++ {
		ben.do("tab", chromedp.KeyEvent(kb.Tab))
	}
	if id := e2eEval[string](ben, `document.activeElement.id`); id != "asof-next" {
		t.Fatalf("Tab never reached Next change (focus on %q)", id)
	}
	ben.do("next change", chromedp.KeyEvent(kb.Enter))
	ben.waitUntil("the board after the move", e2eWait, `document.readyState === "complete" && /no change since/.test(document.querySelector("#asof-banner").textContent)`)
	where = e2eEval[string](ben, fmt.Sprintf(`document.querySelector('#board-asof li.card a.card-link[href*="/tasks/%s?at="]').closest("section").dataset.column`, x.Key))
	if where != "c4" {
		t.Errorf("after the move %s is in %s, want c4", x.Key, where)
	}
}

// e2eBacklogAsOf follows the activity page's links to the pages as they were, in a real
// browser: a task's entry leads to the task as of that change (its old title, the
// banner); the backlog as of the same change shows the banner and offers nothing that
// changes anything; axe finds no violation on either page (light and dark).
func e2eBacklogAsOf(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ctx := context.Background()
	ana, err := s.st.UserByEmail(ctx, e2eAna.Email)
	if err != nil {
		t.Fatal(err)
	}
	x := s.taskByKey("DEMO-1")
	res, err := s.st.UpdateTask(ctx, ana.ID, store.TaskUpdate{TaskID: x.ID, BaseVersion: x.Version, Title: store.Opt[string]{Set: true, V: "Retitled for the record"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.UpdateTask(ctx, ana.ID, store.TaskUpdate{TaskID: x.ID, BaseVersion: res.Task.Version, Title: store.Opt[string]{Set: true, V: "Retitled again"}}); err != nil {
		t.Fatal(err)
	}
	events, err := s.st.Events(ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	retitled := events[len(events)-2].Seq // the first retitle

	ben := s.signIn(browser, e2eBen, true)
	ben.do("open the activity page", chromedp.Navigate(s.url+"/projects/DEMO/activity"))
	link := fmt.Sprintf(`#event-%d a.asof-link[href*="/tasks/DEMO-1?at="]`, retitled)
	ben.waitUntil("the activity page", e2eWait, fmt.Sprintf(`document.readyState === "complete" && document.querySelector('%s') !== null`, link))
	ben.axe(axeJS, "activity with links to the pages as they were")
	ben.screenshot("activity-asof-links", "")
	ben.do("follow the task link of the first retitle", chromedp.Click(chromedp.CSS(link)))
	ben.waitUntil("the task as it was", e2eWait, `document.readyState === "complete" && document.querySelector("#task-asof #asof-banner") !== null`)
	if h1 := e2eEval[string](ben, `document.querySelector("#task-asof h1").textContent`); !strings.Contains(h1, "Retitled for the record") {
		t.Errorf("the task as of the first retitle is titled %q", h1)
	}
	if banner := e2eEval[string](ben, `document.querySelector("#asof-banner").textContent`); !strings.Contains(banner, "1 change to DEMO-1 since") {
		t.Errorf("the task's banner says %q", banner)
	}
	ben.axe(axeJS, "task as it was")
	ben.screenshot("task-asof", "")

	ben.do("open the backlog as of the same change", chromedp.Navigate(fmt.Sprintf("%s/projects/DEMO/backlog?at=%d", s.url, retitled)))
	ben.waitUntil("the backlog as it was", e2eWait, `document.readyState === "complete" && document.querySelector("#backlog-asof") !== null`)
	if banner := e2eEval[string](ben, `document.querySelector("#asof-banner").textContent`); !strings.Contains(banner, "As of") || !strings.Contains(banner, "Back to live") || !strings.Contains(banner, "The backlog after change") {
		t.Errorf("the backlog's banner says %q", banner)
	}
	if n := e2eEval[int](ben, `document.querySelectorAll("main form, .move-button, .row-select, [sse-connect], [draggable=true]").length`); n != 0 {
		t.Errorf("the backlog as it was has %d controls that change things", n)
	}
	if n := e2eEval[int](ben, `document.querySelectorAll("#backlog-asof li.plan-row").length`); n == 0 {
		t.Error("the backlog as it was lists no task")
	}
	ben.axe(axeJS, "backlog as it was")
	ben.screenshot("backlog-asof", "")
}
