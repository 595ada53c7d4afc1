package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// BenchmarkAPIWorklog writes over HTTP on a board of 2,000 tasks: logging work on a task,
// changing a worklog under If-Match, and, to compare with, changing a task's title under
// If-Match (each one event in the task's stream).
func BenchmarkAPIWorklog(b *testing.B) {
	ab := newAPIBench(b, 2000, 1)
	date := time.Now().UTC().Format(time.DateOnly)
	send := func(b *testing.B, method, path, ifMatch string, body any, want int) (*http.Response, []byte) {
		b.Helper()
		data, _ := json.Marshal(body)
		req, err := http.NewRequest(method, ab.srv.URL+"/api/v1/projects/BENCH"+path, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ab.tokens[0])
		req.Header.Set("Content-Type", "application/json")
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		res, err := ab.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			b.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, out)
		}
		return res, out
	}
	b.Run("log", func(b *testing.B) {
		for b.Loop() {
			send(b, http.MethodPost, "/tasks/"+ab.cards[0].key+"/worklogs", "", map[string]any{"date": date, "time_spent": "30m"}, http.StatusCreated)
		}
	})
	// -count runs each sub-benchmark again on the same board: the versions carry over.
	_, body := send(b, http.MethodPost, "/tasks/"+ab.cards[1].key+"/worklogs", "", map[string]any{"date": date, "seconds": 60}, http.StatusCreated)
	var w struct{ ID string }
	if err := json.Unmarshal(body, &w); err != nil {
		b.Fatal(err)
	}
	worklogTag, taskTag, n := `"1"`, strconv.Quote(strconv.Itoa(ab.cards[2].version)), 0
	b.Run("edit", func(b *testing.B) {
		for b.Loop() {
			n++
			res, _ := send(b, http.MethodPatch, "/tasks/"+ab.cards[1].key+"/worklogs/"+w.ID, worklogTag, map[string]any{"seconds": 60 + n}, http.StatusOK)
			worklogTag = res.Header.Get("ETag")
		}
	})
	b.Run("task-title", func(b *testing.B) {
		for b.Loop() {
			n++
			res, _ := send(b, http.MethodPatch, "/tasks/"+ab.cards[2].key, taskTag, map[string]any{"title": fmt.Sprint("Title ", n)}, http.StatusOK)
			taskTag = res.Header.Get("ETag")
		}
	})
}
