package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tack-pm/tack/store"
)

// e2eLogSheet logs a week of work (5–11 January 2026, away from the demo's own
// worklogs) by Ana and Ben on three DEMO tasks.
func e2eLogSheet(t *testing.T, s *e2eServer) {
	t.Helper()
	ctx := context.Background()
	for _, l := range []struct {
		who     store.DemoUser
		key     string
		date    string
		minutes int64
	}{
		{e2eAna, "DEMO-1", "2026-01-05", 150},
		{e2eAna, "DEMO-2", "2026-01-07", 75},
		{e2eBen, "DEMO-1", "2026-01-06", 180},
		{e2eBen, "DEMO-3", "2026-01-09", 240},
		{e2eBen, "DEMO-2", "2026-01-11", 30},
	} {
		u, err := s.st.UserByEmail(ctx, l.who.Email)
		if err != nil {
			t.Fatal(err)
		}
		task, err := s.st.TaskByKey(ctx, s.demo, l.key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.st.LogWork(ctx, u.ID, store.NewWorklog{TaskID: task.ID, Date: l.date, Seconds: l.minutes * 60, Comment: "e2e"}); err != nil {
			t.Fatalf("log work on %s: %v", l.key, err)
		}
	}
}

// e2eTimesheetAxe: axe-core finds no violation on the timesheet (own view, team view,
// a refused range) and on the time-tracking settings page (admin's form with an error,
// a member's read-only values), in the light and the dark theme.
func e2eTimesheetAxe(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	e2eLogSheet(t, s)
	ana := s.signIn(browser, e2eAna, true)
	ben := s.signIn(browser, e2eBen, true)

	for _, page := range []struct {
		u        *e2eUser
		name     string
		path     string
		selector string
	}{
		{ben, "own timesheet", "/timesheet?week=2026-01-05", "table.timesheet tbody tr"},
		{ana, "team timesheet", "/projects/DEMO/timesheet?week=2026-01-05&who=team", "table.timesheet tbody tr"},
		{ana, "timesheet with a refused range", "/projects/DEMO/timesheet?from=2026-01-11&to=2026-01-05", "#err-to"},
		{ana, "empty timesheet", "/projects/DEMO/timesheet?week=2025-06-02", ".empty-state"},
		{ana, "settings page", "/projects/DEMO/settings", "form#time-settings"},
		{ben, "read-only settings page", "/projects/DEMO/settings", ".time-settings-facts"},
	} {
		page.u.do("open the "+page.name, chromedp.Navigate(s.url+page.path))
		page.u.waitUntil(page.name+" loaded", e2eWait, fmt.Sprintf(`document.readyState === "complete" && document.querySelector(%q)`, page.selector))
		page.u.axe(axeJS, page.name)
		page.u.screenshot("timesheet-"+strings.ReplaceAll(page.name, " ", "-"), "")
	}

	// Printed, the team view is the table alone: no navigation, filters or links to
	// other weeks.
	ana.do("open the team view", chromedp.Navigate(s.url+"/projects/DEMO/timesheet?week=2026-01-05&who=team"))
	ana.waitUntil("the grid", e2eWait, `document.querySelector("table.timesheet tbody tr")`)
	ana.call("print media", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})
	shown := e2eEval[map[string]string](ana, `Object.fromEntries([".topbar", ".project-nav", ".timesheet-steps", ".timesheet-filters", ".timesheet-csv", "table.timesheet"]
		.map(sel => [sel, getComputedStyle(document.querySelector(sel)).display]))`)
	for sel, display := range shown {
		if (display == "none") != (sel != "table.timesheet") {
			t.Errorf("in print %s has display %s", sel, display)
		}
	}
	ana.call("screen media", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
		return err
	})

	// The settings form refused: the message at its field, and still no violation.
	ana.do("open the settings", chromedp.Navigate(s.url+"/projects/DEMO/settings"))
	ana.waitUntil("the settings form", e2eWait, `document.querySelector("#day-hours")`)
	ana.do("type a bad day", chromedp.SetValue("#day-hours", "25"), chromedp.Click(chromedp.CSS(`form#time-settings button[type=submit]`)))
	ana.waitUntil("the refusal", e2eWait, `document.querySelector("#err-day_hours") && document.readyState === "complete"`)
	ana.axe(axeJS, "settings page with a refused day")
}

// e2eTimesheetKeyboard: Tab alone reaches the previous and next week links and every
// task link of the grid, without getting stuck, and Enter on a task link opens the task.
func e2eTimesheetKeyboard(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	e2eLogSheet(t, s)
	ben := s.signIn(browser, e2eBen, true)
	ben.do("open the timesheet", chromedp.Navigate(s.url+"/projects/DEMO/timesheet?week=2026-01-05"))
	ben.waitUntil("the grid", e2eWait, `document.querySelectorAll("table.timesheet tbody a").length === 3`)

	// What should be reachable: the date links and the grid's task links.
	want := e2eEval[[]string](ben, `[...document.querySelectorAll("nav.timesheet-steps a, table.timesheet tbody a")].map(a => a.getAttribute("href"))`)
	seen := map[string]bool{}
	var order []string
	for i := 0; i < 80; i++ {
		ben.key("Tab", kb.Tab)
		// The element's place in the document (two links may share an address) and its address.
		focused := e2eEval[string](ben, `(a => [...document.querySelectorAll("*")].indexOf(a) + " " + (a.getAttribute("href") || a.id || a.tagName))(document.activeElement)`)
		order = append(order, focused)
		seen[strings.SplitN(focused, " ", 2)[1]] = true
		reached := true
		for _, href := range want {
			reached = reached && seen[href]
		}
		if reached {
			break
		}
	}
	for _, href := range want {
		if !seen[href] {
			t.Errorf("Tab never reached %s; focus went %v", href, order)
		}
	}
	// No trap: focus never came back to an element it had left. (A date input keeps it
	// for a few Tabs, one per part of the date.)
	left := map[string]bool{}
	for i := 1; i < len(order); i++ {
		if order[i] != order[i-1] {
			left[order[i-1]] = true
			if left[order[i]] {
				t.Errorf("focus came back to %s: %v", order[i], order)
			}
		}
	}

	// Enter on the last task link (the last thing Tab reached) opens its task page.
	task := want[len(want)-1]
	if !strings.HasSuffix(order[len(order)-1], " "+task) {
		t.Fatalf("focus is on %s, want the last task link %s", order[len(order)-1], task)
	}
	ben.key("Enter", kb.Enter)
	ben.waitUntil("the task page", e2eWait, fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, task))
}
