package handlers_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

const velocityPath = "/projects/DEMO/reports/velocity"

// velocityRow is a velocity table row's raw numbers.
type velocityRow struct {
	Line, Number                                       string
	Committed, Added, Removed, Reest, Final, Completed string
}

func velocityRows(r *response) []velocityRow {
	var rows []velocityRow
	r.Doc.Find("table.velocity-table tr[data-line]").Each(func(_ int, tr *goquery.Selection) {
		rows = append(rows, velocityRow{tr.AttrOr("data-line", ""), tr.AttrOr("data-number", ""),
			tr.AttrOr("data-committed", ""), tr.AttrOr("data-added", ""), tr.AttrOr("data-removed", ""),
			tr.AttrOr("data-reestimated", ""), tr.AttrOr("data-final", ""), tr.AttrOr("data-completed", "")})
	})
	return rows
}

func raw(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// TestVelocityPageMatchesSprintReports: in every unit, each row of the velocity table
// has its sprint report's totals (re-estimates net, final = what the sprint held at
// completion), the chart draws two focusable, named bars per sprint, and ?sprints=
// picks the last completed ones.
func TestVelocityPageMatchesSprintReports(t *testing.T) {
	t.Parallel()
	a, sp, _ := newReportApp(t)
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	for _, unit := range []string{"points", "count", "remaining", "original"} {
		r := b.get(velocityPath + "?unit=" + unit)
		expectStatus(t, r, http.StatusOK)
		if got, _ := r.Doc.Find("#report-unit option[selected]").Attr("value"); got != unit {
			t.Errorf("%s: the unit switch shows %q selected", unit, got)
		}
		rows := velocityRows(r)
		var sprints []velocityRow
		for _, row := range rows {
			if row.Line == "sprint" {
				sprints = append(sprints, row)
			}
		}
		// The demo's completed sprints and the test's.
		n := len(sprints)
		if n < 2 || len(rows) != n+2 {
			t.Fatalf("%s: %d sprint rows of %d, want the completed sprints + average + median", unit, n, len(rows))
		}
		if sprints[n-1].Number != strconv.Itoa(sp.Number) {
			t.Errorf("%s: the last row is sprint %s, want %d (completed last)", unit, sprints[1].Number, sp.Number)
		}
		var sum float64
		var done []float64
		for _, row := range sprints {
			rr := b.get("/projects/DEMO/sprints/" + row.Number + "/report?format=json&unit=" + unit)
			expectStatus(t, rr, http.StatusOK)
			var rep store.SprintReport
			if err := json.Unmarshal([]byte(rr.Body), &rep); err != nil {
				t.Fatal(err)
			}
			var reest float64
			for _, ch := range rep.Reestimated {
				reest += ch.To - ch.From
			}
			held := rep.Totals["completed"] + rep.Totals["completed_outside"] + rep.Totals["not_completed"]
			want := velocityRow{"sprint", row.Number, raw(rep.Totals["committed"]), raw(rep.Totals["added"]), raw(rep.Totals["removed"]),
				raw(reest), raw(held), raw(rep.Totals["completed"])}
			if row != want {
				t.Errorf("%s sprint %s: row %+v, the sprint report says %+v", unit, row.Number, row, want)
			}
			c, _ := strconv.ParseFloat(row.Completed, 64)
			sum += c
			done = append(done, c)
			if r.Doc.Find(`tr#vel-`+row.Number+` a[href="/projects/DEMO/sprints/`+row.Number+`/report`+map[bool]string{true: "", false: "?unit=" + unit}[unit == "points"]+`"]`).Length() != 1 {
				t.Errorf("%s sprint %s: the row does not link to its report", unit, row.Number)
			}
		}
		slices.Sort(done)
		median := done[n/2]
		if n%2 == 0 {
			median = (done[n/2-1] + done[n/2]) / 2
		}
		if rows[n].Line != "average" || rows[n].Completed != raw(sum/float64(n)) {
			t.Errorf("%s: average row %+v, want completed %s", unit, rows[n], raw(sum/float64(n)))
		}
		if rows[n+1].Line != "median" || rows[n+1].Completed != raw(median) {
			t.Errorf("%s: median row %+v, want completed %s", unit, rows[n+1], raw(median))
		}
		bars := r.Doc.Find("svg.velocity-chart a.bar[tabindex='0']")
		if bars.Length() != 2*n {
			t.Errorf("%s: %d focusable bars, want %d", unit, bars.Length(), 2*n)
		}
		bars.Each(func(_ int, s *goquery.Selection) {
			if name := s.AttrOr("aria-label", ""); !strings.Contains(name, "committed at start") && !strings.Contains(name, ": completed ") {
				t.Errorf("%s: bar named %q", unit, name)
			}
		})
		if r.Doc.Find("svg.velocity-chart text.line-label").Length() != 2 {
			t.Errorf("%s: the average and median lines are not labelled", unit)
		}
	}
	// The test's sprint: committed 3+5+2, added 8, removed 2, re-estimated 5 → 3, DEMO-8 done.
	r := b.get(velocityPath)
	row := r.Doc.Find("tr#vel-" + strconv.Itoa(sp.Number))
	want := velocityRow{"sprint", strconv.Itoa(sp.Number), "10", "8", "2", "-2", "14", "3"}
	all := velocityRows(r)
	got := all[len(all)-3]
	if got != want || row.Length() != 1 {
		t.Errorf("DEMO Reports in points: %+v, want %+v", got, want)
	}
	expectText(t, r, "#vel-"+strconv.Itoa(sp.Number)+" td", "−2")
	if name := r.Doc.Find("a.bar-committed").Last().AttrOr("aria-label", ""); name != "DEMO Reports: committed at start 10 points" {
		t.Errorf("the last committed bar is named %q", name)
	}
	// ?sprints=1: the last completed sprint only; all: both.
	one := velocityRows(b.get(velocityPath + "?sprints=1"))
	if len(one) != 3 || one[0].Number != strconv.Itoa(sp.Number) || one[1].Completed != "3" || one[2].Completed != "3" {
		t.Errorf("sprints=1: %+v", one)
	}
	if two := velocityRows(b.get(velocityPath + "?sprints=2")); len(two) != 4 || two[1].Number != strconv.Itoa(sp.Number) {
		t.Errorf("sprints=2: %+v", two)
	}
	if every := velocityRows(b.get(velocityPath + "?sprints=all")); len(every) != len(all) {
		t.Errorf("sprints=all: %d rows, the default %d (fewer than 7 completed)", len(every), len(all))
	}
	// The sprints page links to it.
	if b.get("/projects/DEMO/sprints").Doc.Find(`a[href="`+velocityPath+`"]`).Length() != 1 {
		t.Errorf("the sprints page does not link to the velocity report")
	}
}

// TestVelocityExportsEqualTable: in every unit the CSV and the JSON carry the numbers
// of the page's table, row by row.
func TestVelocityExportsEqualTable(t *testing.T) {
	t.Parallel()
	a, _, _ := newReportApp(t)
	b := a.browser()
	b.signIn(benEmail, benPass)
	for _, unit := range []string{"points", "count", "remaining", "original"} {
		for _, n := range []string{"", "&sprints=1"} {
			q := "?unit=" + unit + n
			page := velocityRows(b.get(velocityPath + q))
			recs := readCSV(t, b.get(velocityPath+q+"&format=csv"))
			if strings.Join(recs[0], ",") != "line,number,sprint,completed_at,unit,committed,added,removed,reestimated,final,completed,report_as_of" {
				t.Errorf("CSV header %v", recs[0])
			}
			var fromCSV []velocityRow
			for _, rec := range recs[1:] {
				if rec[4] != unit {
					t.Errorf("%s: CSV unit %q", q, rec[4])
				}
				fromCSV = append(fromCSV, velocityRow{rec[0], rec[1], rec[5], rec[6], rec[7], rec[8], rec[9], rec[10]})
			}
			jr := b.get(velocityPath + q + "&format=json")
			expectStatus(t, jr, http.StatusOK)
			var v store.VelocityReport
			if err := json.Unmarshal([]byte(jr.Body), &v); err != nil {
				t.Fatal(err)
			}
			var fromJSON []velocityRow
			for _, l := range v.Sprints {
				fromJSON = append(fromJSON, velocityRow{"sprint", strconv.Itoa(l.Number), raw(l.Committed), raw(l.Added), raw(l.Removed),
					raw(l.Reestimated), raw(l.Final), raw(l.Completed)})
			}
			fromJSON = append(fromJSON, velocityRow{Line: "average", Completed: raw(v.Average)}, velocityRow{Line: "median", Completed: raw(v.Median)})
			if len(page) == 0 {
				t.Fatalf("%s: no rows", q)
			}
			for i := range page {
				if i >= len(fromCSV) || i >= len(fromJSON) || page[i] != fromCSV[i] || page[i] != fromJSON[i] {
					t.Errorf("%s row %d: page %+v\ncsv %+v\njson %+v", q, i, page, fromCSV, fromJSON)
					break
				}
			}
			if len(fromCSV) != len(page) || len(fromJSON) != len(page) {
				t.Errorf("%s: %d page rows, %d CSV, %d JSON", q, len(page), len(fromCSV), len(fromJSON))
			}
		}
	}
}

// TestVelocityRefusals: non-members get 404; viewers read it; a bad unit, number of
// sprints, format or paper gets 422 with a message.
func TestVelocityRefusals(t *testing.T) {
	t.Parallel()
	a, _, _ := newReportApp(t)
	outsider := a.browser()
	outsider.signUp("dana@example.com", "Dana Outsider", "dana-password")
	for _, path := range []string{velocityPath, velocityPath + "?format=csv", velocityPath + "?format=json",
		velocityPath + "/print.css", "/projects/NOPE/reports/velocity"} {
		r := outsider.get(path)
		expectStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, "DEMO Reports") {
			t.Errorf("%s: the 404 names a sprint", path)
		}
	}
	b := a.browser()
	b.signIn(chloeEmail, chloePass) // a viewer
	expectStatus(t, b.get(velocityPath), http.StatusOK)
	for _, tc := range []struct{ query, says string }{
		{"unit=hours", `There is no report unit "hours"`},
		{"sprints=0", `sprints="0" is not a number of sprints`},
		{"sprints=-2", `sprints="-2" is not a number of sprints`},
		{"sprints=lots", `sprints="lots" is not a number of sprints`},
		{"sprints=99999999999999999999", `is not a number of sprints`},
		{"format=pdf", `There is no report format "pdf"`},
		{"print=yes", `print="yes" is not understood`},
		{"paper=a3", `There is no paper size "a3"`},
	} {
		r := b.get(velocityPath + "?" + tc.query)
		expectStatus(t, r, http.StatusUnprocessableEntity)
		expectText(t, r, ".error-message", tc.says)
	}
}

// TestVelocityPrintLayout: ?print=1 is the print layout (no controls), with the paper's
// stylesheet; an empty project says it has no completed sprint.
func TestVelocityPrintLayout(t *testing.T) {
	t.Parallel()
	a, _, _ := newReportApp(t)
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	r := b.get(velocityPath + "?print=1&paper=letter")
	expectStatus(t, r, http.StatusOK)
	if r.Doc.Find("html.print-view").Length() != 1 || r.Doc.Find(".report-controls").Length() != 0 {
		t.Errorf("the print layout is not the print view without controls")
	}
	if r.Doc.Find(`link[href="`+velocityPath+`/print.css?paper=letter"]`).Length() != 1 {
		t.Errorf("the print layout does not load the Letter stylesheet")
	}
	css := b.get(velocityPath + "/print.css?paper=letter")
	expectStatus(t, css, http.StatusOK)
	if !strings.Contains(css.Body, "size: letter;") || !strings.Contains(css.Body, `"DEMO · Velocity"`) {
		t.Errorf("print.css: %s", css.Body)
	}
	p, err := a.st.CreateProject(a.ctx, a.ana.ID, store.NewProject{Key: "EMPTY", Name: "Empty"})
	if err != nil {
		t.Fatal(err)
	}
	e := b.get("/projects/" + p.Key + "/reports/velocity")
	expectStatus(t, e, http.StatusOK)
	expectText(t, e, ".empty", "No completed sprint yet")
	if e.Doc.Find("svg.velocity-chart").Length() != 0 {
		t.Errorf("an empty project draws a chart")
	}
}
