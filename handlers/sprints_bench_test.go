package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/tack-pm/tack/store"
)

// BenchmarkSprintBoardPage521 serves the 521-card board of BenchmarkBoardPage521 with an
// active sprint holding every fourth card: the sprint view (the default) and All tasks.
func BenchmarkSprintBoardPage521(b *testing.B) {
	bb := newBenchBoard(b, 521)
	ctx := context.Background()
	sp, err := bb.st.CreateSprint(ctx, bb.user.ID, store.NewSprint{ProjectID: bb.project.ID, Start: "2026-11-23", End: "2026-12-04"})
	if err != nil {
		b.Fatal(err)
	}
	for i, t := range bb.tasks {
		if i%4 != 0 {
			continue
		}
		if _, err := bb.st.UpdateTask(ctx, bb.user.ID, store.TaskUpdate{TaskID: t.ID, BaseVersion: t.Version, Sprint: store.Some(sp.ID)}); err != nil {
			b.Fatal(err)
		}
	}
	if sp, err = bb.st.Sprint(ctx, sp.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := bb.st.StartSprint(ctx, bb.user.ID, store.SprintStart{SprintID: sp.ID, BaseVersion: sp.Version}); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, path string }{
		{"sprint", "/projects/BENCH/board"},
		{"all", "/projects/BENCH/board?sprint=all"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				res := bb.do(b, http.MethodGet, bc.path, nil)
				if res.Code != http.StatusOK {
					b.Fatalf("board: %d", res.Code)
				}
				size = res.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
