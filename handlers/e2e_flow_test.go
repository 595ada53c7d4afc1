package handlers_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// e2eFlowReport: the cumulative flow page of the demo has no axe violation, light and
// dark, for a month and a quarter; from the last export link Tab reaches every day of
// the chart in order, each named by its date and its counts per column, then leaves the
// chart; Enter on a day shows its row in the table.
func e2eFlowReport(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	for _, pg := range []struct{ name, query string }{{"flow month", ""}, {"flow quarter", "?range=quarter"}} {
		ben.do("open the "+pg.name, chromedp.Navigate(s.url+"/projects/DEMO/reports/flow"+pg.query))
		ben.waitUntil("the "+pg.name, e2eWait, `document.readyState === "complete" && document.querySelector("table.flow-table")`)
		ben.axeLightAndDark(axeJS, pg.name, "report-"+regexp.MustCompile(`\s`).ReplaceAllString(pg.name, "-"))
	}
	ben.do("open the flow", chromedp.Navigate(s.url+"/projects/DEMO/reports/flow?range=month"))
	ben.waitUntil("the flow", e2eWait, `document.readyState === "complete" && document.querySelector("table.flow-table")`)
	days := e2eEval[int](ben, `document.querySelectorAll("svg.chart a.flow-day").length`)
	rows := e2eEval[int](ben, `document.querySelectorAll("table.flow-table tbody tr").length`)
	if days < 28 || days != rows {
		t.Fatalf("%d focusable days for %d table rows", days, rows)
	}
	ben.exec(`document.querySelector('.flow-controls a[href*="format=json"]').focus()`)
	name := regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}: (To Do \d+, In Progress \d+, In Review \d+, Done \d+ \(\d+ tasks?\)|the project did not exist yet)$`)
	for i := 0; i < days; i++ {
		ben.key("Tab", kb.Tab)
		if !e2eEval[bool](ben, `document.activeElement.matches("svg.chart a.flow-day")`) {
			t.Fatalf("Tab %d reached %s, not day %d of %d", i+1, e2eEval[string](ben, `document.activeElement.outerHTML.slice(0, 120)`), i+1, days)
		}
		if got := ben.accessibleName(":focus"); !name.MatchString(got) {
			t.Errorf("day %d is named %q", i+1, got)
		}
		href := e2eEval[string](ben, `document.activeElement.getAttribute("href")`)
		want := e2eEval[string](ben, `"#" + document.querySelectorAll("table.flow-table tbody tr")[`+itoa(i)+`].id`)
		if href != want {
			t.Errorf("day %d leads to %s, want %s", i+1, href, want)
		}
	}
	ben.key("Tab", kb.Tab)
	if e2eEval[bool](ben, `document.activeElement.closest("svg.chart") !== null`) {
		t.Errorf("Tab after the last day stays in the chart")
	}
	ben.exec(`document.querySelector("svg.chart a.flow-day").focus()`)
	ben.key("Enter", kb.Enter)
	ben.waitUntil("the day's row targeted", e2eWait, `location.hash !== "" && document.querySelector("table.flow-table tr:target") !== null`)
}
