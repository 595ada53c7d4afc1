package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tack-pm/tack/store"
)

// TestAPIConcurrency walks through issue #4's scenario: create, read, then write with a
// stale If-Match (412), with no precondition (428), with a stale base_version on another
// field (merged) and on the same field (409 with the conflict document), and resubmit.
func TestAPIConcurrency(t *testing.T) {
	e := newAPIEnv(t)

	created := e.post(t, e.anaTok, "/projects/DEMO/tasks", map[string]any{"title": "Offline sync", "labels": []string{"api"}}).
		expect(t, http.StatusCreated)
	task := created.task(t)
	if task.Key != "DEMO-64" || task.Version != 1 || task.Title != "Offline sync" || !slices.Equal(task.Labels, []string{"api"}) {
		t.Fatalf("created %+v", task)
	}
	if got := created.header.Get("ETag"); got != `"1"` {
		t.Errorf("ETag %q, want \"1\"", got)
	}
	loc := created.header.Get("Location")
	if loc != "/api/v1/projects/DEMO/tasks/DEMO-64" {
		t.Fatalf("Location %q", loc)
	}

	got := e.get(t, e.benTok, strings.TrimPrefix(loc, "/api/v1")).expect(t, http.StatusOK)
	if got.header.Get("ETag") != `"1"` || got.task(t).ID != task.ID {
		t.Fatalf("GET Location: ETag %q, %s", got.header.Get("ETag"), got.body)
	}

	// Ben retitles it, strictly, from version 1.
	benRes := e.patch(t, e.benTok, apiTaskPath(task.Key), map[string]any{"title": "Offline sync for phones"}, "If-Match", `"1"`).
		expect(t, http.StatusOK)
	if v := benRes.task(t); v.Version != 2 || !slices.Equal(v.Applied, []string{"title"}) || len(v.Merged) != 0 {
		t.Fatalf("Ben's edit: %s", benRes.body)
	}
	benEvent := e.lastEvent(t, task.ID)

	// Ana, still at version 1.
	before := e.eventCount()
	p := e.patch(t, e.anaTok, apiTaskPath(task.Key), map[string]any{"priority": "high"}, "If-Match", `"1"`).
		expectProblem(t, http.StatusPreconditionFailed, "version 2")
	if p.Current == nil || p.Current.Version != 2 || p.Current.Title != "Offline sync for phones" || p.Current.Priority != "medium" {
		t.Errorf("412 current = %+v, want the task at version 2", p.Current)
	}
	e.patch(t, e.anaTok, apiTaskPath(task.Key), map[string]any{"priority": "high"}).
		expectProblem(t, http.StatusPreconditionRequired, "If-Match", "base_version")
	if n := e.eventCount(); n != before {
		t.Fatalf("refused writes appended %d events", n-before)
	}

	// With base_version 1, a different field merges with Ben's title.
	merged := e.patch(t, e.anaTok, apiTaskPath(task.Key), map[string]any{"base_version": 1, "priority": "high"}).expect(t, http.StatusOK)
	m := merged.task(t)
	if m.Version != 3 || m.Priority != "high" || m.Title != "Offline sync for phones" ||
		!slices.Equal(m.Applied, []string{"priority"}) || !slices.Equal(m.Merged, []string{"title"}) {
		t.Fatalf("merge: %s", merged.body)
	}
	if merged.header.Get("ETag") != `"3"` {
		t.Errorf("merge ETag %q", merged.header.Get("ETag"))
	}

	// The same field: 409 with the conflict document.
	conflict := e.patch(t, e.anaTok, apiTaskPath(task.Key), map[string]any{"base_version": 1, "title": "Sync queued changes"})
	cp := conflict.expectProblem(t, http.StatusConflict, "title")
	if len(cp.Conflicts) != 1 {
		t.Fatalf("conflicts %+v", cp.Conflicts)
	}
	c := cp.Conflicts[0]
	at, err := time.Parse(time.RFC3339Nano, c.ChangedAt)
	if c.Field != "title" || c.Yours != "Sync queued changes" || c.Theirs != "Offline sync for phones" ||
		c.ChangedBy != e.ben.ID || c.Seq != benEvent.Seq || err != nil || !at.Equal(benEvent.At) {
		t.Errorf("conflict %+v; want Ben's change, seq %d at %v", c, benEvent.Seq, benEvent.At)
	}
	if cp.Current == nil || cp.Current.Version != 3 || conflict.header.Get("ETag") != `"3"` {
		t.Errorf("409 current %+v, ETag %q; want version 3", cp.Current, conflict.header.Get("ETag"))
	}

	// Reconfirm: the same change from the current version.
	again := e.patch(t, e.anaTok, apiTaskPath(task.Key), map[string]any{"base_version": cp.Current.Version, "title": "Sync queued changes"}).
		expect(t, http.StatusOK)
	if v := again.task(t); v.Version != 4 || v.Title != "Sync queued changes" || !slices.Equal(v.Applied, []string{"title"}) || len(v.Merged) != 0 {
		t.Fatalf("resubmit: %s", again.body)
	}

	// The history tells it all, the refused change included.
	var h struct {
		History []struct {
			Type      string `json:"type"`
			Conflicts []struct {
				Field  string `json:"field"`
				Yours  string `json:"yours"`
				Theirs string `json:"theirs"`
			} `json:"conflicts"`
		} `json:"history"`
	}
	e.get(t, e.chloeTok, apiTaskPath(task.Key, "/history")).expect(t, http.StatusOK).decode(t, &h)
	var types []string
	for _, entry := range h.History {
		types = append(types, entry.Type)
	}
	want := []string{store.TypeTaskCreated, store.TypeTaskRetitled, store.TypeTaskPrioritized, store.TypeTaskConflicted, store.TypeTaskRetitled}
	if !slices.Equal(types, want) {
		t.Fatalf("history %v, want %v", types, want)
	}
	if cf := h.History[3].Conflicts; len(cf) != 1 || cf[0].Yours != "Sync queued changes" || cf[0].Theirs != "Offline sync for phones" {
		t.Errorf("history conflict %+v", cf)
	}
}

// lastEvent returns the latest event of a task's stream.
func (e *apiEnv) lastEvent(t *testing.T, taskID string) store.Event {
	t.Helper()
	events, err := e.st.Events(e.ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Stream == "task:"+taskID {
			return events[i]
		}
	}
	t.Fatalf("no event for task %s", taskID)
	return store.Event{}
}

// TestAPIPreconditions checks every write to a task: a stale If-Match is 412 with the
// current task, no precondition is 428, a malformed If-Match is 400, and none of them
// changes anything.
func TestAPIPreconditions(t *testing.T) {
	e := newAPIEnv(t)
	writes := []struct {
		name, suffix, method string
		body                 map[string]any
		setup                func(t *testing.T, tk *store.Task) *store.Task
	}{
		{name: "update", method: http.MethodPatch, body: map[string]any{"title": "Renamed"}},
		{name: "move", suffix: "/move", method: http.MethodPost, body: map[string]any{"column_id": e.demo.Columns[2].ID}},
		{name: "archive", suffix: "/archive", method: http.MethodPost, body: map[string]any{}},
		{name: "restore", suffix: "/restore", method: http.MethodPost, body: map[string]any{}, setup: e.archive},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			tk := e.newTask(t, "Precondition "+w.name)
			if w.setup != nil {
				tk = w.setup(t, tk)
			}
			// Ben changes it meanwhile (an archived task only after restoring it).
			u := store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Priority: store.Some(store.PriorityLow)}
			if tk.Archived {
				u.Archived = store.Some(false)
			}
			res, err := e.st.UpdateTask(e.ctx, e.ben.ID, u)
			if err != nil {
				t.Fatal(err)
			}
			if tk.Archived {
				res.Task = e.archive(t, res.Task)
			}
			current := res.Task.Version
			before := e.eventCount()
			call := func(body any, header ...string) *apiResult {
				return e.do(t, apiCall{method: w.method, path: apiTaskPath(tk.Key, w.suffix), token: e.anaTok, body: body, header: apiHeader(header)})
			}

			p := call(w.body, "If-Match", apiETag(tk.Version)).expectProblem(t, http.StatusPreconditionFailed)
			if p.Current == nil || p.Current.Version != current || p.Current.Priority != "low" {
				t.Errorf("412 current %+v, want version %d", p.Current, current)
			}
			call(w.body).expectProblem(t, http.StatusPreconditionRequired)
			if w.method == http.MethodPost && w.name != "move" {
				call(nil).expectProblem(t, http.StatusPreconditionRequired) // no body at all
			}
			for _, bad := range []string{"7", `W/"7"`, `"seven"`, `*`} {
				call(w.body, "If-Match", bad).expectProblem(t, http.StatusBadRequest, "If-Match")
			}
			if n := e.eventCount(); n != before {
				t.Fatalf("refused writes appended %d events", n-before)
			}

			// The current version applies, If-Match taking precedence over a stale body version.
			body := map[string]any{"base_version": tk.Version}
			for k, v := range w.body {
				body[k] = v
			}
			ok := call(body, "If-Match", apiETag(current)).expect(t, http.StatusOK)
			if v := ok.task(t); v.Version != current+1 || len(v.Applied) != 1 || ok.header.Get("ETag") != apiETag(current+1) {
				t.Errorf("strict write: %s (ETag %s)", ok.body, ok.header.Get("ETag"))
			}
		})
	}
}

// archive archives a task through the store.
func (e *apiEnv) archive(t *testing.T, tk *store.Task) *store.Task {
	t.Helper()
	res, err := e.st.UpdateTask(e.ctx, e.ana.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: tk.Version, Archived: store.Some(true)})
	if err != nil {
		t.Fatal(err)
	}
	return res.Task
}

// TestAPIIfNoneMatch checks conditional GET: the current ETag is 304, an old one 200.
func TestAPIIfNoneMatch(t *testing.T) {
	e := newAPIEnv(t)
	tk := e.app.task("DEMO-3")
	cond := func(etag string) *apiResult {
		return e.do(t, apiCall{method: http.MethodGet, path: apiTaskPath(tk.Key), token: e.chloeTok, header: map[string]string{"If-None-Match": etag}})
	}
	res := cond(apiETag(tk.Version)).expect(t, http.StatusNotModified)
	if res.header.Get("ETag") != apiETag(tk.Version) || len(res.body) != 0 {
		t.Errorf("304: ETag %q, body %q", res.header.Get("ETag"), res.body)
	}
	if res := cond(apiETag(tk.Version-1)).expect(t, http.StatusOK); res.task(t).Version != tk.Version {
		t.Errorf("stale If-None-Match: %s", res.body)
	}
	// Weak comparison, lists and "*" (RFC 9110).
	for _, header := range []string{"W/" + apiETag(tk.Version), apiETag(tk.Version-1) + ", " + apiETag(tk.Version), "*"} {
		cond(header).expect(t, http.StatusNotModified)
	}
}

// TestAPIIdempotencyKeyCoversIfMatch: the same key and body with another If-Match is
// another request (422), not a replay of the first answer.
func TestAPIIdempotencyKeyCoversIfMatch(t *testing.T) {
	e := newAPIEnv(t)
	tk := e.app.task("DEMO-4")
	body := map[string]any{"title": "Keyed"}
	e.patch(t, e.benTok, apiTaskPath(tk.Key), body, "If-Match", apiETag(tk.Version), "Idempotency-Key", "k-if").expect(t, http.StatusOK)
	e.patch(t, e.benTok, apiTaskPath(tk.Key), body, "If-Match", apiETag(tk.Version+1), "Idempotency-Key", "k-if").
		expectProblem(t, http.StatusUnprocessableEntity, "Idempotency-Key")
}

// TestAPIPatchRefusesEmptyTypeAndPriority: "" is not a reset to the default.
func TestAPIPatchRefusesEmptyTypeAndPriority(t *testing.T) {
	e := newAPIEnv(t)
	tk := e.app.task("DEMO-2")
	for _, field := range []string{"type", "priority"} {
		p := e.patch(t, e.benTok, apiTaskPath(tk.Key), map[string]any{"base_version": tk.Version, field: ""}).
			expectProblem(t, http.StatusUnprocessableEntity)
		if p.Field != field {
			t.Errorf("%s: problem field %q", field, p.Field)
		}
	}
	if after := e.app.task("DEMO-2"); after.Type != tk.Type || after.Priority != tk.Priority || after.Version != tk.Version {
		t.Errorf("task changed: %+v", after)
	}
}

// TestAPIIdempotency checks Idempotency-Key on POST and PATCH: a repeat gets the first
// response and appends nothing; the same key for another request is 422.
func TestAPIIdempotency(t *testing.T) {
	e := newAPIEnv(t)
	same := func(t *testing.T, first, again *apiResult) {
		t.Helper()
		if again.status != first.status || string(again.body) != string(first.body) {
			t.Errorf("repeat answered %d %s\nwant %d %s", again.status, again.body, first.status, first.body)
		}
		for _, h := range []string{"ETag", "Location", "Content-Type"} {
			if again.header.Get(h) != first.header.Get(h) {
				t.Errorf("repeat %s %q, want %q", h, again.header.Get(h), first.header.Get(h))
			}
		}
		if first.header.Get("Idempotent-Replayed") != "" || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("Idempotent-Replayed: first %q, repeat %q", first.header.Get("Idempotent-Replayed"), again.header.Get("Idempotent-Replayed"))
		}
	}

	t.Run("POST", func(t *testing.T) {
		body := map[string]any{"title": "Only once", "type": "bug"}
		first := e.post(t, e.anaTok, "/projects/DEMO/tasks", body, "Idempotency-Key", "create-1").expect(t, http.StatusCreated)
		events := e.eventCount()
		again := e.post(t, e.anaTok, "/projects/DEMO/tasks", body, "Idempotency-Key", "create-1")
		same(t, first, again)
		if n := e.eventCount(); n != events {
			t.Errorf("repeat appended %d events", n-events)
		}
		e.post(t, e.anaTok, "/projects/DEMO/tasks", map[string]any{"title": "Only once", "type": "story"}, "Idempotency-Key", "create-1").
			expectProblem(t, http.StatusUnprocessableEntity, "different request")
		e.post(t, e.anaTok, "/projects/DEMO/tasks/DEMO-1/archive", map[string]any{"base_version": 4}, "Idempotency-Key", "create-1").
			expectProblem(t, http.StatusUnprocessableEntity, "different request")
		if n := e.eventCount(); n != events {
			t.Errorf("refused requests appended %d events", n-events)
		}
		// Keys are the user's own: Ben's "create-1" is another request.
		e.post(t, e.benTok, "/projects/DEMO/tasks", body, "Idempotency-Key", "create-1").expect(t, http.StatusCreated)
		if n := e.eventCount(); n != events+1 {
			t.Errorf("Ben's request appended %d events, want 1", n-events)
		}
	})

	t.Run("PATCH", func(t *testing.T) {
		tk := e.newTask(t, "Patched once")
		body := map[string]any{"base_version": tk.Version, "labels": []string{"sync"}}
		first := e.patch(t, e.anaTok, apiTaskPath(tk.Key), body, "Idempotency-Key", "patch-1").expect(t, http.StatusOK)
		events := e.eventCount()
		same(t, first, e.patch(t, e.anaTok, apiTaskPath(tk.Key), body, "Idempotency-Key", "patch-1"))
		if n := e.eventCount(); n != events {
			t.Errorf("repeat appended %d events", n-events)
		}
		e.patch(t, e.anaTok, apiTaskPath(tk.Key), map[string]any{"base_version": tk.Version, "labels": []string{"other"}}, "Idempotency-Key", "patch-1").
			expectProblem(t, http.StatusUnprocessableEntity, "different request")
		if n := e.eventCount(); n != events {
			t.Errorf("refused request appended %d events", n-events)
		}
	})

	t.Run("conflict is answered again, not recorded again", func(t *testing.T) {
		tk := e.newTask(t, "Contested")
		if _, err := e.st.UpdateTask(e.ctx, e.ben.ID, store.TaskUpdate{TaskID: tk.ID, BaseVersion: 1, Title: store.Some("Ben's title")}); err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"base_version": 1, "title": "Ana's title"}
		first := e.patch(t, e.anaTok, apiTaskPath(tk.Key), body, "Idempotency-Key", "conflict-1")
		first.expectProblem(t, http.StatusConflict)
		events := e.eventCount()
		same(t, first, e.patch(t, e.anaTok, apiTaskPath(tk.Key), body, "Idempotency-Key", "conflict-1"))
		if n := e.eventCount(); n != events {
			t.Errorf("repeat of a conflict appended %d events", n-events)
		}
	})

	t.Run("bad keys", func(t *testing.T) {
		for _, key := range []string{strings.Repeat("k", 256), "key with spaces", "clé"} {
			p := e.post(t, e.anaTok, "/projects/DEMO/tasks", map[string]any{"title": "x"}, "Idempotency-Key", key).
				expectProblem(t, http.StatusUnprocessableEntity)
			if p.Field != "Idempotency-Key" {
				t.Errorf("key %q: field %q", key, p.Field)
			}
		}
	})
}
