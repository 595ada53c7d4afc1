package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

// startBenchServer serves the demo workspace in this process, the way "tack serve -demo"
// does, and returns its address and store.
func startBenchServer(t *testing.T) (string, *store.Store) {
	t.Helper()
	st, err := store.OpenWith(context.Background(), seededDB(t), testOpen)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e, h := handlers.New(st, handlers.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close) // first: ends the live streams, which srv.Close would wait for
	return srv.URL, st
}

// runBench runs tack bench with -json and returns its exit code, decoded report and stderr.
func runBench(t *testing.T, args ...string) (int, benchReport, string) {
	t.Helper()
	code, out, errOut := runTack(t, nil, append([]string{"bench", "-json"}, args...)...)
	var rep benchReport
	if code != 2 && out != "" {
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("tack bench -json printed something that is not its report (%v):\n%s\nstderr: %s", err, out, errOut)
		}
	}
	return code, rep, errOut
}

// Each scenario, with tiny numbers, against a real server: moves are applied with no
// failures, viewers receive every move's event, pages are read, and the token the run
// created through the web UI is revoked at the end.
func TestBenchScenarios(t *testing.T) {
	t.Parallel()
	base, st := startBenchServer(t)
	pid := strconv.Itoa(os.Getpid())

	code, rep, errOut := runBench(t, "-url", base, "-seed-tasks", "5", "-scenario", "api-move", "-clients", "2", "-moves", "20", "-duration", "20s", "-pid", pid)
	if code != 0 {
		t.Fatalf("api-move: exit %d\nstderr: %s", code, errOut)
	}
	if rep.Seeded != 5 || rep.Cards != 26 {
		t.Errorf("seeded %d tasks, board has %d cards; want 5 and 26 (the demo's 21 + 5)", rep.Seeded, rep.Cards)
	}
	checkOps(t, "api-move", rep, "api move", 20)
	if rep.Server == nil || rep.Server.RSSStartMiB <= 0 || rep.Server.PID != os.Getpid() {
		t.Errorf("api-move with -pid: server report %+v, want this process's RSS", rep.Server)
	}
	if len(rep.Notes) > 0 {
		t.Errorf("api-move with the server's own pid: notes %q, want none", rep.Notes)
	}

	// Two runs on different cards (as against two instances): the last two cards, then
	// one card too far.
	code, rep, errOut = runBench(t, "-url", base, "-scenario", "api-move", "-clients", "2", "-first-card", "24", "-moves", "4", "-duration", "20s")
	if code != 0 {
		t.Fatalf("api-move -first-card 24: exit %d\nstderr: %s", code, errOut)
	}
	checkOps(t, "api-move -first-card 24", rep, "api move", 4)
	code, rep, _ = runBench(t, "-url", base, "-scenario", "api-move", "-clients", "2", "-first-card", "25", "-moves", "4", "-duration", "20s")
	if code != 1 || len(rep.Ops) != 1 || !strings.Contains(rep.Ops[0].Error, "each of the 2 clients needs its own from card 25") {
		t.Errorf("api-move -first-card 25 on 26 cards: exit %d, %+v; want 1 and why", code, rep.Ops)
	}

	code, rep, errOut = runBench(t, "-url", base, "-scenario", "browser-move", "-moves", "6", "-duration", "20s")
	if code != 0 {
		t.Fatalf("browser-move: exit %d\nstderr: %s", code, errOut)
	}
	checkOps(t, "browser-move", rep, "browser move", 6)
	if rep.Ops[0].MeanBytes == 0 {
		t.Errorf("browser-move: answers of 0 bytes")
	}

	code, rep, errOut = runBench(t, "-url", base, "-scenario", "board-page", "-pages", "4", "-clients", "2", "-duration", "20s")
	if code != 0 {
		t.Fatalf("board-page: exit %d\nstderr: %s", code, errOut)
	}
	checkOps(t, "board-page", rep, "board page", 4)
	if rep.Ops[0].MeanBytes < 10_000 {
		t.Errorf("board-page: mean page size %d bytes; the demo board is larger", rep.Ops[0].MeanBytes)
	}

	code, rep, errOut = runBench(t, "-url", base, "-scenario", "viewers", "-viewers", "3", "-clients", "2", "-rate", "40", "-moves", "12", "-duration", "20s", "-grace", "20s")
	if code != 0 {
		t.Fatalf("viewers: exit %d\nstderr: %s", code, errOut)
	}
	checkOps(t, "viewers", rep, "api move", 12)
	if d := rep.Delivery; d == nil || d.Moves != 12 || d.Received != 3*12 || d.Missed != 0 || d.Dropped != 0 || d.MeanBytes == 0 {
		t.Errorf("viewers: delivery %+v, want each of the 3 viewers to receive the 12 moves' events", rep.Delivery)
	}

	// Six runs created a token each and revoked it.
	ana, err := st.UserByEmail(context.Background(), "ana@demo.tack")
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := st.Tokens(context.Background(), ana.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 5 { // board-page needs no token
		t.Errorf("%d tokens created, want 5 (every run but board-page's)", len(tokens))
	}
	for _, tok := range tokens {
		if !tok.Revoked || !strings.HasPrefix(tok.Name, "tack bench ") {
			t.Errorf("token %q (revoked %v) left behind", tok.Name, tok.Revoked)
		}
	}
}

// checkOps asserts that the report has the one operation, exactly n ok and no failures.
func checkOps(t *testing.T, scenario string, rep benchReport, name string, n int) {
	t.Helper()
	if len(rep.Ops) != 1 {
		t.Fatalf("%s: %d operations reported, want 1: %+v", scenario, len(rep.Ops), rep.Ops)
	}
	op := rep.Ops[0]
	if op.Name != name || op.OK != n || len(op.Failures) != 0 || op.Error != "" {
		t.Errorf("%s: %s ok %d, failures %v, error %q; want %s ok %d and no failures", scenario, op.Name, op.OK, op.Failures, op.Error, name, n)
	}
	if op.P50Ms <= 0 || op.MaxMs < op.P99Ms || op.P99Ms < op.P50Ms {
		t.Errorf("%s: latencies p50 %v p99 %v max %v out of order", scenario, op.P50Ms, op.P99Ms, op.MaxMs)
	}
}

// The human-readable table names every column and the failures.
func TestBenchTable(t *testing.T) {
	t.Parallel()
	base, _ := startBenchServer(t)
	// Process 1 is not the server: the figures are another process's, and it says so.
	code, out, errOut := runTack(t, nil, "bench", "-url", base, "-scenario", "api-move", "-moves", "3", "-pid", "1")
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, errOut)
	}
	if !strings.Contains(errOut, "process 1 has no socket listening on") {
		t.Errorf("no warning that -pid 1 is not the server; stderr: %s", errOut)
	}
	for _, want := range []string{"api-move against " + base, "p50 ms", "p99 ms", "max ms", "ok/s", "failures", "api move", "none",
		"server pid 1: RSS", "ms per ok request", "note: process 1 has no socket listening", "load average:"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table does not show %q:\n%s", want, out)
		}
	}
}

// -repeat prints each run in a line and the medians, and in JSON both.
func TestBenchRepeat(t *testing.T) {
	t.Parallel()
	base, _ := startBenchServer(t)
	code, out, errOut := runTack(t, nil, "bench", "-url", base, "-scenario", "board-page", "-pages", "2", "-repeat", "3")
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, errOut)
	}
	for _, want := range []string{"run 1: board page ok 2,", "run 2: board page ok 2,", "run 3: board page ok 2,", "MEDIAN OF 3 RUNS", "board page            2"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not show %q:\n%s", want, out)
		}
	}

	code, out, errOut = runTack(t, nil, "bench", "-json", "-url", base, "-scenario", "api-move", "-moves", "4", "-repeat", "2")
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, errOut)
	}
	var rep struct {
		Runs   []benchReport `json:"runs"`
		Median benchReport   `json:"median"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(rep.Runs) != 2 || len(rep.Median.Ops) != 1 || rep.Median.Ops[0].OK != 4 {
		t.Errorf("-repeat 2 -json: %d runs, median %+v; want 2 runs and a median of 4 ok moves", len(rep.Runs), rep.Median.Ops)
	}
	for i, r := range rep.Runs {
		if len(r.Ops) != 1 || r.Ops[0].OK != 4 || len(r.Ops[0].Failures) != 0 {
			t.Errorf("run %d: %+v, want 4 ok moves", i+1, r.Ops)
		}
	}
}

func TestMedianReport(t *testing.T) {
	t.Parallel()
	run := func(ok int, p50 float64, fail int, missed int) *benchReport {
		op := opReport{Name: "api move", OK: ok, P50Ms: p50, Failures: map[string]int{}}
		if fail > 0 {
			op.Failures["409"] = fail
		}
		return &benchReport{Ops: []opReport{op}, Delivery: &delivery{P50Ms: p50 * 10, Missed: missed}, Server: &serverReport{PID: 7, RSSPeakMiB: p50}}
	}
	m := medianReport([]*benchReport{run(10, 3, 0, 0), run(30, 1, 2, 5), run(20, 9, 1, 0)})
	if o := m.Ops[0]; o.OK != 20 || o.P50Ms != 3 || o.Failures["409"] != 3 {
		t.Errorf("median op %+v, want ok 20, p50 3 and 3 failures in total", o)
	}
	if m.Delivery.P50Ms != 30 || m.Delivery.Missed != 5 || m.Server.RSSPeakMiB != 3 || m.Server.PID != 7 {
		t.Errorf("median delivery %+v, server %+v", m.Delivery, m.Server)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", got)
	}
}

// Wrong credentials are a clear failure (exit 1), not a usage error.
func TestBenchWrongPassword(t *testing.T) {
	t.Parallel()
	base, _ := startBenchServer(t)
	code, out, errOut := runTack(t, nil, "bench", "-url", base, "-scenario", "board-page", "-password", "not-the-password", "-pages", "1")
	if code != 1 || !strings.Contains(errOut, "wrong email or password") || out != "" {
		t.Errorf("exit %d, stderr %q, stdout %q; want 1 and \"wrong email or password\"", code, errOut, out)
	}
}

// A server that is not there is a clear error with exit 1.
func TestBenchUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	code, out, errOut := runTack(t, nil, "bench", "-url", "http://"+addr, "-scenario", "api-move")
	if code != 1 || !strings.Contains(errOut, "cannot reach the server at http://"+addr) || !strings.Contains(errOut, "tack serve") || out != "" {
		t.Errorf("exit %d, stderr %q, stdout %q; want 1 and a message naming the address", code, errOut, out)
	}
}

// Bad flags and addresses other than loopback are usage errors (exit 2) that say what
// is wrong, before any request is sent.
func TestBenchUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "-scenario is required"},
		{[]string{"-scenario", "stampede"}, `-scenario must be api-move, browser-move, board-page or viewers, not "stampede"`},
		{[]string{"-scenario", "api-move", "-clients", "0"}, "-clients must be between 1 and 1000"},
		{[]string{"-scenario", "api-move", "-clients", "5000"}, "-clients must be between 1 and 1000"},
		{[]string{"-scenario", "api-move", "-first-card", "-1"}, "-first-card must be 0 or more"},
		{[]string{"-scenario", "viewers", "-viewers", "0"}, "-viewers must be between 1 and 20000"},
		{[]string{"-scenario", "api-move", "-duration", "1ms"}, "-duration must be between"},
		{[]string{"-scenario", "api-move", "-duration", "3h"}, "-duration must be between"},
		{[]string{"-scenario", "api-move", "-rate", "-5"}, "-rate must be between"},
		{[]string{"-scenario", "viewers", "-rate", "0"}, "-rate must be more than 0 for viewers"},
		{[]string{"-scenario", "api-move", "-moves", "-1"}, "-moves and -pages must be 0"},
		{[]string{"-seed-tasks", "-3"}, "-seed-tasks must be between"},
		{[]string{"-scenario", "api-move", "-url", "http://192.0.2.10:8080"}, "not a loopback address"},
		{[]string{"-scenario", "api-move", "-url", "http://tack.example.com"}, "not a loopback address"},
		{[]string{"-scenario", "api-move", "-url", "http://[::ffff:10.0.0.1]:8080"}, "not a loopback address"},
		{[]string{"-scenario", "api-move", "-url", "ftp://127.0.0.1"}, "-url must be the server's address"},
		{[]string{"-scenario", "api-move", "-url", "127.0.0.1:8080"}, "-url must be the server's address"},
		{[]string{"-scenario", "api-move", "-url", "http://127.0.0.1:8080/projects"}, "-url must be the server's address"},
		{[]string{"-scenario", "api-move", "-pid", "-4"}, "-pid must be a process id"},
		{[]string{"-scenario", "api-move", "-repeat", "0"}, "-repeat must be between 1 and 100"},
		{[]string{"-scenario", "api-move", "-project", " "}, "-project must name a project key"},
		{[]string{"-scenario", "api-move", "-stampede"}, "flag provided but not defined: -stampede"},
		{[]string{"-scenario", "api-move", "extra"}, `unexpected argument "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runTack(t, nil, append([]string{"bench"}, tc.args...)...)
			if code != 2 || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want 2 and %q", code, errOut, out, tc.want)
			}
		})
	}
}

func TestBenchHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help", "bench"}, {"bench", "-h"}} {
		code, out, errOut := runTack(t, nil, args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		for _, want := range []string{"Usage: tack bench", "api-move", "viewers", "-allow-remote", "-pid", "-seed-tasks"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help does not mention %q", args, want)
			}
		}
	}
	if _, out, _ := runTack(t, nil, "help"); !strings.Contains(out, "tack bench") {
		t.Errorf("tack help does not list bench:\n%s", out)
	}
}

// scanEvents reports each event's id when the event ends, whatever the line endings,
// skipping comments, events without an id and data lines longer than its buffer (even
// one that looks like an id line).
func TestScanEvents(t *testing.T) {
	t.Parallel()
	long := "data: " + strings.Repeat("x", 100_000) + "\nid: 99" + strings.Repeat("y", 50_000) + "\n"
	stream := "id: 5\nevent: board\ndata: <li>\ndata: one\n\n" +
		": heartbeat\n\n" +
		"event: board\ndata: no id\n\n" +
		"id:6\r\ndata: crlf\r\n\r\n" +
		"id: 7\n" + long + "\n" +
		"id: 8\ndata: the stream ends before this event does\n"
	var got []int64
	var n int64
	if err := scanEvents(strings.NewReader(stream), &n, func(id int64) { got = append(got, id) }); err != nil {
		t.Fatal(err)
	}
	if want := []int64{5, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	if n != int64(len(stream)) {
		t.Errorf("counted %d bytes, want %d", n, len(stream))
	}
}

// BenchmarkScanEvents is the viewer's own cost per event of a live board update's size
// (about 2.5 KB in 40 lines): the load generator shares the server's machine.
func BenchmarkScanEvents(b *testing.B) {
	var ev strings.Builder
	ev.WriteString("id: 123456\nevent: board\n")
	for ev.Len() < 2500 {
		ev.WriteString(`data: <li id="task-0123456789abcdef" class="card" data-id="0123456789abcdef">` + "\n")
	}
	ev.WriteString("\n")
	event := []byte(ev.String())
	var stream bytes.Buffer
	for range 1000 {
		stream.Write(event)
	}
	data := stream.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var n int64
		count := 0
		if err := scanEvents(bytes.NewReader(data), &n, func(int64) { count++ }); err != nil || count != 1000 {
			b.Fatalf("%d events, err %v", count, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/event")
}
