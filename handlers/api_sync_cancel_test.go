package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

func TestSyncCancelledMidBatch(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	a := newAppWith(t, appOptions{cfg: handlers.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))}})
	token, _, err := a.st.CreateToken(a.ctx, a.ana.ID, "phone")
	if err != nil {
		t.Fatal(err)
	}
	const n, cancelAfter = 6, 3
	var ops []syncOp
	versions := map[string]int{}
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("DEMO-%d", i)
		versions[key] = a.task(key).Version
		ops = append(ops, syncOp{OpID: fmt.Sprintf("cancel-%d", i), Task: key, BaseVersion: versions[key],
			Action: "update", Changes: map[string]any{"title": fmt.Sprintf("Synced offline %d", i)}})
	}
	body, err := json.Marshal(map[string]any{"operations": ops})
	if err != nil {
		t.Fatal(err)
	}
	post := func(ctx context.Context) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/sync", bytes.NewReader(body)).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		a.e.ServeHTTP(rec, req)
		return rec
	}

	// The client hangs up right after the third operation's change is committed.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var commits atomic.Int32
	var armed atomic.Bool
	armed.Store(true)
	a.st.Listen(func(events []store.Event) {
		if armed.Load() && commits.Add(1) == cancelAfter {
			cancel()
		}
	})
	post(ctx)
	armed.Store(false)
	for i := 1; i <= n; i++ {
		key := fmt.Sprintf("DEMO-%d", i)
		got, applied := a.task(key), i <= cancelAfter
		if changed := got.Version != versions[key]; changed != applied {
			t.Errorf("%s after the cancelled batch: version %d (was %d); want applied=%v", key, got.Version, versions[key], applied)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "sync stopped") || !strings.Contains(lines[0], "done=3") {
		t.Errorf("want one clear log line about the stopped sync, got:\n%s", logs.String())
	}

	// The retry reports what was applied as applied, once, and applies the rest.
	rec := post(context.Background())
	if rec.Code != http.StatusOK {
		t.Fatalf("retry: status %d: %s", rec.Code, rec.Body.String())
	}
	var out struct {
		Results []syncOutcome `json:"results"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Results) != n {
		t.Fatalf("retry: %v; %s", err, rec.Body.String())
	}
	for i, res := range out.Results {
		key := ops[i].Task
		if res.Status != "applied" || res.Task == nil || res.Task.Version != versions[key]+1 || res.Task.Title != fmt.Sprintf("Synced offline %d", i+1) {
			t.Errorf("retry result %d: %+v %+v, want applied at version %d", i, res, res.Task, versions[key]+1)
		}
		if got := a.task(key); got.Version != versions[key]+1 {
			t.Errorf("%s is at version %d after the retry, want %d (each operation applied once)", key, got.Version, versions[key]+1)
		}
	}
	if got := strings.Count(strings.TrimSpace(logs.String()), "\n"); got != 0 {
		t.Errorf("the retry logged more:\n%s", logs.String())
	}
}
