package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

// BenchmarkAPIStreamFanout measures one commit reaching every open API event stream of
// its project: an op is one task created, then waiting until each of n streams, over
// loopback HTTP, has read its event. It reports the time to all (p50/p99) and, where
// the Handler counts them, the store reads the streams made per commit.
func BenchmarkAPIStreamFanout(b *testing.B) {
	for _, n := range []int{200, 1000} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) { benchmarkAPIStream(b, n) })
	}
}

func benchmarkAPIStream(b *testing.B, streams int) {
	ctx := context.Background()
	st, u, p := benchProject(b)
	token, _, err := st.CreateToken(ctx, u.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	e, h := handlers.New(st, handlers.Config{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(e)
	b.Cleanup(srv.Close)
	b.Cleanup(h.Close)
	events, err := st.ProjectEvents(ctx, p.ID, 0, 1000)
	if err != nil {
		b.Fatal(err)
	}
	after := events[len(events)-1].Seq
	addr := srv.Listener.Addr().String()

	var received atomic.Int64
	var conns []net.Conn
	var reading sync.WaitGroup
	b.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
		reading.Wait()
	})
	for range streams {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, conn)
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/api/v1/projects/BENCH/stream?after=%d", addr, after), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if err := req.Write(conn); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("stream: %v %v", resp, err)
		}
		reading.Go(func() {
			br := bufio.NewReader(resp.Body)
			for {
				line, err := br.ReadSlice('\n')
				if err != nil && err != bufio.ErrBufferFull {
					return
				}
				if bytes.HasPrefix(line, []byte("id: ")) {
					received.Add(1)
				}
			}
		})
	}

	reads := func() int64 { return 0 }
	if c, ok := any(h).(interface{ StreamReads() (int64, int64) }); ok {
		reads = func() int64 { s, g := c.StreamReads(); return s + g }
	}
	reads0 := reads()
	var took []time.Duration
	want := int64(0)
	for b.Loop() {
		start := time.Now()
		if _, err := st.CreateTask(ctx, u.ID, store.NewTask{ProjectID: p.ID, Title: "Streamed task"}); err != nil {
			b.Fatal(err)
		}
		want += int64(streams)
		stuck := time.Now().Add(30 * time.Second) // a failure timeout
		for received.Load() < want {
			if time.Now().After(stuck) {
				b.Fatalf("%d of %d deliveries after 30 s", received.Load(), want)
			}
			time.Sleep(50 * time.Microsecond)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	if got := received.Load(); got != want {
		b.Fatalf("%d deliveries, want %d (one event per commit)", got, want)
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[min(len(took)-1, len(took)*99/100)].Microseconds())/1000, "p99-ms")
	if _, ok := any(h).(interface{ StreamReads() (int64, int64) }); ok {
		b.ReportMetric(float64(reads()-reads0)/float64(len(took)), "reads/commit")
	}
}
