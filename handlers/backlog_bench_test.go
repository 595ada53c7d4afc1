package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tack-pm/tack/store"
)

// BenchmarkBacklogPage serves the backlog page of a project with 2,000 tasks and 5
// sprints (one active, four planned, 40 tasks each; the rest in the backlog, less the
// done column's tasks) through the HTTP handler, and reports the page's size.
func BenchmarkBacklogPage(b *testing.B) {
	bb := newBenchBoard(b, 2000)
	ctx := context.Background()
	for i := range 5 {
		sp, err := bb.st.CreateSprint(ctx, bb.user.ID, store.NewSprint{ProjectID: bb.project.ID, Goal: fmt.Sprintf("Goal of sprint %d", i+1)})
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range bb.tasks[i*40 : (i+1)*40] {
			cur, err := bb.st.Task(ctx, t.ID)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bb.st.PlanTask(ctx, bb.user.ID, store.TaskPlan{TaskID: t.ID, BaseVersion: cur.Version, Sprint: store.Some(sp.ID)}); err != nil {
				b.Fatal(err)
			}
		}
		if i == 0 {
			if _, err := bb.st.StartSprint(ctx, bb.user.ID, store.SprintStart{SprintID: sp.ID, BaseVersion: sp.Version,
				Start: store.Some("2026-11-23"), End: store.Some("2026-12-04")}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var size int
	for b.Loop() {
		res := bb.do(b, http.MethodGet, "/projects/BENCH/backlog", nil)
		if res.Code != http.StatusOK {
			b.Fatalf("backlog: %d", res.Code)
		}
		size = res.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkPlanCost plans one task back and forth between the backlog and a sprint
// through the HTTP handler as htmx does, with the backlog open on a live stream, in
// projects of 50 and 2,000 tasks; each plan waits for its live update, so the
// publisher's reads and rendering count too. (Today both the answer and the live update
// read the project's backlog: the cost grows with the project; see the report.)
func BenchmarkPlanCost(b *testing.B) {
	for _, n := range []int{50, 2000} {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			bb := newBenchBoard(b, n)
			ctx := context.Background()
			sp, err := bb.st.CreateSprint(ctx, bb.user.ID, store.NewSprint{ProjectID: bb.project.ID})
			if err != nil {
				b.Fatal(err)
			}
			updates := bb.watch(b, "backlog")
			t := bb.tasks[1]
			version := t.Version
			to := []string{"sprint:" + sp.ID, "backlog"}
			var answer, live, i int
			cpu := processCPU(b)
			for b.Loop() {
				form := url.Values{"task": {t.ID}, "base_version": {fmt.Sprint(version)}, "to": {to[i%2]}}
				rec := bb.do(b, http.MethodPost, "/projects/BENCH/backlog/plan", form, http.Header{"HX-Request": {"true"}})
				if rec.Code != http.StatusOK {
					b.Fatalf("plan %d: status %d: %.300s", i, rec.Code, rec.Body.String())
				}
				answer = rec.Body.Len()
				select {
				case live = <-updates:
				case <-time.After(10 * time.Second):
					b.Fatalf("plan %d: no live update within 10 s", i)
				}
				cur, err := bb.st.Task(ctx, t.ID)
				if err != nil {
					b.Fatal(err)
				}
				version = cur.Version
				i++
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(answer), "answer-bytes")
			b.ReportMetric(float64(live), "live-bytes")
		})
	}
}
