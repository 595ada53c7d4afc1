package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tack-pm/tack/store"
)

// syncClient calls the JSON API with one user's personal access token.
type syncClient struct {
	t     *testing.T
	base  string
	token string
}

// syncClientFor creates a token for u and returns a client that sends it.
func syncClientFor(a *app, u *store.User) *syncClient {
	a.t.Helper()
	secret, _, err := a.st.CreateToken(a.ctx, u.ID, "test phone")
	if err != nil {
		a.t.Fatalf("create token for %s: %v", u.Email, err)
	}
	return &syncClient{t: a.t, base: a.srv.URL, token: secret}
}

// syncReply is an API answer.
type syncReply struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request; body is sent as is when it is a string, else encoded as JSON
// (nil sends nothing).
func (c *syncClient) do(method, path string, body any, header http.Header) syncReply {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return syncReply{Status: res.StatusCode, Header: res.Header, Body: data}
}

// decode decodes the answer's JSON into v, failing unless the status is want.
func (r syncReply) decode(t *testing.T, want int, v any) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body: %.800s", r.Status, want, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatalf("decode %.300s: %v", r.Body, err)
		}
	}
}

// syncOp is one operation of a sync batch, as a client sends it.
type syncOp struct {
	OpID        string         `json:"op_id"`
	Task        string         `json:"task"`
	BaseVersion int            `json:"base_version"`
	Action      string         `json:"action"`
	Changes     map[string]any `json:"changes,omitempty"`
}

// syncOutcome is one result of a sync batch, as a client reads it.
type syncOutcome struct {
	OpID    string    `json:"op_id"`
	Status  string    `json:"status"`
	Task    *syncTask `json:"task"`
	Applied []string  `json:"applied"`
	Merged  []string  `json:"merged"`
	Reason  string    `json:"reason"`
	// Conflict is the problem document of a conflict.
	Conflict *struct {
		Status    int    `json:"status"`
		Type      string `json:"type"`
		Detail    string `json:"detail"`
		Conflicts []struct {
			Field     string `json:"field"`
			Yours     any    `json:"yours"`
			Theirs    any    `json:"theirs"`
			ChangedBy string `json:"changed_by"`
			Seq       int64  `json:"seq"`
		} `json:"conflicts"`
		Current *syncTask `json:"current"`
	} `json:"conflict"`
}

type syncTask struct {
	Key      string `json:"key"`
	Title    string `json:"title"`
	Priority string `json:"priority"`
	ColumnID string `json:"column_id"`
	Archived bool   `json:"archived"`
	Version  int    `json:"version"`
}

// sync sends a batch and returns the raw answer and its results, failing unless it is 200
// with one result per operation, in order.
func (c *syncClient) sync(ops ...syncOp) ([]byte, []syncOutcome) {
	c.t.Helper()
	var out struct {
		Results []syncOutcome `json:"results"`
	}
	r := c.do(http.MethodPost, "/api/v1/sync", map[string]any{"operations": ops}, nil)
	r.decode(c.t, http.StatusOK, &out)
	if len(out.Results) != len(ops) {
		c.t.Fatalf("%d results for %d operations: %s", len(out.Results), len(ops), r.Body)
	}
	for i, res := range out.Results {
		if res.OpID != ops[i].OpID {
			c.t.Fatalf("result %d is for op %q, want %q", i, res.OpID, ops[i].OpID)
		}
	}
	return r.Body, out.Results
}

// syncExpect fails unless the result has the status and, for applied or merged ones, the
// fields (in any order; want them sorted).
func syncExpect(t *testing.T, res syncOutcome, status string, applied, merged []string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("op %s: status %q, want %q (reason %q)", res.OpID, res.Status, status, res.Reason)
	}
	if status != "applied" && status != "merged" {
		if res.Task != nil || res.Applied != nil || res.Merged != nil {
			t.Errorf("op %s (%s) carries task/applied/merged: %+v", res.OpID, status, res)
		}
		return
	}
	if res.Task == nil {
		t.Fatalf("op %s: no task in an %s result", res.OpID, status)
	}
	slices.Sort(res.Applied)
	slices.Sort(res.Merged)
	if !slices.Equal(res.Applied, applied) || !slices.Equal(res.Merged, merged) {
		t.Errorf("op %s: applied %q merged %q, want applied %q merged %q", res.OpID, res.Applied, res.Merged, applied, merged)
	}
}

func TestSyncTwoPhonesEditOfflineThenSync(t *testing.T) {
	a := newApp(t)
	phoneA, phoneB := syncClientFor(a, a.ana), syncClientFor(a, a.ben)
	x := a.task("DEMO-10") // in To Do
	v := x.Version
	inProgress, done := a.demo.Columns[1].ID, a.demo.Columns[3].ID

	// Phone A comes back online first. Both its operations were made on version v; the
	// second builds on the first, so neither conflicts with nor merges the other.
	_, resA := phoneA.sync(
		syncOp{OpID: "a-1", Task: "DEMO-10", BaseVersion: v, Action: "update", Changes: map[string]any{"title": "Velocity report per sprint"}},
		syncOp{OpID: "a-2", Task: "demo-10", BaseVersion: v, Action: "move", Changes: map[string]any{"column_id": inProgress}},
	)
	syncExpect(t, resA[0], "applied", []string{"title"}, []string{})
	syncExpect(t, resA[1], "applied", []string{"column_id"}, []string{})
	if got := resA[1].Task; got.Title != "Velocity report per sprint" || got.ColumnID != inProgress || got.Version != v+2 {
		t.Fatalf("after phone A: task %+v, want the new title in In Progress at version %d", got, v+2)
	}

	// Phone B edited the same task offline, also on version v.
	batchB := []syncOp{
		{OpID: "b-1", Task: "DEMO-10", BaseVersion: v, Action: "update", Changes: map[string]any{"priority": "highest"}},
		{OpID: "b-2", Task: "DEMO-10", BaseVersion: v, Action: "update", Changes: map[string]any{"title": "Velocity chart"}},
		{OpID: "b-3", Task: "DEMO-10", BaseVersion: v, Action: "move", Changes: map[string]any{"column_id": done}},
		{OpID: "b-4", Task: "DEMO-999", BaseVersion: 1, Action: "update", Changes: map[string]any{"title": "Lost"}},
	}
	rawB, resB := phoneB.sync(batchB...)
	syncExpect(t, resB[0], "merged", []string{"priority"}, []string{"column_id", "title"})
	if resB[0].Task.Priority != "highest" || resB[0].Task.Title != "Velocity report per sprint" {
		t.Errorf("b-1: task %+v, want priority highest beside A's title", resB[0].Task)
	}

	syncExpect(t, resB[1], "conflict", nil, nil)
	c := resB[1].Conflict
	if c == nil || c.Status != http.StatusConflict || len(c.Conflicts) != 1 || c.Current == nil || c.Detail == "" {
		t.Fatalf("b-2: conflict document %+v, want a 409 problem with one field and the current task", c)
	}
	if f := c.Conflicts[0]; f.Field != "title" || f.Yours != "Velocity chart" || f.Theirs != "Velocity report per sprint" || f.ChangedBy != a.ana.ID || f.Seq == 0 {
		t.Errorf("b-2: conflict %+v, want title: yours Velocity chart, theirs A's title, changed by ana (%s)", f, a.ana.ID)
	}
	if c.Current.Version != v+3 || c.Current.Title != "Velocity report per sprint" {
		t.Errorf("b-2: current task %+v, want A's title at version %d", c.Current, v+3)
	}

	syncExpect(t, resB[2], "conflict", nil, nil)
	if c := resB[2].Conflict; c == nil || len(c.Conflicts) != 1 || c.Conflicts[0].Field != "column_id" ||
		c.Conflicts[0].ChangedBy != a.ana.ID || c.Conflicts[0].Theirs != inProgress || c.Conflicts[0].Yours != done {
		t.Errorf("b-3: conflict %+v, want the column changed by ana to In Progress", resB[2].Conflict)
	}

	syncExpect(t, resB[3], "rejected", nil, nil)
	if !strings.Contains(resB[3].Reason, "DEMO-999") {
		t.Errorf("b-4: reason %q does not name the task", resB[3].Reason)
	}

	final := a.task("DEMO-10")
	if final.Title != "Velocity report per sprint" || final.ColumnID != inProgress || final.Priority != store.PriorityHighest || final.Version != v+3 {
		t.Fatalf("final task: title %q column %s priority %s version %d; want A's title, In Progress, highest, version %d",
			final.Title, final.ColumnID, final.Priority, final.Version, v+3)
	}

	// The answer to B got lost: B sends the same batch again. Nothing is applied or
	// recorded twice (not even the conflicts), and the answer is the same.
	events := a.eventCount()
	rawAgain, _ := phoneB.sync(batchB...)
	if !bytes.Equal(rawAgain, rawB) {
		t.Errorf("re-sent batch answered differently:\nfirst: %s\nagain: %s", rawB, rawAgain)
	}
	if n := a.eventCount(); n != events {
		t.Errorf("re-sending the batch appended %d events", n-events)
	}
	if again := a.task("DEMO-10"); again.Version != final.Version {
		t.Errorf("re-sending the batch changed the task: version %d, want %d", again.Version, final.Version)
	}

	// A viewer's phone cannot change anything.
	_, resC := syncClientFor(a, a.chlo).sync(syncOp{OpID: "c-1", Task: "DEMO-10", BaseVersion: final.Version, Action: "update",
		Changes: map[string]any{"title": "Viewer edit"}})
	syncExpect(t, resC[0], "rejected", nil, nil)
	if !strings.Contains(resC[0].Reason, "viewer") {
		t.Errorf("viewer's op: reason %q does not say the role is viewer", resC[0].Reason)
	}
	if n := a.eventCount(); n != events {
		t.Errorf("a viewer's op appended %d events", n-events)
	}
}

func TestSyncOperations(t *testing.T) {
	a := newApp(t)
	phone := syncClientFor(a, a.ben)
	x := a.task("DEMO-11")

	// archive and restore, with and without "changes"; an invalid value is rejected alone.
	_, res := phone.sync(
		syncOp{OpID: "op-1", Task: "DEMO-11", BaseVersion: x.Version, Action: "archive"},
		syncOp{OpID: "op-2", Task: "DEMO-11", BaseVersion: x.Version, Action: "update", Changes: map[string]any{"title": "  "}},
		syncOp{OpID: "op-3", Task: "DEMO-11", BaseVersion: x.Version + 1, Action: "restore", Changes: map[string]any{}},
		syncOp{OpID: "op-4", Task: "DEMO-11", BaseVersion: x.Version + 2, Action: "update",
			Changes: map[string]any{"points": nil, "labels": []string{"print"}, "assignee_id": nil}},
	)
	syncExpect(t, res[0], "applied", []string{"archived"}, []string{})
	if !res[0].Task.Archived {
		t.Errorf("op-1: task not archived: %+v", res[0].Task)
	}
	syncExpect(t, res[1], "rejected", nil, nil)
	if !strings.Contains(res[1].Reason, "Title") {
		t.Errorf("op-2: reason %q, want the validation message about the title", res[1].Reason)
	}
	syncExpect(t, res[2], "applied", []string{"archived"}, []string{})
	syncExpect(t, res[3], "applied", []string{"assignee_id", "labels", "points"}, []string{})
	got := a.task("DEMO-11")
	if got.Archived || got.Points != nil || got.AssigneeID != "" || !slices.Equal(got.Labels, []string{"print"}) {
		t.Errorf("final task: archived %v points %v assignee %q labels %q", got.Archived, got.Points, got.AssigneeID, got.Labels)
	}

	// The same op_id with other content is refused and names the op_id; nothing changes.
	events := a.eventCount()
	_, res = phone.sync(syncOp{OpID: "op-1", Task: "DEMO-11", BaseVersion: got.Version, Action: "update", Changes: map[string]any{"title": "Other"}})
	syncExpect(t, res[0], "rejected", nil, nil)
	if !strings.Contains(res[0].Reason, `"op-1"`) {
		t.Errorf("reused op_id: reason %q does not name op-1", res[0].Reason)
	}
	if a.eventCount() != events || a.task("DEMO-11").Title == "Other" {
		t.Error("an operation with a reused op_id was applied")
	}

	// Spacing and member order do not make an operation different; a new operation in a
	// re-sent batch is applied while the old ones are only answered again.
	body := fmt.Sprintf(`{"operations": [ {"changes": {}, "action": "archive", "base_version": %d, "task": "DEMO-11", "op_id": "op-1"},
		{"op_id": "op-5", "task": "DEMO-11", "base_version": %d, "action": "update", "changes": {"description": "Now with a chart."}} ]}`,
		x.Version, got.Version)
	var out struct {
		Results []syncOutcome `json:"results"`
	}
	phone.do(http.MethodPost, "/api/v1/sync", body, nil).decode(t, http.StatusOK, &out)
	if len(out.Results) != 2 {
		t.Fatalf("want 2 results, got %+v", out.Results)
	}
	syncExpect(t, out.Results[0], "applied", []string{"archived"}, []string{})
	syncExpect(t, out.Results[1], "applied", []string{"description"}, []string{})
	if n := a.eventCount(); n != events+1 {
		t.Errorf("re-sent op-1 with op-5: %d events appended, want 1 (op-5's)", n-events)
	}

	// Another user's op_ids are their own.
	_, res = syncClientFor(a, a.ana).sync(syncOp{OpID: "op-1", Task: "DEMO-11", BaseVersion: got.Version + 1, Action: "archive"})
	syncExpect(t, res[0], "applied", []string{"archived"}, []string{})

	// Someone outside the project learns nothing about its tasks.
	outsider, err := a.st.RegisterUser(a.ctx, store.NewUser{Email: "olga@example.com", Name: "Olga", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	_, res = syncClientFor(a, outsider).sync(
		syncOp{OpID: "o-1", Task: "DEMO-11", BaseVersion: 1, Action: "archive"},
		syncOp{OpID: "o-2", Task: "NOPE-1", BaseVersion: 1, Action: "archive"},
	)
	syncExpect(t, res[0], "rejected", nil, nil)
	syncExpect(t, res[1], "rejected", nil, nil)
	if want := "No task DEMO-11."; res[0].Reason != want {
		t.Errorf("outsider: reason %q, want %q", res[0].Reason, want)
	}
}

func TestSyncBadBatch(t *testing.T) {
	a := newApp(t)
	phone := syncClientFor(a, a.ben)
	v := a.task("DEMO-12").Version
	op := func(extra string) string {
		return fmt.Sprintf(`{"op_id":"x","task":"DEMO-12","base_version":%d,"action":"update","changes":{"title":"T"}%s}`, v, extra)
	}
	many := make([]string, 501)
	for i := range many {
		many[i] = strings.Replace(op(""), `"x"`, fmt.Sprintf(`"x%d"`, i), 1)
	}
	tests := []struct {
		name   string
		body   string
		status int
		field  string
		detail string
	}{
		{"not JSON", `{"operations": [`, 400, "", "not valid JSON"},
		{"unknown member", `{"operations": [], "atomic": true}`, 400, "", "atomic"},
		{"no operations", `{}`, 422, "operations", "operations"},
		{"unknown member in an operation", `{"operations": [` + op(`,"when":"now"`) + `]}`, 400, "", "when"},
		{"unknown member in changes", `{"operations": [{"op_id":"x","task":"DEMO-12","base_version":1,"action":"update","changes":{"base_version":1}}]}`, 400, "", "base_version"},
		{"changes of archive", `{"operations": [{"op_id":"x","task":"DEMO-12","base_version":1,"action":"archive","changes":{"title":"T"}}]}`, 400, "", "title"},
		{"wrong type", `{"operations": [{"op_id":"x","task":"DEMO-12","base_version":"7","action":"update"}]}`, 400, "", "base_version"},
		{"missing op_id", `{"operations": [{"task":"DEMO-12","base_version":1,"action":"archive"}]}`, 422, "operations[0].op_id", "op_id"},
		{"op_id with a space", `{"operations": [{"op_id":"a b","task":"DEMO-12","base_version":1,"action":"archive"}]}`, 422, "operations[0].op_id", "op_id"},
		{"missing task", `{"operations": [{"op_id":"x","base_version":1,"action":"archive"}]}`, 422, "operations[0].task", "task"},
		{"missing base_version", `{"operations": [{"op_id":"x","task":"DEMO-12","action":"archive"}]}`, 422, "operations[0].base_version", "base_version"},
		{"unknown action", `{"operations": [{"op_id":"x","task":"DEMO-12","base_version":1,"action":"delete"}]}`, 422, "operations[0].action", "action"},
		{"move without column", `{"operations": [{"op_id":"x","task":"DEMO-12","base_version":1,"action":"move","changes":{}}]}`, 422, "operations[0].changes.column_id", "column_id"},
		{"duplicate op_id", `{"operations": [` + op("") + `,` + op("") + `]}`, 422, "operations[1].op_id", `"x"`},
		{"too many operations", `{"operations": [` + strings.Join(many, ",") + `]}`, 422, "operations", "500"},
	}
	events := a.eventCount()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := phone.do(http.MethodPost, "/api/v1/sync", tt.body, nil)
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
				Field  string `json:"field"`
			}
			r.decode(t, tt.status, &p)
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want a problem document", ct)
			}
			if p.Status != tt.status || p.Field != tt.field || !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("problem %+v, want status %d, field %q, detail containing %q", p, tt.status, tt.field, tt.detail)
			}
		})
	}
	if n := a.eventCount(); n != events {
		t.Errorf("refused batches appended %d events", n-events)
	}
	if a.task("DEMO-12").Version != v {
		t.Error("a refused batch changed the task")
	}

	// Without a token there is nothing to sync.
	anon := &syncClient{t: t, base: a.srv.URL}
	if r := anon.do(http.MethodPost, "/api/v1/sync", `{"operations":[]}`, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", r.Status)
	}
	var empty struct {
		Results []syncOutcome `json:"results"`
	}
	phone.do(http.MethodPost, "/api/v1/sync", `{"operations":[]}`, nil).decode(t, http.StatusOK, &empty)
	if empty.Results == nil || len(empty.Results) != 0 {
		t.Errorf("empty batch: results %v, want []", empty.Results)
	}
}
