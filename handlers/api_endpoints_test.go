package handlers_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tack-pm/tack/store"
)

// apiEndpoint is one operation of the API. Sync and the event feed and stream are
// tested with their handlers.
type apiEndpoint struct {
	op     string // operationId in the OpenAPI document
	method string
	path   string // for project DEMO; {task} stands for a task key
	write  bool
}

func apiEndpoints() []apiEndpoint {
	return []apiEndpoint{
		{op: "listProjects", method: http.MethodGet, path: "/projects"},
		{op: "getProject", method: http.MethodGet, path: "/projects/DEMO"},
		{op: "listMembers", method: http.MethodGet, path: "/projects/DEMO/members"},
		{op: "listColumns", method: http.MethodGet, path: "/projects/DEMO/columns"},
		{op: "listTasks", method: http.MethodGet, path: "/projects/DEMO/tasks"},
		{op: "createTask", method: http.MethodPost, path: "/projects/DEMO/tasks", write: true},
		{op: "getTask", method: http.MethodGet, path: "/projects/DEMO/tasks/{task}"},
		{op: "updateTask", method: http.MethodPatch, path: "/projects/DEMO/tasks/{task}", write: true},
		{op: "moveTask", method: http.MethodPost, path: "/projects/DEMO/tasks/{task}/move", write: true},
		{op: "archiveTask", method: http.MethodPost, path: "/projects/DEMO/tasks/{task}/archive", write: true},
		{op: "restoreTask", method: http.MethodPost, path: "/projects/DEMO/tasks/{task}/restore", write: true},
		{op: "getTaskHistory", method: http.MethodGet, path: "/projects/DEMO/tasks/{task}/history"},
		{op: "planTask", method: http.MethodPost, path: "/projects/DEMO/tasks/{task}/plan", write: true},
		{op: "listActivity", method: http.MethodGet, path: "/projects/DEMO/activity"},
	}
}

// at returns the endpoint's path for task key.
func (ep apiEndpoint) at(key string) string { return strings.Replace(ep.path, "{task}", key, 1) }

func (ep apiEndpoint) onTask() bool { return strings.Contains(ep.path, "{task}") }

// validBody is a well-formed body for the endpoint, for a task at version.
func (e *apiEnv) validBody(ep apiEndpoint, version int) map[string]any {
	switch ep.op {
	case "createTask":
		return map[string]any{"title": "A new task"}
	case "updateTask":
		return map[string]any{"base_version": version, "title": "A new title"}
	case "moveTask":
		return map[string]any{"base_version": version, "column_id": e.demo.Columns[1].ID}
	case "archiveTask", "restoreTask":
		return map[string]any{"base_version": version}
	case "planTask":
		return map[string]any{"base_version": version, "position": "top"}
	}
	return nil
}

// TestAPIEndpoints checks every endpoint for success, 401, 404, 403 and bad input, and
// then that each of those answers was seen for every operation of the document.
func TestAPIEndpoints(t *testing.T) {
	e := newAPIEnv(t)
	t.Run("success", func(t *testing.T) { e.testSuccess(t) })
	t.Run("401", func(t *testing.T) { e.testUnauthorized(t) })
	t.Run("404", func(t *testing.T) { e.testNotFound(t) })
	t.Run("403", func(t *testing.T) { e.testViewerWrites(t) })
	t.Run("bad input", func(t *testing.T) { e.testBadInput(t) })
	t.Run("bad query", func(t *testing.T) { e.testBadQuery(t) })

	// Every operation (sync, events and conflicts aside) answered each of these at least
	// once. Conflicts need a pending conflict of the caller to answer:
	// TestAPIConflictAnswerErrors requires the same of them.
	skip := map[string]bool{"sync": true, "listEvents": true, "streamEvents": true, "getOpenAPI": true,
		"listPendingConflicts": true, "answerConflict": true}
	// The sprint operations: TestAPISprintErrors and TestAPISprintSuccessCoverage.
	for _, o := range sprintOps {
		skip[o.op] = true
	}
	// The worklog operations: TestAPIWorklogErrors and TestAPIWorklogLifecycle.
	for _, o := range worklogOps {
		skip[o.op] = true
	}
	// The report operations: TestAPIReports.
	for _, o := range reportOps {
		skip[o.op] = true
	}
	for path, item := range e.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if skip[op.OperationID] {
				continue
			}
			want := []int{http.StatusOK, http.StatusUnauthorized, http.StatusBadRequest}
			if op.OperationID != "listProjects" {
				want = append(want, http.StatusNotFound)
			}
			if method != http.MethodGet {
				want = []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusForbidden,
					http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}
				if op.OperationID == "createTask" {
					want = append(want, http.StatusCreated)
				} else {
					want = append(want, http.StatusOK) // 409, 412 and 428: TestAPIConcurrency, TestAPIPreconditions
				}
			}
			if op.OperationID == "listTasks" || op.OperationID == "listActivity" {
				want = append(want, http.StatusUnprocessableEntity)
			}
			if op.OperationID == "getTask" {
				want = append(want, http.StatusNotModified)
			}
			for _, status := range want {
				if !e.seen[op.OperationID][status] {
					t.Errorf("%s %s (%s): no test got %d", method, path, op.OperationID, status)
				}
			}
		}
	}
}

func (e *apiEnv) testSuccess(t *testing.T) {
	cols := e.demo.Columns

	t.Run("listProjects", func(t *testing.T) {
		var out struct {
			Projects []struct {
				Key, Name, Role string
				Columns         []any
			}
		}
		e.get(t, e.chloeTok, "/projects").expect(t, http.StatusOK).decode(t, &out)
		if len(out.Projects) != 1 || out.Projects[0].Key != "DEMO" || out.Projects[0].Role != "viewer" || len(out.Projects[0].Columns) != 4 {
			t.Errorf("Chloé's projects: %+v", out)
		}
		out.Projects = nil
		e.get(t, e.strangerTok, "/projects").expect(t, http.StatusOK).decode(t, &out)
		if len(out.Projects) != 0 {
			t.Errorf("a member of nothing sees %+v", out.Projects)
		}
	})
	t.Run("getProject", func(t *testing.T) {
		for _, key := range []string{"DEMO", "demo"} {
			var p struct{ ID, Key, Name, Role string }
			e.get(t, e.anaTok, "/projects/"+key).expect(t, http.StatusOK).decode(t, &p)
			if p.ID != e.demo.ID || p.Key != "DEMO" || p.Name != "Demo project" || p.Role != "admin" {
				t.Errorf("GET /projects/%s: %+v", key, p)
			}
		}
	})
	t.Run("listMembers", func(t *testing.T) {
		var out struct {
			Members []struct{ ID, Email, Role string }
		}
		e.get(t, e.benTok, "/projects/DEMO/members").expect(t, http.StatusOK).decode(t, &out)
		var got []string
		for _, m := range out.Members {
			got = append(got, m.Email+" "+m.Role)
		}
		sort.Strings(got)
		want := []string{"ana@demo.tack admin", "ben@demo.tack member", "chloe@demo.tack viewer"}
		if !slices.Equal(got, want) {
			t.Errorf("members %v, want %v", got, want)
		}
	})
	t.Run("listColumns", func(t *testing.T) {
		var out struct {
			Columns []struct {
				ID, Name string
				Position int
				WIPLimit *int `json:"wip_limit"`
				Done     bool
			}
		}
		e.get(t, e.chloeTok, "/projects/DEMO/columns").expect(t, http.StatusOK).decode(t, &out)
		var got []string
		for _, c := range out.Columns {
			limit := "-"
			if c.WIPLimit != nil {
				limit = fmt.Sprint(*c.WIPLimit)
			}
			got = append(got, fmt.Sprintf("%s %d %s %s %v", c.ID, c.Position, c.Name, limit, c.Done))
		}
		want := []string{
			cols[0].ID + " 0 To Do - false", cols[1].ID + " 1 In Progress 3 false",
			cols[2].ID + " 2 In Review 2 false", cols[3].ID + " 3 Done - true",
		}
		if !slices.Equal(got, want) {
			t.Errorf("columns\n%v\nwant\n%v", got, want)
		}
	})
	t.Run("listTasks", func(t *testing.T) {
		got := e.taskKeys(t, e.chloeTok, "")
		if want := e.boardOrder(t, func(*store.Task) bool { return true }); !slices.Equal(got, want) {
			t.Errorf("tasks %v, want %v", got, want)
		}
	})
	t.Run("createTask", func(t *testing.T) {
		body := map[string]any{
			"title": "  Export the board as PDF  ", "description": "For the sprint review.", "type": "story", "priority": "high",
			"column_id": cols[1].ID, "assignee_id": e.ben.ID, "labels": []string{"print", "board", "print"}, "points": 2.5, "due": "2026-12-31",
		}
		res := e.post(t, e.benTok, "/projects/DEMO/tasks", body).expect(t, http.StatusCreated)
		tk := res.task(t)
		if tk.Title != "Export the board as PDF" || tk.Type != "story" || tk.Priority != "high" || tk.ColumnID != cols[1].ID ||
			tk.AssigneeID == nil || *tk.AssigneeID != e.ben.ID || !slices.Equal(tk.Labels, []string{"board", "print"}) ||
			tk.Points == nil || *tk.Points != 2.5 || tk.Due == nil || *tk.Due != "2026-12-31" || tk.Version != 1 || tk.Archived {
			t.Errorf("created %s", res.body)
		}
		if res.header.Get("Location") != "/api/v1/projects/DEMO/tasks/"+tk.Key || res.header.Get("ETag") != `"1"` {
			t.Errorf("Location %q, ETag %q", res.header.Get("Location"), res.header.Get("ETag"))
		}
		// At the bottom of its column.
		if keys := e.taskKeys(t, e.anaTok, "column="+cols[1].ID); keys[len(keys)-1] != tk.Key {
			t.Errorf("column %s is %v: the new task is not last", cols[1].ID, keys)
		}
		// Only a title is needed.
		minimal := e.post(t, e.anaTok, "/projects/DEMO/tasks", map[string]any{"title": "Bare"}).expect(t, http.StatusCreated).task(t)
		if minimal.Type != "task" || minimal.Priority != "medium" || minimal.ColumnID != cols[0].ID || minimal.AssigneeID != nil ||
			minimal.Points != nil || minimal.Due != nil || len(minimal.Labels) != 0 {
			t.Errorf("defaults: %+v", minimal)
		}
	})
	t.Run("getTask", func(t *testing.T) {
		want := e.app.task("DEMO-4")
		res := e.get(t, e.chloeTok, apiTaskPath("demo-4")).expect(t, http.StatusOK)
		if tk := res.task(t); tk.ID != want.ID || tk.Key != "DEMO-4" || tk.Version != want.Version || res.header.Get("ETag") != apiETag(want.Version) {
			t.Errorf("GET DEMO-4: %s (ETag %s)", res.body, res.header.Get("ETag"))
		}
		e.do(t, apiCall{method: http.MethodGet, path: apiTaskPath("DEMO-4"), token: e.chloeTok,
			header: map[string]string{"If-None-Match": res.header.Get("ETag")}}).expect(t, http.StatusNotModified)
	})
	t.Run("updateTask", func(t *testing.T) {
		tk := e.app.task("DEMO-2") // assigned to Ben, 2 points, labelled auth
		body := map[string]any{
			"base_version": tk.Version, "title": "Emails with a plus sign are refused", "description": "Seen on sign-up too.",
			"type": "task", "priority": "low", "assignee_id": nil, "labels": []string{"auth", "signup"}, "points": nil, "due": "2027-01-15",
		}
		res := e.patch(t, e.benTok, apiTaskPath(tk.Key), body).expect(t, http.StatusOK)
		got := res.task(t)
		applied := slices.Clone(got.Applied)
		slices.Sort(applied)
		want := []string{"assignee_id", "description", "due", "labels", "points", "priority", "title", "type"}
		if !slices.Equal(applied, want) || len(got.Merged) != 0 || got.Version != tk.Version+len(want) {
			t.Errorf("applied %v merged %v version %d; want %v, none, %d", got.Applied, got.Merged, got.Version, want, tk.Version+len(want))
		}
		if got.AssigneeID != nil || got.Points != nil || got.Due == nil || *got.Due != "2027-01-15" || got.Type != "task" {
			t.Errorf("updated %s", res.body)
		}
		// Clearing due, and a patch that changes nothing.
		res = e.patch(t, e.benTok, apiTaskPath(tk.Key), map[string]any{"due": nil, "priority": "low"}, "If-Match", apiETag(got.Version)).
			expect(t, http.StatusOK)
		if v := res.task(t); v.Due != nil || !slices.Equal(v.Applied, []string{"due"}) || v.Version != got.Version+1 {
			t.Errorf("clear due: %s", res.body)
		}
		res = e.patch(t, e.benTok, apiTaskPath(tk.Key), map[string]any{"priority": "low"}, "If-Match", apiETag(got.Version+1)).
			expect(t, http.StatusOK)
		if v := res.task(t); len(v.Applied) != 0 || v.Version != got.Version+1 {
			t.Errorf("no-op patch: %s", res.body)
		}
	})
	t.Run("moveTask", func(t *testing.T) {
		inReview := e.taskKeys(t, e.anaTok, "column="+cols[2].ID) // DEMO-3, DEMO-4
		tk := e.app.task("DEMO-5")
		first := e.app.task(inReview[0])
		res := e.post(t, e.benTok, apiTaskPath(tk.Key, "/move"), map[string]any{"base_version": tk.Version, "column_id": cols[2].ID, "after_id": first.ID}).
			expect(t, http.StatusOK)
		moved := res.task(t)
		if moved.ColumnID != cols[2].ID || !slices.Equal(moved.Applied, []string{"column_id"}) || moved.Version != tk.Version+1 {
			t.Errorf("moved: %s", res.body)
		}
		want := []string{inReview[0], "DEMO-5", inReview[1]}
		if got := e.taskKeys(t, e.anaTok, "column="+cols[2].ID); !slices.Equal(got, want) {
			t.Errorf("In Review is %v, want %v", got, want)
		}
		// A step, strictly.
		e.post(t, e.benTok, apiTaskPath(tk.Key, "/move"), map[string]any{"column_id": cols[2].ID, "position": "top"}, "If-Match", apiETag(moved.Version)).
			expect(t, http.StatusOK)
		want = []string{"DEMO-5", inReview[0], inReview[1]}
		if got := e.taskKeys(t, e.anaTok, "column="+cols[2].ID); !slices.Equal(got, want) {
			t.Errorf("after moving to the top, In Review is %v, want %v", got, want)
		}
	})
	t.Run("archiveTask and restoreTask", func(t *testing.T) {
		tk := e.app.task("DEMO-16")
		res := e.do(t, apiCall{method: http.MethodPost, path: apiTaskPath(tk.Key, "/archive"), token: e.benTok,
			header: map[string]string{"If-Match": apiETag(tk.Version)}}).expect(t, http.StatusOK) // no body
		archived := res.task(t)
		if !archived.Archived || !slices.Equal(archived.Applied, []string{"archived"}) {
			t.Errorf("archived: %s", res.body)
		}
		if slices.Contains(e.taskKeys(t, e.anaTok, ""), tk.Key) || !slices.Contains(e.taskKeys(t, e.anaTok, "archived=true"), tk.Key) {
			t.Errorf("an archived task is listed, or not listed with archived=true")
		}
		res = e.post(t, e.benTok, apiTaskPath(tk.Key, "/restore"), map[string]any{"base_version": archived.Version}).expect(t, http.StatusOK)
		if v := res.task(t); v.Archived || !slices.Equal(v.Applied, []string{"archived"}) || v.Version != archived.Version+1 {
			t.Errorf("restored: %s", res.body)
		}
		if !slices.Contains(e.taskKeys(t, e.anaTok, ""), tk.Key) {
			t.Errorf("a restored task is not listed")
		}
	})
	t.Run("getTaskHistory", func(t *testing.T) {
		var out struct {
			History []struct {
				Seq     int64
				Type    string
				TaskKey string `json:"task_key"`
				Text    string
				Actor   struct{ ID, Name string }
			}
		}
		e.get(t, e.chloeTok, apiTaskPath("DEMO-1", "/history")).expect(t, http.StatusOK).decode(t, &out)
		if len(out.History) < 4 { // its workflow moves, then (the demo plans it) its sprint
			t.Fatalf("history of DEMO-1: %+v", out.History)
		}
		first, last := out.History[0], out.History[3]
		if first.Type != store.TypeTaskCreated || first.TaskKey != "DEMO-1" || first.Actor.ID != e.ana.ID ||
			last.Type != store.TypeTaskMoved || last.Text != "Ana Lima moved DEMO-1 from In Review to Done" || first.Seq >= last.Seq {
			t.Errorf("history %+v", out.History)
		}
	})
	t.Run("listActivity", func(t *testing.T) {
		type page struct {
			Activity []struct {
				Seq  int64
				Type string
			}
			NextBefore *int64 `json:"next_before"`
		}
		var all page
		e.get(t, e.benTok, "/projects/DEMO/activity?limit=200").expect(t, http.StatusOK).decode(t, &all)
		// The demo has more than 200 entries (its first sprint): all is the newest 200.
		if len(all.Activity) != 200 || all.NextBefore == nil {
			t.Fatalf("activity: %d entries, next_before %v", len(all.Activity), all.NextBefore)
		}
		// Pages of 7, newest first, add up to the whole.
		var seqs []int64
		path := "/projects/DEMO/activity?limit=7"
		for range 100 {
			var p page
			e.get(t, e.benTok, path).expect(t, http.StatusOK).decode(t, &p)
			for _, a := range p.Activity {
				seqs = append(seqs, a.Seq)
			}
			if p.NextBefore == nil {
				break
			}
			if len(p.Activity) != 7 || *p.NextBefore != p.Activity[6].Seq {
				t.Fatalf("page %s: %d entries, next_before %d", path, len(p.Activity), *p.NextBefore)
			}
			path = fmt.Sprintf("/projects/DEMO/activity?limit=7&before=%d", *p.NextBefore)
		}
		var want []int64
		for _, a := range all.Activity {
			want = append(want, a.Seq)
		}
		if len(seqs) <= len(want) || !slices.Equal(seqs[:len(want)], want) || !slices.IsSortedFunc(seqs, func(a, b int64) int { return int(b - a) }) {
			t.Errorf("paged activity %v, want %v newest first", seqs, want)
		}
	})
}

// taskKeys lists the keys of all tasks the list endpoint returns with query, following
// cursors.
func (e *apiEnv) taskKeys(t *testing.T, token, query string) []string {
	t.Helper()
	var keys []string
	cursor := ""
	for range 1000 {
		q := query
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		var page struct {
			Tasks      []apiTask
			NextCursor *string `json:"next_cursor"`
		}
		e.get(t, token, "/projects/DEMO/tasks?"+strings.TrimPrefix(q, "&")).expect(t, http.StatusOK).decode(t, &page)
		for _, tk := range page.Tasks {
			keys = append(keys, tk.Key)
		}
		if page.NextCursor == nil {
			return keys
		}
		cursor = *page.NextCursor
	}
	t.Fatal("more than 1000 pages")
	return nil
}

// boardOrder lists the keys of the DEMO tasks that keep holds, in board order, as the
// store has them.
func (e *apiEnv) boardOrder(t *testing.T, keep func(*store.Task) bool) []string {
	t.Helper()
	return e.boardOrderOf(t, store.TaskFilter{}, keep)
}

func (e *apiEnv) boardOrderOf(t *testing.T, f store.TaskFilter, keep func(*store.Task) bool) []string {
	t.Helper()
	tasks, err := e.st.Tasks(e.ctx, e.demo.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, tk := range tasks {
		if keep(tk) {
			keys = append(keys, tk.Key)
		}
	}
	return keys
}

// testUnauthorized sends every endpoint without a valid token.
func (e *apiEnv) testUnauthorized(t *testing.T) {
	secret, tok, err := e.st.CreateToken(e.ctx, e.ben.ID, "soon revoked")
	if err != nil {
		t.Fatal(err)
	}
	e.get(t, secret, "/projects").expect(t, http.StatusOK)
	if err := e.st.RevokeToken(e.ctx, e.ben.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	creds := []struct{ name, auth, detail string }{
		{"no token", "", "send a personal access token"},
		{"another scheme", "Basic YW5hOnRhY2stZGVtby1hbmE=", "Bearer <token>"},
		{"no secret", "Bearer", "Bearer <token>"},
		{"blank secret", "Bearer   ", "Bearer <token>"},
		{"token without scheme", e.anaTok, "Bearer <token>"},
		{"unknown token", "Bearer tack_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not valid"},
		{"not a Tack token", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "not valid"},
		{"revoked token", "Bearer " + secret, "revoked"},
	}
	before := e.eventCount()
	for _, ep := range apiEndpoints() {
		for _, c := range creds {
			t.Run(ep.op+"/"+c.name, func(t *testing.T) {
				res := e.do(t, apiCall{method: ep.method, path: ep.at("DEMO-1"), auth: c.auth, body: e.validBody(ep, 4)})
				res.expectProblem(t, http.StatusUnauthorized, c.detail)
				if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="tack"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
			})
		}
	}
	if n := e.eventCount(); n != before {
		t.Errorf("unauthorized requests appended %d events", n-before)
	}
}

// testNotFound sends every endpoint about a project the user is not a member of, a
// project that does not exist and a task that does not exist.
func (e *apiEnv) testNotFound(t *testing.T) {
	before := e.eventCount()
	for _, ep := range apiEndpoints() {
		if ep.op == "listProjects" {
			continue // nothing to find; a non-member's empty list is in testSuccess
		}
		t.Run(ep.op, func(t *testing.T) {
			call := func(token, path string) {
				t.Helper()
				e.do(t, apiCall{method: ep.method, path: path, token: token, body: e.validBody(ep, 1)}).
					expectProblem(t, http.StatusNotFound, "no ")
			}
			call(e.strangerTok, ep.at("DEMO-1"))
			call(e.anaTok, strings.Replace(ep.at("DEMO-1"), "/projects/DEMO", "/projects/NOPE", 1))
			call(e.anaTok, strings.Replace(ep.at("DEMO-1"), "/projects/DEMO", "/projects/-", 1))
			if ep.onTask() {
				for _, key := range []string{"DEMO-999", "DEMO-0", "NOPE-1", "DEMO", "DEMO-x", "1"} {
					call(e.anaTok, ep.at(key))
				}
			}
		})
	}
	if n := e.eventCount(); n != before {
		t.Errorf("requests about missing things appended %d events", n-before)
	}
}

// testViewerWrites checks that a viewer can read everything and change nothing.
func (e *apiEnv) testViewerWrites(t *testing.T) {
	tk := e.newTask(t, "Viewers only look")
	archived := e.archive(t, e.newTask(t, "Viewers do not restore"))
	before := e.eventCount()
	for _, ep := range apiEndpoints() {
		t.Run(ep.op, func(t *testing.T) {
			target := tk
			if ep.op == "restoreTask" {
				target = archived
			}
			res := e.do(t, apiCall{method: ep.method, path: ep.at(target.Key), token: e.chloeTok, body: e.validBody(ep, target.Version)})
			if !ep.write {
				res.expect(t, http.StatusOK)
				return
			}
			res.expectProblem(t, http.StatusForbidden, "viewer")
			// The same with If-Match, and with an Idempotency-Key.
			e.do(t, apiCall{method: ep.method, path: ep.at(target.Key), token: e.chloeTok, body: e.validBody(ep, target.Version),
				header: map[string]string{"If-Match": apiETag(target.Version), "Idempotency-Key": "viewer-" + ep.op}}).
				expectProblem(t, http.StatusForbidden, "viewer")
		})
	}
	if n := e.eventCount(); n != before {
		t.Errorf("a viewer's requests appended %d events", n-before)
	}
}

// testBadInput sends every write a body that is too large, not JSON, or not of the
// documented shape (400), and values the rules refuse (422 naming the field).
func (e *apiEnv) testBadInput(t *testing.T) {
	big := `{"title": "` + strings.Repeat("a", 1<<20) + `"}`
	for _, ep := range apiEndpoints() {
		if !ep.write {
			continue
		}
		t.Run(ep.op, func(t *testing.T) {
			tk := e.newTask(t, "Target of "+ep.op)
			if ep.op == "restoreTask" {
				tk = e.archive(t, tk)
			}
			v := tk.Version
			before := e.eventCount()
			send := func(body any, header ...string) *apiResult {
				t.Helper()
				return e.do(t, apiCall{method: ep.method, path: ep.at(tk.Key), token: e.benTok, body: body, header: apiHeader(header)})
			}

			// Too large: announced, streamed, and through the idempotency check.
			send(big).expectProblem(t, http.StatusRequestEntityTooLarge, "1 MiB")
			e.do(t, apiCall{method: ep.method, path: ep.at(tk.Key), token: e.benTok, body: big, chunked: true}).
				expectProblem(t, http.StatusRequestEntityTooLarge, "1 MiB")
			send(big, "Idempotency-Key", "big-"+ep.op).expectProblem(t, http.StatusRequestEntityTooLarge, "1 MiB")

			// Not JSON, or not one JSON object.
			valid := e.validBody(ep, v)
			send(`{"base_version": 1,}`).expectProblem(t, http.StatusBadRequest, "not valid JSON", "byte")
			send(`{"base_version": 1`).expectProblem(t, http.StatusBadRequest, "not valid JSON", "ends too soon")
			send(`[1, 2]`).expectProblem(t, http.StatusBadRequest, "must be a JSON object, not an array")
			send(`"title"`).expectProblem(t, http.StatusBadRequest, "must be a JSON object, not a string")
			send(`{} {}`).expectProblem(t, http.StatusBadRequest, "exactly one JSON value")

			// Unknown members and wrong types are named.
			unknown := map[string]any{"titel": "typo"}
			for k, val := range valid {
				unknown[k] = val
			}
			send(unknown).expectProblem(t, http.StatusBadRequest, `unknown field "titel"`)
			for member, value := range apiWrongTypes(ep.op) {
				body := map[string]any{}
				for k, val := range valid {
					body[k] = val
				}
				body[member] = value
				send(body).expectProblem(t, http.StatusBadRequest, `"`+member+`"`)
			}
			if ep.op == "createTask" || ep.op == "updateTask" || ep.op == "moveTask" || ep.op == "planTask" {
				send("").expectProblem(t, http.StatusBadRequest, "empty")
			}

			// Values the rules refuse.
			for _, c := range e.invalidValues(ep.op, v) {
				p := send(c.body).expectProblem(t, http.StatusUnprocessableEntity)
				if p.Field != c.field {
					t.Errorf("%v: field %q, want %q (%s)", c.body, p.Field, c.field, p.Detail)
				}
			}
			if n := e.eventCount(); n != before {
				t.Errorf("bad input appended %d events", n-before)
			}
			// After all that, the task is untouched and a valid request still works.
			ok := e.validBody(ep, v)
			if ep.op == "createTask" {
				send(ok).expect(t, http.StatusCreated)
			} else {
				send(ok).expect(t, http.StatusOK)
			}
		})
	}
	t.Run("editing an archived task", func(t *testing.T) {
		tk := e.archive(t, e.newTask(t, "Archived"))
		e.patch(t, e.benTok, apiTaskPath(tk.Key), map[string]any{"base_version": tk.Version, "title": "Changed"}).
			expectProblem(t, http.StatusUnprocessableEntity, "archived", "restore")
		e.post(t, e.benTok, apiTaskPath(tk.Key, "/move"), map[string]any{"base_version": tk.Version, "column_id": e.demo.Columns[1].ID}).
			expectProblem(t, http.StatusUnprocessableEntity, "archived", "restore")
		// Restoring in the same request is allowed.
		res := e.patch(t, e.benTok, apiTaskPath(tk.Key), map[string]any{"base_version": tk.Version, "title": "Changed", "archived": false}).
			expect(t, http.StatusOK)
		if v := res.task(t); v.Archived || v.Title != "Changed" {
			t.Errorf("restore and edit: %s", res.body)
		}
	})
}

// apiWrongTypes are members of a write's body with a value of the wrong JSON type.
func apiWrongTypes(op string) map[string]any {
	switch op {
	case "createTask":
		return map[string]any{"title": 5, "labels": "a,b", "points": "two", "assignee_id": 7, "due": 20261231, "type": []string{"bug"}}
	case "updateTask":
		return map[string]any{"base_version": "3", "title": false, "labels": []int{1}, "points": "two", "assignee_id": 7, "due": true, "archived": "yes"}
	case "moveTask":
		return map[string]any{"base_version": 1.5, "column_id": 5, "after_id": []string{}, "position": 1}
	case "planTask":
		return map[string]any{"base_version": "2", "sprint": "1", "after_id": 3, "position": []string{"top"}}
	}
	return map[string]any{"base_version": true}
}

// apiInvalidCase is a well-formed body with a value the rules refuse.
type apiInvalidCase struct {
	body  map[string]any
	field string // the problem's field; "" when it names none
}

func (e *apiEnv) invalidValues(op string, v int) []apiInvalidCase {
	with := func(base map[string]any, k string, val any) map[string]any {
		m := map[string]any{k: val}
		for bk, bv := range base {
			if bk != k {
				m[bk] = bv
			}
		}
		return m
	}
	switch op {
	case "createTask":
		b := map[string]any{"title": "Valid"}
		return []apiInvalidCase{
			{with(b, "title", "   "), "title"},
			{with(b, "title", strings.Repeat("x", 256)), "title"},
			{with(b, "column_id", "no-such-column"), "column_id"},
			{with(b, "points", -1), "points"},
			{with(b, "points", 1001), "points"},
			{with(b, "due", "31/12/2026"), "due"},
			{with(b, "due", "2026-02-30"), "due"},
			{with(b, "type", "chore"), "type"},
			{with(b, "priority", "urgent"), "priority"},
			{with(b, "assignee_id", e.stranger.ID), "assignee_id"},
			{with(b, "labels", []string{"has space"}), "labels"},
		}
	case "updateTask":
		b := map[string]any{"base_version": v}
		return []apiInvalidCase{
			{with(b, "title", ""), "title"},
			{with(b, "points", -0.5), "points"},
			{with(b, "due", "tomorrow"), "due"},
			{with(b, "type", "chore"), "type"},
			{with(b, "assignee_id", "nobody"), "assignee_id"},
			{with(b, "labels", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}), "labels"},
			{with(b, "base_version", 0), "base_version"},
			{with(b, "base_version", v+5), ""},
		}
	case "planTask":
		b := map[string]any{"base_version": v}
		return []apiInvalidCase{
			{with(b, "position", "sideways"), "position"},
			{with(b, "sprint", 0), "sprint"},
			{with(b, "sprint", 999), "sprint"},
			{with(b, "base_version", 0), "base_version"},
		}
	case "moveTask":
		b := map[string]any{"base_version": v, "column_id": e.demo.Columns[1].ID}
		return []apiInvalidCase{
			{with(b, "column_id", "no-such-column"), "column_id"},
			{with(b, "column_id", " "), "column_id"},
			{map[string]any{"base_version": v}, "column_id"},
			{with(b, "position", "sideways"), "position"},
			{with(b, "base_version", 0), "base_version"},
		}
	}
	return []apiInvalidCase{
		{map[string]any{"base_version": 0}, "base_version"},
		{map[string]any{"base_version": -3}, "base_version"},
		{map[string]any{"base_version": v + 1}, ""},
	}
}

// testBadQuery sends the list endpoints query parameters they refuse.
func (e *apiEnv) testBadQuery(t *testing.T) {
	junk := base64.RawURLEncoding.EncodeToString([]byte("not json"))
	for _, c := range []struct{ path, field string }{
		{"/projects/DEMO/tasks?limit=0", "limit"},
		{"/projects/DEMO/tasks?limit=201", "limit"},
		{"/projects/DEMO/tasks?limit=-1", "limit"},
		{"/projects/DEMO/tasks?limit=ten", "limit"},
		{"/projects/DEMO/tasks?type=chore", "type"},
		{"/projects/DEMO/tasks?cursor=!!garbage!!", "cursor"},
		{"/projects/DEMO/tasks?cursor=" + junk, "cursor"},
		{"/projects/DEMO/activity?limit=0", "limit"},
		{"/projects/DEMO/activity?limit=201", "limit"},
		{"/projects/DEMO/activity?limit=x", "limit"},
		{"/projects/DEMO/activity?before=0", "before"},
		{"/projects/DEMO/activity?before=yesterday", "before"},
	} {
		t.Run(c.path, func(t *testing.T) {
			p := e.get(t, e.chloeTok, c.path).expectProblem(t, http.StatusUnprocessableEntity, c.field)
			if p.Field != c.field {
				t.Errorf("field %q, want %q", p.Field, c.field)
			}
		})
	}
	// A query string that does not parse is refused by every operation, not read as
	// no query at all.
	for path, item := range e.doc.Paths.Map() {
		if item.Get == nil {
			continue
		}
		path = strings.NewReplacer("{key}", "DEMO", "{task}", "DEMO-1", "{sprint}", "1", "{worklog}", "w1").Replace(path) + "?cursor=%%%"
		t.Run(path, func(t *testing.T) {
			e.get(t, e.chloeTok, path).expectProblem(t, http.StatusBadRequest, "query string")
		})
	}
}
