package handlers_test

import (
	"net/http"
	"testing"
)

// TestAPISyncAndFeedAgainstDocument sends sync, event feed and stream requests through
// the document-validating client: success, 401, 403/404 and bad input, each response
// checked against the OpenAPI document (the stream's success is an endless
// text/event-stream, checked by its own tests).
func TestAPISyncAndFeedAgainstDocument(t *testing.T) {
	e := newAPIEnv(t)
	tk := e.app.task("DEMO-6")
	ops := func(opID string, base int, changes map[string]any) map[string]any {
		return map[string]any{"operations": []map[string]any{{"op_id": opID, "task": tk.Key, "base_version": base, "action": "update", "changes": changes}}}
	}
	var out struct {
		Results []struct {
			OpID   string `json:"op_id"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"results"`
	}
	// Sync: applied, then the viewer's op rejected, then a batch with a bad shape.
	e.post(t, e.benTok, "/sync", ops("doc-1", tk.Version, map[string]any{"title": "Synced"})).expect(t, http.StatusOK).decode(t, &out)
	if len(out.Results) != 1 || out.Results[0].Status != "applied" {
		t.Errorf("sync: %+v", out.Results)
	}
	e.post(t, e.chloeTok, "/sync", ops("doc-2", tk.Version+1, map[string]any{"title": "Viewer"})).expect(t, http.StatusOK).decode(t, &out)
	if len(out.Results) != 1 || out.Results[0].Status != "rejected" {
		t.Errorf("viewer sync: %+v", out.Results)
	}
	e.post(t, e.strangerTok, "/sync", ops("doc-3", tk.Version+1, map[string]any{"title": "Outsider"})).expect(t, http.StatusOK).decode(t, &out)
	if len(out.Results) != 1 || out.Results[0].Status != "rejected" {
		t.Errorf("outsider sync: %+v", out.Results)
	}
	e.post(t, "", "/sync", ops("doc-4", 1, nil)).expectProblem(t, http.StatusUnauthorized)
	e.post(t, e.benTok, "/sync", `{"operations": [`).expectProblem(t, http.StatusBadRequest)
	e.post(t, e.benTok, "/sync", map[string]any{"operations": []map[string]any{{"task": tk.Key}}}).expectProblem(t, http.StatusUnprocessableEntity)
	e.post(t, e.benTok, "/sync", map[string]any{"ops": 1}).expectProblem(t, http.StatusBadRequest)

	// Event feed.
	var feed struct {
		Events    []map[string]any `json:"events"`
		NextAfter int64            `json:"next_after"`
	}
	e.get(t, e.chloeTok, "/projects/DEMO/events?limit=5").expect(t, http.StatusOK).decode(t, &feed)
	if len(feed.Events) != 5 || feed.NextAfter == 0 {
		t.Errorf("feed: %d events, next_after %d", len(feed.Events), feed.NextAfter)
	}
	e.get(t, "", "/projects/DEMO/events").expectProblem(t, http.StatusUnauthorized)
	e.get(t, e.strangerTok, "/projects/DEMO/events").expectProblem(t, http.StatusNotFound)
	e.get(t, e.benTok, "/projects/NOPE/events").expectProblem(t, http.StatusNotFound)
	e.get(t, e.benTok, "/projects/DEMO/events?after=x").expectProblem(t, http.StatusUnprocessableEntity)
	e.get(t, e.benTok, "/projects/DEMO/events?limit=0").expectProblem(t, http.StatusUnprocessableEntity)

	// Stream errors (its success is an endless text/event-stream).
	e.get(t, "", "/projects/DEMO/stream").expectProblem(t, http.StatusUnauthorized)
	e.get(t, e.strangerTok, "/projects/DEMO/stream").expectProblem(t, http.StatusNotFound)
	e.do(t, apiCall{method: http.MethodGet, path: "/projects/DEMO/stream", token: e.benTok, header: map[string]string{"Last-Event-ID": "abc"}}).
		expectProblem(t, http.StatusBadRequest)
}
