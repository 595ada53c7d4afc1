package store

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkReplay replays a generated log (see logGenerator): 20,000 user actions by
// default, TACK_REPLAY_EVENTS of them when set (200000 for the figure). It
// reports events/s. With TACK_REPLAY_DB=path the generated database is also copied
// there (VACUUM INTO), so that `tack replay -db path` of two builds can be timed on
// the same file.
func BenchmarkReplay(b *testing.B) {
	n := 20_000
	if v := os.Getenv("TACK_REPLAY_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("TACK_REPLAY_EVENTS=%q: want a positive number of events", v)
		}
	}
	ctx := context.Background()
	s := mustOpenStore(b)
	generateLog(b, s, 1, n, 300, 5_000, logFast)
	if keep := os.Getenv("TACK_REPLAY_DB"); keep != "" {
		if _, err := s.write.Exec(`VACUUM INTO ?`, filepath.Clean(keep)); err != nil {
			b.Fatalf("keep the generated database: %v", err)
		}
	}
	events := eventCount(b, s)
	cpu0 := cpuTime(b)
	for b.Loop() {
		rep, err := s.Replay(ctx, false)
		if err != nil {
			b.Fatal(err)
		}
		if !rep.Identical() || rep.Events != events {
			b.Fatalf("replay of %d events:\n%s", events, rep)
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events), "events")
	// On a shared machine the wall time depends on the neighbours; the process's CPU
	// time per event depends less on them.
	b.ReportMetric(float64(events)*float64(b.N)/(cpuTime(b)-cpu0).Seconds(), "events/cpu-s")
}

// cpuTime returns the CPU time (user and system) the process has used so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
