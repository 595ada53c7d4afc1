package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// sheetLog is a worklog a timesheet test logs.
type sheetLog struct {
	who     *store.User
	key     string // DEMO task, or SIDE-1 for Ana's other project
	date    string
	minutes int64
	comment string
}

// Two weeks of work by Ana (admin) and Ben (member) in DEMO, far from the demo's own
// worklogs (the days before today): week A is 5–11 January 2026, week B 12–18 January.
// Ana also logs time in a project of her own that Ben is not in.
func sheetLogs(a *app) []sheetLog {
	return []sheetLog{
		{a.ana, "DEMO-1", "2026-01-05", 120, "design"},
		{a.ana, "DEMO-1", "2026-01-05", 30, "=HYPERLINK(\"http://evil.example\")"},
		{a.ana, "DEMO-2", "2026-01-07", 75, "+review"},
		{a.ana, "DEMO-1", "2026-01-11", 45, "@weekend"},
		{a.ben, "DEMO-1", "2026-01-06", 180, "-pairing"},
		{a.ben, "DEMO-3", "2026-01-09", 240, "tests"},
		{a.ana, "DEMO-2", "2026-01-12", 60, ""},
		{a.ana, "DEMO-3", "2026-01-18", 450, "release, \"quoted\""},
		{a.ben, "DEMO-2", "2026-01-12", 120, "review"},
		{a.ben, "DEMO-2", "2026-01-13", 30, "fixes\nsecond line"},
		{a.ana, "SIDE-1", "2026-01-06", 60, "side work"},
		{a.ben, "DEMO-1", "2026-01-19", 15, "the Monday after"},
		{a.ana, "DEMO-1", "2026-01-04", 15, "the Sunday before"},
	}
}

// logSheet logs sheetLogs through the store and returns them.
func logSheet(t *testing.T, a *app) []sheetLog {
	t.Helper()
	side, err := a.st.CreateProject(a.ctx, a.ana.ID, store.NewProject{Key: "SIDE", Name: "Side project"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.CreateTask(a.ctx, a.ana.ID, store.NewTask{ProjectID: side.ID, Title: "Side task"}); err != nil {
		t.Fatal(err)
	}
	// A task whose title a spreadsheet would take for a formula.
	formula := a.task("DEMO-3")
	if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: formula.ID, BaseVersion: formula.Version, Title: store.Some("-1+2 release")}); err != nil {
		t.Fatal(err)
	}
	logs := sheetLogs(a)
	for _, l := range logs {
		project := a.demo
		if strings.HasPrefix(l.key, "SIDE-") {
			project = side
		}
		task, err := a.st.TaskByKey(a.ctx, project, l.key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.st.LogWork(a.ctx, l.who.ID, store.NewWorklog{TaskID: task.ID, Date: l.date, Seconds: l.minutes * 60, Comment: l.comment}); err != nil {
			t.Fatalf("log %s on %s: %v", l.key, l.date, err)
		}
	}
	return logs
}

// sheetCells is a grid as cell texts by row name (task key or person name) and day,
// with "total" for a row's total and the row "Total" for the day totals.
type sheetCells map[string]map[string]string

// expectedSheet sums logs the way the page should, for the days from..to, keeping the
// logs that keep says; rows are task keys, or people's names when team is set.
func expectedSheet(logs []sheetLog, from, to string, team bool, keep func(sheetLog) bool) sheetCells {
	sums := map[string]map[string]int64{"Total": {}}
	for _, l := range logs {
		if l.date < from || l.date > to || !keep(l) {
			continue
		}
		row := l.key
		if team {
			row = l.who.Name
		}
		if sums[row] == nil {
			sums[row] = map[string]int64{}
		}
		for _, r := range []string{row, "Total"} {
			sums[r][l.date] += l.minutes * 60
			sums[r]["total"] += l.minutes * 60
		}
	}
	out := sheetCells{}
	for row, days := range sums {
		out[row] = map[string]string{}
		for day, s := range days {
			out[row][day] = views.Cell(s)
		}
	}
	return out
}

// pageSheet reads the grid on a timesheet page: every cell, empty ones included.
func pageSheet(t *testing.T, r *response) (cells sheetCells, days []string) {
	t.Helper()
	table := r.Doc.Find("table.timesheet")
	if table.Length() != 1 {
		t.Fatalf("%s: no timesheet table; page says %.300s", r.Path, r.Text("main"))
	}
	table.Find("thead th[data-day]").Each(func(_ int, s *goquery.Selection) { days = append(days, s.AttrOr("data-day", "")) })
	cells = sheetCells{}
	read := func(name string, tr *goquery.Selection) {
		row := map[string]string{}
		tr.Find("td[data-day]").Each(func(_ int, s *goquery.Selection) {
			if text := strings.TrimSpace(s.Text()); text != "" {
				row[s.AttrOr("data-day", "")] = text
			}
		})
		if n := tr.Find("td[data-day]").Length(); n != len(days) {
			t.Errorf("%s: row %s has %d day cells for %d days", r.Path, name, n, len(days))
		}
		row["total"] = strings.TrimSpace(tr.Find("td:last-child").Text())
		if row["total"] == "" {
			delete(row, "total")
		}
		cells[name] = row
	}
	table.Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
		name := strings.TrimSpace(tr.Find(`th[scope="row"] .task-key`).Text())
		if name == "" {
			name = strings.TrimSpace(tr.Find(`th[scope="row"]`).Text())
		}
		read(name, tr)
	})
	read("Total", table.Find("tfoot tr"))
	if cells["Total"]["total"] == "" {
		delete(cells["Total"], "total")
	}
	return cells, days
}

func expectSheet(t *testing.T, r *response, want sheetCells, wantDays []string) {
	t.Helper()
	got, days := pageSheet(t, r)
	if strings.Join(days, ",") != strings.Join(wantDays, ",") {
		t.Errorf("%s: columns %v, want %v", r.Path, days, wantDays)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: grid\n got %v\nwant %v", r.Path, got, want)
	}
}

// daysFrom lists n days from day.
func daysFrom(day string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = views.AddDays(day, i)
	}
	return out
}

func TestTimesheetPage(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	logs := logSheet(t, a)
	ana, ben := a.browser(), a.browser()
	ana.signIn(anaEmail, anaPass)
	ben.signIn(benEmail, benPass)
	weekA, weekB := daysFrom("2026-01-05", 7), daysFrom("2026-01-12", 7)
	inDemo := func(l sheetLog) bool { return strings.HasPrefix(l.key, "DEMO-") }
	by := func(u *store.User, also func(sheetLog) bool) func(sheetLog) bool {
		return func(l sheetLog) bool { return l.who.ID == u.ID && also(l) }
	}
	all := func(sheetLog) bool { return true }

	for _, tc := range []struct {
		name string
		b    *browser
		path string
		days []string
		team bool
		keep func(sheetLog) bool
	}{
		{"Ana's own in DEMO, week A", ana, "/projects/DEMO/timesheet?week=2026-01-07", weekA, false, by(a.ana, inDemo)},
		{"Ana's own in DEMO, week B", ana, "/projects/DEMO/timesheet?week=2026-01-18", weekB, false, by(a.ana, inDemo)},
		{"Ana's own everywhere, week A", ana, "/timesheet?week=2026-01-05", weekA, false, by(a.ana, all)},
		{"Ben's own, week A", ben, "/timesheet?week=2026-01-11", weekA, false, by(a.ben, all)},
		{"Ben's own in DEMO, week B", ben, "/projects/DEMO/timesheet?week=2026-01-12", weekB, false, by(a.ben, inDemo)},
		{"team, week A", ana, "/projects/DEMO/timesheet?week=2026-01-05&who=team", weekA, true, inDemo},
		{"team, week B", ana, "/projects/DEMO/timesheet?week=2026-01-12&who=team", weekB, true, inDemo},
		{"Ben's seen by Ana, week A", ana, "/projects/DEMO/timesheet?week=2026-01-05&who=" + a.ben.ID, weekA, false, by(a.ben, inDemo)},
		{"both weeks as a range", ana, "/projects/DEMO/timesheet?from=2026-01-05&to=2026-01-18&who=team", append(weekA, weekB...), true, inDemo},
		{"a range from Sunday to Monday, ends included", ana, "/projects/DEMO/timesheet?from=2026-01-04&to=2026-01-05", daysFrom("2026-01-04", 2), false, by(a.ana, inDemo)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.b.get(tc.path)
			expectStatus(t, r, http.StatusOK)
			want := expectedSheet(logs, tc.days[0], tc.days[len(tc.days)-1], tc.team, tc.keep)
			expectSheet(t, r, want, tc.days)

			// The CSV holds the worklogs behind the grid: summed per row and day they
			// give every cell.
			csvURL := r.Doc.Find("a.timesheet-csv").AttrOr("href", "")
			if csvURL == "" {
				t.Fatal("no Download CSV link")
			}
			rows := getCSV(t, tc.b, csvURL)
			sums := map[string]map[string]int64{"Total": {}}
			for _, row := range rows {
				name := row["task"]
				if tc.team {
					name = row["person"]
				}
				secs, err := strconv.ParseInt(row["seconds"], 10, 64)
				if err != nil {
					t.Fatalf("CSV seconds %q: %v", row["seconds"], err)
				}
				if sums[name] == nil {
					sums[name] = map[string]int64{}
				}
				for _, n := range []string{name, "Total"} {
					sums[n][row["date"]] += secs
					sums[n]["total"] += secs
				}
			}
			fromCSV := sheetCells{}
			for name, days := range sums {
				fromCSV[name] = map[string]string{}
				for d, s := range days {
					fromCSV[name][d] = views.Cell(s)
				}
			}
			got, _ := pageSheet(t, r)
			if fmt.Sprint(fromCSV) != fmt.Sprint(got) {
				t.Errorf("the CSV sums to\n%v\nthe grid shows\n%v", fromCSV, got)
			}
		})
	}

	// The week links step a week at a time and keep the filters.
	page := ana.get("/projects/DEMO/timesheet?week=2026-01-07&who=team")
	next := page.Doc.Find(`a[rel="next"]`).AttrOr("href", "")
	r := ana.get(next)
	expectStatus(t, r, http.StatusOK)
	if _, days := pageSheet(t, r); days[0] != "2026-01-12" || r.Doc.Find("tbody tr").Length() != 2 {
		t.Errorf("next week link %s shows %v with %d rows, want week B's team", next, days, r.Doc.Find("tbody tr").Length())
	}
	prev := r.Doc.Find(`a[rel="prev"]`).AttrOr("href", "")
	if r := ana.get(prev); r.Doc.Find(`thead th[data-day]`).First().AttrOr("data-day", "") != "2026-01-05" {
		t.Errorf("previous week link %s does not lead back to week A", prev)
	}
	expectText(t, page, "nav.timesheet-steps", "Previous week", "This week", "Next week")

	// Without a week, the current one (the user's today: UTC without the tz cookie).
	before := time.Now().UTC().Format(time.DateOnly)
	r = ana.get("/timesheet")
	after := time.Now().UTC().Format(time.DateOnly)
	if _, days := pageSheetOrEmpty(r); len(days) > 0 && days[0] != views.WeekStart(before) && days[0] != views.WeekStart(after) {
		t.Errorf("the default week starts %s, want %s", days[0], views.WeekStart(before))
	}
	if got := r.Doc.Find(`input[name="from"]`).AttrOr("value", ""); got != views.WeekStart(before) && got != views.WeekStart(after) {
		t.Errorf("the default range starts %s, want this week's Monday %s", got, views.WeekStart(before))
	}

	// A week with nothing logged says so.
	r = ben.get("/projects/DEMO/timesheet?week=2025-06-02")
	expectStatus(t, r, http.StatusOK)
	expectText(t, r, ".empty-state", "Nothing logged")

	// Accessible table: caption, column headers for days, row headers, totals in tfoot,
	// task links.
	page = ana.get("/projects/DEMO/timesheet?week=2026-01-07")
	expectText(t, page, "table.timesheet caption", "Your time in DEMO", "Mon 5 – Sun 11 Jan 2026")
	if n := page.Doc.Find(`thead th[scope="col"]`).Length(); n != 9 {
		t.Errorf("%d column headers, want task + 7 days + total", n)
	}
	if href := page.Doc.Find(`tbody tr[data-row="DEMO-1"] th[scope="row"] a`).AttrOr("href", ""); href != "/projects/DEMO/tasks/DEMO-1" {
		t.Errorf("DEMO-1's row links to %q", href)
	}
	expectText(t, page, `thead th[data-day="2026-01-05"]`, "Mon 5 Jan")
	expectText(t, page, "tfoot th", "Total")
	expectText(t, page, `tbody tr[data-row="DEMO-1"] td[data-day="2026-01-05"]`, "2h 30m")
	if page.Doc.Find(`select[name="who"]`).Length() != 1 {
		t.Errorf("an admin is not offered the person filter")
	}
	if r := ben.get("/projects/DEMO/timesheet"); r.Doc.Find(`select[name="who"]`).Length() != 0 {
		t.Errorf("a member is offered the person filter")
	}
	if f := page.Doc.Find("form.timesheet-filters"); f.AttrOr("method", "") != "get" || f.Find(`input[name="_csrf"]`).Length() != 0 {
		t.Errorf("the filters are not a plain GET form")
	}
	if got := page.Doc.Find(`nav.project-nav a[aria-current="page"]`).Text(); got != "Timesheet" {
		t.Errorf("the project nav marks %q as current", got)
	}
}

// pageSheetOrEmpty reads a page's day columns, none when it has no table.
func pageSheetOrEmpty(r *response) (sheetCells, []string) {
	var days []string
	r.Doc.Find("table.timesheet thead th[data-day]").Each(func(_ int, s *goquery.Selection) { days = append(days, s.AttrOr("data-day", "")) })
	return nil, days
}

// getCSV downloads a CSV export and returns its rows by column name.
func getCSV(t *testing.T, b *browser, path string) []map[string]string {
	t.Helper()
	res, err := b.client.Get(b.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("CSV Content-Type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("CSV Content-Disposition %q", cd)
	}
	records, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	want := "date,person,email,project,task,title,start,seconds,hours,comment"
	if len(records) == 0 || strings.Join(records[0], ",") != want {
		t.Fatalf("CSV header %v, want %s", records, want)
	}
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, name := range records[0] {
			row[name] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

func TestTimesheetCSV(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	logSheet(t, a)
	ana := a.browser()
	ana.signIn(anaEmail, anaPass)
	rows := getCSV(t, ana, "/projects/DEMO/timesheet.csv?from=2026-01-05&to=2026-01-11&who=team")
	if len(rows) != 6 {
		t.Fatalf("%d rows, want week A's 6 worklogs in DEMO", len(rows))
	}
	first := rows[0]
	for k, want := range map[string]string{"date": "2026-01-05", "person": "Ana Lima", "email": anaEmail, "project": "DEMO",
		"task": "DEMO-1", "seconds": "7200", "hours": "2.00", "comment": "design"} {
		if first[k] != want {
			t.Errorf("first row %s = %q, want %q", k, first[k], want)
		}
	}
	// Cells a spreadsheet would run as formulas start with an apostrophe; the rest are
	// as written, quotes and newlines included.
	comments, titles := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		comments[r["comment"]], titles[r["title"]] = true, true
	}
	for _, want := range []string{`'=HYPERLINK("http://evil.example")`, "'+review", "'@weekend", "'-pairing"} {
		if !comments[want] {
			t.Errorf("no comment %q in %v", want, comments)
		}
	}
	if !titles["'-1+2 release"] {
		t.Errorf("the title -1+2 release is not escaped: %v", titles)
	}
	rows = getCSV(t, ana, "/projects/DEMO/timesheet.csv?from=2026-01-12&to=2026-01-18")
	if len(rows) != 2 || rows[1]["comment"] != `release, "quoted"` || rows[1]["hours"] != "7.50" {
		t.Errorf("week B's own rows: %v", rows)
	}
	rows = getCSV(t, ana, "/projects/DEMO/timesheet.csv?from=2026-01-12&to=2026-01-18&who="+a.ben.ID)
	if len(rows) != 2 || rows[1]["comment"] != "fixes\nsecond line" {
		t.Errorf("Ben's week B rows: %v", rows)
	}
}

func TestTimesheetRefusals(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	logSheet(t, a)
	ana, ben, chloe := a.browser(), a.browser(), a.browser()
	ana.signIn(anaEmail, anaPass)
	ben.signIn(benEmail, benPass)
	chloe.signIn(chloeEmail, chloePass)

	// Dates and ranges that cannot be shown: 422, the form again with the message at
	// its field, the values as typed, no table, no CSV.
	for _, tc := range []struct {
		name, query, field, message string
	}{
		{"a start that is not a date", "from=2026-02-30&to=2026-03-01", "from", "is not a date"},
		{"an end that is not a date", "from=2026-01-05&to=next+week", "to", "is not a date"},
		{"a week that is not a date", "week=soon", "from", "is not a date"},
		{"an end before the start", "from=2026-01-11&to=2026-01-05", "to", "before the start date"},
		{"more than 31 days", "from=2026-01-01&to=2026-02-01", "to", "at most 31 days"},
		{"a sprint that does not exist", "week=2026-01-05&sprint=99", "sprint", "no sprint"},
		{"a person who does not exist", "week=2026-01-05&who=nobody", "who", "no such person"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ana.get("/projects/DEMO/timesheet?" + tc.query)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			expectText(t, r, "#err-"+tc.field, tc.message)
			if r.Doc.Find("table.timesheet").Length() != 0 || r.Doc.Find("a.timesheet-csv").Length() != 0 {
				t.Errorf("a refused range still shows a grid or a CSV link")
			}
			if r.Doc.Find(`[aria-invalid="true"]`).Length() != 1 {
				t.Errorf("the wrong field is not marked")
			}
			res := ana.do(http.MethodGet, "/projects/DEMO/timesheet.csv?"+tc.query, nil, nil)
			expectStatus(t, res, http.StatusUnprocessableEntity)
			// The links still lead somewhere that works.
			if next := r.Doc.Find(`a[rel="next"]`).AttrOr("href", ""); ana.get(next).Status != http.StatusOK {
				t.Errorf("next link %s of a refused page does not work", next)
			}
		})
	}
	if r := ana.get("/timesheet?from=2026-01-01&to=2026-03-01"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("/timesheet with 60 days: %d", r.Status)
	}

	// Other people's time is for project admins only.
	for _, tc := range []struct {
		name string
		b    *browser
		path string
	}{
		{"a member's team view", ben, "/projects/DEMO/timesheet?who=team"},
		{"a member asking for Ana's time", ben, "/projects/DEMO/timesheet?who=" + a.ana.ID},
		{"a viewer's team view", chloe, "/projects/DEMO/timesheet?who=team"},
		{"a member's team CSV", ben, "/projects/DEMO/timesheet.csv?who=team"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.b.get(tc.path)
			expectStatus(t, r, http.StatusForbidden)
			expectText(t, r, ".error-message", "Only project admins can see other people's time")
		})
	}

	// Non-members: 404, whether the project exists or not, and nothing of it on their own
	// timesheet.
	dana := a.browser()
	dana.signUp("dana@example.com", "Dana Outsider", "dana-password")
	for _, path := range []string{"/projects/DEMO/timesheet", "/projects/DEMO/timesheet.csv", "/projects/DEMO/timesheet?who=team",
		"/projects/NOPE/timesheet", "/projects/NOPE/timesheet.csv"} {
		r := dana.get(path)
		expectStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, "Set up the project") {
			t.Errorf("%s reveals a task", path)
		}
	}
	r := dana.get("/timesheet?week=2026-01-05")
	expectStatus(t, r, http.StatusOK)
	if r.Doc.Find("table.timesheet").Length() != 0 {
		t.Errorf("an outsider's timesheet shows a grid")
	}
	if rows := getCSV(t, dana, "/timesheet.csv?week=2026-01-05"); len(rows) != 0 {
		t.Errorf("an outsider's CSV has %d rows", len(rows))
	}
	if r := dana.get("/timesheet?who=team&week=2026-01-05"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a team view without a project: %d", r.Status)
	}

	// Anonymous visitors are sent to sign in.
	anon := a.browser()
	expectRedirect(t, anon.get("/timesheet"), "/signin?next="+url.QueryEscape("/timesheet"))
}
