package handlers_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/tack-pm/tack/store"
)

// BenchmarkAPIGetTask reads one task over HTTP, in the backlog and in a sprint of 500
// tasks (of 2,000): the difference is what showing the task's sprint by its number costs.
func BenchmarkAPIGetTask(b *testing.B) {
	ab := newAPIBench(b, 2000, 1)
	ctx := context.Background()
	u, err := ab.st.UserByEmail(ctx, "bench@example.com")
	if err != nil {
		b.Fatal(err)
	}
	sp, err := ab.st.CreateSprint(ctx, u.ID, store.NewSprint{ProjectID: ab.project.ID})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 500 {
		t, err := ab.st.TaskByKey(ctx, ab.project, ab.cards[i].key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ab.st.PlanTask(ctx, u.ID, store.TaskPlan{TaskID: t.ID, BaseVersion: t.Version, Sprint: store.Some(sp.ID)}); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct{ name, key string }{{"backlog", ab.cards[1000].key}, {"sprint", ab.cards[0].key}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req, err := http.NewRequest(http.MethodGet, ab.srv.URL+"/api/v1/projects/BENCH/tasks/"+c.key, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+ab.tokens[0])
				res, err := ab.client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
