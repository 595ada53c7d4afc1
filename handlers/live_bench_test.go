//go:build unix

package handlers

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ensureFiles raises the soft limit on open files to at least need, up to the hard limit,
// or skips the benchmark when the hard limit is too low.
func ensureFiles(b *testing.B, need uint64) {
	b.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Skipf("cannot read the open-file limit: %v", err)
	}
	if lim.Cur >= need {
		return
	}
	if lim.Max < need {
		b.Skipf("needs %d open files; the hard limit is %d (raise it with ulimit -Hn)", need, lim.Max)
	}
	lim.Cur = need
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Skipf("needs %d open files; raising the soft limit failed: %v", need, err)
	}
}

// BenchmarkPublish1000Subscribers measures the time from Publish until each of 1,000
// subscribers of one stream, connected over loopback HTTP, has read the event, one event
// at a time (BenchmarkLiveFanout1000 measures paced and burst loads, per-viewer streams,
// and the server's CPU and RSS, with the server in a process of its own).
func BenchmarkPublish1000Subscribers(b *testing.B) {
	const subscribers = 1000
	// A client and a server socket per subscriber, plus the test's own.
	ensureFiles(b, 2*subscribers+100)

	f := newLiveFixture(b, LiveConfig{Heartbeat: time.Hour})
	// One event in flight at a time: each reader marks it received.
	var received sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)

	var connect sync.WaitGroup
	errs := make(chan error, subscribers)
	sem := make(chan struct{}, 50) // do not flood the listen backlog
	for range subscribers {
		connect.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/stream/P", nil)
			if err != nil {
				errs <- err
				return
			}
			resp, err := f.client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			go func() {
				defer resp.Body.Close()
				br := bufio.NewReader(resp.Body)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					if bytes.HasPrefix(line, []byte("id: ")) {
						received.Done()
					}
				}
			}()
		})
	}
	connect.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("subscribe: %v", err)
	}
	if got := f.live.Subscribers("P"); got != subscribers {
		b.Fatalf("%d subscribers, want %d", got, subscribers)
	}

	payload := []byte(strings.Repeat("<li class=\"card\">DEMO-1 a card title</li>\n", 24)) // ~1 KB
	var seq int64
	var took []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		seq++
		received.Add(subscribers)
		start := time.Now()
		f.live.Publish("P", seq, "board", payload)
		received.Wait()
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[min(len(took)-1, len(took)*99/100)].Microseconds())/1000, "p99-ms")
	f.live.Close()
}

// BenchmarkPublishNoSubscribers measures what Publish costs its caller when nobody
// watches: a stream nobody ever opened, and one whose last subscriber has left.
func BenchmarkPublishNoSubscribers(b *testing.B) {
	payload := []byte(strings.Repeat("<li class=\"card\">DEMO-1 a card title</li>\n", 24))
	b.Run("no stream", func(b *testing.B) {
		f := newLiveFixture(b, LiveConfig{})
		var seq int64
		for b.Loop() {
			seq++
			f.live.Publish("P", seq, "board", payload)
		}
	})
	b.Run("idle stream", func(b *testing.B) {
		f := newLiveFixture(b, LiveConfig{})
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/stream/P", nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := f.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		cancel()
		resp.Body.Close()
		waitLive(b, liveWait, "the subscriber to leave", func() bool { return f.live.Subscribers("P") == 0 })
		var seq int64
		for b.Loop() {
			seq++
			f.live.Publish("P", seq, "board", payload)
		}
	})
}
