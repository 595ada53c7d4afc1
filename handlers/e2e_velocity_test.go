package handlers_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// e2eVelocity: axe-core finds no violation, light and dark, on the velocity page (points
// and remaining time) and its print layout; from the Print button, Tab reaches every bar
// of the chart in order, each named by its sprint, what it measures and its value, then
// leaves the chart; Enter on a bar shows its sprint's row in the table.
func e2eVelocity(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	ben := s.signIn(browser, e2eBen, true)
	base := s.url + "/projects/DEMO/reports/velocity"
	for _, pg := range []struct{ name, path string }{
		{"velocity page", base},
		{"velocity page in remaining time", base + "?unit=remaining&sprints=all"},
		{"velocity print layout", base + "?print=1"},
	} {
		ben.do("open the "+pg.name, chromedp.Navigate(pg.path))
		ben.waitUntil("the "+pg.name, e2eWait, `document.readyState === "complete" && document.querySelector("table.velocity-table")`)
		ben.axeLightAndDark(axeJS, pg.name, "report-"+regexp.MustCompile(`\W+`).ReplaceAllString(pg.name, "-"))
	}

	ben.do("open the velocity page", chromedp.Navigate(base))
	ben.waitUntil("the Print button", e2eWait, `document.readyState === "complete" && !document.querySelector("button[data-print]").hidden`)
	bars := e2eEval[int](ben, `document.querySelectorAll("svg.velocity-chart a.bar").length`)
	rows := e2eEval[int](ben, `document.querySelectorAll('table.velocity-table tr[data-line="sprint"]').length`)
	if bars == 0 || bars != 2*rows {
		t.Fatalf("%d bars for %d sprints", bars, rows)
	}
	ben.exec(`document.querySelector("button[data-print]").focus()`)
	name := regexp.MustCompile(`^.+: (committed at start|completed) .+$`)
	for i := 0; i < bars; i++ {
		ben.key("Tab", kb.Tab)
		if !e2eEval[bool](ben, fmt.Sprintf(`document.activeElement === document.querySelectorAll("svg.velocity-chart a.bar")[%d]`, i)) {
			t.Fatalf("Tab %d reached %s, not bar %d of %d", i+1, e2eEval[string](ben, `document.activeElement.outerHTML.slice(0, 120)`), i+1, bars)
		}
		if got := ben.accessibleName(":focus"); !name.MatchString(got) {
			t.Errorf("bar %d is named %q", i+1, got)
		}
		href := e2eEval[string](ben, `document.activeElement.getAttribute("href")`)
		want := e2eEval[string](ben, fmt.Sprintf(`"#" + document.querySelectorAll('table.velocity-table tr[data-line="sprint"]')[%d].id`, i/2))
		if href != want {
			t.Errorf("bar %d leads to %s, want %s (two bars per sprint, in the table's order)", i+1, href, want)
		}
	}
	ben.key("Tab", kb.Tab)
	if e2eEval[bool](ben, `document.activeElement.closest("svg.velocity-chart") !== null`) {
		t.Errorf("Tab after the last bar stays in the chart")
	}
	ben.exec(`document.querySelector("svg.velocity-chart a.bar-completed").focus()`)
	ben.key("Enter", kb.Enter)
	ben.waitUntil("the sprint's row targeted", e2eWait, `location.hash !== "" && document.querySelector("table.velocity-table tr:target") !== null`)
}
