package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tack-pm/tack/store"
)

// e2ePanel opens a card on the board, edits its title in place, meets a conflict in
// the panel and applies the change anyway, checks the panel with axe, and closes it with
// Escape, focus back on the card.
func e2ePanel(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	ben.openBoard(true)
	x := ben.cardAt("c1", 1)
	link := fmt.Sprintf("#task-%s a.card-link", x.ID)

	// Until the board's script runs, Enter follows the link to the task page (the
	// no-JavaScript path); wait for it so the test is about the panel.
	ben.waitUntil("board script ready", e2eWait, `window.tackBoard && document.querySelector("`+link+`")`)
	ben.do("focus the card", chromedp.Focus(chromedp.CSS(link)))
	ben.key("Enter", "\r")
	ben.waitUntil("panel open", e2eWait, `document.getElementById("task-panel").open && document.activeElement && document.activeElement.name === "title"`)
	if path := e2eEval[string](ben, `location.pathname`); path != "/projects/DEMO/board" {
		t.Fatalf("Enter on a card left the board for %s", path)
	}
	ben.axe(axeJS, "board with a card panel open")

	// Edit in place: the panel says it saved; the card on the board shows the new title.
	ben.exec(`document.querySelector('#task-panel input[name="title"]').value = "Retitled in the panel"`)
	ben.do("save", chromedp.Click(chromedp.CSS(`#task-panel button[type="submit"][form="panel-task-form"]`)))
	ben.waitUntil("saved", e2eWait, `(document.querySelector("#task-panel .panel-status")||{}).textContent === "Saved `+x.Key+`."`)
	ben.waitUntil("card retitled", e2eWait, fmt.Sprintf(`document.querySelector("#task-%s .card-title").textContent === "Retitled in the panel"`, x.ID))
	if got := s.task(x.ID).Title; got != "Retitled in the panel" {
		t.Fatalf("stored title %q", got)
	}

	// Ana changes the title meanwhile: Ben's save from the panel is a conflict, shown in
	// the panel with focus on "Apply my change anyway"; applying it saves his title.
	ana, err := s.st.UserByEmail(context.Background(), e2eAna.Email)
	if err != nil {
		t.Fatal(err)
	}
	tk := s.task(x.ID)
	if _, err := s.st.UpdateTask(context.Background(), ana.ID, store.TaskUpdate{TaskID: x.ID, BaseVersion: tk.Version, Title: store.Some("Ana's title")}); err != nil {
		t.Fatal(err)
	}
	ben.exec(`document.querySelector('#task-panel input[name="title"]').value = "Ben's title"`)
	ben.do("save again", chromedp.Click(chromedp.CSS(`#task-panel button[type="submit"][form="panel-task-form"]`)))
	ben.waitUntil("conflict in the panel", e2eWait, `document.activeElement && document.activeElement.matches("#task-panel [data-conflict-confirm]")`)
	text := e2eEval[string](ben, `document.querySelector("#task-panel .conflict").textContent`)
	for _, want := range []string{"Ana Lima", "Ana's title", "Ben's title"} {
		if !strings.Contains(text, want) {
			t.Errorf("panel conflict %q does not mention %q", strings.Join(strings.Fields(text), " "), want)
		}
	}
	ben.axe(axeJS, "card panel with a conflict")
	ben.screenshot("panel-conflict", "")
	ben.key("Enter", "\r")
	ben.waitUntil("applied anyway", e2eWait, `(document.querySelector("#task-panel .panel-status")||{}).textContent.startsWith("Saved")`)
	if got := s.task(x.ID).Title; got != "Ben's title" {
		t.Errorf("after applying anyway the title is %q", got)
	}

	ben.key("Escape", "\u001b")
	ben.waitUntil("panel closed, focus on the card", e2eWait, `!document.getElementById("task-panel").open && document.activeElement.matches("`+link+`")`)
}
