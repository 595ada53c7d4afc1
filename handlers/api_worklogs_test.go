package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
)

// The time tracking endpoints are tested on a project of their own, TT, so that the demo
// workspace's estimates and worklogs do not matter: Ana is its admin, Ben a member,
// Chloé a viewer, Dora a stranger. Its calendar is the default (8-hour days, 5-day weeks)
// unless a test changes it.

// ttEnv is an apiEnv with the project TT.
type ttEnv struct {
	*apiEnv
	p *store.Project
}

func newTTEnv(t *testing.T) *ttEnv {
	t.Helper()
	e := newAPIEnv(t)
	p, err := e.st.CreateProject(e.ctx, e.ana.ID, store.NewProject{Key: "TT", Name: "Time tracking"})
	if err != nil {
		t.Fatalf("create project: %v", err)
	}
	for _, m := range []struct {
		email string
		role  store.Role
	}{{benEmail, store.RoleMember}, {chloeEmail, store.RoleViewer}} {
		if err := e.st.AddMember(e.ctx, e.ana.ID, p.ID, m.email, m.role); err != nil {
			t.Fatalf("add %s: %v", m.email, err)
		}
	}
	tt := &ttEnv{apiEnv: e}
	tt.reload(t)
	return tt
}

// reload reads the project again (after a settings change).
func (e *ttEnv) reload(t *testing.T) {
	t.Helper()
	p, _, err := e.st.ProjectFor(e.ctx, e.ana.ID, "TT")
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
}

// apiTimed is a task with its time tracking members and a write's outcome.
type apiTimed struct {
	apiTask
	OriginalEstimate  *int64 `json:"original_estimate"`
	RemainingEstimate *int64 `json:"remaining_estimate"`
	TimeLogged        int64  `json:"time_logged"`
}

func (r *apiResult) timed(t *testing.T) apiTimed {
	t.Helper()
	var v apiTimed
	r.decode(t, &v)
	return v
}

// apiWorklog is a worklog as the API shows it, with the task of a write's answer.
type apiWorklog struct {
	ID       string    `json:"id"`
	TaskID   string    `json:"task_id"`
	TaskKey  string    `json:"task_key"`
	AuthorID string    `json:"author_id"`
	Date     string    `json:"date"`
	Start    *string   `json:"start"`
	Seconds  int64     `json:"seconds"`
	Comment  string    `json:"comment"`
	Version  int       `json:"version"`
	Task     *apiTimed `json:"task"`
}

func (r *apiResult) worklog(t *testing.T) apiWorklog {
	t.Helper()
	var w apiWorklog
	r.decode(t, &w)
	return w
}

// worklogProblem is a problem about a worklog.
type worklogProblem struct {
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Field     string `json:"field"`
	Conflicts []struct {
		Field     string `json:"field"`
		Yours     any    `json:"yours"`
		Theirs    any    `json:"theirs"`
		ChangedBy string `json:"changed_by"`
	} `json:"conflicts"`
	Current *apiWorklog `json:"current"`
}

func (e *ttEnv) taskPath(key string, suffix ...string) string {
	return "/projects/TT/tasks/" + key + strings.Join(suffix, "")
}

func (e *ttEnv) worklogsPath(key string) string { return e.taskPath(key, "/worklogs") }

func (e *ttEnv) worklogPath(key, id string) string { return e.taskPath(key, "/worklogs/", id) }

// newTask creates a TT task through the store, as Ana, with an original estimate in
// seconds (0: none).
func (e *ttEnv) newTask(t *testing.T, title string, estimate int64) *store.Task {
	t.Helper()
	nt := store.NewTask{ProjectID: e.p.ID, Title: title}
	if estimate > 0 {
		nt.Estimate = &estimate
	}
	tk, err := e.st.CreateTask(e.ctx, e.ana.ID, nt)
	if err != nil {
		t.Fatalf("create task: %v", err)
	}
	return tk
}

// current returns the task as the store has it now.
func (e *ttEnv) current(t *testing.T, key string) *store.Task {
	t.Helper()
	tk, err := e.st.TaskByKey(e.ctx, e.p, key)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// logWork logs seconds of work on task through the store, as user.
func (e *ttEnv) logWork(t *testing.T, user *store.User, tk *store.Task, seconds int64) *store.Worklog {
	t.Helper()
	res, err := e.st.LogWork(e.ctx, user.ID, store.NewWorklog{TaskID: tk.ID, Date: day(0), Seconds: seconds})
	if err != nil {
		t.Fatalf("log work: %v", err)
	}
	return res.Worklog
}

// day is the date n days after today (UTC), as the API writes dates.
func day(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }

// secs is a pointer to n, for comparing estimates.
func secs(n int64) *int64 { return &n }

// eqSecs reports whether two estimates are the same (both none, or equal).
func eqSecs(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// showSecs writes an estimate for a failure message.
func showSecs(v *int64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprint(*v)
}

// expectTime fails unless the task shows logged seconds and the remaining estimate want.
func expectTime(t *testing.T, what string, tk *apiTimed, logged int64, remaining *int64) {
	t.Helper()
	if tk == nil {
		t.Fatalf("%s: no task in the answer", what)
	}
	if tk.TimeLogged != logged || !eqSecs(tk.RemainingEstimate, remaining) {
		t.Errorf("%s: time_logged %d, remaining_estimate %s; want %d, %s", what, tk.TimeLogged, showSecs(tk.RemainingEstimate), logged, showSecs(remaining))
	}
}

// TestAPIWorklogLifecycle logs, reads, changes and deletes worklogs through the API with
// every remaining-estimate choice, checking the task's time logged and remaining
// estimate after each write, and the events and history they leave, every answer
// checked against the document.
func TestAPIWorklogLifecycle(t *testing.T) {
	e := newTTEnv(t)

	// A task created with an estimate of a day (8h) has the same remaining estimate.
	res := e.post(t, e.benTok, "/projects/TT/tasks", map[string]any{"title": "Timed", "original_estimate": "1d"}).expect(t, http.StatusCreated)
	tk := res.timed(t)
	if !eqSecs(tk.OriginalEstimate, secs(28800)) || !eqSecs(tk.RemainingEstimate, secs(28800)) || tk.TimeLogged != 0 {
		t.Fatalf("created %s", res.body)
	}
	key := tk.Key

	// Log work with each choice, on four days.
	logs := []struct {
		token string
		body  map[string]any
		// after: the task's time logged and remaining estimate
		logged    int64
		remaining int64
	}{
		{e.benTok, map[string]any{"date": day(-3), "time_spent": "2h", "start": "09:30", "comment": "Wrote it"}, 7200, 21600},
		{e.anaTok, map[string]any{"date": day(-2), "seconds": 3600, "adjust": "leave"}, 10800, 21600},
		{e.benTok, map[string]any{"date": day(-1), "time_spent": "30m", "adjust": "set", "adjust_by": "4h"}, 12600, 14400},
		{e.benTok, map[string]any{"date": day(0), "seconds": 3600, "adjust": "reduce", "adjust_by": 1800}, 16200, 12600},
	}
	var ids []string
	for i, l := range logs {
		res := e.post(t, l.token, e.worklogsPath(key), l.body).expect(t, http.StatusCreated)
		w := res.worklog(t)
		expectTime(t, fmt.Sprint("log ", i), w.Task, l.logged, secs(l.remaining))
		if w.Version != 1 || w.TaskKey != key || w.TaskID != tk.ID || w.Date != l.body["date"] || res.header.Get("ETag") != apiETag(1) ||
			res.header.Get("Location") != "/api/v1"+e.worklogPath(key, w.ID) {
			t.Errorf("log %d: %s (ETag %s, Location %s)", i, res.body, res.header.Get("ETag"), res.header.Get("Location"))
		}
		ids = append(ids, w.ID)
	}
	first := e.get(t, e.chloeTok, e.worklogPath(key, ids[0])).expect(t, http.StatusOK)
	if w := first.worklog(t); w.AuthorID != e.ben.ID || w.Seconds != 7200 || w.Start == nil || *w.Start != "09:30" || w.Comment != "Wrote it" || w.Task != nil {
		t.Errorf("GET worklog: %s", first.body)
	}
	e.do(t, apiCall{method: http.MethodGet, path: e.worklogPath(key, ids[0]), token: e.chloeTok, header: map[string]string{"If-None-Match": first.header.Get("ETag")}}).
		expect(t, http.StatusNotModified)

	// The list: newest work date first.
	var list struct{ Worklogs []apiWorklog }
	e.get(t, e.chloeTok, e.worklogsPath(key)).expect(t, http.StatusOK).decode(t, &list)
	var listed []string
	for _, w := range list.Worklogs {
		listed = append(listed, w.ID)
	}
	if want := []string{ids[3], ids[2], ids[1], ids[0]}; !slices.Equal(listed, want) {
		t.Errorf("listed %v, want %v", listed, want)
	}

	// Edit the first with each choice, strict and merging.
	edits := []struct {
		header    []string
		body      map[string]any
		logged    int64
		remaining int64
	}{
		{[]string{"If-Match", apiETag(1)}, map[string]any{"time_spent": "3h"}, 19800, 9000},                                    // auto: 1h more off
		{nil, map[string]any{"base_version": 2, "seconds": 7200, "adjust": "leave"}, 16200, 9000},                              // leave
		{[]string{"If-Match", apiETag(3)}, map[string]any{"comment": "Rewrote it", "start": nil}, 16200, 9000},                 // no time change
		{[]string{"If-Match", apiETag(4)}, map[string]any{"seconds": 3600, "adjust": "set", "adjust_by": 20000}, 12600, 20000}, // set
		{nil, map[string]any{"base_version": 5, "seconds": 7200, "adjust": "reduce", "adjust_by": "1h"}, 16200, 16400},         // reduce
	}
	for i, ed := range edits {
		res := e.patch(t, e.benTok, e.worklogPath(key, ids[0]), ed.body, ed.header...).expect(t, http.StatusOK)
		w := res.worklog(t)
		expectTime(t, fmt.Sprint("edit ", i), w.Task, ed.logged, secs(ed.remaining))
		if w.Version != i+2 || res.header.Get("ETag") != apiETag(i+2) {
			t.Errorf("edit %d: version %d, ETag %s", i, w.Version, res.header.Get("ETag"))
		}
	}
	if w := e.get(t, e.benTok, e.worklogPath(key, ids[0])).expect(t, http.StatusOK).worklog(t); w.Start != nil || w.Comment != "Rewrote it" || w.Seconds != 7200 {
		t.Errorf("after the edits: %+v", w)
	}

	// Delete the others: Ana her own (auto: the time goes back), Ben his (leave), Ana,
	// an admin, Ben's last (set).
	deletes := []struct {
		token     string
		id        string
		header    map[string]string
		body      any
		logged    int64
		remaining int64
	}{
		{e.anaTok, ids[1], map[string]string{"If-Match": apiETag(1)}, nil, 12600, 20000},
		{e.benTok, ids[2], nil, map[string]any{"base_version": 1, "adjust": "leave"}, 10800, 20000},
		{e.anaTok, ids[3], map[string]string{"If-Match": apiETag(1)}, map[string]any{"adjust": "set", "adjust_by": "2h"}, 7200, 7200},
	}
	for i, d := range deletes {
		res := e.do(t, apiCall{method: http.MethodDelete, path: e.worklogPath(key, d.id), token: d.token, header: d.header, body: d.body}).expect(t, http.StatusOK)
		var out struct{ Task *apiTimed }
		res.decode(t, &out)
		expectTime(t, fmt.Sprint("delete ", i), out.Task, d.logged, secs(d.remaining))
		e.get(t, d.token, e.worklogPath(key, d.id)).expectProblem(t, http.StatusNotFound, "deleted")
	}
	// Logging more than remains leaves none, never less.
	w := e.post(t, e.benTok, e.worklogsPath(key), map[string]any{"date": day(0), "time_spent": "3h"}).expect(t, http.StatusCreated).worklog(t)
	expectTime(t, "overrun", w.Task, 18000, secs(0))
	if got := e.get(t, e.chloeTok, e.taskPath(key)).expect(t, http.StatusOK).timed(t); got.TimeLogged != 18000 || !eqSecs(got.OriginalEstimate, secs(28800)) {
		t.Errorf("GET task: %+v", got)
	}

	// The feed has the worklog events, their payloads checked against the document;
	// the history tells them (checked too).
	var feed struct {
		Events []struct {
			Stream string `json:"stream"`
			Type   string `json:"type"`
		}
	}
	e.get(t, e.chloeTok, "/projects/TT/events?limit=1000").expect(t, http.StatusOK).decode(t, &feed)
	seen := map[string]bool{}
	for _, ev := range feed.Events {
		seen[ev.Type] = true
	}
	for _, typ := range []string{store.TypeWorkLogged, store.TypeWorklogEdited, store.TypeWorklogDeleted} {
		if !seen[typ] {
			t.Errorf("the feed has no %s event", typ)
		}
	}
	var history struct{ History []struct{ Type, Text string } }
	e.get(t, e.chloeTok, e.taskPath(key, "/history")).expect(t, http.StatusOK).decode(t, &history)
	told := map[string]bool{}
	for _, h := range history.History {
		told[h.Type] = true
	}
	if !told[store.TypeWorkLogged] || !told[store.TypeWorklogEdited] || !told[store.TypeWorklogDeleted] {
		t.Errorf("history does not tell the worklog events: %+v", history.History)
	}
}

// worklogOps are the worklog operations; one is true for those on one worklog.
var worklogOps = []struct {
	op, method string
	one, write bool
}{
	{"listWorklogs", http.MethodGet, false, false},
	{"logWork", http.MethodPost, false, true},
	{"getWorklog", http.MethodGet, true, false},
	{"updateWorklog", http.MethodPatch, true, true},
	{"deleteWorklog", http.MethodDelete, true, true},
}

// TestAPIWorklogErrors sends every worklog operation what it refuses: no token (401), a
// stranger, an unknown project, task or worklog, a worklog of another task (404), a
// viewer's writes and a member's change of someone else's worklog (403), unreadable
// bodies (400, 413), values the rules refuse (422), no precondition (428), a stale
// If-Match (412) and a conflicting base_version (409); then checks that each operation
// answered each of those, and that refused requests changed nothing.
func TestAPIWorklogErrors(t *testing.T) {
	e := newTTEnv(t)
	tk := e.newTask(t, "Logged", 8*3600)
	other := e.newTask(t, "Other", 0)
	w := e.logWork(t, e.ben, tk, 3600)
	elsewhere := e.logWork(t, e.ben, other, 600)
	before := e.eventCount()

	for _, o := range worklogOps {
		path := e.worklogsPath(tk.Key)
		if o.one {
			path = e.worklogPath(tk.Key, w.ID)
		}
		var body any
		switch o.op {
		case "logWork":
			body = map[string]any{"date": day(0), "seconds": 60}
		case "updateWorklog":
			body = map[string]any{"base_version": w.Version, "comment": "x"}
		case "deleteWorklog":
			body = map[string]any{"base_version": w.Version}
		}
		t.Run(o.op, func(t *testing.T) {
			e.do(t, apiCall{method: o.method, path: path, body: body}).expectProblem(t, http.StatusUnauthorized)
			e.do(t, apiCall{method: o.method, path: path, token: e.strangerTok, body: body}).expectProblem(t, http.StatusNotFound, "no ")
			e.do(t, apiCall{method: o.method, path: strings.Replace(path, "/TT/", "/NOPE/", 1), token: e.anaTok, body: body}).expectProblem(t, http.StatusNotFound, "no ")
			e.do(t, apiCall{method: o.method, path: strings.Replace(path, tk.Key, "TT-99", 1), token: e.anaTok, body: body}).expectProblem(t, http.StatusNotFound)
			if o.one {
				e.do(t, apiCall{method: o.method, path: e.worklogPath(tk.Key, "nope"), token: e.anaTok, body: body}).expectProblem(t, http.StatusNotFound)
				e.do(t, apiCall{method: o.method, path: e.worklogPath(tk.Key, elsewhere.ID), token: e.anaTok, body: body}).
					expectProblem(t, http.StatusNotFound, "no worklog", tk.Key)
			}
			if !o.write {
				return
			}
			e.do(t, apiCall{method: o.method, path: path, token: e.chloeTok, body: body}).expectProblem(t, http.StatusForbidden, "viewer")
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: `{"date": "x",}`}).expectProblem(t, http.StatusBadRequest, "not valid JSON")
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{"titel": "x"}}).
				expectProblem(t, http.StatusBadRequest, `unknown field "titel"`)
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: `{"comment": "` + strings.Repeat("a", 1<<20) + `"}`}).
				expectProblem(t, http.StatusRequestEntityTooLarge, "1 MiB")
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{"adjust_by": true}}).
				expectProblem(t, http.StatusBadRequest, `"adjust_by"`, "seconds")
			if o.op == "logWork" {
				return
			}
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{"base_version": "1"}}).
				expectProblem(t, http.StatusBadRequest, `"base_version"`)
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{}}).
				expectProblem(t, http.StatusPreconditionRequired, "If-Match", "base_version")
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{"base_version": 0}}).
				expectProblem(t, http.StatusUnprocessableEntity, "base_version")
			res := e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{}, header: map[string]string{"If-Match": apiETag(w.Version + 7)}})
			res.expectProblem(t, http.StatusPreconditionFailed, "version")
			var wp worklogProblem
			res.decode(t, &wp)
			if wp.Current == nil || wp.Current.ID != w.ID || wp.Current.Version != w.Version || res.header.Get("ETag") != apiETag(w.Version) {
				t.Errorf("412 without the current worklog: %s (ETag %s)", res.body, res.header.Get("ETag"))
			}
			// A member may change only their own worklogs.
			anas := e.logWork(t, e.ana, tk, 60)
			e.do(t, apiCall{method: o.method, path: e.worklogPath(tk.Key, anas.ID), token: e.benTok, body: map[string]any{"base_version": 1}}).
				expectProblem(t, http.StatusForbidden, "only")
			if _, err := e.st.DeleteWorklog(e.ctx, e.ana.ID, store.WorklogDelete{WorklogID: anas.ID, BaseVersion: 1, Adjust: store.AdjustLeave}); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Ana's worklogs above were logged and deleted on purpose: 2 events each.
	if n := e.eventCount() - before; n != 2*2 {
		t.Errorf("refused requests appended %d events", n-4)
	}

	// Values the rules refuse, each naming its field.
	one := e.worklogPath(tk.Key, w.ID)
	for _, c := range []struct {
		method, path string
		body         any
		field        string
	}{
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"seconds": 60}, "date"},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0)}, "time_spent"},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 60, "time_spent": "1m"}, "time_spent"},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "time_spent": "3x"}, "time_spent"},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 60, "adjust": "set"}, "adjust_by"},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 60, "adjust": "reduce"}, "adjust_by"},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 60, "adjust_by": 60}, "adjust_by"},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 60, "adjust": "leave", "adjust_by": "1h"}, "adjust_by"},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 60, "adjust": "sideways"}, "adjust"},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 60, "adjust": "set", "adjust_by": "soon"}, "adjust_by"},
		{http.MethodPatch, one, map[string]any{"base_version": w.Version, "time_spent": "3x"}, "time_spent"},
		{http.MethodPatch, one, map[string]any{"base_version": w.Version, "seconds": 60, "time_spent": "1m"}, "time_spent"},
		{http.MethodPatch, one, map[string]any{"base_version": w.Version, "adjust": "set"}, "adjust_by"},
		{http.MethodDelete, one, map[string]any{"base_version": w.Version, "adjust": "set"}, "adjust_by"},
		{http.MethodDelete, one, map[string]any{"base_version": w.Version, "adjust": "leave", "adjust_by": 5}, "adjust_by"},
	} {
		t.Run("422 "+c.method+" "+fmt.Sprint(c.body), func(t *testing.T) {
			p := e.do(t, apiCall{method: c.method, path: c.path, token: e.benTok, body: c.body}).expectProblem(t, http.StatusUnprocessableEntity)
			if p.Field != c.field {
				t.Errorf("field %q, want %q (%s)", p.Field, c.field, p.Detail)
			}
		})
	}
	// Values the store refuses: a date too far ahead or unreadable, no time, a bad start,
	// reduce on a delete.
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(5), "seconds": 60}},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": "23/11/2026", "seconds": 60}},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 0}},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 60, "start": "25:00"}},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": duration.Max + 1}},
		{http.MethodPatch, one, map[string]any{"base_version": w.Version, "seconds": -5}},
		{http.MethodDelete, one, map[string]any{"base_version": w.Version, "adjust": "reduce", "adjust_by": 60}},
	} {
		t.Run("422 "+c.method+" "+fmt.Sprint(c.body), func(t *testing.T) {
			e.do(t, apiCall{method: c.method, path: c.path, token: e.benTok, body: c.body}).expectProblem(t, http.StatusUnprocessableEntity)
		})
	}
	// Members of the wrong type are 400, naming the member.
	for _, c := range []struct {
		method, path string
		body         any
		member       string
	}{
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": "2h"}, `"seconds"`},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 1.5}, `"seconds"`},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "time_spent": 7200}, `"time_spent"`},
		{http.MethodPost, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "seconds": 60, "adjust": "set", "adjust_by": 1.5}, `"adjust_by"`},
		{http.MethodPatch, one, map[string]any{"base_version": w.Version, "start": 930}, `"start"`},
	} {
		t.Run("400 "+c.method+" "+fmt.Sprint(c.body), func(t *testing.T) {
			e.do(t, apiCall{method: c.method, path: c.path, token: e.benTok, body: c.body}).expectProblem(t, http.StatusBadRequest, c.member)
		})
	}
	if got, err := e.st.Worklog(e.ctx, w.ID); err != nil || got.Version != w.Version || got.Seconds != w.Seconds {
		t.Errorf("refused requests changed the worklog: %+v, %v", got, err)
	}

	// 409: two edits of the same field from one version; a delete after a change.
	e.patch(t, e.anaTok, one, map[string]any{"base_version": w.Version, "comment": "Ana's comment"}).expect(t, http.StatusOK)
	merged := e.patch(t, e.benTok, one, map[string]any{"base_version": w.Version, "time_spent": "90m"}).expect(t, http.StatusOK).worklog(t)
	if merged.Comment != "Ana's comment" || merged.Seconds != 5400 || merged.Version != w.Version+2 {
		t.Errorf("merge of different fields: %+v", merged)
	}
	res := e.patch(t, e.benTok, one, map[string]any{"base_version": w.Version, "comment": "Ben's comment", "start": "08:00"})
	res.expectProblem(t, http.StatusConflict)
	var wp worklogProblem
	res.decode(t, &wp)
	if len(wp.Conflicts) != 1 || wp.Conflicts[0].Field != "comment" || wp.Conflicts[0].Yours != "Ben's comment" || wp.Conflicts[0].Theirs != "Ana's comment" ||
		wp.Conflicts[0].ChangedBy == "" || wp.Current == nil || wp.Current.Version != merged.Version || res.header.Get("ETag") != apiETag(merged.Version) {
		t.Errorf("worklog conflict: %s (ETag %s)", res.body, res.header.Get("ETag"))
	}
	if got, _ := e.st.Worklog(e.ctx, w.ID); got.Comment != "Ana's comment" || got.Start != "" {
		t.Errorf("a refused edit changed the worklog: %+v", got)
	}
	e.do(t, apiCall{method: http.MethodDelete, path: one, token: e.benTok, body: map[string]any{"base_version": w.Version}}).
		expectProblem(t, http.StatusConflict)
	// The refusal is in the task's history; nothing waits for an answer (a worklog's
	// conflict is answered by editing it again).
	if pending := e.pendingConflicts(t, e.benTok, "TT"); len(pending) != 0 {
		t.Errorf("a worklog conflict is pending: %+v", pending)
	}
	var history struct{ History []struct{ Type, Text string } }
	e.get(t, e.benTok, e.taskPath(tk.Key, "/history")).expect(t, http.StatusOK).decode(t, &history)
	if !slices.ContainsFunc(history.History, func(h struct{ Type, Text string }) bool { return h.Type == store.TypeWorklogConflicted }) {
		t.Errorf("history does not tell the worklog conflict: %+v", history.History)
	}
	e.do(t, apiCall{method: http.MethodDelete, path: one, token: e.benTok, header: map[string]string{"If-Match": apiETag(merged.Version)}}).expect(t, http.StatusOK)

	for _, o := range worklogOps {
		want := []int{http.StatusUnauthorized, http.StatusNotFound}
		if o.write {
			want = append(want, http.StatusForbidden, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
		}
		if o.write && o.one {
			want = append(want, http.StatusOK, http.StatusPreconditionRequired, http.StatusPreconditionFailed, http.StatusConflict)
		}
		e.requireSeen(t, o.op, want...)
	}
}

// TestAPIWorklogSuccessCoverage makes sure every worklog operation has been seen
// answering success against the document, in a run of its own, and that logging work
// with an Idempotency-Key twice logs it once.
func TestAPIWorklogSuccessCoverage(t *testing.T) {
	e := newTTEnv(t)
	tk := e.newTask(t, "Covered", 0)
	body := map[string]any{"date": day(-1), "seconds": 1800, "comment": "Once"}
	first := e.post(t, e.benTok, e.worklogsPath(tk.Key), body, "Idempotency-Key", "log-once").expect(t, http.StatusCreated)
	again := e.post(t, e.benTok, e.worklogsPath(tk.Key), body, "Idempotency-Key", "log-once").expect(t, http.StatusCreated)
	if !bytes.Equal(first.body, again.body) || again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("ETag") != apiETag(1) {
		t.Errorf("replayed log: %s / %s", first.body, again.body)
	}
	w := first.worklog(t)
	expectTime(t, "logged without an estimate", w.Task, 1800, nil)
	var list struct{ Worklogs []apiWorklog }
	e.get(t, e.benTok, e.worklogsPath(tk.Key)).expect(t, http.StatusOK).decode(t, &list)
	if len(list.Worklogs) != 1 || e.current(t, tk.Key).Logged != 1800 {
		t.Errorf("%d worklogs after a replayed log, %d seconds logged", len(list.Worklogs), e.current(t, tk.Key).Logged)
	}
	e.get(t, e.benTok, e.worklogPath(tk.Key, w.ID)).expect(t, http.StatusOK)
	e.patch(t, e.benTok, e.worklogPath(tk.Key, w.ID), map[string]any{"comment": "Twice"}, "If-Match", apiETag(1)).expect(t, http.StatusOK)
	e.do(t, apiCall{method: http.MethodDelete, path: e.worklogPath(tk.Key, w.ID), token: e.benTok, header: map[string]string{"If-Match": apiETag(2)}}).
		expect(t, http.StatusOK)
	for _, o := range worklogOps {
		if o.op == "logWork" {
			e.requireSeen(t, o.op, http.StatusCreated)
		} else {
			e.requireSeen(t, o.op, http.StatusOK)
		}
	}
}

// TestAPIDemoTimeTracking reads the demo workspace's time tracking through the API: its
// whole event feed (a week of worklogs with every remaining-estimate choice, estimates),
// its tasks and a task's worklogs, every answer checked against the document.
func TestAPIDemoTimeTracking(t *testing.T) {
	e := newAPIEnv(t)
	seen := map[string]bool{}
	for after := int64(0); ; {
		var page struct {
			Events []struct {
				Type string `json:"type"`
				Data struct {
					Adjust string `json:"adjust"`
				} `json:"data"`
			} `json:"events"`
			NextAfter int64 `json:"next_after"`
		}
		e.get(t, e.chloeTok, fmt.Sprintf("/projects/DEMO/events?limit=1000&after=%d", after)).expect(t, http.StatusOK).decode(t, &page)
		if len(page.Events) == 0 {
			break
		}
		for _, ev := range page.Events {
			seen[ev.Type] = true
			if ev.Type == store.TypeWorkLogged {
				seen["adjust "+ev.Data.Adjust] = true
			}
		}
		after = page.NextAfter
	}
	for _, want := range []string{store.TypeWorkLogged, "adjust auto", "adjust leave", "adjust set", "adjust reduce"} {
		if !seen[want] {
			t.Errorf("the demo's feed has no %s", want)
		}
	}
	var list struct{ Tasks []apiTimed }
	e.get(t, e.chloeTok, "/projects/DEMO/tasks?limit=200").expect(t, http.StatusOK).decode(t, &list)
	var logged *apiTimed
	estimated := 0
	for i, tk := range list.Tasks {
		if tk.OriginalEstimate != nil {
			estimated++
		}
		if tk.TimeLogged > 0 && logged == nil {
			logged = &list.Tasks[i]
		}
	}
	if logged == nil || estimated == 0 {
		t.Fatalf("no demo task with time logged (%v) or estimated (%d)", logged, estimated)
	}
	var wl struct{ Worklogs []apiWorklog }
	e.get(t, e.chloeTok, "/projects/DEMO/tasks/"+logged.Key+"/worklogs").expect(t, http.StatusOK).decode(t, &wl)
	var sum int64
	for _, w := range wl.Worklogs {
		sum += w.Seconds
	}
	if len(wl.Worklogs) == 0 || sum != logged.TimeLogged {
		t.Errorf("%s: %d worklogs of %d seconds, the task says %d", logged.Key, len(wl.Worklogs), sum, logged.TimeLogged)
	}
}

// TestAPIWorklogRace releases two API clients changing the same worklog with the same
// If-Match together, 20 rounds: each round exactly one is applied (200) and the other
// refused (412), and the worklog holds the winner's change at version 2.
func TestAPIWorklogRace(t *testing.T) {
	e := newTTEnv(t)
	tk := e.newTask(t, "Raced", 10*3600)
	tokens := []string{e.anaTok, e.benTok} // Ana, an admin, may change Ben's worklogs
	for round := range 20 {
		w := e.logWork(t, e.ben, tk, 600)
		calls := make([]apiCall, 2)
		results := make([]*apiResult, 2)
		errs := make([]error, 2)
		var ready, done sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			calls[i] = apiCall{method: http.MethodPatch, path: e.worklogPath(tk.Key, w.ID), token: tokens[i],
				body: map[string]any{"comment": fmt.Sprintf("client %d", i), "seconds": 600 * (i + 2)}, header: map[string]string{"If-Match": apiETag(1)}}
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				body, _ := json.Marshal(calls[i].body)
				req, err := http.NewRequest(calls[i].method, e.srv.URL+"/api/v1"+calls[i].path, bytes.NewReader(body))
				if err != nil {
					errs[i] = err
					ready.Done()
					return
				}
				calls[i].setHeaders(req, body)
				ready.Done()
				<-start // the barrier: both requests leave together
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs[i] = err
					return
				}
				defer res.Body.Close()
				out := &apiResult{status: res.StatusCode, header: res.Header}
				out.body, errs[i] = io.ReadAll(res.Body)
				results[i] = out
			}()
		}
		ready.Wait()
		close(start)
		done.Wait()
		winner := -1
		statuses := []int{}
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("round %d: %v", round, errs[i])
			}
			body, _ := json.Marshal(calls[i].body)
			e.check(t, calls[i], body, results[i])
			statuses = append(statuses, results[i].status)
			if results[i].status == http.StatusOK {
				winner = i
			}
		}
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
			t.Fatalf("round %d: statuses %v, want one 200 and one 412", round, statuses)
		}
		got, err := e.st.Worklog(e.ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || got.Comment != fmt.Sprintf("client %d", winner) || got.Seconds != int64(600*(winner+2)) {
			t.Errorf("round %d: worklog %+v, want the winner's (client %d) change at version 2", round, got, winner)
		}
	}
	// Every round's winner added its time once: 20 × 600 logged, plus each winner's extra.
	var want int64
	for _, w := range mustWorklogs(t, e, tk) {
		want += w.Seconds
	}
	if got := e.current(t, tk.Key).Logged; got != want {
		t.Errorf("time logged %d, want the worklogs' sum %d", got, want)
	}
}

// mustWorklogs lists the task's worklogs through the store.
func mustWorklogs(t *testing.T, e *ttEnv, tk *store.Task) []*store.Worklog {
	t.Helper()
	list, err := e.st.Worklogs(e.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestAPITaskEstimates sets estimates through task creation and PATCH as seconds,
// duration strings (with the project's calendar) and null; checks that they follow the
// merge rule like other fields (409 when both changed the remaining estimate, including
// through a worklog), refuse what is not a duration, and reach sync updates.
func TestAPITaskEstimates(t *testing.T) {
	e := newTTEnv(t)
	var proj struct {
		HoursPerDay float64 `json:"hours_per_day"`
		DaysPerWeek int     `json:"days_per_week"`
	}
	e.get(t, e.chloeTok, "/projects/TT").expect(t, http.StatusOK).decode(t, &proj)
	if proj.HoursPerDay != 8 || proj.DaysPerWeek != 5 {
		t.Errorf("default calendar %+v", proj)
	}

	// Create: seconds, a string, null.
	for _, c := range []struct {
		estimate any
		want     *int64
	}{{9000, secs(9000)}, {"1d 4h", secs(12 * 3600)}, {nil, nil}, {"1.5h", secs(5400)}, {"90", secs(90 * 3600)}} {
		tk := e.post(t, e.benTok, "/projects/TT/tasks", map[string]any{"title": "Estimated", "original_estimate": c.estimate}).expect(t, http.StatusCreated).timed(t)
		if !eqSecs(tk.OriginalEstimate, c.want) || !eqSecs(tk.RemainingEstimate, c.want) || tk.TimeLogged != 0 {
			t.Errorf("created with %v: estimate %s, remaining %s", c.estimate, showSecs(tk.OriginalEstimate), showSecs(tk.RemainingEstimate))
		}
	}

	// PATCH: an estimate on a task without one sets the remaining estimate too, less the
	// time logged; the remaining estimate alone; null clears.
	tk := e.newTask(t, "Later estimated", 0)
	e.logWork(t, e.ben, tk, 3600)
	cur := e.current(t, tk.Key)
	got := e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"original_estimate": "2h 30m"}, "If-Match", apiETag(cur.Version)).expect(t, http.StatusOK).timed(t)
	if !eqSecs(got.OriginalEstimate, secs(9000)) || !eqSecs(got.RemainingEstimate, secs(5400)) || !slices.Contains(got.Applied, "original_estimate") {
		t.Errorf("estimated: %+v", got)
	}
	got = e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"base_version": got.Version, "remaining_estimate": 7200}).expect(t, http.StatusOK).timed(t)
	if !eqSecs(got.RemainingEstimate, secs(7200)) || !slices.Equal(got.Applied, []string{"remaining_estimate"}) {
		t.Errorf("remaining set: %+v", got)
	}
	got = e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"base_version": got.Version, "original_estimate": nil}).expect(t, http.StatusOK).timed(t)
	if got.OriginalEstimate != nil || !eqSecs(got.RemainingEstimate, secs(7200)) {
		t.Errorf("estimate cleared: %+v", got)
	}
	got = e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"base_version": got.Version, "remaining_estimate": nil}).expect(t, http.StatusOK).timed(t)
	if got.RemainingEstimate != nil || got.TimeLogged != 3600 {
		t.Errorf("remaining cleared: %+v", got)
	}

	// Conflicts: both set the remaining estimate from one version.
	base := e.current(t, tk.Key).Version
	e.patch(t, e.anaTok, e.taskPath(tk.Key), map[string]any{"base_version": base, "remaining_estimate": 1800}).expect(t, http.StatusOK)
	res := e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"base_version": base, "remaining_estimate": "3h"})
	p := res.expectProblem(t, http.StatusConflict)
	if len(p.Conflicts) != 1 || p.Conflicts[0].Field != "remaining_estimate" || p.Conflicts[0].Yours != float64(10800) || p.Conflicts[0].Theirs != float64(1800) || p.ConflictSeq == 0 {
		t.Errorf("remaining conflict: %s", res.body)
	}
	pending := e.pendingConflicts(t, e.benTok, "TT")
	if len(pending) != 1 || pending[0].Wanted["remaining_estimate"] != float64(10800) {
		t.Fatalf("pending %+v", pending)
	}
	answered := e.post(t, e.benTok, fmt.Sprintf("/projects/TT/conflicts/%d", pending[0].Seq), map[string]any{"choice": "mine"}).expect(t, http.StatusOK).timed(t)
	if !eqSecs(answered.RemainingEstimate, secs(10800)) {
		t.Errorf("answered mine: %+v", answered)
	}
	// Both set the original estimate from one version.
	base = e.current(t, tk.Key).Version
	e.patch(t, e.anaTok, e.taskPath(tk.Key), map[string]any{"base_version": base, "original_estimate": "1d"}).expect(t, http.StatusOK)
	res = e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"base_version": base, "original_estimate": "2d"})
	if p := res.expectProblem(t, http.StatusConflict); len(p.Conflicts) != 1 || p.Conflicts[0].Field != "original_estimate" || p.Conflicts[0].Theirs != float64(28800) {
		t.Errorf("estimate conflict: %s", res.body)
	}
	// A worklog that moved the remaining estimate since conflicts with setting it, and
	// merges with anything else.
	base = e.current(t, tk.Key).Version
	if _, err := e.st.LogWork(e.ctx, e.ana.ID, store.NewWorklog{TaskID: tk.ID, Date: day(0), Seconds: 1800}); err != nil {
		t.Fatal(err)
	}
	res = e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"base_version": base, "remaining_estimate": "5h"})
	if p := res.expectProblem(t, http.StatusConflict); len(p.Conflicts) != 1 || p.Conflicts[0].Field != "remaining_estimate" || p.Conflicts[0].Theirs != float64(9000) {
		t.Errorf("remaining conflict after a worklog: %s", res.body)
	}
	got = e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"base_version": base, "title": "Renamed"}).expect(t, http.StatusOK).timed(t)
	if !slices.Equal(got.Merged, []string{"remaining_estimate"}) || !eqSecs(got.RemainingEstimate, secs(9000)) {
		t.Errorf("merged with a worklog: %+v", got)
	}
	// Strict: a stale If-Match is 412.
	e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"remaining_estimate": 60}, "If-Match", apiETag(base)).expectProblem(t, http.StatusPreconditionFailed)

	// Refused values: 422 naming the field, 400 for the wrong type.
	v := e.current(t, tk.Key).Version
	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
		words  []string
	}{
		{map[string]any{"original_estimate": "3x"}, http.StatusUnprocessableEntity, "original_estimate", []string{"not a duration", "2h 30m"}},
		{map[string]any{"remaining_estimate": "2h 2h"}, http.StatusUnprocessableEntity, "remaining_estimate", []string{"twice"}},
		{map[string]any{"original_estimate": -5}, http.StatusUnprocessableEntity, "original_estimate", []string{"negative"}},
		{map[string]any{"remaining_estimate": "-1h"}, http.StatusUnprocessableEntity, "remaining_estimate", []string{"negative"}},
		{map[string]any{"original_estimate": duration.Max + 1}, http.StatusUnprocessableEntity, "original_estimate", nil},
		{map[string]any{"original_estimate": true}, http.StatusBadRequest, "", []string{`"original_estimate"`}},
		{map[string]any{"remaining_estimate": 1.5}, http.StatusBadRequest, "", []string{`"remaining_estimate"`, "whole seconds"}},
		{map[string]any{"original_estimate": []int{1}}, http.StatusBadRequest, "", []string{`"original_estimate"`}},
	} {
		c.body["base_version"] = v
		p := e.patch(t, e.benTok, e.taskPath(tk.Key), c.body).expectProblem(t, c.status, c.words...)
		if p.Field != c.field {
			t.Errorf("%v: field %q, want %q", c.body, p.Field, c.field)
		}
	}
	e.post(t, e.benTok, "/projects/TT/tasks", map[string]any{"title": "x", "original_estimate": "soon"}).expectProblem(t, http.StatusUnprocessableEntity, "not a duration")
	if now := e.current(t, tk.Key); now.Version != v {
		t.Errorf("refused estimates changed the task: version %d, want %d", now.Version, v)
	}

	// The project's calendar reads duration strings: a 7.5-hour day, 4-day week.
	if err := e.st.SetCalendar(e.ctx, e.ana.ID, e.p.ID, duration.Calendar{DayMinutes: 450, WeekDays: 4}); err != nil {
		t.Fatal(err)
	}
	e.get(t, e.chloeTok, "/projects/TT").expect(t, http.StatusOK).decode(t, &proj)
	if proj.HoursPerDay != 7.5 || proj.DaysPerWeek != 4 {
		t.Errorf("calendar %+v", proj)
	}
	got = e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"base_version": v, "original_estimate": "1w", "remaining_estimate": "1d"}).expect(t, http.StatusOK).timed(t)
	if !eqSecs(got.OriginalEstimate, secs(4*450*60)) || !eqSecs(got.RemainingEstimate, secs(450*60)) {
		t.Errorf("with a 7.5h day: %+v", got)
	}
	w := e.post(t, e.benTok, e.worklogsPath(tk.Key), map[string]any{"date": day(0), "time_spent": "1d"}).expect(t, http.StatusCreated).worklog(t)
	if w.Seconds != 450*60 {
		t.Errorf("logged 1d as %d seconds", w.Seconds)
	}

	// Sync updates take estimates too; a bad duration rejects the operation alone.
	cur = e.current(t, tk.Key)
	var out struct {
		Results []struct {
			Status  string    `json:"status"`
			Reason  string    `json:"reason"`
			Applied []string  `json:"applied"`
			Task    *apiTimed `json:"task"`
		}
	}
	e.post(t, e.benTok, "/sync", map[string]any{"operations": []map[string]any{
		{"op_id": "est-1", "task": tk.Key, "base_version": cur.Version, "action": "update", "changes": map[string]any{"original_estimate": "2d"}},
		{"op_id": "est-2", "task": tk.Key, "base_version": cur.Version, "action": "update", "changes": map[string]any{"remaining_estimate": "3x"}},
	}}).expect(t, http.StatusOK).decode(t, &out)
	if len(out.Results) != 2 || out.Results[0].Status != "applied" || out.Results[0].Task == nil || !eqSecs(out.Results[0].Task.OriginalEstimate, secs(2*450*60)) ||
		out.Results[1].Status != "rejected" || !strings.Contains(out.Results[1].Reason, "not a duration") {
		t.Errorf("sync estimates: %+v", out.Results)
	}
	e.post(t, e.benTok, "/sync", map[string]any{"operations": []map[string]any{
		{"op_id": "est-3", "task": tk.Key, "base_version": cur.Version, "action": "update", "changes": map[string]any{"original_estimate": false}},
	}}).expectProblem(t, http.StatusBadRequest, `"original_estimate"`)

	// The feed's estimate events match the document.
	var feed struct{ Events []struct{ Type string } }
	e.get(t, e.chloeTok, "/projects/TT/events?limit=1000").expect(t, http.StatusOK).decode(t, &feed)
	seen := map[string]bool{}
	for _, ev := range feed.Events {
		seen[ev.Type] = true
	}
	for _, typ := range []string{store.TypeTaskEstimated, store.TypeTaskRemainingChanged, store.TypeWorkLogged, store.TypeSettingsChanged} {
		if !seen[typ] {
			t.Errorf("the feed has no %s event", typ)
		}
	}
}

// TestSyncLogWork logs work offline through /sync: a log_work operation applies once
// however often the batch is sent (the time is counted once and the second answer is
// the first), needs no base_version, and is rejected alone when its values are refused;
// a malformed one refuses the batch.
func TestSyncLogWork(t *testing.T) {
	e := newTTEnv(t)
	tk := e.newTask(t, "Offline", 4*3600)
	type result struct {
		OpID    string      `json:"op_id"`
		Status  string      `json:"status"`
		Reason  string      `json:"reason"`
		Task    *apiTimed   `json:"task"`
		Worklog *apiWorklog `json:"worklog"`
	}
	syncOps := func(token string, ops ...map[string]any) ([]byte, []result) {
		t.Helper()
		var out struct{ Results []result }
		res := e.post(t, token, "/sync", map[string]any{"operations": ops}).expect(t, http.StatusOK)
		res.decode(t, &out)
		if len(out.Results) != len(ops) {
			t.Fatalf("%d results for %d operations", len(out.Results), len(ops))
		}
		return res.body, out.Results
	}
	logOp := func(id string, changes map[string]any) map[string]any {
		return map[string]any{"op_id": id, "task": tk.Key, "action": "log_work", "changes": changes}
	}

	batch := []map[string]any{
		logOp("log-1", map[string]any{"date": day(-1), "time_spent": "1h 30m", "comment": "On the train"}),
		logOp("log-2", map[string]any{"date": day(0), "seconds": 1800, "adjust": "set", "adjust_by": "1h"}),
	}
	before := e.eventCount()
	first, res := syncOps(e.benTok, batch...)
	if res[0].Status != "applied" || res[0].Worklog == nil || res[0].Worklog.Seconds != 5400 || res[0].Worklog.AuthorID != e.ben.ID {
		t.Fatalf("log-1: %s", first)
	}
	expectTime(t, "log-1", res[0].Task, 5400, secs(4*3600-5400))
	expectTime(t, "log-2", res[1].Task, 7200, secs(3600))
	appended := e.eventCount() - before
	if appended != 2 {
		t.Errorf("the batch appended %d events, want 2", appended)
	}
	// The same batch again, and again with a new operation: answered, not applied.
	again, _ := syncOps(e.benTok, batch...)
	if !bytes.Equal(again, first) {
		t.Errorf("re-sent batch answered\n%s\nnot\n%s", again, first)
	}
	_, res = syncOps(e.benTok, batch[1], logOp("log-3", map[string]any{"date": day(0), "seconds": 600, "adjust": "leave"}))
	if res[0].Status != "applied" || res[0].Task.TimeLogged != 7200 || res[1].Status != "applied" {
		t.Errorf("re-sent log-2 with log-3: %+v", res)
	}
	if n := e.eventCount() - before; n != appended+1 {
		t.Errorf("re-sending appended %d more events, want 1 (log-3)", n-appended)
	}
	if got := e.current(t, tk.Key); got.Logged != 7800 || len(mustWorklogs(t, e, tk)) != 3 {
		t.Errorf("after the re-sends: %d seconds logged in %d worklogs; want 7800 in 3", got.Logged, len(mustWorklogs(t, e, tk)))
	}
	// An op_id reused for another operation is rejected.
	_, res = syncOps(e.benTok, logOp("log-1", map[string]any{"date": day(0), "seconds": 60}))
	if res[0].Status != "rejected" || !strings.Contains(res[0].Reason, "already used") {
		t.Errorf("reused op_id: %+v", res[0])
	}

	// Refused values reject the operation alone; a viewer's, a stranger's too.
	_, res = syncOps(e.benTok,
		logOp("bad-duration", map[string]any{"date": day(0), "time_spent": "3x"}),
		logOp("too-late", map[string]any{"date": day(9), "seconds": 60}),
		map[string]any{"op_id": "no-task", "task": "TT-99", "action": "log_work", "changes": map[string]any{"date": day(0), "seconds": 60}},
		logOp("fine", map[string]any{"date": day(0), "seconds": 60}),
	)
	if res[0].Status != "rejected" || !strings.Contains(res[0].Reason, "not a duration") || res[1].Status != "rejected" || res[2].Status != "rejected" || res[3].Status != "applied" {
		t.Errorf("refused values: %+v", res)
	}
	_, res = syncOps(e.chloeTok, logOp("viewer", map[string]any{"date": day(0), "seconds": 60}))
	if res[0].Status != "rejected" {
		t.Errorf("viewer: %+v", res[0])
	}
	_, res = syncOps(e.strangerTok, logOp("stranger", map[string]any{"date": day(0), "seconds": 60}))
	if res[0].Status != "rejected" {
		t.Errorf("stranger: %+v", res[0])
	}

	// A phone logs work and then sets the remaining estimate, both queued on the version
	// it saw: the log is its own change, so the estimate does not conflict with the
	// remaining estimate the log moved, when the log says its version or follows an
	// operation of the batch on it. Without either, it does.
	chained := func(id, remaining string, withBase, titleFirst bool) []result {
		t.Helper()
		v := e.current(t, tk.Key).Version
		log := logOp(id+"-log", map[string]any{"date": day(0), "seconds": 600})
		if withBase {
			log["base_version"] = v
		}
		ops := []map[string]any{log, {"op_id": id + "-set", "task": tk.Key, "base_version": v, "action": "update", "changes": map[string]any{"remaining_estimate": remaining}}}
		if titleFirst {
			ops = append([]map[string]any{{"op_id": id + "-title", "task": tk.Key, "base_version": v, "action": "update", "changes": map[string]any{"title": id}}}, ops...)
		}
		_, res := syncOps(e.benTok, ops...)
		return res
	}
	if res := chained("with-base", "1h", true, false); res[0].Status != "applied" || res[1].Status != "applied" || !eqSecs(res[1].Task.RemainingEstimate, secs(3600)) {
		t.Errorf("log with base_version, then remaining: %+v", res)
	}
	if res := chained("after-title", "2h", false, true); res[0].Status != "applied" || res[1].Status != "applied" || res[2].Status != "applied" ||
		!eqSecs(res[2].Task.RemainingEstimate, secs(7200)) {
		t.Errorf("title, log, remaining: %+v", res)
	}
	if res := chained("no-base", "3h", false, false); res[0].Status != "applied" || res[1].Status != "conflict" {
		t.Errorf("log without base_version, then remaining: %+v", res)
	}

	// Malformed operations refuse the batch, naming the member.
	for _, c := range []struct {
		op     map[string]any
		status int
		field  string
	}{
		{logOp("m-1", map[string]any{"seconds": 60}), http.StatusUnprocessableEntity, "operations[0].changes.date"},
		{logOp("m-2", map[string]any{"date": day(0)}), http.StatusUnprocessableEntity, "operations[0].changes.time_spent"},
		{logOp("m-3", map[string]any{"date": day(0), "seconds": 60, "adjust": "set"}), http.StatusUnprocessableEntity, "operations[0].changes.adjust_by"},
		{logOp("m-4", nil), http.StatusUnprocessableEntity, "operations[0].changes.date"},
		{map[string]any{"op_id": "m-5", "task": tk.Key, "base_version": 0, "action": "log_work", "changes": map[string]any{"date": day(0), "seconds": 60}},
			http.StatusUnprocessableEntity, "operations[0].base_version"},
		{map[string]any{"op_id": "m-6", "task": tk.Key, "action": "update", "changes": map[string]any{"title": "x"}}, http.StatusUnprocessableEntity, "operations[0].base_version"},
		{logOp("m-7", map[string]any{"date": day(0), "seconds": "1h"}), http.StatusBadRequest, ""},
		{logOp("m-8", map[string]any{"date": day(0), "seconds": 60, "title": "x"}), http.StatusBadRequest, ""},
	} {
		p := e.post(t, e.benTok, "/sync", map[string]any{"operations": []map[string]any{c.op}}).expectProblem(t, c.status)
		if p.Field != c.field {
			t.Errorf("%v: field %q, want %q (%s)", c.op, p.Field, c.field, p.Detail)
		}
	}
	if got := e.current(t, tk.Key).Logged; got != 7860+3*600 {
		t.Errorf("time logged %d after the refusals, want %d", got, 7860+3*600)
	}
}
