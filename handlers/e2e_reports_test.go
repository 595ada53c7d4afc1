package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/ledongthuc/pdf"

	"github.com/tack-pm/tack/store"
)

// e2eDemoReportSprint returns the demo's completed sprint with the most task lines in
// its report, and that count.
func e2eDemoReportSprint(t *testing.T, s *e2eServer) (*store.Sprint, int) {
	t.Helper()
	ctx := context.Background()
	list, err := s.st.Sprints(ctx, s.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	var best *store.Sprint
	most := -1
	for _, sp := range list {
		if sp.State != store.SprintCompleted {
			continue
		}
		r, err := s.st.SprintReport(ctx, sp.ID, store.UnitPoints, 0)
		if err != nil {
			t.Fatalf("report of %s: %v", sp.Name, err)
		}
		keys := map[string]bool{}
		for _, l := range [][]store.ReportTask{r.Committed, r.Completed, r.CompletedOutside, r.NotCompleted} {
			for _, tk := range l {
				keys[tk.Key] = true
			}
		}
		for _, l := range [][]store.ReportChange{r.Added, r.Removed, r.Reestimated} {
			for _, ch := range l {
				keys[ch.Task.Key] = true
			}
		}
		if len(keys) > most {
			best, most = sp, len(keys)
		}
	}
	if best == nil {
		t.Fatal("the demo has no completed sprint")
	}
	return best, most
}

// e2eReportPagesAxe: axe-core finds no violation, light and dark, on the sprint report,
// the burndown page and the print layout of the demo's completed sprint, and on the
// report of a sprint still running (days to come in the chart).
func e2eReportPagesAxe(t *testing.T, browser context.Context, seed string) {
	axeJS := e2eAxeJS(t)
	s := e2eNewServer(t, seed)
	sp, _ := e2eDemoReportSprint(t, s)
	active := newE2ESprints(t, s).create("DEMO Running", true, "DEMO-9", "DEMO-10")
	ben := s.signIn(browser, e2eBen, true)
	base := sprintURLOf(s, sp)
	for _, pg := range []struct{ name, path, ready string }{
		{"sprint report", base + "/report", "table.totals"},
		{"sprint report in remaining time", base + "/report?unit=remaining", "table.totals"},
		{"burndown page", base + "/burndown", "table.burndown-table"},
		{"print layout", base + "/report?print=1", "table.totals"},
		{"running sprint's report", sprintURLOf(s, active) + "/report", "table.burndown-table"},
	} {
		ben.do("open the "+pg.name, chromedp.Navigate(pg.path))
		ben.waitUntil("the "+pg.name, e2eWait, `document.readyState === "complete" && document.querySelector("`+pg.ready+`")`)
		ben.axeLightAndDark(axeJS, pg.name, "report-"+strings.ReplaceAll(pg.name, " ", "-"))
	}
}

// e2eReportKeyboard: from the burndown page's Print button, Tab reaches every data point
// of the chart in order, each named by its date and value, then leaves the chart; Enter
// on a point shows its row in the table.
func e2eReportKeyboard(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	sp, _ := e2eDemoReportSprint(t, s)
	ben := s.signIn(browser, e2eBen, true)
	ben.do("open the burndown", chromedp.Navigate(sprintURLOf(s, sp)+"/burndown"))
	ben.waitUntil("the Print button", e2eWait, `document.readyState === "complete" && !document.querySelector("button[data-print]").hidden`)
	points := e2eEval[int](ben, `document.querySelectorAll("svg.chart a.point").length`)
	days := e2eEval[int](ben, `document.querySelectorAll('table.burndown-table tr[data-future="false"]').length`)
	if points == 0 || points != days {
		t.Fatalf("%d data points for %d known days", points, days)
	}
	ben.exec(`document.querySelector("button[data-print]").focus()`)
	name := regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}( \(non-working day\))?: .+ remaining; guideline .+$`)
	var dates []string
	for i := 0; i < points; i++ {
		ben.key("Tab", kb.Tab)
		if !e2eEval[bool](ben, `document.activeElement.matches("svg.chart a.point")`) {
			t.Fatalf("Tab %d reached %s, not data point %d of %d", i+1, e2eEval[string](ben, `document.activeElement.outerHTML.slice(0, 120)`), i+1, points)
		}
		got := ben.accessibleName(":focus")
		if !name.MatchString(got) {
			t.Errorf("data point %d is named %q", i+1, got)
		}
		dates = append(dates, e2eEval[string](ben, `document.activeElement.getAttribute("href")`))
	}
	for i, href := range dates {
		want := e2eEval[string](ben, fmt.Sprintf(`"#" + document.querySelectorAll('table.burndown-table tr[data-future="false"]')[%d].id`, i))
		if href != want {
			t.Errorf("data point %d leads to %s, want %s (the points follow the days)", i+1, href, want)
		}
	}
	ben.key("Tab", kb.Tab)
	if e2eEval[bool](ben, `document.activeElement.closest("svg.chart") !== null`) {
		t.Errorf("Tab after the last point stays in the chart")
	}
	ben.exec(`document.querySelector("svg.chart a.point").focus()`)
	ben.key("Enter", kb.Enter)
	ben.waitUntil("the day's row targeted", e2eWait, `location.hash !== "" && document.querySelector("table.burndown-table tr:target") !== null`)
}

// e2eReportPrintPDF prints the demo's completed sprint report (at least 40 tasks) to PDF
// with Chromium's printToPDF and the page's own CSS page size, then reads the text of
// each page: the page count is in range, every task key is there, no task row is split
// across pages, each page says "Page X of Y" and carries the running header. The PDF is
// kept in $TACK_ARTIFACT_DIR (or the test's temporary directory) and its path logged.
func e2eReportPrintPDF(t *testing.T, browser context.Context, seed string) {
	s := e2eNewServer(t, seed)
	sp, tasks := e2eDemoReportSprint(t, s)
	if tasks < e2eMinPrintTasks {
		t.Fatalf("the demo's largest completed sprint, %s, has %d tasks in its report; the print test needs at least 40", sp.Name, tasks)
	}
	ben := s.signIn(browser, e2eBen, true)
	for _, paper := range []string{"a4", "letter"} {
		t.Run(paper, func(t *testing.T) {
			url := sprintURLOf(s, sp) + "/report?print=1"
			if paper == "letter" {
				url += "&paper=letter"
			}
			ben.do("open the print layout", chromedp.Navigate(url))
			ben.waitUntil("the print layout", e2eWait, `document.readyState === "complete" && document.querySelector("table.totals")`)
			// Each row's words, from the page as printed: the task tables and the burndown's.
			rows := e2eEval[[][]string](ben, `Array.from(document.querySelectorAll("table.report-tasks tbody tr, table.burndown-table tbody tr")).map(tr =>
				Array.from(tr.cells).flatMap(c => c.innerText.split(/\s+/)).filter(w => w !== ""))`)
			keys := e2eEval[[]string](ben, `Array.from(new Set(Array.from(document.querySelectorAll("table.report-tasks tr[data-key]")).map(tr => tr.dataset.key)))`)
			var data []byte
			ben.call("print to PDF", func(ctx context.Context) error {
				yes := true
				res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
				data = res.Data
				return err
			})
			dir := os.Getenv("TACK_ARTIFACT_DIR")
			if dir == "" {
				dir = t.TempDir()
			}
			path := filepath.Join(dir, fmt.Sprintf("sprint-report-%d-%s.pdf", sp.Number, paper))
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("PDF of %s's report (%d task keys, %s): %s", sp.Name, len(keys), paper, path)
			pages := e2ePDFText(t, data)
			checkPrintedReport(t, pages, rows, keys, "DEMO · "+sp.Name, paper)
		})
	}
}

// e2ePDFText returns the text of each page of a PDF, in reading order.
func e2ePDFText(t *testing.T, data []byte) []string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("read the PDF: %v", err)
	}
	var pages []string
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		rows, err := p.GetTextByRow()
		if err != nil {
			t.Fatalf("text of page %d: %v", i, err)
		}
		var b strings.Builder
		for _, row := range rows {
			for _, w := range row.Content {
				b.WriteString(w.S)
			}
			b.WriteByte('\n')
		}
		pages = append(pages, e2eLigatures.Replace(b.String()))
	}
	return pages
}

// e2eLigatures spells out the ligature glyphs Chromium prints ("ﬁelds" for "fields").
var e2eLigatures = strings.NewReplacer("\ufb00", "ff", "\ufb01", "fi", "\ufb02", "fl", "\ufb03", "ffi", "\ufb04", "ffl")

// checkPrintedReport checks the printed pages of a report: "Page X of Y" and the header
// on each, page count in range, every key present, and each row whole on one page (all
// its words on one page; words compared without spaces, as PDF text runs lose them).
func checkPrintedReport(t *testing.T, pages []string, rows [][]string, keys []string, header, paper string) {
	t.Helper()
	n := len(pages)
	// About 30 table rows fit on a page beside headings; the chart and totals take one.
	lo, hi := 1+len(rows)/60, 3+len(rows)/12
	if n < lo || n > hi {
		t.Errorf("%s: %d pages for %d rows, want %d to %d", paper, n, len(rows), lo, hi)
	}
	compact := make([]string, n)
	for i, p := range pages {
		compact[i] = strings.Join(strings.Fields(p), "")
		if want := fmt.Sprintf("Page%dof%d", i+1, n); !strings.Contains(compact[i], want) {
			t.Errorf("%s: page %d does not say %q:\n%s", paper, i+1, "Page "+strconv.Itoa(i+1)+" of "+strconv.Itoa(n), e2eShort(pages[i]))
		}
		if !strings.Contains(compact[i], strings.Join(strings.Fields(header), "")) {
			t.Errorf("%s: page %d has no header %q", paper, i+1, header)
		}
	}
	all := strings.Join(compact, "")
	for _, k := range keys {
		if !strings.Contains(all, k) {
			t.Errorf("%s: task %s is missing from the PDF", paper, k)
		}
	}
	if len(keys) < e2eMinPrintTasks {
		t.Errorf("%s: the printed report lists %d tasks, want at least 40", paper, len(keys))
	}
	for _, row := range rows {
		whole := false
		for _, p := range compact {
			ok := true
			for _, w := range row {
				if !strings.Contains(p, w) {
					ok = false
					break
				}
			}
			if ok {
				whole = true
				break
			}
		}
		if !whole {
			t.Errorf("%s: the row %q is not whole on any one page", paper, strings.Join(row, " "))
		}
	}
}

// e2eMinPrintTasks is how many tasks the printed demo report must list.
const e2eMinPrintTasks = 40
