package handlers_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

// reportClock is a store clock the test moves forward.
type reportClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *reportClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *reportClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// newReportApp serves the demo with a clock on Monday 16 November 2026 and a sprint of
// its own run over two weeks: committed DEMO-8 (3 points), DEMO-9 (5) and DEMO-10 (2);
// DEMO-11 (8) added on Tuesday; DEMO-9 re-estimated to 3 on Wednesday; DEMO-8 done on
// Thursday; DEMO-10 removed the next Monday; completed on Tuesday 24th with DEMO-9 and
// DEMO-11 sent to the backlog. It returns the app, the sprint and the clock.
func newReportApp(t *testing.T) (*app, *store.Sprint, *reportClock) {
	t.Helper()
	clock := &reportClock{now: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)}
	a := newAppWith(t, appOptions{now: clock.Now})
	ctx := a.ctx
	points := func(v float64) *float64 { return &v }
	update := func(key string, u store.TaskUpdate) {
		t.Helper()
		tk := a.task(key)
		u.TaskID, u.BaseVersion = tk.ID, tk.Version
		if _, err := a.st.UpdateTask(ctx, a.ana.ID, u); err != nil {
			t.Fatalf("update %s: %v", key, err)
		}
	}
	day := func(d int, hour int) { clock.set(time.Date(2026, 11, 16+d, hour, 0, 0, 0, time.UTC)) }
	sp, err := a.st.CreateSprint(ctx, a.ana.ID, store.NewSprint{ProjectID: a.demo.ID, Name: "DEMO Reports", Goal: "Reports people trust"})
	if err != nil {
		t.Fatal(err)
	}
	for key, p := range map[string]float64{"DEMO-8": 3, "DEMO-9": 5, "DEMO-10": 2, "DEMO-11": 8} {
		update(key, store.TaskUpdate{Points: store.Some(points(p))})
	}
	for _, key := range []string{"DEMO-8", "DEMO-9", "DEMO-10"} {
		update(key, store.TaskUpdate{Sprint: store.Some(sp.ID)})
	}
	if sp, err = a.st.Sprint(ctx, sp.ID); err != nil {
		t.Fatal(err)
	}
	if _, err = a.st.StartSprint(ctx, a.ana.ID, store.SprintStart{SprintID: sp.ID, BaseVersion: sp.Version,
		Start: store.Some("2026-11-16"), End: store.Some("2026-11-27")}); err != nil {
		t.Fatal(err)
	}
	day(1, 10)
	update("DEMO-11", store.TaskUpdate{Sprint: store.Some(sp.ID)})
	day(2, 11)
	update("DEMO-9", store.TaskUpdate{Points: store.Some(points(3))})
	day(3, 15)
	done := a.demo.Columns[len(a.demo.Columns)-1].ID
	tk := a.task("DEMO-8")
	if _, err := a.st.MoveTask(ctx, a.ana.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: done}); err != nil {
		t.Fatal(err)
	}
	day(7, 9)
	update("DEMO-10", store.TaskUpdate{Sprint: store.Some("")})
	day(8, 16)
	if sp, err = a.st.Sprint(ctx, sp.ID); err != nil {
		t.Fatal(err)
	}
	if sp, err = a.st.CompleteSprint(ctx, a.ana.ID, store.SprintCompletion{SprintID: sp.ID, BaseVersion: sp.Version, Default: store.DestBacklog}); err != nil {
		t.Fatal(err)
	}
	day(9, 12)
	return a, sp, clock
}

func reportPath(sp *store.Sprint, page string) string {
	return "/projects/DEMO/sprints/" + strconv.Itoa(sp.Number) + "/" + page
}

// TestReportPagesEveryUnit: the report and the burndown answer 200 in each unit, name
// the unit, show every bucket with its total, and draw one focusable point per known day.
func TestReportPagesEveryUnit(t *testing.T) {
	t.Parallel()
	a, sp, _ := newReportApp(t)
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	for _, unit := range []string{"points", "count", "remaining", "original"} {
		for _, page := range []string{"report", "burndown"} {
			r := b.get(reportPath(sp, page) + "?unit=" + unit)
			expectStatus(t, r, http.StatusOK)
			if got, _ := r.Doc.Find("#report-unit option[selected]").Attr("value"); got != unit {
				t.Errorf("%s %s: the unit switch shows %q selected", page, unit, got)
			}
			days := r.Doc.Find("table.burndown-table tbody tr").Length()
			// 16 to 27 November: the planned end is after the completion.
			if days != 12 {
				t.Errorf("%s %s: %d burndown rows, want 12 (16–27 Nov)", page, unit, days)
			}
			known := r.Doc.Find(`table.burndown-table tbody tr[data-future="false"]`).Length()
			if pts := r.Doc.Find("svg.chart a.point").Length(); pts != known || known == 0 {
				t.Errorf("%s %s: %d data points for %d known days", page, unit, pts, known)
			}
			if page == "report" {
				if n := r.Doc.Find("table.totals tbody tr").Length(); n != 6 {
					t.Errorf("report %s: %d total rows, want 6", unit, n)
				}
			}
		}
	}
	r := b.get(reportPath(sp, "report"))
	expectText(t, r, "h1", "Sprint report: DEMO Reports")
	expectText(t, r, ".report-goal", "Reports people trust")
	for bucket, keys := range map[string][]string{
		"committed":     {"DEMO-8", "DEMO-9", "DEMO-10"},
		"added":         {"DEMO-11"},
		"removed":       {"DEMO-10"},
		"reestimated":   {"DEMO-9"},
		"completed":     {"DEMO-8"},
		"not_completed": {"DEMO-9", "DEMO-11"},
	} {
		var got []string
		r.Doc.Find(`table[data-bucket="` + bucket + `"] tbody tr`).Each(func(_ int, s *goquery.Selection) {
			got = append(got, s.AttrOr("data-key", ""))
		})
		slices.Sort(got)
		want := slices.Clone(keys)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("bucket %s lists %v, want %v", bucket, got, want)
		}
	}
	// Each line links to its task and to its event on the activity page.
	row := r.Doc.Find(`table[data-bucket="added"] tbody tr`).First()
	if href := row.Find(`a[href$="/tasks/DEMO-11"]`).Length(); href != 1 {
		t.Errorf("the added line does not link to DEMO-11")
	}
	ev := row.Find(`a[href*="/activity?before="]`).AttrOr("href", "")
	if !strings.Contains(ev, "#event-") {
		t.Errorf("the added line's event link is %q", ev)
	} else {
		seq := ev[strings.Index(ev, "#event-")+len("#event-"):]
		act := b.get(ev[:strings.Index(ev, "#")])
		if act.Doc.Find("#event-"+seq).Length() != 1 {
			t.Errorf("the activity page at %s has no entry #event-%s", ev, seq)
		}
	}
	expectText(t, r, `table[data-bucket="added"] tbody tr`, "Ana Lima")
	expectText(t, r, `table[data-bucket="not_completed"] tbody tr`, "Backlog")
	// Weekend days are not working days in the default calendar.
	if w := r.Doc.Find(`tr[data-date="2026-11-21"]`).AttrOr("data-working", ""); w != "false" {
		t.Errorf("Saturday 21 Nov is working=%q", w)
	}
	if n := r.Doc.Find("svg.chart rect.band-nonworking").Length(); n != 2 {
		t.Errorf("%d hatched bands, want 2 (the weekend)", n)
	}
	// The sprint page links to both.
	sprintPage := b.get("/projects/DEMO/sprints/" + strconv.Itoa(sp.Number))
	for _, page := range []string{"report", "burndown"} {
		if sprintPage.Doc.Find(`.sprint-reports a[href$="/`+page+`"]`).Length() != 1 {
			t.Errorf("the sprint page does not link to its %s", page)
		}
	}
}

// TestReportRefusals: non-members get 404; a bad unit, position, format or paper gets
// 422 with a message; a planned sprint says its report begins when it starts.
func TestReportRefusals(t *testing.T) {
	t.Parallel()
	a, sp, _ := newReportApp(t)
	outsider := a.browser()
	outsider.signUp("dana@example.com", "Dana Outsider", "dana-password")
	for _, path := range []string{reportPath(sp, "report"), reportPath(sp, "burndown"), reportPath(sp, "report?format=csv"),
		reportPath(sp, "burndown?format=json"), reportPath(sp, "print.css"), "/projects/NOPE/sprints/1/report"} {
		r := outsider.get(path)
		expectStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, "DEMO Reports") {
			t.Errorf("%s: the 404 names the sprint", path)
		}
	}
	b := a.browser()
	b.signIn(chloeEmail, chloePass) // a viewer reads reports
	expectStatus(t, b.get(reportPath(sp, "report")), http.StatusOK)
	for _, tc := range []struct{ query, says string }{
		{"unit=hours", `There is no report unit "hours"`},
		{"as_of=abc", `as_of="abc" is not an event position`},
		{"as_of=-3", `as_of="-3" is not an event position`},
		{"as_of=99999999", "beyond the end of the log"},
		{"format=pdf", `There is no report format "pdf"`},
		{"paper=a3", `There is no paper size "a3"`},
	} {
		for _, page := range []string{"report", "burndown"} {
			r := b.get(reportPath(sp, page) + "?" + tc.query)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			expectText(t, r, ".error-message", tc.says)
		}
	}
	r := b.get("/projects/DEMO/sprints/9/report")
	expectStatus(t, r, http.StatusNotFound)
	planned, err := a.st.CreateSprint(a.ctx, a.ana.ID, store.NewSprint{ProjectID: a.demo.ID, Name: "DEMO Later"})
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"report", "burndown"} {
		r := b.get(reportPath(planned, page))
		expectStatus(t, r, http.StatusUnprocessableEntity)
		expectText(t, r, ".error-message", "DEMO Later has not started; its report begins when it starts.")
	}
	if b.get("/projects/DEMO/sprints/"+strconv.Itoa(planned.Number)).Doc.Find(".sprint-reports").Length() != 0 {
		t.Errorf("a planned sprint's page links to a report")
	}
}

// reportTableRows reads the task lines of a report page: bucket, key, raw value.
func reportTableRows(r *response) [][3]string {
	var rows [][3]string
	r.Doc.Find("table.report-tasks").Each(func(_ int, tbl *goquery.Selection) {
		bucket := tbl.AttrOr("data-bucket", "")
		tbl.Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
			rows = append(rows, [3]string{bucket, tr.AttrOr("data-key", ""), tr.AttrOr("data-value", "")})
		})
	})
	return rows
}

func readCSV(t *testing.T, r *response) [][]string {
	t.Helper()
	expectStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("%s: Content-Type %q", r.Path, ct)
	}
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", r.Path, err)
	}
	return recs
}

// TestReportExportsEqualTables: in every unit, the CSV and JSON carry the numbers the
// page's tables show: each task line, each bucket total, each burndown day.
func TestReportExportsEqualTables(t *testing.T) {
	t.Parallel()
	a, sp, _ := newReportApp(t)
	b := a.browser()
	b.signIn(benEmail, benPass)
	for _, unit := range []string{"points", "count", "remaining", "original"} {
		q := "?unit=" + unit
		page := b.get(reportPath(sp, "report") + q)
		expectStatus(t, page, http.StatusOK)

		recs := readCSV(t, b.get(reportPath(sp, "report")+q+"&format=csv"))
		if !slices.Equal(recs[0], []string{"line", "bucket", "key", "title", "unit", "value", "from", "to", "by", "at", "event", "went_to"}) {
			t.Fatalf("report CSV header %v", recs[0])
		}
		var csvRows [][3]string
		totals := map[string]string{}
		for _, rec := range recs[1:] {
			switch rec[0] {
			case "task":
				csvRows = append(csvRows, [3]string{rec[1], rec[2], rec[5]})
			case "total":
				totals[rec[1]] = rec[5]
			}
		}
		if tableRows := reportTableRows(page); !slices.Equal(csvRows, tableRows) || len(tableRows) < 8 {
			t.Errorf("%s: CSV lines %v\ntable lines %v", unit, csvRows, tableRows)
		}
		page.Doc.Find("table.totals tbody tr").Each(func(_ int, tr *goquery.Selection) {
			bucket, value := tr.AttrOr("data-bucket", ""), tr.AttrOr("data-value", "")
			if totals[bucket] != value {
				t.Errorf("%s: total %s is %s in the table, %s in the CSV", unit, bucket, value, totals[bucket])
			}
		})
		if got := page.Doc.Find(".report-logged").AttrOr("data-seconds", ""); got != totals["time_logged"] {
			t.Errorf("%s: time logged %s on the page, %s in the CSV", unit, got, totals["time_logged"])
		}

		js := b.get(reportPath(sp, "report") + q + "&format=json")
		expectStatus(t, js, http.StatusOK)
		var rep store.SprintReport
		if err := json.Unmarshal([]byte(js.Body), &rep); err != nil {
			t.Fatalf("%s: JSON: %v", unit, err)
		}
		if string(rep.Unit) != unit {
			t.Errorf("JSON unit %q, want %q", rep.Unit, unit)
		}
		page.Doc.Find("table.totals tbody tr").Each(func(_ int, tr *goquery.Selection) {
			bucket, value := tr.AttrOr("data-bucket", ""), tr.AttrOr("data-value", "")
			if strconv.FormatFloat(rep.Totals[bucket], 'f', -1, 64) != value {
				t.Errorf("%s: total %s is %s in the table, %v in the JSON", unit, bucket, value, rep.Totals[bucket])
			}
		})
		var jsonRows [][3]string
		for _, l := range []struct {
			bucket string
			tasks  []store.ReportTask
		}{{"committed", rep.Committed}} {
			for _, tk := range l.tasks {
				jsonRows = append(jsonRows, [3]string{l.bucket, tk.Key, strconv.FormatFloat(tk.Value, 'f', -1, 64)})
			}
		}
		if tableRows := reportTableRows(page); !slices.Equal(jsonRows, tableRows[:len(jsonRows)]) {
			t.Errorf("%s: JSON commitment %v, table %v", unit, jsonRows, tableRows[:len(jsonRows)])
		}

		burn := b.get(reportPath(sp, "burndown") + q)
		days := readCSV(t, b.get(reportPath(sp, "burndown")+q+"&format=csv"))
		var fromTable [][]string
		burn.Doc.Find("table.burndown-table tbody tr").Each(func(_ int, tr *goquery.Selection) {
			rem := tr.AttrOr("data-remaining", "")
			if tr.AttrOr("data-future", "") == "true" {
				rem = ""
			}
			fromTable = append(fromTable, []string{tr.AttrOr("data-date", ""), tr.AttrOr("data-working", ""), rem, tr.AttrOr("data-guide", ""), tr.AttrOr("data-future", "")})
		})
		var fromCSV [][]string
		for _, d := range days[1:] {
			fromCSV = append(fromCSV, d[:5])
		}
		if !slices.EqualFunc(fromCSV, fromTable, slices.Equal) || len(fromTable) != 12 {
			t.Errorf("%s: burndown CSV %v\ntable %v", unit, fromCSV, fromTable)
		}
		var bd store.Burndown
		bj := b.get(reportPath(sp, "burndown") + q + "&format=json")
		if err := json.Unmarshal([]byte(bj.Body), &bd); err != nil {
			t.Fatalf("burndown JSON: %v", err)
		}
		for i, d := range bd.Days {
			if i >= len(fromTable) || d.Date != fromTable[i][0] || strconv.FormatFloat(d.Guide, 'f', -1, 64) != fromTable[i][3] {
				t.Errorf("%s: JSON day %d %+v, table %v", unit, i, d, fromTable)
				break
			}
		}
	}
	// In points the totals are the scenario's: committed 3+5+2, added 8, removed 2,
	// completed 3 (DEMO-8), not completed 3+8.
	recs := readCSV(t, b.get(reportPath(sp, "report")+"?format=csv"))
	want := map[string]string{"committed": "10", "added": "8", "removed": "2", "completed": "3", "not_completed": "11"}
	for _, rec := range recs {
		if rec[0] == "total" {
			if w, ok := want[rec[1]]; ok && rec[5] != w {
				t.Errorf("total %s = %s points, want %s", rec[1], rec[5], w)
			}
		}
	}
}

// TestCompletedReportFrozen: a completed sprint's report page, CSV and JSON are the same
// bytes after its tasks are renamed, re-estimated, moved and planned elsewhere; an
// as_of link to its completion gives the same report too.
func TestCompletedReportFrozen(t *testing.T) {
	t.Parallel()
	a, sp, clock := newReportApp(t)
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	paths := []string{reportPath(sp, "report"), reportPath(sp, "burndown"), reportPath(sp, "report?format=csv"),
		reportPath(sp, "report?format=json&unit=remaining"), reportPath(sp, "burndown?format=json")}
	before := map[string]string{}
	for _, p := range paths {
		r := b.get(p)
		expectStatus(t, r, http.StatusOK)
		before[p] = reportBody(r)
	}
	asOf := b.get(paths[0]).Doc.Find(".report-asof").AttrOr("data-as-of", "")
	clock.set(clock.Now().Add(26 * time.Hour))
	eight := 8.0
	for _, key := range []string{"DEMO-8", "DEMO-9", "DEMO-11"} {
		tk := a.task(key)
		if _, err := a.st.UpdateTask(a.ctx, a.ben.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version,
			Title: store.Some("Renamed " + key), Points: store.Some(&eight)}); err != nil {
			t.Fatal(err)
		}
	}
	tk := a.task("DEMO-9")
	if _, err := a.st.MoveTask(a.ctx, a.ben.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: a.demo.Columns[len(a.demo.Columns)-1].ID}); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if got := reportBody(b.get(p)); got != before[p] {
			t.Errorf("%s changed after later edits:\nbefore %.300s\nafter  %.300s", p, before[p], got)
		}
	}
	r := b.get(reportPath(sp, "report") + "?as_of=" + asOf)
	expectStatus(t, r, http.StatusOK)
	if got := reportBody(r); got != before[paths[0]] {
		// Links on the page keep as_of: compare the tables only.
		if r.Text("table.totals") != b.get(paths[0]).Text("table.totals") {
			t.Errorf("the report as of its completion (%s) differs from the frozen report", asOf)
		}
	}
}

// reportBody is what must not change in a frozen report: the article of a page, or a
// whole export.
func reportBody(r *response) string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		h, _ := r.Doc.Find("article.report").Html()
		return h
	}
	return r.Body
}

// TestReportPrintLayout: ?print=1 has no navigation and no controls, links the print
// stylesheet of its paper, which sizes the page and carries the running header.
func TestReportPrintLayout(t *testing.T) {
	t.Parallel()
	a, sp, _ := newReportApp(t)
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	for _, tc := range []struct{ query, size string }{{"?print=1", "size: A4;"}, {"?print=1&paper=letter", "size: letter;"}} {
		r := b.get(reportPath(sp, "report") + tc.query)
		expectStatus(t, r, http.StatusOK)
		for _, sel := range []string{".topbar", ".project-nav", ".report-controls", "form", "nav"} {
			if r.Doc.Find(sel).Length() != 0 {
				t.Errorf("%s: the print layout has %s", tc.query, sel)
			}
		}
		if r.Doc.Find("table.report-tasks thead").Length() < 4 {
			t.Errorf("%s: task tables without headers", tc.query)
		}
		href, ok := r.Doc.Find(`link[rel="stylesheet"][href*="/print.css"]`).Attr("href")
		if !ok {
			t.Fatalf("%s: no print stylesheet", tc.query)
		}
		css := b.get(href)
		expectStatus(t, css, http.StatusOK)
		if !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") || !strings.Contains(css.Body, tc.size) ||
			!strings.Contains(css.Body, `@top-left { content: "DEMO · DEMO Reports"; }`) || !strings.Contains(css.Body, "16 Nov – 27 Nov 2026 · printed ") {
			t.Errorf("%s: print stylesheet:\n%s", tc.query, css.Body)
		}
	}
	// The screen page links the same sheet for the browser's own Print.
	r := b.get(reportPath(sp, "report"))
	if r.Doc.Find(`link[rel="stylesheet"][media="print"][href$="/print.css"]`).Length() != 1 {
		t.Errorf("the report page does not link its print stylesheet")
	}
	if r.Doc.Find(`a[href$="?print=1"]`).Length() != 1 || r.Doc.Find("button[data-print]").Length() != 1 {
		t.Errorf("the report page has no print layout link or Print button")
	}
	// On a page asked for Letter, the A4 link leads to A4.
	letter := b.get(reportPath(sp, "report") + "?paper=letter")
	a4 := letter.Doc.Find(".report-links a").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == "Print layout (A4)" })
	if href := a4.AttrOr("href", ""); !strings.HasSuffix(href, "?print=1") {
		t.Errorf("on the Letter page the A4 print layout links to %q", href)
	}
	// A sprint's name cannot break out of the CSS string.
	odd, err := a.st.CreateSprint(a.ctx, a.ana.ID, store.NewSprint{ProjectID: a.demo.ID, Name: `Q"4\ } body{display:none`})
	if err != nil {
		t.Fatal(err)
	}
	css := b.get(reportPath(odd, "print.css"))
	if !strings.Contains(css.Body, `content: "DEMO · Q\"4\\ } body{display:none";`) {
		t.Errorf("the sprint's name is not escaped in the print stylesheet:\n%s", css.Body)
	}
}

// TestReportVersions: a sprint reopened and completed again has two versions; the
// report shows the latest and links the earlier one, which still answers as it was.
func TestReportVersions(t *testing.T) {
	t.Parallel()
	a, sp, clock := newReportApp(t)
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	first := b.get(reportPath(sp, "report"))
	firstAsOf := first.Doc.Find(".report-asof").AttrOr("data-as-of", "")
	clock.set(clock.Now().Add(2 * time.Hour))
	cur, err := a.st.Sprint(a.ctx, sp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur, err = a.st.ReopenSprint(a.ctx, a.ana.ID, sp.ID, cur.Version); err != nil {
		t.Fatal(err)
	}
	// Reopened: the report runs again, and links the completed version.
	running := b.get(reportPath(sp, "report"))
	expectStatus(t, running, http.StatusOK)
	if running.Doc.Find(`.report-versions a[href*="as_of=`+firstAsOf+`"]`).Length() != 1 {
		t.Errorf("the reopened sprint's report does not link version 1 (as_of=%s): %q", firstAsOf, running.Text(".report-head"))
	}
	tk := a.task("DEMO-9") // sent to the backlog at the first completion: back in, and done
	if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Sprint: store.Some(sp.ID)}); err != nil {
		t.Fatal(err)
	}
	tk = a.task("DEMO-9")
	done := a.demo.Columns[len(a.demo.Columns)-1].ID
	if _, err := a.st.MoveTask(a.ctx, a.ana.ID, store.TaskMove{TaskID: tk.ID, BaseVersion: tk.Version, ColumnID: done}); err != nil {
		t.Fatal(err)
	}
	clock.set(clock.Now().Add(time.Hour))
	if cur, err = a.st.Sprint(a.ctx, sp.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.CompleteSprint(a.ctx, a.ana.ID, store.SprintCompletion{SprintID: sp.ID, BaseVersion: cur.Version, Default: store.DestBacklog}); err != nil {
		t.Fatal(err)
	}
	second := b.get(reportPath(sp, "report"))
	expectText(t, second, ".report-asof", "Version 2, frozen at its completion.")
	link := second.Doc.Find(".report-versions a").First()
	if href := link.AttrOr("href", ""); !strings.Contains(href, "as_of="+firstAsOf) || !strings.Contains(link.Text(), "version 1") {
		t.Fatalf("version 2 links %q (%q), want version 1 at as_of=%s", href, link.Text(), firstAsOf)
	}
	old := b.get(link.AttrOr("href", ""))
	expectStatus(t, old, http.StatusOK)
	expectText(t, old, ".report-asof", "Version 1, frozen at its completion.")
	if old.Text("table.totals") != first.Text("table.totals") {
		t.Errorf("version 1's totals changed: %q, were %q", old.Text("table.totals"), first.Text("table.totals"))
	}
	if second.Text(`table[data-bucket="completed"]`) == first.Text(`table[data-bucket="completed"]`) {
		t.Errorf("version 2 completed the same tasks as version 1, though DEMO-9 was done in between")
	}
}
