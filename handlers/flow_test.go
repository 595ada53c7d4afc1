package handlers_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

// newFlowApp serves the demo with a clock from Tuesday 1 December 2026 (after the
// seeding, which happens at the real time): DEMO-8 moves to In Progress on the 1st at
// 10:00 UTC and to Done on the 2nd at 15:00 UTC, a cycle of 29 hours. The clock then
// stands on the 3rd.
func newFlowApp(t *testing.T) (*app, *reportClock) {
	t.Helper()
	clock := &reportClock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	if real := time.Now().UTC(); !real.Before(clock.now) {
		clock.now = real.Add(24 * time.Hour).Truncate(24 * time.Hour).Add(10 * time.Hour)
	}
	a := newAppWith(t, appOptions{now: clock.Now})
	move := func(key string, col int) {
		t.Helper()
		tk := a.task(key)
		if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: a.demo.Columns[col].ID}); err != nil {
			t.Fatalf("move %s: %v", key, err)
		}
	}
	move("DEMO-8", 0)
	move("DEMO-8", 1)
	clock.set(clock.Now().Add(29 * time.Hour))
	move("DEMO-8", 3)
	clock.set(clock.Now().Add(24 * time.Hour))
	return a, clock
}

func flowPath(a *app, from, to time.Time, extra string) string {
	p := "/projects/DEMO/reports/flow?from=" + from.Format(time.DateOnly) + "&to=" + to.Format(time.DateOnly)
	if extra != "" {
		p += "&" + extra
	}
	return p
}

// flowTableCells reads the page's flow table: per date, per column id, the cell text.
func flowTableCells(r *response) map[string]map[string]string {
	out := map[string]map[string]string{}
	r.Doc.Find("table.flow-table tbody tr").Each(func(_ int, tr *goquery.Selection) {
		row := map[string]string{}
		tr.Find("td[data-column]").Each(func(_ int, td *goquery.Selection) {
			if td.HasClass("absent") {
				row[td.AttrOr("data-column", "")] = ""
			} else {
				row[td.AttrOr("data-column", "")] = strings.TrimSpace(td.Text())
			}
		})
		row["total"] = strings.TrimSpace(tr.Find("td[data-total]").Text())
		out[tr.AttrOr("data-date", "")] = row
	})
	return out
}

// TestFlowReportNumbers: the page's table, chart, cycle table, CSV and JSON all give
// the store's numbers; the move of DEMO-8 shows as one task from To Do to In Progress
// on day 1 and to Done on day 2, and its cycle time is 29 hours.
func TestFlowReportNumbers(t *testing.T) {
	t.Parallel()
	a, clock := newFlowApp(t)
	b := a.browser()
	b.signIn(chloeEmail, chloePass) // a viewer reads reports
	day1 := clock.Now().Add(-53 * time.Hour)
	day3 := clock.Now()
	r := b.get(flowPath(a, day1, day3, ""))
	expectStatus(t, r, http.StatusOK)
	expectText(t, r, "h1", "Cumulative flow and cycle time")
	fl, err := a.st.CumulativeFlow(a.ctx, a.demo.ID, day1.Format(time.DateOnly), day3.Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	cells := flowTableCells(r)
	if len(cells) != 3 || len(fl.Days) != 3 {
		t.Fatalf("%d table rows, %d days; want 3", len(cells), len(fl.Days))
	}
	todo, doing, done := a.demo.Columns[0].ID, a.demo.Columns[1].ID, a.demo.Columns[3].ID
	for _, d := range fl.Days {
		for _, c := range d.Columns {
			if got := cells[d.Date][c.ColumnID]; got != strconv.Itoa(c.Count) {
				t.Errorf("%s %s: table %q, store %d", d.Date, c.Name, got, c.Count)
			}
		}
	}
	n := func(day int, col string) int { c, _ := fl.Days[day].Count(col); return c }
	if n(0, doing) == 0 || n(1, doing) != n(0, doing)-1 || n(1, done) != n(0, done)+1 || n(1, todo) != n(0, todo) {
		t.Errorf("DEMO-8's move to Done on day 2 does not show: %+v", fl.Days)
	}
	if days := r.Doc.Find("svg.chart a.flow-day").Length(); days != 3 {
		t.Errorf("%d focusable days, want 3", days)
	}
	if bands := r.Doc.Find("svg.chart polygon.flow-band").Length(); bands != 4 {
		t.Errorf("%d bands, want 4", bands)
	}
	name := r.Doc.Find("svg.chart a.flow-day").Eq(1).AttrOr("aria-label", "")
	if !strings.Contains(name, "Done "+strconv.Itoa(n(1, done))) || !strings.Contains(name, "In Progress "+strconv.Itoa(n(1, doing))) {
		t.Errorf("day 2's accessible name %q", name)
	}
	row := r.Doc.Find(`table.cycle-table tr[data-key="DEMO-8"]`)
	if row.AttrOr("data-seconds", "") != "104400" || !strings.Contains(row.Text(), "29.0") || !strings.Contains(row.Text(), "1.21") {
		t.Errorf("DEMO-8's cycle row: %q (seconds %q)", row.Text(), row.AttrOr("data-seconds", ""))
	}
	if row.Find(`a[href="/projects/DEMO/tasks/DEMO-8"]`).Length() != 1 {
		t.Errorf("the cycle row does not link to DEMO-8")
	}

	// CSV: the same cells as the table, and the cycle table row for row.
	rows := readCSV(t, b.get(flowPath(a, day1, day3, "format=csv")))
	if len(rows) != 4 || rows[0][0] != "date" || rows[0][len(rows[0])-1] != "total" {
		t.Fatalf("flow CSV: %v", rows)
	}
	for i, d := range fl.Days {
		if rows[i+1][0] != d.Date {
			t.Errorf("CSV row %d is %s, want %s", i+1, rows[i+1][0], d.Date)
		}
		for j, s := range fl.Series {
			if got, want := rows[i+1][j+1], cells[d.Date][s.ColumnID]; got != want {
				t.Errorf("CSV %s %s: %q, table %q", d.Date, s.Name, got, want)
			}
		}
		if rows[i+1][len(rows[i+1])-1] != cells[d.Date]["total"] {
			t.Errorf("CSV total %s: %q, table %q", d.Date, rows[i+1][len(rows[i+1])-1], cells[d.Date]["total"])
		}
	}
	crow := readCSV(t, b.get(flowPath(a, day1, day3, "format=csv&table=cycle")))
	var tableRows int
	r.Doc.Find("table.cycle-table tbody tr").Each(func(i int, tr *goquery.Selection) {
		tableRows++
		if i+1 >= len(crow) || crow[i+1][0] != tr.AttrOr("data-key", "") || crow[i+1][4] != tr.AttrOr("data-seconds", "") {
			t.Errorf("cycle CSV row %d: %v, table %s %s", i+1, crow, tr.AttrOr("data-key", ""), tr.AttrOr("data-seconds", ""))
		}
	})
	if len(crow) != tableRows+1 || tableRows == 0 {
		t.Errorf("cycle CSV has %d rows for %d table rows", len(crow)-1, tableRows)
	}

	// JSON: the store's reports.
	jr := b.get(flowPath(a, day1, day3, "format=json"))
	expectStatus(t, jr, http.StatusOK)
	var got struct {
		Flow  store.FlowReport  `json:"flow"`
		Cycle store.CycleReport `json:"cycle"`
	}
	if err := json.Unmarshal([]byte(jr.Body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Flow.Days) != 3 || got.Cycle.Median != 104400 || got.Cycle.P85 != 104400 {
		t.Errorf("JSON: %d days, median %d, p85 %d", len(got.Flow.Days), got.Cycle.Median, got.Cycle.P85)
	}
	for i, d := range got.Flow.Days {
		for _, c := range d.Columns {
			if cells[d.Date][c.ColumnID] != strconv.Itoa(c.Count) {
				t.Errorf("JSON day %d %s: %d, table %q", i, c.Name, c.Count, cells[d.Date][c.ColumnID])
			}
		}
	}
	expectText(t, r, `[data-stat="median"]`, "1.21 days (29.0 hours)")

	// The default is the last month; the board links to the page.
	def := b.get("/projects/DEMO/reports/flow")
	expectStatus(t, def, http.StatusOK)
	if n := def.Doc.Find("table.flow-table tbody tr").Length(); n < 28 || n > 31 {
		t.Errorf("default range has %d days, want a month", n)
	}
	if b.get("/projects/DEMO/board").Doc.Find(`a.board-report-link[href="/projects/DEMO/reports/flow"]`).Length() != 1 {
		t.Errorf("the board does not link to the flow report")
	}
	if n := b.get("/projects/DEMO/reports/flow?range=week").Doc.Find("table.flow-table tbody tr").Length(); n != 7 {
		t.Errorf("a week has %d days", n)
	}
}

// TestFlowReportRefusals: non-members get 404; a bad range gets 422 with a message.
func TestFlowReportRefusals(t *testing.T) {
	t.Parallel()
	a, clock := newFlowApp(t)
	outsider := a.browser()
	outsider.signUp("dana@example.com", "Dana Outsider", "dana-password")
	for _, path := range []string{"/projects/DEMO/reports/flow", "/projects/DEMO/reports/flow?format=csv", "/projects/DEMO/reports/flow?format=json", "/projects/NOPE/reports/flow"} {
		r := outsider.get(path)
		expectStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, "DEMO-8") || strings.Contains(r.Body, "In Progress") {
			t.Errorf("%s: the 404 shows the project's data", path)
		}
	}
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	today := clock.Now().Format(time.DateOnly)
	tomorrow := clock.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	for _, tc := range []struct{ query, says string }{
		{"range=year", `There is no range "year"`},
		{"from=2026-13-01&to=" + today, `from="2026-13-01" is not a date`},
		{"from=" + today + "&to=yesterday", `to="yesterday" is not a date`},
		{"from=" + today + "&to=2020-01-01", "before it begins"},
		{"from=2020-01-01&to=" + today, "a report covers at most 366 days"},
		{"from=" + today + "&to=" + tomorrow, "is in the future"},
		{"to=" + today, "Say where the range begins"},
		{"range=week&from=" + today, "not both"},
		{"format=pdf", `There is no report format "pdf"`},
		{"format=csv&table=x", `There is no table "x"`},
	} {
		r := b.get("/projects/DEMO/reports/flow?" + tc.query)
		expectStatus(t, r, http.StatusUnprocessableEntity)
		expectText(t, r, ".error-message", tc.says)
	}
}
