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

	"github.com/tack-pm/tack/store"
)

// The sprint endpoints are tested on a project of their own, SPR, so that the demo
// workspace's sprints do not matter: Ana is its admin, Ben a member, Chloé a viewer,
// Dora a stranger.

// sprintEnv is an apiEnv with the project SPR.
type sprintEnv struct {
	*apiEnv
	p *store.Project
}

func newSprintEnv(t *testing.T) *sprintEnv {
	t.Helper()
	e := newAPIEnv(t)
	p, err := e.st.CreateProject(e.ctx, e.ana.ID, store.NewProject{Key: "SPR", Name: "Sprints"})
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
	if p, _, err = e.st.ProjectFor(e.ctx, e.ana.ID, "SPR"); err != nil {
		t.Fatal(err)
	}
	return &sprintEnv{apiEnv: e, p: p}
}

// apiSprint is a sprint as the API shows it.
type apiSprint struct {
	ID          string  `json:"id"`
	Number      int     `json:"number"`
	Name        string  `json:"name"`
	Goal        string  `json:"goal"`
	Start       *string `json:"start"`
	End         *string `json:"end"`
	State       string  `json:"state"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Version     int     `json:"version"`
	Tasks       int     `json:"tasks"`
	Points      float64 `json:"points"`
}

func (r *apiResult) sprint(t *testing.T) apiSprint {
	t.Helper()
	var s apiSprint
	r.decode(t, &s)
	return s
}

// apiPlanned is a task with its sprint members.
type apiPlanned struct {
	apiTask
	Sprint      *int    `json:"sprint"`
	SprintID    *string `json:"sprint_id"`
	CarriedFrom *int    `json:"carried_from"`
}

func (r *apiResult) planned(t *testing.T) apiPlanned {
	t.Helper()
	var v apiPlanned
	r.decode(t, &v)
	return v
}

// sprintProblem is a problem about a sprint.
type sprintProblem struct {
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Field     string `json:"field"`
	Conflicts []struct {
		Field     string  `json:"field"`
		Yours     *string `json:"yours"`
		Theirs    *string `json:"theirs"`
		ChangedBy string  `json:"changed_by"`
	} `json:"conflicts"`
	Current *apiSprint `json:"current"`
}

func (e *sprintEnv) sprintPath(n int, suffix ...string) string {
	return fmt.Sprintf("/projects/SPR/sprints/%d%s", n, strings.Join(suffix, ""))
}

func (e *sprintEnv) taskPath(key string, suffix ...string) string {
	return "/projects/SPR/tasks/" + key + strings.Join(suffix, "")
}

// createSprint creates a sprint through the API, as Ana.
func (e *sprintEnv) createSprint(t *testing.T, body map[string]any) apiSprint {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	return e.post(t, e.anaTok, "/projects/SPR/sprints", body).expect(t, http.StatusCreated).sprint(t)
}

// newTask creates an SPR task through the store, as Ana, with points.
func (e *sprintEnv) newTask(t *testing.T, title string, points float64) *store.Task {
	t.Helper()
	tk, err := e.st.CreateTask(e.ctx, e.ana.ID, store.NewTask{ProjectID: e.p.ID, Title: title, Points: &points})
	if err != nil {
		t.Fatalf("create task: %v", err)
	}
	return tk
}

// current returns the task as the store has it now.
func (e *sprintEnv) current(t *testing.T, key string) *store.Task {
	t.Helper()
	tk, err := e.st.TaskByKey(e.ctx, e.p, key)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// sprintKeys lists the keys of the SPR tasks the list endpoint returns with query.
func (e *sprintEnv) sprintKeys(t *testing.T, query string) []string {
	t.Helper()
	var page struct{ Tasks []apiTask }
	e.get(t, e.chloeTok, "/projects/SPR/tasks?limit=200&"+query).expect(t, http.StatusOK).decode(t, &page)
	keys := []string{}
	for _, tk := range page.Tasks {
		keys = append(keys, tk.Key)
	}
	slices.Sort(keys)
	return keys
}

// TestAPISprintLifecycle plans, starts, completes with per-task destinations, reopens
// and deletes sprints through the API, every answer checked against the document.
func TestAPISprintLifecycle(t *testing.T) {
	e := newSprintEnv(t)
	cols := e.p.Columns

	// Create: defaults, then everything.
	res := e.post(t, e.benTok, "/projects/SPR/sprints", map[string]any{}).expect(t, http.StatusCreated)
	s1 := res.sprint(t)
	if s1.Number != 1 || s1.Name != "SPR Sprint 1" || s1.State != "planned" || s1.Start != nil || s1.StartedAt != nil || s1.Tasks != 0 {
		t.Errorf("created %s", res.body)
	}
	if res.header.Get("Location") != "/api/v1/projects/SPR/sprints/1" || res.header.Get("ETag") != apiETag(s1.Version) {
		t.Errorf("Location %q, ETag %q", res.header.Get("Location"), res.header.Get("ETag"))
	}
	s2 := e.createSprint(t, map[string]any{"name": "Reports", "goal": "Burndown", "start": "2026-12-07", "end": "2026-12-18"})
	if s2.Number != 2 || s2.Name != "Reports" || s2.Goal != "Burndown" || s2.Start == nil || *s2.Start != "2026-12-07" || *s2.End != "2026-12-18" {
		t.Errorf("created %+v", s2)
	}

	// Read: list, filter, one, 304.
	var list struct{ Sprints []apiSprint }
	e.get(t, e.chloeTok, "/projects/SPR/sprints").expect(t, http.StatusOK).decode(t, &list)
	if len(list.Sprints) != 2 || list.Sprints[0].Number != 1 || list.Sprints[1].Number != 2 {
		t.Errorf("sprints %+v", list.Sprints)
	}
	list.Sprints = nil
	e.get(t, e.chloeTok, "/projects/SPR/sprints?state=active").expect(t, http.StatusOK).decode(t, &list)
	if len(list.Sprints) != 0 {
		t.Errorf("active sprints before any start: %+v", list.Sprints)
	}
	got := e.get(t, e.chloeTok, e.sprintPath(2)).expect(t, http.StatusOK)
	if got.sprint(t).ID != s2.ID {
		t.Errorf("GET sprint 2: %s", got.body)
	}
	e.do(t, apiCall{method: http.MethodGet, path: e.sprintPath(2), token: e.chloeTok, header: map[string]string{"If-None-Match": got.header.Get("ETag")}}).
		expect(t, http.StatusNotModified)

	// Edit: merge rule with base_version, strict with If-Match, null clears a date.
	s1 = e.patch(t, e.benTok, e.sprintPath(1), map[string]any{"base_version": s1.Version, "goal": "Ship the backlog", "start": "2026-11-23"}).
		expect(t, http.StatusOK).sprint(t)
	if s1.Goal != "Ship the backlog" || s1.Start == nil || *s1.Start != "2026-11-23" {
		t.Errorf("patched %+v", s1)
	}
	s1 = e.patch(t, e.benTok, e.sprintPath(1), map[string]any{"start": nil}, "If-Match", apiETag(s1.Version)).expect(t, http.StatusOK).sprint(t)
	if s1.Start != nil {
		t.Errorf("start not cleared: %+v", s1)
	}

	// Plan tasks: into sprint 1 by plan, by PATCH and at creation; one stays in the backlog.
	a, b, c := e.newTask(t, "Alpha", 3), e.newTask(t, "Bravo", 5), e.newTask(t, "Charlie", 8)
	pa := e.post(t, e.benTok, e.taskPath(a.Key, "/plan"), map[string]any{"base_version": a.Version, "sprint": 1}).expect(t, http.StatusOK).planned(t)
	if pa.Sprint == nil || *pa.Sprint != 1 || pa.SprintID == nil || *pa.SprintID != s1.ID || !slices.Contains(pa.Applied, "sprint") {
		t.Errorf("planned %+v", pa)
	}
	pb := e.patch(t, e.benTok, e.taskPath(b.Key), map[string]any{"base_version": b.Version, "sprint": 1}).expect(t, http.StatusOK).planned(t)
	if pb.Sprint == nil || *pb.Sprint != 1 || !slices.Equal(pb.Applied, []string{"sprint"}) {
		t.Errorf("patched into sprint: %+v", pb)
	}
	d := e.post(t, e.benTok, "/projects/SPR/tasks", map[string]any{"title": "Delta", "sprint": 1, "points": 2}).expect(t, http.StatusCreated).planned(t)
	if d.Sprint == nil || *d.Sprint != 1 {
		t.Errorf("created into sprint 1: %+v", d)
	}
	// Re-rank within sprint 1: Delta to the top; it stays in its sprint.
	top := e.post(t, e.benTok, e.taskPath(d.Key, "/plan"), map[string]any{"base_version": d.Version, "position": "top"}).expect(t, http.StatusOK).planned(t)
	if top.Sprint == nil || *top.Sprint != 1 || slices.Contains(top.Applied, "sprint") {
		t.Errorf("re-ranked %+v", top)
	}
	if got, want := e.sprintKeys(t, "sprint=1"), []string{a.Key, b.Key, d.Key}; !slices.Equal(got, want) {
		t.Errorf("?sprint=1: %v, want %v", got, want)
	}
	if got, want := e.sprintKeys(t, "sprint=none"), []string{c.Key}; !slices.Equal(got, want) {
		t.Errorf("?sprint=none: %v, want %v", got, want)
	}

	// Start: dates are required; then it is active, with its tasks counted.
	e.post(t, e.benTok, e.sprintPath(1, "/start"), map[string]any{"base_version": s1.Version}).
		expectProblem(t, http.StatusUnprocessableEntity, "start and an end date")
	e.post(t, e.benTok, e.sprintPath(1, "/start"), map[string]any{"base_version": s1.Version, "start": "2026-11-23", "end": "2026-11-20"}).
		expectProblem(t, http.StatusUnprocessableEntity, "before the start date")
	started := e.post(t, e.benTok, e.sprintPath(1, "/start"), map[string]any{"start": "2026-11-23", "end": "2026-12-04"}, "If-Match", apiETag(s1.Version)).
		expect(t, http.StatusOK).sprint(t)
	if started.State != "active" || started.StartedAt == nil || started.Tasks != 3 || started.Points != 10 {
		t.Errorf("started %+v", started)
	}
	// A task added after the start is a scope change.
	echo := e.newTask(t, "Echo", 1)
	e.post(t, e.anaTok, e.taskPath(echo.Key, "/plan"), map[string]any{"base_version": echo.Version, "sprint": 1, "after_id": a.ID}).expect(t, http.StatusOK)
	if got, want := e.sprintKeys(t, "sprint=active"), []string{a.Key, b.Key, d.Key, echo.Key}; !slices.Equal(got, want) {
		t.Errorf("?sprint=active: %v, want %v", got, want)
	}
	// Another start while one is active is refused (parallel sprints are off), unless
	// the project allows parallel sprints, as the project says.
	e.post(t, e.benTok, e.sprintPath(2, "/start"), map[string]any{"base_version": s2.Version}).
		expectProblem(t, http.StatusUnprocessableEntity, "another sprint is active")
	var proj struct {
		ParallelSprints bool `json:"parallel_sprints"`
	}
	e.get(t, e.benTok, "/projects/SPR").expect(t, http.StatusOK).decode(t, &proj)
	if proj.ParallelSprints {
		t.Error("parallel_sprints is on by default")
	}
	if err := e.st.SetParallelSprints(e.ctx, e.ana.ID, e.p.ID, true); err != nil {
		t.Fatal(err)
	}
	e.get(t, e.benTok, "/projects/SPR").expect(t, http.StatusOK).decode(t, &proj)
	if !proj.ParallelSprints {
		t.Error("parallel_sprints is off after Ana allowed it")
	}
	if err := e.st.SetParallelSprints(e.ctx, e.ana.ID, e.p.ID, false); err != nil {
		t.Fatal(err)
	}

	// Completion: Alpha done, Bravo to the backlog, the rest to the next sprint (2).
	if _, err := e.st.MoveTask(e.ctx, e.ana.ID, store.TaskMove{TaskID: a.ID, BaseVersion: e.current(t, a.Key).Version, ColumnID: cols[len(cols)-1].ID}); err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Sprint       apiSprint
		Done         []apiTask
		Unfinished   []apiTask
		Destinations []struct{ Destination, Label string }
		Default      string
	}
	e.get(t, e.chloeTok, e.sprintPath(1, "/completion")).expectProblem(t, http.StatusForbidden, "viewer")
	e.get(t, e.benTok, e.sprintPath(1, "/completion")).expect(t, http.StatusOK).decode(t, &plan)
	var dests []string
	for _, x := range plan.Destinations {
		dests = append(dests, x.Destination)
	}
	if plan.Sprint.Number != 1 || len(plan.Done) != 1 || plan.Done[0].Key != a.Key || len(plan.Unfinished) != 3 ||
		plan.Default != "sprint:2" || !slices.Contains(dests, "backlog") || !slices.Contains(dests, "sprint:2") || !slices.Contains(dests, "new") {
		t.Errorf("completion plan %+v", plan)
	}
	cur := e.get(t, e.benTok, e.sprintPath(1)).expect(t, http.StatusOK).sprint(t)
	done := e.post(t, e.benTok, e.sprintPath(1, "/complete"), map[string]any{"base_version": cur.Version, "tasks": map[string]string{b.Key: "backlog"}}).
		expect(t, http.StatusOK).sprint(t)
	if done.State != "completed" || done.CompletedAt == nil {
		t.Errorf("completed %+v", done)
	}
	for _, w := range []struct {
		key          string
		sprint, from int // 0: null
	}{{a.Key, 1, 0}, {b.Key, 0, 1}, {d.Key, 2, 1}, {echo.Key, 2, 1}} {
		tk := e.get(t, e.chloeTok, e.taskPath(w.key)).expect(t, http.StatusOK).planned(t)
		if num(tk.Sprint) != w.sprint || num(tk.CarriedFrom) != w.from {
			t.Errorf("%s after completion: sprint %v, carried_from %v; want %d, %d", w.key, num(tk.Sprint), num(tk.CarriedFrom), w.sprint, w.from)
		}
	}
	// Planning into a completed sprint is refused; so is editing it.
	e.post(t, e.benTok, e.taskPath(c.Key, "/plan"), map[string]any{"base_version": c.Version, "sprint": 1}).
		expectProblem(t, http.StatusUnprocessableEntity, "completed")
	e.patch(t, e.benTok, e.sprintPath(1), map[string]any{"base_version": done.Version, "name": "Renamed"}).
		expectProblem(t, http.StatusUnprocessableEntity, "reopen")

	// Reopen: active again.
	reopened := e.post(t, e.anaTok, e.sprintPath(1, "/reopen"), nil, "If-Match", apiETag(done.Version)).expect(t, http.StatusOK).sprint(t)
	if reopened.State != "active" || reopened.CompletedAt != nil {
		t.Errorf("reopened %+v", reopened)
	}

	// Delete: a sprint with tasks cannot go; an empty planned one can.
	s2 = e.get(t, e.anaTok, e.sprintPath(2)).expect(t, http.StatusOK).sprint(t)
	e.do(t, apiCall{method: http.MethodDelete, path: e.sprintPath(2), token: e.anaTok, header: map[string]string{"If-Match": apiETag(s2.Version)}}).
		expectProblem(t, http.StatusUnprocessableEntity, "still holds")
	s3 := e.createSprint(t, map[string]any{"name": "Spare"})
	e.do(t, apiCall{method: http.MethodDelete, path: e.sprintPath(s3.Number), token: e.benTok, body: map[string]any{"base_version": s3.Version}}).
		expect(t, http.StatusNoContent)
	e.get(t, e.anaTok, e.sprintPath(s3.Number)).expectProblem(t, http.StatusNotFound, "no sprint")
	if s4 := e.createSprint(t, nil); s4.Number != s3.Number+1 {
		t.Errorf("a deleted sprint's number was reused: %d", s4.Number)
	}

	// The event feed has the sprint events, their payloads checked against the document.
	var feed struct {
		Events []struct {
			Stream string          `json:"stream"`
			Type   string          `json:"type"`
			Data   json.RawMessage `json:"data"`
		}
	}
	e.get(t, e.chloeTok, "/projects/SPR/events?limit=1000").expect(t, http.StatusOK).decode(t, &feed)
	seen := map[string]bool{}
	for _, ev := range feed.Events {
		seen[ev.Type] = true
		if strings.HasPrefix(ev.Type, "sprint.") && !strings.HasPrefix(ev.Stream, "sprint:") {
			t.Errorf("%s in stream %s", ev.Type, ev.Stream)
		}
	}
	for _, typ := range []string{store.TypeSprintCreated, store.TypeSprintEdited, store.TypeSprintStarted, store.TypeSprintScopeChanged,
		store.TypeSprintCompleted, store.TypeSprintReopened, store.TypeSprintDeleted, store.TypeTaskSprintChanged} {
		if !seen[typ] {
			t.Errorf("the feed has no %s event", typ)
		}
	}
	// Activity and history tell it (checked against the document too).
	var activity struct {
		Activity []struct{ Type, Text string }
	}
	e.get(t, e.chloeTok, "/projects/SPR/activity?limit=200").expect(t, http.StatusOK).decode(t, &activity)
	told := map[string]bool{}
	for _, a := range activity.Activity {
		told[a.Type] = true
	}
	if !told[store.TypeSprintStarted] || !told[store.TypeSprintCompleted] {
		t.Errorf("activity has no sprint start or completion: %+v", activity.Activity)
	}
	e.get(t, e.chloeTok, e.taskPath(d.Key, "/history")).expect(t, http.StatusOK)
}

// num is *n, or 0 for nil.
func num(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

// sprintOps are the sprint operations, with a path for sprint n of SPR.
var sprintOps = []struct {
	op, method, suffix string
	onSprint, write    bool
}{
	{"listSprints", http.MethodGet, "", false, false},
	{"createSprint", http.MethodPost, "", false, true},
	{"getSprint", http.MethodGet, "", true, false},
	{"updateSprint", http.MethodPatch, "", true, true},
	{"deleteSprint", http.MethodDelete, "", true, true},
	{"startSprint", http.MethodPost, "/start", true, true},
	{"completeSprint", http.MethodPost, "/complete", true, true},
	{"reopenSprint", http.MethodPost, "/reopen", true, true},
	{"getSprintCompletion", http.MethodGet, "/completion", true, false},
}

func (e *sprintEnv) opPath(suffix string, onSprint bool, n string) string {
	if !onSprint {
		return "/projects/SPR/sprints" + suffix
	}
	return "/projects/SPR/sprints/" + n + suffix
}

// TestAPISprintErrors sends every sprint operation and the plan endpoint what they
// refuse: no token (401), a stranger, an unknown project or sprint (404), a viewer's
// writes (403), unreadable bodies (400, 413), values the rules refuse (422), no
// precondition (428), a stale If-Match (412) and a conflicting base_version (409); then
// checks that each operation answered each of those.
func TestAPISprintErrors(t *testing.T) {
	e := newSprintEnv(t)
	planned := e.createSprint(t, map[string]any{"start": "2026-11-23", "end": "2026-12-04"})
	tk := e.newTask(t, "Planned task", 1)
	before := e.eventCount()

	for _, o := range sprintOps {
		path := e.opPath(o.suffix, o.onSprint, fmt.Sprint(planned.Number))
		body := map[string]any{"base_version": planned.Version}
		if o.op == "createSprint" {
			body = map[string]any{"name": "x"}
		}
		if !o.write {
			body = nil
		}
		t.Run(o.op, func(t *testing.T) {
			e.do(t, apiCall{method: o.method, path: path, body: body}).expectProblem(t, http.StatusUnauthorized)
			e.do(t, apiCall{method: o.method, path: path, token: e.strangerTok, body: body}).expectProblem(t, http.StatusNotFound, "no ")
			e.do(t, apiCall{method: o.method, path: strings.Replace(path, "/SPR/", "/NOPE/", 1), token: e.anaTok, body: body}).
				expectProblem(t, http.StatusNotFound, "no ")
			if o.onSprint {
				for _, n := range []string{"99", "0", "x", "-1"} {
					e.do(t, apiCall{method: o.method, path: e.opPath(o.suffix, true, n), token: e.anaTok, body: body}).
						expectProblem(t, http.StatusNotFound, "no sprint")
				}
			}
			if !o.write {
				return
			}
			e.do(t, apiCall{method: o.method, path: path, token: e.chloeTok, body: body}).expectProblem(t, http.StatusForbidden, "viewer")
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: `{"base_version": 1,}`}).
				expectProblem(t, http.StatusBadRequest, "not valid JSON")
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{"titel": "x"}}).
				expectProblem(t, http.StatusBadRequest, `unknown field "titel"`)
			e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: `{"name": "` + strings.Repeat("a", 1<<20) + `"}`}).
				expectProblem(t, http.StatusRequestEntityTooLarge, "1 MiB")
			if o.op != "createSprint" {
				e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{"base_version": "1"}}).
					expectProblem(t, http.StatusBadRequest, `"base_version"`)
				e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{}}).
					expectProblem(t, http.StatusPreconditionRequired, "If-Match", "base_version")
				e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{"base_version": 0}}).
					expectProblem(t, http.StatusUnprocessableEntity, "base_version")
				res := e.do(t, apiCall{method: o.method, path: path, token: e.benTok, body: map[string]any{},
					header: map[string]string{"If-Match": apiETag(planned.Version + 7)}})
				res.expectProblem(t, http.StatusPreconditionFailed, "version")
				var sp sprintProblem
				res.decode(t, &sp)
				if sp.Current == nil || sp.Current.Version != planned.Version || res.header.Get("ETag") != apiETag(planned.Version) {
					t.Errorf("412 without the current sprint: %s", res.body)
				}
			}
		})
	}
	if n := e.eventCount(); n != before {
		t.Errorf("refused requests appended %d events", n-before)
	}

	// Values the rules refuse, each naming its field.
	for _, c := range []struct {
		method, path string
		body         any
		field        string
	}{
		{http.MethodPost, "/projects/SPR/sprints", map[string]any{"start": "2026-12-10", "end": "2026-12-01"}, "end"},
		{http.MethodPost, "/projects/SPR/sprints", map[string]any{"start": "10/12/2026"}, "start"},
		{http.MethodPost, "/projects/SPR/sprints", map[string]any{"name": strings.Repeat("n", 300)}, "name"},
		{http.MethodPatch, e.sprintPath(planned.Number), map[string]any{"base_version": planned.Version, "end": "2026-11-01"}, "end"},
		{http.MethodPatch, e.sprintPath(planned.Number), map[string]any{"base_version": planned.Version + 3, "goal": "x"}, "base_version"},
		{http.MethodPost, e.sprintPath(planned.Number, "/start"), map[string]any{"base_version": planned.Version, "end": "2026-11-01"}, "end"},
		{http.MethodPost, e.taskPath(tk.Key, "/plan"), map[string]any{"base_version": tk.Version, "sprint": 99}, "sprint"},
		{http.MethodPost, e.taskPath(tk.Key, "/plan"), map[string]any{"base_version": tk.Version, "sprint": 0}, "sprint"},
		{http.MethodPost, e.taskPath(tk.Key, "/plan"), map[string]any{"base_version": tk.Version, "position": "sideways"}, "position"},
		{http.MethodPatch, e.taskPath(tk.Key), map[string]any{"base_version": tk.Version, "sprint": 42}, "sprint"},
		{http.MethodPost, "/projects/SPR/tasks", map[string]any{"title": "x", "sprint": 42}, "sprint"},
		{http.MethodGet, "/projects/SPR/sprints?state=late", nil, "state"},
		{http.MethodGet, "/projects/SPR/tasks?sprint=current", nil, "sprint"},
		{http.MethodGet, "/projects/SPR/tasks?sprint=42", nil, "sprint"},
		{http.MethodPost, e.sprintPath(planned.Number, "/reopen"), map[string]any{"base_version": planned.Version}, ""},
		{http.MethodGet, e.sprintPath(planned.Number, "/completion"), nil, ""},
	} {
		t.Run("422 "+c.method+" "+c.path, func(t *testing.T) {
			p := e.do(t, apiCall{method: c.method, path: c.path, token: e.benTok, body: c.body}).expectProblem(t, http.StatusUnprocessableEntity)
			if p.Field != c.field {
				t.Errorf("field %q, want %q (%s)", p.Field, c.field, p.Detail)
			}
		})
	}

	// Start the sprint with a task in it, then: complete with bad destinations and unknown
	// tasks, delete an active sprint.
	if _, err := e.st.PlanTask(e.ctx, e.ana.ID, store.TaskPlan{TaskID: tk.ID, BaseVersion: tk.Version, Sprint: store.Some(planned.ID)}); err != nil {
		t.Fatal(err)
	}
	planned = e.get(t, e.benTok, e.sprintPath(planned.Number)).expect(t, http.StatusOK).sprint(t)
	started := e.post(t, e.benTok, e.sprintPath(planned.Number, "/start"), map[string]any{"base_version": planned.Version}).expect(t, http.StatusOK).sprint(t)
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"default": "later"}, "default"},
		{map[string]any{"default": "sprint:9"}, "default"},
		{map[string]any{"default": "sprint:" + fmt.Sprint(planned.Number)}, "destination"}, // not a planned sprint
		{map[string]any{"tasks": map[string]string{"SPR-999": "backlog"}}, "tasks.SPR-999"},
		{map[string]any{"tasks": map[string]string{tk.Key: "elsewhere"}}, "tasks." + tk.Key},
	} {
		c.body["base_version"] = started.Version
		p := e.post(t, e.benTok, e.sprintPath(planned.Number, "/complete"), c.body).expectProblem(t, http.StatusUnprocessableEntity)
		if p.Field != c.field {
			t.Errorf("complete %v: field %q, want %q (%s)", c.body, p.Field, c.field, p.Detail)
		}
	}
	e.do(t, apiCall{method: http.MethodDelete, path: e.sprintPath(planned.Number), token: e.benTok, body: map[string]any{"base_version": started.Version}}).
		expectProblem(t, http.StatusUnprocessableEntity, "only a planned sprint")

	// 409: two edits of the same field from one version; lifecycle commands after a change.
	other := e.createSprint(t, map[string]any{"name": "Other"})
	e.patch(t, e.anaTok, e.sprintPath(other.Number), map[string]any{"base_version": other.Version, "name": "Ana's name"}).expect(t, http.StatusOK)
	merged := e.patch(t, e.benTok, e.sprintPath(other.Number), map[string]any{"base_version": other.Version, "goal": "Ben's goal"}).expect(t, http.StatusOK).sprint(t)
	if merged.Name != "Ana's name" || merged.Goal != "Ben's goal" {
		t.Errorf("merge of different fields: %+v", merged)
	}
	res := e.patch(t, e.benTok, e.sprintPath(other.Number), map[string]any{"base_version": other.Version, "name": "Ben's name"})
	res.expectProblem(t, http.StatusConflict)
	var sp sprintProblem
	res.decode(t, &sp)
	if len(sp.Conflicts) != 1 || sp.Conflicts[0].Field != "name" || *sp.Conflicts[0].Yours != "Ben's name" || *sp.Conflicts[0].Theirs != "Ana's name" ||
		sp.Conflicts[0].ChangedBy == "" || sp.Current == nil || sp.Current.Version != merged.Version || sp.Current.Goal != "Ben's goal" ||
		res.header.Get("ETag") != apiETag(merged.Version) {
		t.Errorf("sprint conflict: %s (ETag %s)", res.body, res.header.Get("ETag"))
	}
	for _, o := range []struct{ method, suffix string }{
		{http.MethodPost, "/start"}, {http.MethodDelete, ""},
	} {
		res := e.do(t, apiCall{method: o.method, path: e.sprintPath(other.Number, o.suffix), token: e.benTok, body: map[string]any{"base_version": other.Version}})
		res.expectProblem(t, http.StatusConflict, "changed by someone else")
	}
	cur := e.get(t, e.benTok, e.sprintPath(started.Number)).expect(t, http.StatusOK).sprint(t)
	e.patch(t, e.anaTok, e.sprintPath(started.Number), map[string]any{"base_version": cur.Version, "goal": "Changed"}).expect(t, http.StatusOK)
	res = e.post(t, e.benTok, e.sprintPath(started.Number, "/complete"), map[string]any{"base_version": cur.Version})
	res.expectProblem(t, http.StatusConflict, "changed by someone else")
	sp = sprintProblem{}
	res.decode(t, &sp)
	if sp.Current == nil || sp.Current.Goal != "Changed" || sp.Current.Tasks != 1 || sp.Current.Points != 1 {
		t.Errorf("409 current sprint: %s", res.body)
	}
	done := e.post(t, e.benTok, e.sprintPath(started.Number, "/complete"), map[string]any{"base_version": cur.Version + 1, "default": "new"}).
		expect(t, http.StatusOK).sprint(t)
	e.patch(t, e.anaTok, e.sprintPath(other.Number), map[string]any{"base_version": merged.Version, "goal": "Again"}).expect(t, http.StatusOK)
	e.post(t, e.benTok, e.sprintPath(started.Number, "/reopen"), map[string]any{"base_version": done.Version - 1}).
		expectProblem(t, http.StatusConflict, "changed by someone else")

	for _, o := range sprintOps {
		want := []int{http.StatusUnauthorized, http.StatusNotFound}
		switch {
		case o.op == "createSprint":
			want = append(want, http.StatusCreated, http.StatusForbidden, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
		case o.write:
			want = append(want, http.StatusForbidden, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity,
				http.StatusPreconditionRequired, http.StatusPreconditionFailed, http.StatusConflict)
		}
		if o.op == "listSprints" || o.op == "getSprintCompletion" {
			want = append(want, http.StatusUnprocessableEntity)
		}
		e.requireSeen(t, o.op, want...)
	}
}

// TestAPISprintSuccessCoverage makes sure every sprint operation has been seen
// answering success against the document, in a run of its own.
func TestAPISprintSuccessCoverage(t *testing.T) {
	e := newSprintEnv(t)
	s := e.createSprint(t, map[string]any{"start": "2026-11-23", "end": "2026-12-04"})
	e.get(t, e.chloeTok, "/projects/SPR/sprints?state=planned").expect(t, http.StatusOK)
	e.get(t, e.chloeTok, e.sprintPath(s.Number)).expect(t, http.StatusOK)
	s = e.patch(t, e.benTok, e.sprintPath(s.Number), map[string]any{"goal": "All green"}, "If-Match", apiETag(s.Version)).expect(t, http.StatusOK).sprint(t)
	s = e.post(t, e.benTok, e.sprintPath(s.Number, "/start"), nil, "If-Match", apiETag(s.Version)).expect(t, http.StatusOK).sprint(t)
	e.get(t, e.benTok, e.sprintPath(s.Number, "/completion")).expect(t, http.StatusOK)
	s = e.post(t, e.benTok, e.sprintPath(s.Number, "/complete"), nil, "If-Match", apiETag(s.Version)).expect(t, http.StatusOK).sprint(t)
	e.post(t, e.benTok, e.sprintPath(s.Number, "/reopen"), map[string]any{"base_version": s.Version}).expect(t, http.StatusOK)
	// Creating with an Idempotency-Key twice creates one sprint.
	first := e.post(t, e.anaTok, "/projects/SPR/sprints", map[string]any{"name": "Once"}, "Idempotency-Key", "create-once").expect(t, http.StatusCreated)
	again := e.post(t, e.anaTok, "/projects/SPR/sprints", map[string]any{"name": "Once"}, "Idempotency-Key", "create-once").expect(t, http.StatusCreated)
	if !bytes.Equal(first.body, again.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed create: %s / %s", first.body, again.body)
	}
	var list struct{ Sprints []apiSprint }
	e.get(t, e.anaTok, "/projects/SPR/sprints").expect(t, http.StatusOK).decode(t, &list)
	if len(list.Sprints) != 2 {
		t.Errorf("%d sprints after a replayed create, want 2", len(list.Sprints))
	}
	spare := e.createSprint(t, nil)
	e.do(t, apiCall{method: http.MethodDelete, path: e.sprintPath(spare.Number), token: e.anaTok, header: map[string]string{"If-Match": apiETag(spare.Version)}}).
		expect(t, http.StatusNoContent)
	for _, o := range sprintOps {
		switch o.op {
		case "createSprint":
			e.requireSeen(t, o.op, http.StatusCreated)
		case "deleteSprint":
			e.requireSeen(t, o.op, http.StatusNoContent)
		default:
			e.requireSeen(t, o.op, http.StatusOK)
		}
	}
}

// TestAPIPlanConflicts checks the plan endpoint's concurrency rules: a stale If-Match
// is 412; under base_version, planning into another sprint than someone else just chose
// is 409 (pending, answerable), while re-ranking never conflicts; the same goes for a
// PATCH of sprint.
func TestAPIPlanConflicts(t *testing.T) {
	e := newSprintEnv(t)
	s1, s2 := e.createSprint(t, nil), e.createSprint(t, nil)
	tk := e.newTask(t, "Contested", 2)
	v := tk.Version

	e.post(t, e.anaTok, e.taskPath(tk.Key, "/plan"), map[string]any{"sprint": s1.Number}).
		expectProblem(t, http.StatusPreconditionRequired, "If-Match")
	e.post(t, e.anaTok, e.taskPath(tk.Key, "/plan"), map[string]any{"sprint": s1.Number}, "If-Match", apiETag(v)).expect(t, http.StatusOK)
	p := e.post(t, e.benTok, e.taskPath(tk.Key, "/plan"), map[string]any{"sprint": s2.Number}, "If-Match", apiETag(v)).
		expectProblem(t, http.StatusPreconditionFailed)
	if p.Current == nil || p.Current.Version == v {
		t.Errorf("412 current %+v", p.Current)
	}
	res := e.post(t, e.benTok, e.taskPath(tk.Key, "/plan"), map[string]any{"base_version": v, "sprint": s2.Number})
	p = res.expectProblem(t, http.StatusConflict, "sprint")
	var raw struct {
		Conflicts []struct {
			Field  string `json:"field"`
			Yours  any    `json:"yours"`
			Theirs any    `json:"theirs"`
		} `json:"conflicts"`
		Current apiPlanned `json:"current"`
	}
	res.decode(t, &raw)
	if len(raw.Conflicts) != 1 || raw.Conflicts[0].Field != "sprint" || raw.Conflicts[0].Yours != float64(s2.Number) ||
		raw.Conflicts[0].Theirs != float64(s1.Number) || num(raw.Current.Sprint) != s1.Number || p.ConflictSeq == 0 {
		t.Errorf("plan conflict %s", res.body)
	}
	// Pending for Ben, as a plan; the same wish (sprint 1) from the old version is no conflict.
	pending := e.pendingConflicts(t, e.benTok, "SPR")
	if len(pending) != 1 || pending[0].Command != "plan" {
		t.Errorf("pending %+v", pending)
	}
	e.post(t, e.benTok, e.taskPath(tk.Key, "/plan"), map[string]any{"base_version": v, "sprint": s1.Number}).expect(t, http.StatusOK)
	// Re-ranking from the old version never conflicts.
	e.post(t, e.benTok, e.taskPath(tk.Key, "/plan"), map[string]any{"base_version": v, "position": "top"}).expect(t, http.StatusOK)
	// PATCH of sprint follows the same rule; to the backlog with null.
	cur := e.current(t, tk.Key)
	e.patch(t, e.anaTok, e.taskPath(tk.Key), map[string]any{"base_version": cur.Version, "sprint": nil}).expect(t, http.StatusOK)
	res = e.patch(t, e.benTok, e.taskPath(tk.Key), map[string]any{"base_version": cur.Version, "sprint": s2.Number, "title": "Contested, still"})
	res.expectProblem(t, http.StatusConflict, "sprint")
	if got := e.current(t, tk.Key); got.SprintID != "" || got.Title != "Contested" {
		t.Errorf("a conflicting PATCH changed the task: sprint %q, title %q", got.SprintID, got.Title)
	}
	// The refused PATCH waits for Ben, wanting sprint 2 (by its number); "mine" applies it.
	var edit *apiPendingConflict
	for _, pc := range e.pendingConflicts(t, e.benTok, "SPR") {
		if pc.Command == "edit" {
			edit = &pc
		}
	}
	if edit == nil || edit.Wanted["sprint"] != float64(s2.Number) || edit.Wanted["title"] != "Contested, still" {
		t.Fatalf("pending edit %+v", edit)
	}
	res = e.post(t, e.benTok, fmt.Sprintf("/projects/SPR/conflicts/%d", edit.Seq), map[string]any{"choice": "mine"}).expect(t, http.StatusOK)
	if got := res.planned(t); num(got.Sprint) != s2.Number || got.Title != "Contested, still" {
		t.Errorf("answered mine: %s", res.body)
	}
	e.requireSeen(t, "planTask", http.StatusOK, http.StatusConflict, http.StatusPreconditionFailed, http.StatusPreconditionRequired)
}

// TestAPIPlanRace releases two API clients planning the same task into different
// sprints from the same version together, 20 rounds: each round exactly one is applied
// (200) and the other refused as a conflict (409), and the task ends in the winner's
// sprint.
func TestAPIPlanRace(t *testing.T) {
	e := newSprintEnv(t)
	sprints := []apiSprint{e.createSprint(t, nil), e.createSprint(t, nil)}
	tokens := []string{e.anaTok, e.benTok}
	for round := range 20 {
		tk := e.newTask(t, fmt.Sprintf("Race %d", round), 1)
		calls := make([]apiCall, 2)
		results := make([]*apiResult, 2)
		errs := make([]error, 2)
		var ready, done sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			calls[i] = apiCall{method: http.MethodPost, path: e.taskPath(tk.Key, "/plan"), token: tokens[i],
				body: map[string]any{"base_version": tk.Version, "sprint": sprints[i].Number}}
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
		if !slices.Equal(statuses, []int{http.StatusOK, http.StatusConflict}) {
			t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, statuses)
		}
		if got := e.current(t, tk.Key); got.SprintID != sprints[winner].ID {
			t.Errorf("round %d: the task is in sprint %q, want the winner's %q", round, got.SprintID, sprints[winner].ID)
		}
	}
}

// TestSyncPlan plans tasks through /sync: a plan operation applies once however often
// it is sent, a second phone's plan into another sprint from the same version is a
// conflict, an update moves a task to the backlog with "sprint": null, and sprint
// numbers that do not exist are refused.
func TestSyncPlan(t *testing.T) {
	e := newSprintEnv(t)
	s1, s2 := e.createSprint(t, nil), e.createSprint(t, nil)
	x := e.newTask(t, "Offline planning", 3)
	type result struct {
		OpID     string   `json:"op_id"`
		Status   string   `json:"status"`
		Applied  []string `json:"applied"`
		Reason   string   `json:"reason"`
		Task     *apiPlanned
		Conflict *struct {
			Conflicts []struct {
				Field  string `json:"field"`
				Yours  any    `json:"yours"`
				Theirs any    `json:"theirs"`
			} `json:"conflicts"`
			Current *apiPlanned `json:"current"`
		} `json:"conflict"`
	}
	sync := func(token string, ops ...map[string]any) ([]byte, []result) {
		t.Helper()
		var out struct{ Results []result }
		res := e.post(t, token, "/sync", map[string]any{"operations": ops}).expect(t, http.StatusOK)
		res.decode(t, &out)
		if len(out.Results) != len(ops) {
			t.Fatalf("%d results for %d operations", len(out.Results), len(ops))
		}
		return res.body, out.Results
	}
	op := func(id string, base int, action string, changes map[string]any) map[string]any {
		return map[string]any{"op_id": id, "task": x.Key, "base_version": base, "action": action, "changes": changes}
	}

	before := e.eventCount()
	plan := op("plan-1", x.Version, "plan", map[string]any{"sprint": s1.Number, "position": "top"})
	first, res := sync(e.anaTok, plan)
	if res[0].Status != "applied" || !slices.Contains(res[0].Applied, "sprint") || res[0].Task == nil || num(res[0].Task.Sprint) != s1.Number {
		t.Fatalf("plan-1: %s", first)
	}
	appended := e.eventCount() - before
	if appended == 0 {
		t.Fatal("plan-1 appended no event")
	}
	// The same operation again, alone or in a batch with a new one: answered, not applied.
	again, _ := sync(e.anaTok, plan)
	if !bytes.Equal(again, first) {
		t.Errorf("re-sent plan-1 answered\n%s\nnot\n%s", again, first)
	}
	if n := e.eventCount() - before; n != appended {
		t.Errorf("re-sent plan-1 appended %d more events", n-appended)
	}

	// Ben's phone planned it into sprint 2 from the same version: a conflict on the sprint.
	_, res = sync(e.benTok, op("ben-1", x.Version, "plan", map[string]any{"sprint": s2.Number}))
	if res[0].Status != "conflict" || res[0].Conflict == nil || len(res[0].Conflict.Conflicts) != 1 {
		t.Fatalf("ben-1: %+v", res[0])
	}
	if c := res[0].Conflict.Conflicts[0]; c.Field != "sprint" || c.Yours != float64(s2.Number) || c.Theirs != float64(s1.Number) ||
		res[0].Conflict.Current == nil || num(res[0].Conflict.Current.Sprint) != s1.Number {
		t.Errorf("ben-1 conflict %+v", res[0].Conflict)
	}

	// An update with "sprint": null sends it to the backlog; an unknown sprint is rejected.
	cur := e.current(t, x.Key)
	_, res = sync(e.benTok,
		op("ben-2", cur.Version, "update", map[string]any{"sprint": nil}),
		op("ben-3", cur.Version, "plan", map[string]any{"sprint": 99}),
	)
	if res[0].Status != "applied" || !slices.Equal(res[0].Applied, []string{"sprint"}) || res[0].Task.Sprint != nil {
		t.Errorf("ben-2: %+v", res[0])
	}
	if res[1].Status != "rejected" || !strings.Contains(res[1].Reason, "no sprint 99") {
		t.Errorf("ben-3: %+v", res[1])
	}
	if got := e.current(t, x.Key); got.SprintID != "" {
		t.Errorf("the task is in sprint %q, want the backlog", got.SprintID)
	}

	// Malformed sprint members refuse the whole batch.
	e.post(t, e.benTok, "/sync", map[string]any{"operations": []map[string]any{op("bad-1", 1, "plan", map[string]any{"sprint": "one"})}}).
		expectProblem(t, http.StatusBadRequest, `"sprint"`)
	p := e.post(t, e.benTok, "/sync", map[string]any{"operations": []map[string]any{op("bad-2", 1, "update", map[string]any{"sprint": 0})}}).
		expectProblem(t, http.StatusUnprocessableEntity, "sprint")
	if p.Field != "operations[0].changes.sprint" {
		t.Errorf("field %q", p.Field)
	}
	e.post(t, e.benTok, "/sync", map[string]any{"operations": []map[string]any{op("bad-3", 1, "plan", map[string]any{"column_id": "c1"})}}).
		expectProblem(t, http.StatusBadRequest, `unknown field "column_id"`)
}

// TestAPISprintCompletionDestinations completes a sprint sending its unfinished tasks
// to the backlog by default, one to "next" (the next planned sprint by number) and one
// to a named planned sprint.
func TestAPISprintCompletionDestinations(t *testing.T) {
	e := newSprintEnv(t)
	a := e.createSprint(t, map[string]any{"start": "2026-11-23", "end": "2026-12-04"})
	b, c := e.createSprint(t, nil), e.createSprint(t, nil)
	var keys []string
	for i := range 3 {
		res := e.post(t, e.benTok, "/projects/SPR/tasks", map[string]any{"title": fmt.Sprint("Task ", i), "sprint": a.Number}).expect(t, http.StatusCreated)
		keys = append(keys, res.planned(t).Key)
	}
	a = e.get(t, e.benTok, e.sprintPath(a.Number)).expect(t, http.StatusOK).sprint(t)
	a = e.post(t, e.benTok, e.sprintPath(a.Number, "/start"), nil, "If-Match", apiETag(a.Version)).expect(t, http.StatusOK).sprint(t)
	e.post(t, e.benTok, e.sprintPath(a.Number, "/complete"), map[string]any{"base_version": a.Version, "default": "backlog",
		"tasks": map[string]string{keys[0]: "next", strings.ToLower(keys[1]): fmt.Sprint("sprint:", c.Number)}}).expect(t, http.StatusOK)
	for i, want := range []int{b.Number, c.Number, 0} {
		tk := e.get(t, e.chloeTok, e.taskPath(keys[i])).expect(t, http.StatusOK).planned(t)
		if num(tk.Sprint) != want || num(tk.CarriedFrom) != a.Number {
			t.Errorf("%s: sprint %d carried from %d; want %d, %d", keys[i], num(tk.Sprint), num(tk.CarriedFrom), want, a.Number)
		}
	}
	if got := e.sprintKeys(t, fmt.Sprint("sprint=", c.Number)); !slices.Equal(got, []string{keys[1]}) {
		t.Errorf("?sprint=%d: %v", c.Number, got)
	}
}
