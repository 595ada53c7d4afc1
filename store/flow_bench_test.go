package store

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCumulativeFlow computes the cumulative flow and the cycle times of the busiest
// project of a generated log (TACK_FLOW_EVENTS events in all, default 100,000 spread over
// three projects) for the last month and the last quarter of its history. Both fold the
// project's whole history on every request; this says what that costs.
func BenchmarkCumulativeFlow(b *testing.B) {
	ctx := context.Background()
	s := mustOpenStore(b)
	n := 100_000
	if v := os.Getenv("TACK_FLOW_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1_000 {
			b.Fatalf("TACK_FLOW_EVENTS=%q: want a number of events from 1000", v)
		}
	}
	generateLog(b, s, 1, n, 300, 5_000, logFast)
	if err := s.indexProjectEvents(ctx); err != nil {
		b.Fatal(err)
	}
	var pid string
	var events int
	if err := s.read.QueryRow(`SELECT project_id, COUNT(*) AS n FROM event_projects GROUP BY project_id ORDER BY n DESC LIMIT 1`).Scan(&pid, &events); err != nil {
		b.Fatal(err)
	}
	var lastAt string
	if err := s.read.QueryRow(`SELECT MAX(e.at) FROM event_projects ep JOIN events e ON e.seq = ep.seq WHERE ep.project_id = ?`, pid).Scan(&lastAt); err != nil {
		b.Fatal(err)
	}
	last, err := parseTime(lastAt)
	if err != nil {
		b.Fatal(err)
	}
	to := last.UTC().Format(time.DateOnly)
	b.Logf("project with %d events, last on %s", events, to)
	for _, r := range []struct {
		name string
		days int
	}{{"month", 30}, {"quarter", 91}} {
		from := last.UTC().AddDate(0, 0, -r.days+1).Format(time.DateOnly)
		b.Run(r.name+"/flow", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.CumulativeFlow(ctx, pid, from, to); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(r.name+"/cycle", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.CycleTimes(ctx, pid, from, to); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
