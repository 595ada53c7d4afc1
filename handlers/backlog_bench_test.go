package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

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
