package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
)

// Browser tests of time tracking: logging work from the task page (the section and a
// second person's open page update), from the board by keyboard (w on a focused card),
// without JavaScript, and axe on the task page with worklogs and on the panel's form.

// e2eUserID returns a demo person's stored id.
func (s *e2eServer) userID(du store.DemoUser) string {
	s.t.Helper()
	u, err := s.st.UserByEmail(context.Background(), du.Email)
	if err != nil {
		s.t.Fatal(err)
	}
	return u.ID
}

// e2eTaskByKey returns a DEMO task by key.
func (s *e2eServer) taskByKey(key string) *store.Task {
	s.t.Helper()
	tk, err := s.st.TaskByKey(context.Background(), s.demo, key)
	if err != nil {
		s.t.Fatalf("task %s: %v", key, err)
	}
	return tk
}

// estimate sets a task's original estimate (and, with none, its remaining one) as Ana.
func (s *e2eServer) estimate(key string, seconds int64) *store.Task {
	s.t.Helper()
	tk := s.taskByKey(key)
	res, err := s.st.UpdateTask(context.Background(), s.userID(e2eAna), store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Estimate: store.Some(&seconds), Remaining: store.Some(&seconds)})
	if err != nil {
		s.t.Fatalf("estimate %s: %v", key, err)
	}
	return res.Task
}

// openTask loads a task page and, with JavaScript on, waits for its live time stream.
func (u *e2eUser) openTask(key string, live bool) {
	u.t.Helper()
	u.do("open "+key, chromedp.Navigate(u.srv.url+"/projects/DEMO/tasks/"+key))
	u.waitUntil(key+" shown", e2eWait, `document.readyState === "complete" && document.getElementById("time-tracking")`)
	if live {
		u.waitUntil("time stream open", 15*time.Second, `(document.querySelector(".time-live")||{dataset:{}}).dataset.connected === "true"`)
	}
}

// e2eTimeFacts is a JS expression: the time section's sentence of numbers.
const e2eTimeFacts = `document.querySelector("#time-facts .time-summary").textContent`

// e2eLogWorkFromTaskPage: Ben logs 2h from the task page; the section answers in place
// (numbers, bar, list, focus on what was saved), Ana's open page of the task follows
// live, and the history shows the worklog.
func e2eLogWorkFromTaskPage(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	const key = "DEMO-5"
	tk := s.estimate(key, 8*3600)
	cal := s.demo.Calendar()
	want := cal.Format(tk.Logged+2*3600) + " logged"
	ben := s.signIn(browser, e2eBen, true)
	ana := s.signIn(browser, e2eAna, true)
	ben.openTask(key, true)
	ana.openTask(key, true)
	ana.exec(`window.e2eLoaded = "before"`)
	bar := `document.querySelector("#time-facts .time-bar-logged").getAttribute("width")`
	barBefore := e2eEval[string](ana, bar)

	ben.do("fill the log-work form",
		chromedp.SendKeys(chromedp.CSS("#log-spent"), "2h"),
		chromedp.SendKeys(chromedp.CSS("#log-comment"), "Paired on the parser"),
		chromedp.Click(chromedp.CSS(`#log-work button[type="submit"]`)))
	ben.waitUntil("logged", e2eWait, `(document.querySelector(".time-status")||{}).textContent === "Logged 2h on `+key+`."`)
	ben.waitUntil("focus on the message", e2eWait, `document.activeElement && document.activeElement.matches(".time-status")`)
	if got := e2eEval[string](ben, e2eTimeFacts); !strings.Contains(got, want) {
		t.Errorf("Ben's section says %q, want %q", got, want)
	}
	ben.waitUntil("worklog listed", e2eWait, `document.querySelector("table.worklogs tbody tr").textContent.includes("Paired on the parser")`)
	if v := e2eEval[string](ben, `document.getElementById("log-spent").value`); v != "" {
		t.Errorf("the log-work form still holds %q after saving", v)
	}
	ana.waitUntil("Ana's page follows", e2eWait, e2eTimeFacts+`.includes("`+want+`")`)
	ana.waitUntil("Ana's list follows", e2eWait, `document.querySelector("table.worklogs tbody tr").textContent.includes("Ben Okafor")`)
	if e2eEval[string](ana, bar) == barBefore {
		t.Errorf("Ana's bar did not move (logged width %s)", barBefore)
	}
	if got := e2eEval[string](ana, `window.e2eLoaded || ""`); got != "before" {
		t.Error("Ana's page was reloaded")
	}
	if got := s.taskByKey(key).Logged; got != tk.Logged+2*3600 {
		t.Errorf("stored logged %d, want %d", got, tk.Logged+2*3600)
	}
	ben.openTask(key, false)
	ben.waitUntil("history shows the worklog", e2eWait, `document.querySelector("ol.history").textContent.includes("logged 2h")`)
}

// e2eLogWorkByKeyboard: on the board, j focuses a card, w opens its panel on the
// log-work form, typing and Enter log the work, and the panel's numbers change.
func e2eLogWorkByKeyboard(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	ben.openBoard(true)
	ben.waitUntil("board script ready", e2eWait, `window.tackBoard`)
	ben.do("show the shortcuts", chromedp.Click(chromedp.CSS("#shortcuts-toggle > summary")))
	if help := e2eEval[string](ben, `document.getElementById("board-shortcuts").textContent`); !strings.Contains(help, "log work") {
		t.Errorf("the shortcuts list does not mention w: %q", help)
	}
	ben.key("?", "?")
	ben.exec(`document.activeElement.blur()`)
	ben.key("j", "j")
	ben.waitUntil("a card focused", e2eWait, `document.activeElement && document.activeElement.matches("#board a.card-link")`)
	x := e2eEval[e2eCard](ben, `(() => { const c = document.activeElement.closest("li.card");
		return {id: c.id.slice(5), key: c.querySelector(".card-link small").textContent, version: c.dataset.version}; })()`)
	before := s.task(x.ID).Logged
	ben.key("w", "w")
	ben.waitUntil("panel open on the log-work form", e2eWait, `document.getElementById("task-panel").open && document.activeElement && document.activeElement.id === "log-date"`)
	if path := e2eEval[string](ben, `location.pathname`); path != "/projects/DEMO/board" {
		t.Fatalf("w left the board for %s", path)
	}
	ben.axe(axeJS, "board with the card panel's log-work form")
	ben.screenshot("time-panel", "")

	// Typing w in a field types it: the panel's spent field takes it, nothing else moves.
	// (A date input takes Tab between its own parts: go to the field straight.)
	ben.do("go to the time-spent field", chromedp.Focus(chromedp.CSS("#log-spent")))
	ben.do("type the time", chromedp.KeyEvent("1h 30mw"))
	ben.do("fix the typo", chromedp.KeyEvent("\b"))
	ben.key("Enter", "\r")
	want := duration.Default.Format(before+5400) + " logged"
	ben.waitUntil("panel numbers changed", e2eWait, `document.querySelector("#task-panel #time-facts .time-summary").textContent.includes("`+want+`")`)
	ben.waitUntil("message in the panel", e2eWait, `(document.querySelector("#task-panel .time-status")||{}).textContent === "Logged 1h 30m on `+x.Key+`."`)
	if got := s.task(x.ID).Logged; got != before+5400 {
		t.Errorf("stored logged %d, want %d", got, before+5400)
	}
	if !e2eEval[bool](ben, `document.getElementById("task-panel").open`) {
		t.Error("logging work closed the panel")
	}

	// Ana logs work on the card meanwhile: Ben's open panel follows.
	if _, err := s.st.LogWork(context.Background(), s.userID(e2eAna), store.NewWorklog{TaskID: x.ID, Date: time.Now().UTC().Format(time.DateOnly), Seconds: 1800, Comment: "Ana's half hour"}); err != nil {
		t.Fatal(err)
	}
	want = duration.Default.Format(before+5400+1800) + " logged"
	ben.waitUntil("panel follows Ana's worklog", e2eWait, `document.querySelector("#task-panel #time-facts .time-summary").textContent.includes("`+want+`") && document.querySelector("#task-panel table.worklogs").textContent.includes("Ana's half hour")`)
	if !e2eEval[bool](ben, `document.activeElement.matches("#task-panel .time-status")`) {
		t.Errorf("the live update moved the focus to %s", e2eEval[string](ben, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	ben.key("Escape", "\u001b")
	ben.waitUntil("panel closed, focus on the card", e2eWait, fmt.Sprintf(`!document.getElementById("task-panel").open && document.activeElement.matches("#task-%s a.card-link")`, x.ID))
}

// e2eTimeWithoutJavaScript: with scripts off, a card's link leads to the task page,
// where work is logged, edited on the worklog's own page and deleted after confirming.
func e2eTimeWithoutJavaScript(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, false)
	ben.openBoard(false)
	x := ben.cardAt("c2", 0)
	before := s.task(x.ID).Logged
	ben.do("follow the card's link", chromedp.Click(chromedp.CSS("#task-"+x.ID+" a.card-link")))
	ben.waitUntil("the task page", e2eWait, `location.pathname === "/projects/DEMO/tasks/`+x.Key+`" && document.readyState === "complete"`)
	ben.do("log work",
		chromedp.SendKeys(chromedp.CSS("#log-spent"), "45m"),
		chromedp.SendKeys(chromedp.CSS("#log-comment"), "Without scripts"),
		chromedp.Click(chromedp.CSS(`#log-work button[type="submit"]`)))
	ben.waitUntil("back on the task page", e2eWait, `document.readyState === "complete" && document.querySelector(".flash")`)
	ben.expectVisible("after logging", ".flash", "Logged 45m on "+x.Key+".")
	if got := s.task(x.ID).Logged; got != before+45*60 {
		t.Fatalf("stored logged %d, want %d", got, before+45*60)
	}
	row := `table.worklogs tbody tr:has(td.col-comment)`
	ben.waitUntil("listed", e2eWait, `Array.from(document.querySelectorAll("`+row+`")).some(r => r.textContent.includes("Without scripts"))`)

	ben.do("edit it", chromedp.Click(chromedp.CSS(`table.worklogs tbody tr:first-child .col-actions a:first-child`)))
	ben.waitUntil("the edit page", e2eWait, `document.readyState === "complete" && document.querySelector("#change-worklog #wl-spent")`)
	ben.do("change the time", chromedp.SetValue(chromedp.CSS("#wl-spent"), "1h"), chromedp.Click(chromedp.CSS(`#change-worklog button[type="submit"]`)))
	ben.waitUntil("saved", e2eWait, `document.readyState === "complete" && document.querySelector(".flash")`)
	ben.expectVisible("after the edit", ".flash", "Saved the worklog on "+x.Key+".")
	if got := s.task(x.ID).Logged; got != before+3600 {
		t.Fatalf("stored logged %d after the edit, want %d", got, before+3600)
	}

	ben.do("delete it", chromedp.Click(chromedp.CSS(`table.worklogs tbody tr:first-child .col-actions a:last-child`)))
	ben.waitUntil("the delete confirmation", e2eWait, `document.readyState === "complete" && document.querySelector("#change-worklog h3").textContent.startsWith("Delete")`)
	ben.do("confirm", chromedp.Click(chromedp.CSS(`#change-worklog button[type="submit"]`)))
	ben.waitUntil("deleted", e2eWait, `document.readyState === "complete" && document.querySelector(".flash")`)
	ben.expectVisible("after the delete", ".flash", "Deleted the worklog of 1h on "+x.Key+".")
	if got := s.task(x.ID).Logged; got != before {
		t.Errorf("stored logged %d after the delete, want %d", got, before)
	}
}

// e2eTimeAxe: axe finds no violation, light and dark, on a task page with worklogs, an
// overrun and a remaining estimate someone set (the why sentence), and with a worklog's
// edit form open in place.
func e2eTimeAxe(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	const key = "DEMO-6"
	ctx := context.Background()
	s.estimate(key, 2*3600)
	for _, who := range []store.DemoUser{e2eBen, e2eAna} {
		if _, err := s.st.LogWork(ctx, s.userID(who), store.NewWorklog{TaskID: s.taskByKey(key).ID, Date: time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly),
			Start: "09:30", Seconds: 90 * 60, Comment: "Work by " + who.Name}); err != nil {
			t.Fatal(err)
		}
	}
	tk := s.taskByKey(key)
	one := int64(3600)
	if _, err := s.st.UpdateTask(ctx, s.userID(e2eAna), store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Remaining: store.Some(&one)}); err != nil {
		t.Fatal(err)
	}
	ben := s.signIn(browser, e2eBen, true)
	ben.openTask(key, true)
	ben.waitUntil("overrun shown", e2eWait, `document.querySelector(".time-over") && document.querySelector(".time-why")`)
	ben.axeLightAndDark(axeJS, "task page with worklogs", "time-task")
	ben.screenshot("time-section", "#time-tracking")
	ben.do("open the edit form", chromedp.Click(chromedp.CSS(`table.worklogs .col-actions a:first-child`)))
	ben.waitUntil("edit form in place", e2eWait, `document.activeElement && document.activeElement.closest("#change-worklog")`)
	ben.axe(axeJS, "task page with a worklog's edit form")
	ben.screenshot("time-edit", "#time-tracking")
}
