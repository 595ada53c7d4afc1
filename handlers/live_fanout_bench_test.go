//go:build linux

package handlers

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The fan-out benchmark runs Live in a server process of its own, as a real deployment
// does, so that the server's RSS and CPU can be read from /proc apart from the clients'.
// The benchmark process re-runs its own test binary with TACK_LIVE_FANOUT_SERVER=1; that
// child runs TestLiveFanoutServer, which serves Live and publishes when told to on stdin.
//
// Reproduce the run (1,000 viewers, 50 events/s for 20 s):
//
//	go test ./handlers -run '^$' -bench 'BenchmarkLiveFanout1000/.*/paced50' -benchtime 1000x
//
// It uses only Live's exported API, so the same file measures any version of Live.

const (
	fanoutEnv     = "TACK_LIVE_FANOUT_SERVER"
	fanoutViewers = 1000
	fanoutPeriod  = 20 * time.Millisecond // 50 events/s
	fanoutBurst   = 100
)

// fanoutPayload returns a board update of about 3 KB (the size of one card's update with
// its column headings) whose start carries the time it was published. Like templ's
// output it is one line: a multi-line fragment costs r3labs/sse a write per line.
func fanoutPayload(now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<template data-published=\"%d\"></template>", now.UnixNano())
	for range 40 {
		b.WriteString("<li class=\"card\" id=\"card-1\">DEMO-1 a card's title &amp; more</li>")
	}
	return b.Bytes()
}

// TestLiveFanoutServer is the server process of BenchmarkLiveFanout1000 when the
// benchmark starts it; otherwise it checks, with a few viewers, that the benchmark's
// server process, viewers and delay stamps work.
func TestLiveFanoutServer(t *testing.T) {
	if os.Getenv(fanoutEnv) != "1" {
		testFanoutSmall(t)
		return
	}
	live := NewLive(LiveConfig{Logger: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		live.Serve(w, r, r.URL.Query().Get("id"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	srv.RegisterOnShutdown(live.Close)
	go srv.Serve(ln)
	fmt.Printf("addr %s\n", ln.Addr())

	// Commands, one a line: "p N" publishes N events back to back, each to every open
	// stream of project P as the publisher does; "q" (or the end of stdin) stops.
	var seq int64
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		if cmd != "p" {
			break
		}
		n, _ := strconv.Atoi(arg)
		for range n {
			seq++
			data := fanoutPayload(time.Now())
			for _, id := range live.Streams("P") {
				live.Publish(id, seq, "board", data)
			}
		}
	}
	live.Close()
	srv.Close()
}

// fanoutServer is the running server process.
type fanoutServer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

func startFanoutServer(b testing.TB) *fanoutServer {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLiveFanoutServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), fanoutEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &fanoutServer{cmd: cmd, stdin: stdin}
	b.Cleanup(s.stop)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("server process: %v", err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "addr ")
	if !ok {
		b.Fatalf("server process said %q, want its address", line)
	}
	s.addr = addr
	go io.Copy(io.Discard, stdout)
	return s
}

func (s *fanoutServer) publish(b testing.TB, n int) {
	if _, err := fmt.Fprintf(s.stdin, "p %d\n", n); err != nil {
		b.Fatalf("server process: %v", err)
	}
}

func (s *fanoutServer) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// procStatus returns a field of /proc/PID/status in KiB (e.g. "VmRSS").
func procStatus(pid int, field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb
		}
	}
	return 0
}

// procCPU returns the process's user+system CPU time so far.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// fanoutViewer is one subscriber: a raw connection whose reader records the delay of
// each event from its publication to its arrival.
type fanoutViewer struct {
	conn   net.Conn
	delays []int32 // microseconds
	got    atomic.Int64
}

func (v *fanoutViewer) read(body io.Reader, total *atomic.Int64) {
	br := bufio.NewReaderSize(body, 4096)
	stamp := []byte("data: <template data-published=\"")
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
		if rest, ok := bytes.CutPrefix(line, stamp); ok {
			end := bytes.IndexByte(rest, '"')
			ns, _ := strconv.ParseInt(string(rest[:end]), 10, 64)
			v.delays = append(v.delays, int32(time.Since(time.Unix(0, ns))/time.Microsecond))
			v.got.Add(1)
			total.Add(1)
		}
	}
}

func BenchmarkLiveFanout1000(b *testing.B) {
	ensureFiles(b, 2*fanoutViewers+200)
	for _, shape := range []struct {
		name string
		id   func(i int) string
	}{
		// Viewers of one user in many tabs share one stream id.
		{"streams=1", func(int) string { return "P/edit/u1" }},
		// Every viewer has a stream of their own, as publish.go names them.
		{"streams=1000", func(i int) string { return "P/view/u" + strconv.Itoa(i) }},
	} {
		for _, mode := range []struct {
			name  string
			burst int
		}{{"paced50", 1}, {"burst100", fanoutBurst}} {
			b.Run(shape.name+"/"+mode.name, func(b *testing.B) {
				benchmarkFanout(b, shape.id, mode.burst)
			})
		}
	}
}

// connectFanoutViewers opens n streams on the server; disconnect closes them and waits
// for their readers. total counts the events all of them received.
func connectFanoutViewers(tb testing.TB, srv *fanoutServer, n int, streamID func(int) string) (viewers []*fanoutViewer, total *atomic.Int64, disconnect func()) {
	tb.Helper()
	total = new(atomic.Int64)
	var reading sync.WaitGroup
	viewers = make([]*fanoutViewer, n)
	var connect sync.WaitGroup
	sem := make(chan struct{}, 50) // do not flood the listen backlog
	errs := make(chan error, n)
	for i := range viewers {
		connect.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			conn, err := net.Dial("tcp", srv.addr)
			if err != nil {
				errs <- err
				return
			}
			v := &fanoutViewer{conn: conn}
			viewers[i] = v
			req, _ := http.NewRequest(http.MethodGet, "http://"+srv.addr+"/stream?id="+streamID(i), nil)
			req.Header.Set("Accept", "text/event-stream")
			if err := req.Write(conn); err != nil {
				errs <- err
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), req)
			if err != nil || resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("subscribe: %v %v", resp, err)
				return
			}
			reading.Go(func() { v.read(resp.Body, total) })
		})
	}
	connect.Wait()
	disconnect = func() {
		for _, v := range viewers {
			if v != nil {
				v.conn.Close()
			}
		}
		reading.Wait()
	}
	tb.Cleanup(disconnect)
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	return viewers, total, disconnect
}

// testFanoutSmall runs the benchmark's setup with 3 viewers on 2 streams and 5 events.
func testFanoutSmall(t *testing.T) {
	srv := startFanoutServer(t)
	viewers, total, disconnect := connectFanoutViewers(t, srv, 3, func(i int) string { return "P/view/u" + strconv.Itoa(i%2) })
	srv.publish(t, 5)
	// A failure timeout only.
	for deadline := time.Now().Add(liveWait); total.Load() < 15; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 15 deliveries within %v", total.Load(), liveWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
	disconnect()
	for i, v := range viewers {
		if len(v.delays) != 5 || slices.Min(v.delays) < 0 {
			t.Errorf("viewer %d: delays %v µs, want 5 of them, none negative", i, v.delays)
		}
	}
	if got := total.Load(); got != 15 {
		t.Errorf("%d deliveries, want 15", got)
	}
}

func benchmarkFanout(b *testing.B, streamID func(int) string, burst int) {
	srv := startFanoutServer(b)
	pid := srv.cmd.Process.Pid
	rssIdle := procStatus(pid, "VmRSS")

	viewers, total, disconnect := connectFanoutViewers(b, srv, fanoutViewers, streamID)
	rssConnected := procStatus(pid, "VmRSS")
	cpu0 := procCPU(pid)

	// Paced: one event every 20 ms whatever happens (an open-loop load, as a board gets
	// it). Burst: burst events at once, then wait until every viewer has them all.
	events := 0
	next := time.Now()
	for b.Loop() {
		srv.publish(b, burst)
		events += burst
		if burst > 1 {
			want := int64(events * fanoutViewers)
			stuck := time.Now().Add(30 * time.Second) // a failure timeout
			for total.Load() < want {
				if time.Now().After(stuck) {
					b.Fatalf("%d of %d deliveries after 30 s", total.Load(), want)
				}
				time.Sleep(100 * time.Microsecond)
			}
			continue
		}
		next = next.Add(fanoutPeriod)
		time.Sleep(time.Until(next))
	}
	b.StopTimer()
	// A failure timeout, not a measurement: what has not come by then is missed.
	want := int64(events * fanoutViewers)
	deadline := time.Now().Add(30 * time.Second)
	for total.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cpu := procCPU(pid) - cpu0
	rssAfter := procStatus(pid, "VmRSS")
	hwm := procStatus(pid, "VmHWM")
	disconnect()

	var all []int32
	for _, v := range viewers {
		all = append(all, v.delays...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(p*float64(len(all))))]) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
	b.ReportMetric(float64(want-total.Load()), "missed")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(max(events, 1)), "srv-cpu-ms/event")
	b.ReportMetric(rssIdle/1024, "rss-idle-MiB")
	b.ReportMetric(rssConnected/1024, "rss-1000-MiB")
	b.ReportMetric(max(rssAfter, hwm)/1024, "rss-peak-MiB")
}
