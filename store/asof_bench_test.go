package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkBoardAsOf answers "the board as of position P" for the busiest project of a
// generated log with about 100,000 events of its own (300,000 in all: the generator
// spreads user actions over three projects of 300 tasks), at several depths, from the
// nearest checkpoint and without checkpoints (a fold from the project's first event).
// The first read with checkpoints on an empty checkpoint table stores them all; its
// time is logged. Issue 12's target: ≤ 50 ms per answer. TACK_ASOF_EVENTS sets the
// log's size (all projects) for a quicker run.
func BenchmarkBoardAsOf(b *testing.B) {
	ctx := context.Background()
	s := mustOpenStore(b)
	n := 315_000
	if v := os.Getenv("TACK_ASOF_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10_000 {
			b.Fatalf("TACK_ASOF_EVENTS=%q: want a number of events from 10000", v)
		}
	}
	generateLog(b, s, 1, n, 300, 5_000, logFast)
	t0 := time.Now()
	if err := s.indexProjectEvents(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("listing the %d events of the log in event_projects took %v", eventCount(b, s), time.Since(t0).Round(time.Millisecond))
	var pid string
	if err := s.read.QueryRow(`SELECT project_id, COUNT(*) AS n FROM event_projects GROUP BY project_id ORDER BY n DESC LIMIT 1`).Scan(&pid, &n); err != nil {
		b.Fatal(err)
	}
	var seqs []int64
	if err := s.read.Select(&seqs, `SELECT seq FROM event_projects WHERE project_id = ? ORDER BY seq`, pid); err != nil {
		b.Fatal(err)
	}
	t0 = time.Now()
	first, err := s.BoardAsOf(ctx, pid, seqs[len(seqs)-1])
	if err != nil {
		b.Fatal(err)
	}
	cps, _ := s.BoardCheckpoints(ctx, pid)
	var size int64
	s.read.QueryRow(`SELECT COALESCE(SUM(length(state)), 0) FROM board_checkpoints`).Scan(&size)
	b.Logf("project with %d events, %d cards at its end; the first read folded %d events and stored %d checkpoints (%d KB) in %v",
		n, len(first.Tasks), first.Folded, len(cps), size/1024, time.Since(t0).Round(time.Millisecond))
	depths := []struct {
		name string
		seq  int64
	}{
		{"latest", seqs[len(seqs)-1]},
		{"latest-499", seqs[len(seqs)-500]},
		{"middle", seqs[len(seqs)/2+CheckpointEvery/2]},
		{"early", seqs[len(seqs)/20+CheckpointEvery-1]},
	}
	for _, d := range depths {
		for _, way := range []struct {
			name string
			o    asofOptions
		}{{"checkpoints", asofOptions{useCheckpoints: true}}, {"none", asofOptions{}}} {
			b.Run(fmt.Sprintf("%s/%s", d.name, way.name), func(b *testing.B) {
				var folded int
				for b.Loop() {
					st, err := s.boardAsOf(ctx, pid, d.seq, way.o)
					if err != nil {
						b.Fatal(err)
					}
					folded = st.Folded
				}
				b.ReportMetric(float64(folded), "events-folded")
			})
		}
	}
}
