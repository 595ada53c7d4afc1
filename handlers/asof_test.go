package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tack-pm/tack/store"
)

// lastSeq is the log's last position.
func (a *app) lastSeq() int64 {
	a.t.Helper()
	events, err := a.st.Events(a.ctx, 0, 100000)
	if err != nil || len(events) == 0 {
		a.t.Fatalf("events: %d, %v", len(events), err)
	}
	return events[len(events)-1].Seq
}

// asofColumns is every column's card keys, in order.
func asofColumns(a *app, r *response) [][]string {
	var out [][]string
	for _, col := range a.demo.Columns {
		out = append(out, columnCards(r, col.ID))
	}
	return out
}

// TestBoardAsOf: the board as of a position or a moment (in the viewer's zone) shows the
// cards where they were, read-only, with a banner counting the changes since and links
// one change back and forward; it matches the live board of that moment.
func TestBoardAsOf(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC).UnixNano())
	a := newAppWith(t, appOptions{now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	ben := a.browser()
	ben.signIn(benEmail, benPass)

	live := ben.get("/projects/DEMO/board")
	expectStatus(t, live, http.StatusOK)
	before := asofColumns(a, live)
	at := a.lastSeq()

	// Two moves, at 14:00 and 14:30 in Berlin (13:00 and 13:30 UTC).
	first := a.task("DEMO-1")
	if _, err := a.st.MoveTask(a.ctx, a.ben.ID, store.TaskMove{TaskID: first.ID, BaseVersion: first.Version, ColumnID: a.demo.Columns[3].ID}); err != nil {
		t.Fatal(err)
	}
	firstMove := a.lastSeq()
	afterFirst := asofColumns(a, ben.get("/projects/DEMO/board"))
	if slices.EqualFunc(afterFirst, before, slices.Equal) {
		t.Fatal("the first move did not change the live board")
	}
	clock.Store(time.Date(2026, 12, 1, 13, 30, 0, 0, time.UTC).UnixNano())
	second := a.task("DEMO-2")
	if _, err := a.st.MoveTask(a.ctx, a.ben.ID, store.TaskMove{TaskID: second.ID, BaseVersion: second.Version, ColumnID: a.demo.Columns[3].ID}); err != nil {
		t.Fatal(err)
	}
	clock.Store(time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC).UnixNano())

	r := ben.get("/projects/DEMO/board?at=" + strconv.FormatInt(at, 10))
	expectStatus(t, r, http.StatusOK)
	if got := asofColumns(a, r); !slices.EqualFunc(got, before, slices.Equal) {
		t.Errorf("as of %d the board shows\n%v\nthe live board was\n%v", at, got, before)
	}
	expectText(t, r, "#asof-banner", "As of", "2 changes since", "Back to live", "← Previous change", "Next change →")
	if href := r.Doc.Find("#asof-next").AttrOr("href", ""); href != "/projects/DEMO/board?at="+strconv.FormatInt(firstMove, 10) {
		t.Errorf("next change links to %q, want the first move %d", href, firstMove)
	}
	if href := r.Doc.Find("#asof-live").AttrOr("href", ""); href != "/projects/DEMO/board" {
		t.Errorf("back to live links to %q", href)
	}
	// Read-only: no Move controls, no forms on the board, no create form, no live stream,
	// no drag script.
	for _, sel := range []string{"a.move-button", "#board-asof form", "#board-create", "#drag-move", "[sse-connect]", `script[src*="Sortable"]`, `script[src*="board.js"]`} {
		if n := r.Doc.Find(sel).Length(); n != 0 {
			t.Errorf("the board as it was has %d %s", n, sel)
		}
	}
	if r.Doc.Find("li.card").Length() != 21 {
		t.Errorf("%d cards as of %d, want the demo's 21", r.Doc.Find("li.card").Length(), at)
	}

	// Next: the board after the first move, one change since, and both links.
	next := ben.get(r.Doc.Find("#asof-next").AttrOr("href", ""))
	expectStatus(t, next, http.StatusOK)
	if got := asofColumns(a, next); !slices.EqualFunc(got, afterFirst, slices.Equal) {
		t.Errorf("after the first move the board shows\n%v\nwant\n%v", got, afterFirst)
	}
	expectText(t, next, "#asof-banner", "1 change since")
	prev := next.Doc.Find("#asof-prev").AttrOr("href", "")
	if prev == "" {
		t.Fatal("no previous change link after the first move")
	}
	if got := asofColumns(a, ben.get(prev)); !slices.EqualFunc(got, before, slices.Equal) {
		t.Errorf("previous change from the first move shows\n%v\nwant\n%v", got, before)
	}

	// A moment in the viewer's zone: 14:10 in Berlin is after the first move (14:00
	// there), before the second (14:30).
	u, _ := url.Parse(a.srv.URL)
	ben.client.Jar.SetCookies(u, []*http.Cookie{{Name: "tz", Value: url.QueryEscape("Europe/Berlin"), Path: "/"}})
	berlin := ben.get("/projects/DEMO/board?at=2026-12-01T14:10")
	expectStatus(t, berlin, http.StatusOK)
	if got := asofColumns(a, berlin); !slices.EqualFunc(got, afterFirst, slices.Equal) {
		t.Errorf("at 14:10 Berlin the board shows\n%v\nwant\n%v", got, afterFirst)
	}
	expectText(t, berlin, "#asof-banner", "As of Tue 1 Dec 2026 14:10", "1 change since", "Tue 1 Dec 2026 14:00")

	// The latest position: no change since, no next link.
	latest := ben.get("/projects/DEMO/board?at=" + strconv.FormatInt(a.lastSeq(), 10))
	expectStatus(t, latest, http.StatusOK)
	expectText(t, latest, "#asof-banner", "no change since", "No later change")

	// A viewer may look too.
	chloe := a.browser()
	chloe.signIn(chloeEmail, chloePass)
	expectStatus(t, chloe.get("/projects/DEMO/board?at="+strconv.FormatInt(at, 10)), http.StatusOK)
}

// TestBoardAsOfRefusals: what ?at= cannot show is a 422 with a message a person
// understands; a non-member gets 404 whatever the moment.
func TestBoardAsOfRefusals(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	last := a.lastSeq()
	for _, tc := range []struct{ at, says string }{
		{"", "Say which moment to show"},
		{"yesterday", `"yesterday" is not a moment Tack can read`},
		{"2026-13-40T99:00", "is not a moment Tack can read"},
		{"0", "A position in the log is a whole number from 1"},
		{"-4", "A position in the log is a whole number from 1"},
		{"1", "DEMO did not exist yet at position 1"},
		{strconv.FormatInt(last+10, 10), "after the last change"},
		{"2019-05-01T09:00", "DEMO did not exist yet on Wed 1 May 2019 09:00: it was created on"},
		{"2999-01-01T00:00", "is in the future"},
	} {
		r := ben.get("/projects/DEMO/board?at=" + url.QueryEscape(tc.at))
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, tc.says) && !strings.Contains(r.Body, strings.ReplaceAll(tc.says, `"`, "&#34;")) {
			t.Errorf("?at=%s: the page does not say %q: %.300s", tc.at, tc.says, r.Text("main"))
		}
	}
	dana := a.browser()
	dana.signUp("dana@example.com", "Dana Outsider", "dana-password")
	for _, path := range []string{"/projects/DEMO/board?at=" + strconv.FormatInt(last, 10), "/projects/NOPE/board?at=1"} {
		r := dana.get(path)
		expectStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, "Demo project") || strings.Contains(r.Body, "Set up the project") {
			t.Errorf("%s: the 404 page reveals the project", path)
		}
	}
}

// backlogLists is every list of a backlog page with its tasks' keys, in order.
func backlogLists(r *response) []string {
	var out []string
	r.Doc.Find("section.plan-list").Each(func(_ int, s *goquery.Selection) {
		keys := s.Find("li.plan-row").Map(func(_ int, li *goquery.Selection) string { return li.AttrOr("data-key", "") })
		out = append(out, s.AttrOr("data-list", "")+": "+s.Find("header.plan-heading").Text()+" "+strings.Join(keys, " "))
	})
	return out
}

// expectReadOnly checks that a page as it was offers no change: no form that posts in
// its main content, no Move controls or selection boxes, no live stream, no drag script.
func expectReadOnly(t *testing.T, r *response, what string) {
	t.Helper()
	for _, sel := range []string{`main form[method="post"]`, "main form", "a.move-button", "input.row-select", "[sse-connect]",
		`script[src*="Sortable"]`, `script[src*="backlog.js"]`, `script[src*="task.js"]`} {
		if n := r.Doc.Find(sel).Length(); n != 0 {
			t.Errorf("%s has %d %s", what, n, sel)
		}
	}
}

// TestBacklogAsOf: the backlog as of a position shows the sprints and the backlog as
// the live page showed them then (a sprint created and a task planned into it since are
// not there), read-only, with the board's banner; previous and next step through the
// project's changes.
func TestBacklogAsOf(t *testing.T) {
	t.Parallel()
	a := newAppWith(t, appOptions{activeSprint: true})
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	live := ben.get("/projects/DEMO/backlog")
	expectStatus(t, live, http.StatusOK)
	before := backlogLists(live)
	at := a.lastSeq()

	sp := a.newSprint("Later sprint")
	created := a.lastSeq()
	tk := a.backlogTasks()[0]
	if _, err := a.st.PlanTask(a.ctx, a.ben.ID, store.TaskPlan{TaskID: tk.ID, BaseVersion: tk.Version, Sprint: store.Opt[string]{Set: true, V: sp.ID}}); err != nil {
		t.Fatal(err)
	}
	if after := backlogLists(ben.get("/projects/DEMO/backlog")); slices.Equal(after, before) {
		t.Fatal("the new sprint and the plan did not change the live backlog")
	}

	r := ben.get("/projects/DEMO/backlog?at=" + strconv.FormatInt(at, 10))
	expectStatus(t, r, http.StatusOK)
	if got := backlogLists(r); !slices.Equal(got, before) {
		t.Errorf("as of %d the backlog shows\n%s\nthe live one was\n%s", at, strings.Join(got, "\n"), strings.Join(before, "\n"))
	}
	if r.Doc.Find("#list-"+sp.ID).Length() != 0 {
		t.Errorf("the sprint created later is listed as of %d", at)
	}
	st, err := a.st.BacklogAsOf(a.ctx, a.demo.ID, at)
	if err != nil || st.Since < 2 {
		t.Fatalf("as of %d: %v, %d changes since", at, err, st.Since)
	}
	expectText(t, r, "#asof-banner", "As of", fmt.Sprintf("%d changes since", st.Since), "Back to live", "← Previous change", "Next change →", "The backlog after change")
	if href := r.Doc.Find("#asof-live").AttrOr("href", ""); href != "/projects/DEMO/backlog" {
		t.Errorf("back to live links to %q", href)
	}
	if href := r.Doc.Find("#asof-next").AttrOr("href", ""); href != "/projects/DEMO/backlog?at="+strconv.FormatInt(created, 10) {
		t.Errorf("next change links to %q, want the sprint's creation %d", href, created)
	}
	expectReadOnly(t, r, "the backlog as it was")
	// The board at the same change, and each task as it was then.
	if href := r.Doc.Find("#asof-also-board").AttrOr("href", ""); href != "/projects/DEMO/board?at="+strconv.FormatInt(at, 10) {
		t.Errorf("the board at the same change links to %q", href)
	}
	rows := r.Doc.Find("#backlog-asof a.row-link")
	if rows.Length() == 0 {
		t.Fatal("no task row in the backlog as it was")
	}
	rows.Each(func(_ int, a *goquery.Selection) {
		if href := a.AttrOr("href", ""); !strings.HasSuffix(href, "?at="+strconv.FormatInt(at, 10)) {
			t.Errorf("a row links to %q, not to its task as it was at %d", href, at)
		}
	})

	next := ben.get(r.Doc.Find("#asof-next").AttrOr("href", ""))
	expectStatus(t, next, http.StatusOK)
	expectText(t, next, "#asof-banner", fmt.Sprintf("%d change", st.Since-1))
	expectText(t, next, "#listhead-"+sp.ID, "Later sprint", "Planned", "Ship Later sprint")
	if next.Doc.Find("#rows-"+sp.ID+" li.plan-row").Length() != 0 {
		t.Errorf("as of the sprint's creation %s is already in it", tk.Key)
	}

	// A viewer may look; bad moments are refused as the board refuses them.
	chloe := a.browser()
	chloe.signIn(chloeEmail, chloePass)
	expectStatus(t, chloe.get("/projects/DEMO/backlog?at="+strconv.FormatInt(at, 10)), http.StatusOK)
	for _, tc := range []struct{ at, says string }{
		{"yesterday", "is not a moment Tack can read"},
		{"0", "A position in the log is a whole number from 1"},
		{"1", "DEMO did not exist yet at position 1"},
		{"2999-01-01T00:00", "is in the future"},
	} {
		r := ben.get("/projects/DEMO/backlog?at=" + url.QueryEscape(tc.at))
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, tc.says) {
			t.Errorf("?at=%s: the page does not say %q: %.300s", tc.at, tc.says, r.Text("main"))
		}
	}
	dana := a.browser()
	dana.signUp("dana@example.com", "Dana Outsider", "dana-password")
	for _, path := range []string{"/projects/DEMO/backlog?at=" + strconv.FormatInt(at, 10), "/projects/DEMO/tasks/DEMO-1?at=" + strconv.FormatInt(at, 10)} {
		r := dana.get(path)
		expectStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, "Demo project") || strings.Contains(r.Body, "DEMO-1") {
			t.Errorf("%s: the 404 page reveals the project", path)
		}
	}
}

// TestTaskAsOf: a task page as of a position shows the task's fields and history of
// then, read-only, stepping through the task's own changes; a task created later is a
// 404 that says when it was created; the activity page and the task's history link each
// entry to the board and the task as of it.
func TestTaskAsOf(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	tk := a.task("DEMO-1")
	at := a.lastSeq()
	res, err := a.st.UpdateTask(a.ctx, a.ben.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Title: store.Opt[string]{Set: true, V: "Renamed later"}})
	if err != nil {
		t.Fatal(err)
	}
	retitled := a.lastSeq()
	later, err := a.st.CreateTask(a.ctx, a.ben.ID, store.NewTask{ProjectID: a.demo.ID, Title: "Born later"})
	if err != nil {
		t.Fatal(err)
	}

	r := ben.get("/projects/DEMO/tasks/DEMO-1?at=" + strconv.FormatInt(at, 10))
	expectStatus(t, r, http.StatusOK)
	expectText(t, r, "h1", tk.Title)
	if strings.Contains(r.Text("main"), "Renamed later") {
		t.Errorf("as of %d the page shows the later title", at)
	}
	expectText(t, r, "#asof-banner", "As of", "1 change to DEMO-1 since", "Next change →", "DEMO-1 after change")
	if href := r.Doc.Find("#asof-next").AttrOr("href", ""); href != "/projects/DEMO/tasks/DEMO-1?at="+strconv.FormatInt(retitled, 10) {
		t.Errorf("next change links to %q, want the retitle %d", href, retitled)
	}
	if href := r.Doc.Find("#asof-live").AttrOr("href", ""); href != "/projects/DEMO/tasks/DEMO-1" {
		t.Errorf("back to live links to %q", href)
	}
	expectReadOnly(t, r, "the task as it was")
	r.Doc.Find("#task-asof ol.history > li").Each(func(_ int, li *goquery.Selection) {
		if n, _ := strconv.ParseInt(strings.TrimPrefix(li.AttrOr("id", ""), "event-"), 10, 64); n > at {
			t.Errorf("the history as of %d lists change %d", at, n)
		}
	})

	now := ben.get("/projects/DEMO/tasks/DEMO-1?at=" + strconv.FormatInt(retitled, 10))
	expectStatus(t, now, http.StatusOK)
	expectText(t, now, "h1", res.Task.Title)
	expectText(t, now, "#asof-banner", "no change to DEMO-1 since", "No later change")

	gone := ben.get(fmt.Sprintf("/projects/DEMO/tasks/%s?at=%d", later.Key, at))
	expectStatus(t, gone, http.StatusNotFound)
	expectText(t, gone, "main", later.Key+" did not exist yet on", "it was created on")
	bad := ben.get("/projects/DEMO/tasks/DEMO-1?at=soon")
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	expectText(t, bad, "main", `"soon" is not a moment Tack can read`)

	// Links from the activity page and from the task's history.
	activity := ben.get("/projects/DEMO/activity")
	expectStatus(t, activity, http.StatusOK)
	entry := activity.Doc.Find(fmt.Sprintf("#event-%d", retitled))
	board := entry.Find(`a.asof-link[href*="/board?at="]`)
	if board.Length() != 1 || board.AttrOr("href", "") != fmt.Sprintf("/projects/DEMO/board?at=%d", retitled) || !strings.Contains(board.Text(), "Board as of this change") {
		t.Fatalf("the retitle's activity entry links to the board as of it: %d links, %q", board.Length(), board.AttrOr("href", ""))
	}
	expectStatus(t, ben.get(board.AttrOr("href", "")), http.StatusOK)
	page := ben.get("/projects/DEMO/tasks/DEMO-1")
	if href := page.Doc.Find(fmt.Sprintf("#event-%d a.asof-link[href*=\"/tasks/\"]", retitled)).AttrOr("href", ""); href != fmt.Sprintf("/projects/DEMO/tasks/DEMO-1?at=%d", retitled) {
		t.Errorf("the task's history links the retitle to %q", href)
	}
}
