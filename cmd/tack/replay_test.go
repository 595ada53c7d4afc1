package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The progress lines come at most once per interval, with done of total and the rate
// so far, and a last line only when some came before it.
func TestReplayProgressPrinter(t *testing.T) {
	clock := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	tests := []struct {
		name  string
		steps []time.Duration // time passed before each report
		done  []int
		want  []string
	}{
		{"quick replay prints nothing", []time.Duration{300 * time.Millisecond, 300 * time.Millisecond},
			[]int{10_000, 15_000}, nil},
		{"long replay", []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 200 * time.Millisecond, time.Second, 100 * time.Millisecond},
			[]int{10_000, 20_000, 30_000, 40_000, 50_000},
			[]string{
				"tack replay: 20000 of 50000 events (40%), 20000 events/s",
				"tack replay: 40000 of 50000 events (80%), 18182 events/s",
				"tack replay: rebuilt 50000 events in 2.3 s (21739 events/s); comparing",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			progress := progressPrinter(&out, time.Second, now)
			for i, d := range tt.steps {
				clock = clock.Add(d)
				progress(tt.done[i], 50_000)
			}
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if out.Len() == 0 {
				got = nil
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("progress lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
