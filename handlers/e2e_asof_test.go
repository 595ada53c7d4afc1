package handlers_test

import (
	"context"
	"fmt"
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
	where := e2eEval[string](ben, fmt.Sprintf(`document.querySelector('#board-asof li.card a.card-link[href$="/tasks/%s"]').closest("section").dataset.column`, x.Key))
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
	where = e2eEval[string](ben, fmt.Sprintf(`document.querySelector('#board-asof li.card a.card-link[href$="/tasks/%s"]').closest("section").dataset.column`, x.Key))
	if where != "c4" {
		t.Errorf("after the move %s is in %s, want c4", x.Key, where)
	}
}
