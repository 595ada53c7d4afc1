package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAPIRefusesBadInput: invalid UTF-8 in a JSON body is 422 naming the field, and a
// query string that does not parse is 400; one server for both, to keep the suite fast.
func TestAPIRefusesBadInput(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	t.Run("invalid UTF-8", func(t *testing.T) { testInvalidUTF8(t, e) })
	t.Run("malformed query", func(t *testing.T) { testMalformedQuery(t, e) })
}

func testInvalidUTF8(t *testing.T, e *apiEnv) {
	before := e.eventCount()
	for _, tc := range []struct {
		name, method, path string
		body               string
		header             map[string]string
		field              string
	}{
		{"create", http.MethodPost, "/projects/DEMO/tasks", "{\"title\":\"Bad \xff byte\"}", nil, "title"},
		{"create, in a label", http.MethodPost, "/projects/DEMO/tasks", "{\"title\":\"Fine\",\"labels\":[\"ok\",\"b\xc3\"]}", nil, "labels[1]"},
		{"patch", http.MethodPatch, "/projects/DEMO/tasks/DEMO-1", "{\"description\":\"\xfe\xfe\"}",
			map[string]string{"If-Match": fmt.Sprintf(`"%d"`, e.task("DEMO-1").Version)}, "description"},
		{"sync", http.MethodPost, "/sync", "{\"operations\":[{\"op_id\":\"u1\",\"task\":\"DEMO-1\",\"base_version\":1,\"action\":\"update\",\"changes\":{\"title\":\"x\xe2\x82\"}}]}", nil, "operations[0].changes.title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, apiCall{method: tc.method, path: tc.path, token: e.anaTok, body: tc.body, header: tc.header})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", res.status, res.body)
			}
			var p apiProblem
			if err := json.Unmarshal(res.body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Field != tc.field || !strings.Contains(p.Detail, "UTF-8") {
				t.Errorf("problem field %q detail %q, want field %q and a word about UTF-8", p.Field, p.Detail, tc.field)
			}
		})
	}
	if after := e.eventCount(); after != before {
		t.Errorf("refused requests changed the log: %d events, was %d", after, before)
	}
}

func testMalformedQuery(t *testing.T, e *apiEnv) {
	for _, path := range []string{
		"/projects/DEMO/tasks?cursor=%%%",
		"/projects/DEMO/tasks?column=c1&q=%zz",
		"/projects/DEMO/events?after=%",
		"/projects/DEMO/activity?before=%1",
		"/projects?x=%",
	} {
		t.Run(path, func(t *testing.T) {
			res := e.do(t, apiCall{method: http.MethodGet, path: path, token: e.anaTok})
			if res.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %.300s", res.status, res.body)
			}
			var p apiProblem
			if err := json.Unmarshal(res.body, &p); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.Detail, "query string is malformed") {
				t.Errorf("detail %q does not name the query string", p.Detail)
			}
		})
	}
	// A well-formed query still works.
	if res := e.do(t, apiCall{method: http.MethodGet, path: "/projects/DEMO/tasks?q=%20CI", token: e.anaTok}); res.status != http.StatusOK {
		t.Errorf("well-formed query: status %d, want 200", res.status)
	}
}
