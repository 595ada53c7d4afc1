package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

// apiBench is a project with a board of n tasks served over HTTP by Tack, with API
// tokens for its clients; nobody watches the board live.
type apiBench struct {
	st      *store.Store
	srv     *httptest.Server
	client  *http.Client
	project *store.Project
	tokens  []string
	cards   []apiCard
}

// apiCard is a card a client moves, with the version it last saw.
type apiCard struct {
	key     string
	version int
}

func newAPIBench(b *testing.B, n, clients int) *apiBench {
	b.Helper()
	ctx := context.Background()
	st, u, p := benchProject(b)
	ab := &apiBench{st: st, project: p}
	for _, t := range benchTasks(b, st, u, p, n) {
		ab.cards = append(ab.cards, apiCard{key: t.Key, version: t.Version})
	}
	for range clients {
		secret, _, err := st.CreateToken(ctx, u.ID, "bench")
		if err != nil {
			b.Fatal(err)
		}
		ab.tokens = append(ab.tokens, secret)
	}
	e, h := handlers.New(st, handlers.Config{})
	ab.srv = httptest.NewServer(e)
	b.Cleanup(func() {
		ab.srv.Close()
		h.Close()
	})
	ab.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients + 1}}
	return ab
}

// move moves card i to the bottom of column col, from the version the client last saw,
// and returns the HTTP status (0 when the request itself failed).
func (ab *apiBench) move(token string, card *apiCard, col string) (int, error) {
	body, _ := json.Marshal(map[string]any{"base_version": card.version, "column_id": col})
	req, err := http.NewRequest(http.MethodPost, ab.srv.URL+"/api/v1/projects/BENCH/tasks/"+card.key+"/move", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := ab.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, fmt.Errorf("move %s: %d %.300s", card.key, res.StatusCode, out)
	}
	var t struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(out, &t); err != nil {
		return res.StatusCode, err
	}
	card.version = t.Version
	return res.StatusCode, nil
}

// processCPU returns the CPU time (user + system) the test process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAPIMove moves cards one after the other through the JSON API (POST
// .../tasks/KEY/move) on a board of 520 tasks: token auth, membership, the command
// with its concurrency rule, append, projections, the JSON answer, and the live
// publisher's work for each commit (on its own goroutine, counted in cpu-ns/op). The
// HTTP client runs in the same process, so cpu-ns/op includes it.
func BenchmarkAPIMove(b *testing.B) {
	ab := newAPIBench(b, 520, 1)
	cols := []string{ab.project.Columns[1].ID, ab.project.Columns[2].ID}
	const moving = 100 // cards in turn, so that no card's history grows without bound
	i := 0
	var took []time.Duration
	cpu := processCPU(b)
	for b.Loop() {
		card := &ab.cards[i%moving]
		start := time.Now()
		if _, err := ab.move(ab.tokens[0], card, cols[(i/moving)%2]); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		i++
	}
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(i), "cpu-ns/op")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkAPIMoveHandler is BenchmarkAPIMove without the network and the HTTP client:
// each request goes straight to the Echo handler, so cpu-ns/op is the server's own
// work per move (with the live publisher's, which runs on its own goroutine).
func BenchmarkAPIMoveHandler(b *testing.B) {
	ab := newAPIBench(b, 520, 1)
	e := ab.srv.Config.Handler
	cols := []string{ab.project.Columns[1].ID, ab.project.Columns[2].ID}
	const moving = 100
	bodies := make([][]byte, 2*moving)
	i := 0
	cpu := processCPU(b)
	for b.Loop() {
		card := &ab.cards[i%moving]
		bodies[i%len(bodies)] = fmt.Appendf(bodies[i%len(bodies)][:0], `{"base_version":%d,"column_id":%q}`, card.version, cols[(i/moving)%2])
		req := httptest.NewRequest(http.MethodPost, "/api/v1/projects/BENCH/tasks/"+card.key+"/move", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Authorization", "Bearer "+ab.tokens[0])
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("move %s: %d %.300s", card.key, rec.Code, rec.Body.String())
		}
		card.version++
		i++
	}
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(i), "cpu-ns/op")
}

// BenchmarkAPIMoveParallel32 runs 32 API clients at once, each moving its own cards
// on a board of 520 tasks, and reports the moves per second that succeeded and the
// ones that failed (any status but 200, or a transport error).
func BenchmarkAPIMoveParallel32(b *testing.B) {
	const clients = 32
	ab := newAPIBench(b, 520, clients)
	cols := []string{ab.project.Columns[1].ID, ab.project.Columns[2].ID}
	const perClient = 4 // each client's own cards: clients*perClient of the 520
	var next, ok, failed atomic.Int64
	var firstErr atomic.Value
	b.ResetTimer()
	cpu := processCPU(b)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			own := ab.cards[c*perClient : (c+1)*perClient]
			for i := 0; next.Add(1) <= int64(b.N); i++ {
				card := &own[i%perClient]
				if _, err := ab.move(ab.tokens[c], card, cols[(i/perClient)%2]); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(ok.Load())/elapsed.Seconds(), "moves/s")
	b.ReportMetric(float64(failed.Load()), "failures")
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
	if err := firstErr.Load(); err != nil {
		b.Logf("first failure: %v", err)
	}
}
