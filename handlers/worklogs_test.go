package handlers_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tack-pm/tack/store"
)

// The time tracking of the task page and the card panel: logging work, editing and
// deleting worklogs, estimates in the task form, and the task's live time stream.

const (
	logForm  = "form#log-work"
	editForm = "form#change-worklog"
)

// timeTask creates a task with no estimate and no worklogs (the demo's have some) and
// returns its key and page.
func (a *app) timeTask() (string, string) {
	a.t.Helper()
	tk, err := a.st.CreateTask(a.ctx, a.ana.ID, store.NewTask{ProjectID: a.demo.ID, Title: "Time tracking test task", Type: store.TypeTask})
	if err != nil {
		a.t.Fatal(err)
	}
	return tk.Key, "/projects/DEMO/tasks/" + tk.Key
}

// htmxPost posts a form as htmx does from the task page (or the board, for the panel),
// with the CSRF token of the last page.
func (b *browser) htmxPost(path string, form url.Values, from string) *response {
	b.t.Helper()
	form.Set("_csrf", b.token)
	return b.do(http.MethodPost, path, form, http.Header{"Hx-Request": {"true"}, "Hx-Current-Url": {b.base + from}, "Hx-Target": {"time-tracking"}})
}

// setEstimate gives the task an original estimate (and so a remaining one), as Ana.
func (a *app) setEstimate(key string, seconds int64) *store.Task {
	a.t.Helper()
	tk := a.task(key)
	res, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Estimate: store.Some(&seconds)})
	if err != nil {
		a.t.Fatalf("estimate %s: %v", key, err)
	}
	return res.Task
}

// logAs logs work on the task straight through the store.
func (a *app) logAs(u *store.User, key string, seconds int64, comment string) *store.Worklog {
	a.t.Helper()
	res, err := a.st.LogWork(a.ctx, u.ID, store.NewWorklog{TaskID: a.task(key).ID, Date: time.Now().UTC().Format(time.DateOnly), Seconds: seconds, Comment: comment})
	if err != nil {
		a.t.Fatalf("log work on %s as %s: %v", key, u.Name, err)
	}
	return res.Worklog
}

func hours(n int64) int64 { return n * 3600 }

func TestLogWorkWithoutJavaScript(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	wlTask, wlPath := a.timeTask()
	a.setEstimate(wlTask, hours(8))
	b := a.browser()
	b.signIn(benEmail, benPass)
	page := b.get(wlPath)
	expectStatus(t, page, http.StatusOK)
	expectText(t, page, "#time-tracking", "Time tracking", "0m logged, 1d remaining of 1d estimated.")
	if got := page.Doc.Find(logForm+` input[name="date"]`).AttrOr("value", ""); got != time.Now().UTC().Format(time.DateOnly) {
		t.Errorf("work date defaults to %q, want today (UTC without a tz cookie)", got)
	}
	if n := page.Doc.Find(logForm + ` fieldset legend`).Length(); n != 1 {
		t.Errorf("the remaining choice has %d legends, want a fieldset with one", n)
	}
	if _, ok := page.Doc.Find(logForm + ` input[name="adjust"][value="auto"]`).Attr("checked"); !ok {
		t.Error("Adjust automatically is not the default choice")
	}

	r := b.submit(page, logForm, map[string]string{"spent": "2h 30m", "comment": "Wrote the parser"})
	expectRedirect(t, r, wlPath+"#time-tracking")
	after := b.follow(r)
	expectText(t, after, ".flash", "Logged 2h 30m on "+wlTask+".")
	expectText(t, after, "#time-facts", "2h 30m logged, 5h 30m remaining of 1d estimated.")
	expectText(t, after, "table.worklogs tbody tr", "Ben Okafor", "2h 30m", "Wrote the parser")
	for _, h := range []string{"Date", "Person", "Time", "Comment", "Actions"} {
		if after.Doc.Find(`table.worklogs th[scope="col"]:contains("`+h+`")`).Length() != 1 {
			t.Errorf("worklog table has no column header %q", h)
		}
	}
	expectText(t, after, "ol.history", "logged")
	tk := a.task(wlTask)
	if tk.Logged != 9000 || tk.Remaining == nil || *tk.Remaining != hours(8)-9000 {
		t.Errorf("stored logged %d remaining %v, want 9000 and %d", tk.Logged, tk.Remaining, hours(8)-9000)
	}
}

func TestLogWorkWithHTMXAnswersTheSection(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	wlTask, wlPath := a.timeTask()
	a.setEstimate(wlTask, hours(4))
	b := a.browser()
	b.signIn(benEmail, benPass)
	b.get(wlPath)
	for _, from := range []string{wlPath, "/projects/DEMO/board"} {
		r := b.htmxPost(wlPath+"/worklogs", url.Values{"date": {time.Now().UTC().Format(time.DateOnly)}, "spent": {"1h"}, "adjust": {"auto"}}, from)
		expectStatus(t, r, http.StatusOK)
		if r.Doc.Find("html").Length() == 1 && r.Doc.Find("header.topbar").Length() != 0 {
			t.Fatalf("from %s: htmx got a whole page, want the section", from)
		}
		expectText(t, r, "section#time-tracking .time-status", "Logged 1h on "+wlTask+".")
		heading := "h2#time-heading"
		if from != wlPath {
			heading = "h3#time-heading" // in the card panel, under the panel's h2
		}
		if r.Doc.Find(heading).Length() != 1 {
			t.Errorf("from %s: section has no %s", from, heading)
		}
	}
	if got := a.task(wlTask).Logged; got != hours(2) {
		t.Errorf("logged %d, want 2h", got)
	}
}

func TestLogWorkInvalidInput(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	_, wlPath := a.timeTask()
	b := a.browser()
	b.signIn(benEmail, benPass)
	today := time.Now().UTC()
	for _, tc := range []struct {
		name, field, want string
		set               map[string]string
	}{
		{"bad duration", "spent", `"3x" is not a duration`, map[string]string{"spent": "3x"}},
		{"no duration", "spent", "Enter a duration", map[string]string{"spent": ""}},
		{"future date", "date", "", map[string]string{"spent": "1h", "date": today.AddDate(0, 0, 3).Format(time.DateOnly)}},
		{"no date", "date", "", map[string]string{"spent": "1h", "date": ""}},
		{"bad start time", "start", "", map[string]string{"spent": "1h", "start": "25:99"}},
		{"bad set-to", "set_to", "is not a duration", map[string]string{"spent": "1h", "adjust": "set", "set_to": "soon"}},
		{"bad reduce-by", "reduce_by", "is not a duration", map[string]string{"spent": "1h", "adjust": "reduce", "reduce_by": "-2h"}},
		{"unknown choice", "adjust", "Choose what happens", map[string]string{"spent": "1h", "adjust": "double"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := b.get(wlPath)
			before := a.eventCount()
			r := b.submit(page, logForm, tc.set)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			msg := r.Text(logForm + " #err-" + tc.field)
			if msg == "" || !strings.Contains(msg, tc.want) {
				t.Errorf("message next to %s is %q, want one containing %q; form says %q", tc.field, msg, tc.want, r.Text(logForm))
			}
			if got := r.Doc.Find(logForm + " [aria-describedby=err-" + tc.field + "]").Length(); got != 1 {
				t.Errorf("%d inputs point at the message, want 1", got)
			}
			for name, v := range tc.set {
				sel := logForm + ` input[name="` + name + `"]`
				if name == "adjust" {
					continue
				}
				if got := r.Doc.Find(sel).AttrOr("value", "?"); got != v {
					t.Errorf("%s kept %q, want what was typed, %q", name, got, v)
				}
			}
			if after := a.eventCount(); after != before {
				t.Errorf("invalid input stored %d events", after-before)
			}
		})
	}
}

func TestWorklogRoutesRefuse(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	wlTask, wlPath := a.timeTask()
	w := a.logAs(a.ana, wlTask, hours(1), "Ana's work")
	wl := wlPath + "/worklogs/" + w.ID
	form := func() url.Values {
		return url.Values{"date": {w.Date}, "spent": {"3h"}, "adjust": {"auto"}, "base_version": {"1"}}
	}
	posts := []string{wlPath + "/worklogs", wl, wl + "/delete"}
	// unchanged fails the test if the log grew since before (signing up is an event).
	unchanged := func(t *testing.T, before int) {
		t.Helper()
		if after := a.eventCount(); after != before {
			t.Errorf("refused requests stored %d events", after-before)
		}
	}

	t.Run("CSRF", func(t *testing.T) {
		b := a.browser()
		b.signIn(benEmail, benPass)
		before := a.eventCount()
		for _, path := range posts {
			f := form()
			f.Set("_csrf", "forged")
			r := b.do(http.MethodPost, path, f, nil)
			expectStatus(t, r, http.StatusForbidden)
			expectText(t, r, ".error-message", "did not come from Tack")
		}
		unchanged(t, before)
	})
	t.Run("non-member", func(t *testing.T) {
		b := a.browser()
		b.signUp("dana@example.com", "Dana Outsider", "dana-password")
		before := a.eventCount()
		defer unchanged(t, before)
		for _, path := range []string{wlPath + "/time", wl, wl + "/delete", wlPath + "/stream"} {
			expectStatus(t, b.get(path), http.StatusNotFound)
		}
		for _, path := range posts {
			expectStatus(t, b.post(path, form()), http.StatusNotFound)
		}
	})
	t.Run("viewer", func(t *testing.T) {
		b := a.browser()
		b.signIn(chloeEmail, chloePass)
		defer unchanged(t, a.eventCount())
		page := b.get(wlPath)
		expectStatus(t, page, http.StatusOK)
		if page.Doc.Find(logForm).Length() != 0 || page.Doc.Find("table.worklogs a").Length() != 0 {
			t.Error("a viewer is shown the log-work form or worklog actions")
		}
		expectText(t, page, "table.worklogs", "Ana Lima", "1h")
		for _, path := range posts {
			r := b.post(path, form())
			expectStatus(t, r, http.StatusForbidden)
			expectText(t, r, ".error-message", "viewer")
		}
		expectStatus(t, b.get(wl), http.StatusForbidden)
	})
	t.Run("other member's worklog", func(t *testing.T) {
		b := a.browser()
		b.signIn(benEmail, benPass)
		defer unchanged(t, a.eventCount())
		page := b.get(wlPath)
		if n := page.Doc.Find("#worklog-" + w.ID + " a").Length(); n != 0 {
			t.Errorf("Ben is shown %d actions on Ana's worklog", n)
		}
		for _, path := range posts[1:] {
			r := b.post(path, form())
			expectStatus(t, r, http.StatusForbidden)
			expectText(t, r, ".error-message", "Only Ana Lima or a project admin can change this worklog.")
		}
		for _, path := range []string{wl, wl + "/delete"} {
			expectStatus(t, b.get(path), http.StatusForbidden)
		}
	})
	t.Run("worklog of another task", func(t *testing.T) {
		b := a.browser()
		b.signIn(anaEmail, anaPass)
		expectStatus(t, b.get("/projects/DEMO/tasks/DEMO-4/worklogs/"+w.ID), http.StatusNotFound)
	})
}

func TestEditWorklog(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	wlTask, wlPath := a.timeTask()
	a.setEstimate(wlTask, hours(8))
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	w := a.logAs(a.ben, wlTask, hours(2), "First pass")

	page := ben.get(wlPath)
	link := page.Doc.Find("#worklog-" + w.ID + ` a:contains("Edit")`)
	if link.Length() != 1 {
		t.Fatalf("Ben's own worklog has no Edit link")
	}
	edit := ben.get(link.AttrOr("href", ""))
	expectStatus(t, edit, http.StatusOK)
	if got := edit.Doc.Find(editForm+` input[name="spent"]`).AttrOr("value", ""); got != "2h" {
		t.Errorf("edit form shows %q, want 2h", got)
	}
	bad := ben.submit(edit, editForm, map[string]string{"spent": "2 hours"})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	expectText(t, bad, editForm+" #err-spent", "is not a duration")

	r := ben.submit(bad, editForm, map[string]string{"spent": "3h", "comment": "Second pass"})
	expectRedirect(t, r, wlPath+"#time-tracking")
	got, err := a.st.Worklog(a.ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seconds != hours(3) || got.Comment != "Second pass" || got.Version != 2 {
		t.Errorf("after the edit: %+v", got)
	}
	if tk := a.task(wlTask); *tk.Remaining != hours(5) || tk.Logged != hours(3) {
		t.Errorf("after the edit (auto): logged %d remaining %d, want 3h and 5h", tk.Logged, *tk.Remaining)
	}

	// An admin may change anyone's worklog.
	ana := ana(a)
	edit = ana.get(wlPath + "/worklogs/" + w.ID)
	expectStatus(t, edit, http.StatusOK)
	r = ana.submit(edit, editForm, map[string]string{"spent": "4h", "adjust": "leave"})
	expectRedirect(t, r, wlPath+"#time-tracking")
	if tk := a.task(wlTask); *tk.Remaining != hours(5) || tk.Logged != hours(4) {
		t.Errorf("after Ana's edit (leave): logged %d remaining %d, want 4h and 5h", tk.Logged, *tk.Remaining)
	}
}

func ana(a *app) *browser {
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	return b
}

// TestEditWorklogConflict: Ana changes the time of Ben's worklog while his edit form is
// open; his save of another time is refused with a fragment saying who changed what and
// what it is now, his values kept and based on the new version; saving anyway applies
// his. A field only Ana changed is kept when Ben changes another.
func TestEditWorklogConflict(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	wlTask, wlPath := a.timeTask()
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	w := a.logAs(a.ben, wlTask, hours(2), "Ben's note")
	edit := ben.get(wlPath + "/worklogs/" + w.ID)
	expectStatus(t, edit, http.StatusOK)
	if _, err := a.st.EditWorklog(a.ctx, a.ana.ID, store.WorklogEdit{WorklogID: w.ID, BaseVersion: 1, Seconds: store.Some(hours(1)), Adjust: store.AdjustLeave}); err != nil {
		t.Fatal(err)
	}

	for _, htmx := range []bool{false, true} {
		var r *response
		mine := map[bool]string{false: "5h", true: "7h"}[htmx]
		if htmx {
			edit = ben.get(wlPath + "/worklogs/" + w.ID)
			seen, _ := a.st.Worklog(a.ctx, w.ID)
			if _, err := a.st.EditWorklog(a.ctx, a.ana.ID, store.WorklogEdit{WorklogID: w.ID, BaseVersion: seen.Version, Seconds: store.Some(hours(1) + 60), Adjust: store.AdjustLeave}); err != nil {
				t.Fatal(err)
			}
			f := formValuesOf(edit, editForm)
			f.Set("spent", mine)
			r = ben.htmxPost(wlPath+"/worklogs/"+w.ID, f, wlPath)
		} else {
			r = ben.submit(edit, editForm, map[string]string{"spent": mine})
		}
		expectStatus(t, r, http.StatusConflict)
		expectText(t, r, ".worklog-conflict", "Ana Lima changed the time spent of this worklog", "It is now")
		if got := r.Doc.Find(editForm+` input[name="spent"]`).AttrOr("value", ""); got != mine {
			t.Errorf("htmx %v: Ben's value is not kept: %q", htmx, got)
		}
		now, _ := a.st.Worklog(a.ctx, w.ID)
		if got := r.Doc.Find(editForm+` input[name="base_version"]`).AttrOr("value", ""); got != strconv.Itoa(now.Version) {
			t.Errorf("htmx %v: reconfirm is based on version %s, want %d", htmx, got, now.Version)
		}
		if r.Doc.Find(editForm+` button[data-conflict-confirm]:contains("Save mine anyway")`).Length() != 1 {
			t.Errorf("htmx %v: no Save mine anyway button", htmx)
		}
		if cal := a.demo.Calendar(); cal.Format(now.Seconds) == mine {
			t.Fatalf("htmx %v: the conflicting edit was saved", htmx)
		}
		if !htmx {
			again := ben.submit(r, editForm, nil)
			expectRedirect(t, again, wlPath+"#time-tracking")
			if now, _ := a.st.Worklog(a.ctx, w.ID); now.Seconds != hours(5) || now.Comment != "Ben's note" {
				t.Errorf("after saving anyway: %d s %q", now.Seconds, now.Comment)
			}
		}
	}

	// Merge: Ana changes the comment; Ben, from the version before, changes the time only.
	now, _ := a.st.Worklog(a.ctx, w.ID)
	edit = ben.get(wlPath + "/worklogs/" + w.ID)
	if _, err := a.st.EditWorklog(a.ctx, a.ana.ID, store.WorklogEdit{WorklogID: w.ID, BaseVersion: now.Version, Comment: store.Some("Ana's note")}); err != nil {
		t.Fatal(err)
	}
	r := ben.submit(edit, editForm, map[string]string{"spent": "6h"})
	expectRedirect(t, r, wlPath+"#time-tracking")
	if now, _ := a.st.Worklog(a.ctx, w.ID); now.Seconds != hours(6) || now.Comment != "Ana's note" {
		t.Errorf("after the merge: %d s %q, want 6h and Ana's comment kept", now.Seconds, now.Comment)
	}
}

// formValuesOf is what a browser would submit for the form on page r.
func formValuesOf(r *response, selector string) url.Values {
	return formValues(r.Doc.Find(selector))
}

func TestDeleteWorklog(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	wlTask, wlPath := a.timeTask()
	a.setEstimate(wlTask, hours(8))
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	w := a.logAs(a.ben, wlTask, hours(3), "")
	page := ben.get(wlPath)
	link := page.Doc.Find("#worklog-" + w.ID + ` a:contains("Delete")`)
	confirm := ben.get(link.AttrOr("href", "?"))
	expectStatus(t, confirm, http.StatusOK)
	expectText(t, confirm, editForm+" h3", "Delete the worklog of 3h")
	if confirm.Doc.Find(editForm+` input[name="adjust"][value="reduce"]`).Length() != 0 {
		t.Error("a delete offers Reduce by")
	}
	if _, ok := confirm.Doc.Find(editForm + ` input[name="adjust"][value="auto"]`).Attr("checked"); !ok {
		t.Error("a delete does not default to adding the time back")
	}
	r := ben.submit(confirm, editForm, nil)
	expectRedirect(t, r, wlPath+"#time-tracking")
	expectText(t, ben.follow(r), ".flash", "Deleted the worklog of 3h on "+wlTask+".")
	if _, err := a.st.Worklog(a.ctx, w.ID); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("worklog still there: %v", err)
	}
	if tk := a.task(wlTask); tk.Logged != 0 || *tk.Remaining != hours(8) {
		t.Errorf("after the delete (auto): logged %d remaining %d, want 0 and 8h", tk.Logged, *tk.Remaining)
	}
	// Deleted meanwhile: a second delete says so.
	again := ben.submit(confirm, editForm, nil)
	expectStatus(t, again, http.StatusNotFound)
	expectText(t, again, ".error-message", "deleted")
}

func TestTaskFormEstimates(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	wlTask, wlPath := a.timeTask()
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	page := ben.get(wlPath)
	for _, f := range []string{"estimate", "remaining"} {
		if page.Doc.Find(`form.task-form label[for="`+f+`"]`).Length() != 1 {
			t.Errorf("task form has no labelled %s field", f)
		}
	}
	bad := ben.submit(page, "form.task-form", map[string]string{"estimate": "3x"})
	expectStatus(t, bad, http.StatusUnprocessableEntity)
	expectText(t, bad, "form.task-form #err-estimate", `"3x" is not a duration`)
	if got := bad.Doc.Find(`form.task-form input[name="estimate"]`).AttrOr("value", ""); got != "3x" {
		t.Errorf("estimate field kept %q, want 3x", got)
	}
	r := ben.submit(bad, "form.task-form", map[string]string{"estimate": "1d 4h"})
	expectRedirect(t, r, wlPath)
	tk := a.task(wlTask)
	if tk.Estimate == nil || *tk.Estimate != hours(12) || tk.Remaining == nil || *tk.Remaining != hours(12) {
		t.Fatalf("stored estimate %v remaining %v, want 12h and 12h", tk.Estimate, tk.Remaining)
	}
	after := ben.follow(r)
	if got := after.Doc.Find(`form.task-form input[name="estimate"]`).AttrOr("value", ""); got != "1d 4h" {
		t.Errorf("estimate field shows %q, want 1d 4h", got)
	}

	// Ana sets the remaining estimate while Ben's form is open; Ben sets another: a
	// conflict, named and written as durations.
	res, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Remaining: store.Some(ptr(hours(2)))})
	if err != nil {
		t.Fatal(err)
	}
	_ = res
	c := ben.submit(after, "form.task-form", map[string]string{"remaining": "6h"})
	expectStatus(t, c, http.StatusConflict)
	expectText(t, c, "section.conflict", "Remaining estimate", "2h", "6h", "Ana Lima")
	if got := c.Doc.Find(`form.task-form input[name="remaining"]`).AttrOr("value", ""); got != "6h" {
		t.Errorf("remaining field shows %q during the conflict, want Ben's 6h", got)
	}
}

func ptr(n int64) *int64 { return &n }

// TestTimeStream: an open task page's stream gets the time section's numbers and
// worklogs when someone logs work, rendered for its viewer: the author's own worklog
// carries Edit, a viewer's copy carries none.
func TestTimeStream(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	wlTask, wlPath := a.timeTask()
	streams := map[string]*bufio.Reader{}
	for who, cred := range map[string][2]string{"ben": {benEmail, benPass}, "chloe": {chloeEmail, chloePass}} {
		b := a.browser()
		b.signIn(cred[0], cred[1])
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+wlPath+"/stream", nil)
		res, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("%s's stream: %d %s", who, res.StatusCode, res.Header.Get("Content-Type"))
		}
		streams[who] = bufio.NewReader(res.Body)
	}
	w := a.logAs(a.ben, wlTask, hours(2), "Live work")
	for who, br := range streams {
		data := readTimeEvent(t, br)
		for _, want := range []string{`id="time-facts"`, `hx-swap-oob`, "2h logged", "Live work"} {
			if !strings.Contains(data, want) {
				t.Errorf("%s's update lacks %q:\n%s", who, want, data)
			}
		}
		hasEdit := strings.Contains(data, "/worklogs/"+w.ID)
		if hasEdit != (who == "ben") {
			t.Errorf("%s's update carries Edit: %v", who, hasEdit)
		}
	}
}

// readTimeEvent reads the stream up to the next "time" event and returns its data.
func readTimeEvent(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		var name string
		var data []string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				done <- ""
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case line == "" && name == "time":
				done <- strings.Join(data, "\n")
				return
			case line == "":
				name, data = "", nil
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	select {
	case d := <-done:
		if d == "" {
			t.Fatal("stream ended before a time event")
		}
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no time event within 10 s")
	}
	return ""
}

// TestTimeInThePanel: the card panel carries the time section (one heading level down)
// with its log-work form and the task's live stream; a bad duration posted from the
// panel answers the section with the message next to the field (422).
func TestTimeInThePanel(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	_, wlPath := a.timeTask()
	b := a.browser()
	b.signIn(benEmail, benPass)
	b.get("/projects/DEMO/board")
	panel := b.do(http.MethodGet, wlPath+"/panel", nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"task-panel-body"}})
	expectStatus(t, panel, http.StatusOK)
	for _, sel := range []string{"section#time-tracking h3#time-heading", logForm + " h4#log-heading", logForm + " #log-date", `[sse-connect="` + wlPath + `/stream"]`} {
		if panel.Doc.Find(sel).Length() != 1 {
			t.Errorf("panel has no %s", sel)
		}
	}
	if panel.Doc.Find("form#panel-task-form "+logForm).Length() != 0 {
		t.Error("the log-work form is nested in the task form")
	}
	before := a.eventCount()
	r := b.htmxPost(wlPath+"/worklogs", url.Values{"date": {time.Now().UTC().Format(time.DateOnly)}, "spent": {"2x"}}, "/projects/DEMO/board")
	expectStatus(t, r, http.StatusUnprocessableEntity)
	expectText(t, r, "section#time-tracking "+logForm+" #err-spent", `"2x" is not a duration`)
	if r.Doc.Find("h3#time-heading").Length() != 1 {
		t.Error("the answer to the panel is not drawn for the panel")
	}
	if after := a.eventCount(); after != before {
		t.Errorf("a bad duration stored %d events", after-before)
	}
}
