package handlers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// liveWait is how long a test waits for something that should happen promptly before
// it fails; it is a failure timeout, never a measurement.
const liveWait = 10 * time.Second

// liveEvent is one thing read from an SSE stream: an event, or a comment line.
type liveEvent struct {
	ID, Name, Data string
	Comment        string // set for a comment line (": ..."), which is reported alone
}

// liveClient is a subscriber reading a stream over real HTTP.
type liveClient struct {
	resp   *http.Response
	events chan liveEvent // closed when the stream ends (EOF or error)
}

// liveFixture is a Live behind an httptest server routing /stream/{project} to Serve.
type liveFixture struct {
	live   *Live
	srv    *httptest.Server
	client *http.Client
	tr     *http.Transport
}

func newLiveFixture(t testing.TB, cfg LiveConfig) *liveFixture {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	live := NewLive(cfg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stream/{project}", func(w http.ResponseWriter, r *http.Request) {
		live.Serve(w, r, r.PathValue("project"))
	})
	srv := httptest.NewServer(mux)
	tr := &http.Transport{MaxIdleConnsPerHost: -1}
	f := &liveFixture{live: live, srv: srv, client: &http.Client{Transport: tr}, tr: tr}
	// Cleanups run last-registered first: Live closes before the server waits for handlers.
	t.Cleanup(tr.CloseIdleConnections)
	t.Cleanup(srv.Close)
	t.Cleanup(live.Close)
	return f
}

// subscribe opens a stream and returns once the response headers arrived, which happens
// after Live registered the subscriber: every event published afterwards reaches it.
func (f *liveFixture) subscribe(t testing.TB, path string, header http.Header) *liveClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	c := &liveClient{resp: resp, events: make(chan liveEvent, 64)}
	go readLiveEvents(ctx, resp.Body, c.events)
	return c
}

// readLiveEvents parses an SSE stream into out until it ends or ctx is done.
func readLiveEvents(ctx context.Context, body io.Reader, out chan<- liveEvent) {
	defer close(out)
	send := func(ev liveEvent) bool {
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	br := bufio.NewReader(body)
	var ev liveEvent
	var data []string
	pending := false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if pending {
				ev.Data = strings.Join(data, "\n")
				if !send(ev) {
					return
				}
			}
			ev, data, pending = liveEvent{}, nil, false
			continue
		}
		if comment, ok := strings.CutPrefix(line, ":"); ok {
			if !send(liveEvent{Comment: strings.TrimPrefix(comment, " ")}) {
				return
			}
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		pending = true
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Name = value
		case "data":
			data = append(data, value)
		}
	}
}

// next returns the next event that is not a comment, failing the test if the stream
// ends or nothing comes within liveWait.
func (c *liveClient) next(t testing.TB) liveEvent {
	t.Helper()
	timeout := time.After(liveWait)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatal("stream ended, want an event")
			}
			if ev.Comment == "" {
				return ev
			}
		case <-timeout:
			t.Fatalf("no event within %v", liveWait)
		}
	}
}

// waitLive polls cond until it holds, failing the test after timeout.
func waitLive(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const liveFragment = "<div id=\"col-1\" hx-swap-oob=\"true\">\n  <h2>To do (2)</h2>\n\n  <ul>\n    <li>DEMO-1: a: b</li>\n  </ul>\n</div>"

func TestLiveDeliveryAndFormat(t *testing.T) {
	f := newLiveFixture(t, LiveConfig{})
	a1 := f.subscribe(t, "/stream/A", nil)
	a2 := f.subscribe(t, "/stream/A", nil)
	b := f.subscribe(t, "/stream/B", nil)

	for name, c := range map[string]*liveClient{"a1": a1, "a2": a2, "b": b} {
		h := c.resp.Header
		if c.resp.StatusCode != http.StatusOK || h.Get("Content-Type") != "text/event-stream" ||
			h.Get("Cache-Control") != "no-cache" || h.Get("X-Accel-Buffering") != "no" {
			t.Errorf("%s: status %d, headers %v; want 200, text/event-stream, no-cache, X-Accel-Buffering: no",
				name, c.resp.StatusCode, h)
		}
	}
	if got := f.live.Subscribers("A"); got != 2 {
		t.Errorf("Subscribers(A) = %d, want 2", got)
	}
	if got := f.live.Subscribers("B"); got != 1 {
		t.Errorf("Subscribers(B) = %d, want 1", got)
	}

	f.live.Publish("A", 7, "board", []byte(liveFragment))
	f.live.Publish("B", 8, "board", []byte("<p>only B</p>"))

	for name, c := range map[string]*liveClient{"a1": a1, "a2": a2} {
		ev := c.next(t)
		want := liveEvent{ID: "7", Name: "board", Data: liveFragment}
		if ev != want {
			t.Errorf("%s got %+v\nwant %+v", name, ev, want)
		}
	}
	// B's first event is B's own: nothing published to A came before it.
	if ev, want := b.next(t), (liveEvent{ID: "8", Name: "board", Data: "<p>only B</p>"}); ev != want {
		t.Errorf("b got %+v, want %+v", ev, want)
	}
}

func TestLivePublishData(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"one line", "<p>x</p>", "<p>x</p>"},
		{"trailing newline", "<p>x</p>\n", "<p>x</p>\n"},
		{"blank lines", "a\n\n\nb", "a\n\n\nb"},
		{"CRLF and CR become LF", "a\r\nb\rc", "a\nb\nc"},
		{"colon and data: inside", "data: x\nid: 9\n: no comment", "data: x\nid: 9\n: no comment"},
	}
	f := newLiveFixture(t, LiveConfig{})
	c := f.subscribe(t, "/stream/P", nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := []byte(tt.data)
			f.live.Publish("P", int64(i+1), "board", buf)
			copy(buf, strings.Repeat("!", len(buf))) // Publish must have copied the data
			ev := c.next(t)
			if ev.ID != strconv.Itoa(i+1) || ev.Data != tt.want {
				t.Errorf("got id %q data %q, want id %d data %q", ev.ID, ev.Data, i+1, tt.want)
			}
		})
	}
}

func TestLiveInvalidEventsAreNotSent(t *testing.T) {
	f := newLiveFixture(t, LiveConfig{})
	c := f.subscribe(t, "/stream/P", nil)
	f.live.Publish("P", 1, "board", nil)                 // an event with no data line
	f.live.Publish("P", 2, "bo\nard", []byte("<p/>"))    // would corrupt the framing
	f.live.Publish("nobody", 3, "board", []byte("<p/>")) // no stream: nothing to do
	f.live.Publish("P", 4, "board", []byte("<p>ok</p>"))
	if ev := c.next(t); ev.ID != "4" {
		t.Errorf("first event id %q, want 4", ev.ID)
	}
	if got := f.live.Subscribers("P"); got != 1 {
		t.Errorf("Subscribers(P) = %d after invalid events, want 1", got)
	}
}

// dialStalled subscribes to path over a raw connection that never reads.
func dialStalled(t *testing.T, f *liveFixture, path string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if tc, ok := conn.(*net.TCPConn); ok {
		if err := tc.SetReadBuffer(1024); err != nil {
			t.Logf("SetReadBuffer: %v", err)
		}
	}
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: tack\r\nAccept: text/event-stream\r\n\r\n", path); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestLiveStalledClientDoesNotStallOthers(t *testing.T) {
	const events = 3000
	// The deadline bounds how long the stalled client holds the stream, once. It also
	// applies to the healthy client, whose reader the race detector on a busy 2-core
	// machine can starve for a few hundred milliseconds: 1 s keeps it from being
	// dropped as if it had stalled too.
	f := newLiveFixture(t, LiveConfig{WriteDeadline: time.Second})
	dialStalled(t, f, "/stream/A")
	waitLive(t, liveWait, "the stalled client to subscribe", func() bool { return f.live.Subscribers("A") == 1 })
	healthy := f.subscribe(t, "/stream/A", nil)

	payload := strings.Repeat("<li>card</li>\n", 73) // ~1 KB in 74 data lines
	go func() {
		for i := 1; i <= events; i++ {
			f.live.Publish("A", int64(i), "board", []byte(payload))
		}
	}()

	// A failure timeout only: with the write deadline the run takes about a second.
	timeout := time.After(60 * time.Second)
	last := 0
	for n := 0; n < events; {
		select {
		case ev, ok := <-healthy.events:
			if !ok {
				t.Fatalf("healthy stream ended after %d events", n)
			}
			if ev.Comment != "" {
				continue
			}
			id, err := strconv.Atoi(ev.ID)
			if err != nil || id <= last {
				t.Fatalf("event %d has id %q after id %d; want increasing ids", n+1, ev.ID, last)
			}
			if ev.Data != payload {
				t.Fatalf("event %s: data of %d bytes differs from the payload", ev.ID, len(ev.Data))
			}
			last = id
			n++
		case <-timeout:
			t.Fatalf("healthy subscriber received %d of %d events (last id %d)", n, events, last)
		}
	}
	if last != events {
		t.Errorf("last id %d, want %d", last, events)
	}
	// The stalled client's write timed out, so Live dropped it; the healthy one stays.
	waitLive(t, liveWait, "the stalled client to be dropped", func() bool { return f.live.Subscribers("A") == 1 })
	f.live.Publish("A", events+1, "board", []byte("<p>after</p>"))
	if ev := healthy.next(t); ev.ID != strconv.Itoa(events+1) {
		t.Errorf("after the stall: id %q, want %d", ev.ID, events+1)
	}
}

func TestLiveLastEventID(t *testing.T) {
	tests := []struct{ name, id string }{
		{"not a number", "abc"},
		{"overflows int", "99999999999999999999"},
		{"number", "42"},
		{"empty", ""},
	}
	f := newLiveFixture(t, LiveConfig{})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.subscribe(t, "/stream/P", http.Header{"Last-Event-Id": {tt.id}})
			if c.resp.StatusCode != http.StatusOK || c.resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("status %d, Content-Type %q; want 200 text/event-stream",
					c.resp.StatusCode, c.resp.Header.Get("Content-Type"))
			}
			f.live.Publish("P", int64(100+i), "board", []byte("<p/>"))
			if ev := c.next(t); ev.ID != strconv.Itoa(100+i) {
				t.Errorf("got id %q, want %d", ev.ID, 100+i)
			}
		})
	}
}

func TestLiveHeartbeat(t *testing.T) {
	f := newLiveFixture(t, LiveConfig{Heartbeat: 50 * time.Millisecond})
	c := f.subscribe(t, "/stream/P", nil)
	timeout := time.After(liveWait)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatal("stream ended before a heartbeat")
			}
			if ev.Comment == "heartbeat" {
				return
			}
			t.Fatalf("got %+v before any heartbeat", ev)
		case <-timeout:
			t.Fatalf("no heartbeat comment within %v", liveWait)
		}
	}
}

// waitEnded fails the test unless the client's stream ends within liveWait.
func waitEnded(t *testing.T, name string, c *liveClient) {
	t.Helper()
	timeout := time.After(liveWait)
	for {
		select {
		case _, ok := <-c.events:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatalf("%s: stream still open %v after Close", name, liveWait)
		}
	}
}

// closeWithin calls Close and fails the test if it has not returned within liveWait.
func closeWithin(t *testing.T, live *Live) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		live.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(liveWait):
		t.Fatalf("Close has not returned after %v", liveWait)
	}
}

// waitGoroutines fails the test unless the number of goroutines falls back to about
// baseline within 5 s.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	const slack = 2
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline+slack {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLiveClose(t *testing.T) {
	baseline := runtime.NumGoroutine()
	f := newLiveFixture(t, LiveConfig{Heartbeat: 20 * time.Millisecond})
	clients := []*liveClient{
		f.subscribe(t, "/stream/A", nil),
		f.subscribe(t, "/stream/A", nil),
		f.subscribe(t, "/stream/B", nil),
	}
	f.live.Publish("A", 1, "board", []byte("<p>1</p>"))
	for i := range 2 {
		if ev := clients[i].next(t); ev.ID != "1" {
			t.Fatalf("client %d: id %q, want 1", i, ev.ID)
		}
	}

	closeWithin(t, f.live)
	for i, c := range clients {
		waitEnded(t, "client "+strconv.Itoa(i), c)
	}
	for _, p := range []string{"A", "B"} {
		if got := f.live.Subscribers(p); got != 0 {
			t.Errorf("Subscribers(%s) = %d after Close, want 0", p, got)
		}
	}
	closeWithin(t, f.live) // a second Close is harmless

	// After Close: new streams are refused and Publish does nothing.
	resp, err := f.client.Get(f.srv.URL + "/stream/A")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("Serve after Close: status %d, want 503", resp.StatusCode)
	}
	f.live.Publish("A", 2, "board", []byte("<p>2</p>"))

	f.srv.Close()
	f.tr.CloseIdleConnections()
	waitGoroutines(t, baseline)
}

func TestLiveCloseWithStalledClient(t *testing.T) {
	baseline := runtime.NumGoroutine()
	// A write deadline far beyond the failure timeout: Close must not wait for it.
	f := newLiveFixture(t, LiveConfig{WriteDeadline: time.Hour})
	dialStalled(t, f, "/stream/A")
	waitLive(t, liveWait, "the stalled client to subscribe", func() bool { return f.live.Subscribers("A") == 1 })
	healthy := f.subscribe(t, "/stream/A", nil)

	// Enough to fill the stalled connection's socket buffers and block its goroutine in a
	// write; the healthy client keeps reading whatever it gets.
	payload := []byte(strings.Repeat("x", 8<<10))
	for i := 1; i <= 2000; i++ {
		f.live.Publish("A", int64(i), "board", payload)
	}
	if ev := healthy.next(t); ev.ID != "1" {
		t.Fatalf("first id %q, want 1", ev.ID)
	}

	closeWithin(t, f.live)
	waitEnded(t, "healthy", healthy)
	if got := f.live.Subscribers("A"); got != 0 {
		t.Errorf("Subscribers(A) = %d after Close, want 0", got)
	}
	f.srv.Close()
	f.tr.CloseIdleConnections()
	waitGoroutines(t, baseline)
}

func TestLiveStreamIDComesFromTheProject(t *testing.T) {
	f := newLiveFixture(t, LiveConfig{})
	b := f.subscribe(t, "/stream/B", nil)
	spoof := f.subscribe(t, "/stream/A?stream=B&stream=C", nil)
	if a, bb := f.live.Subscribers("A"), f.live.Subscribers("B"); a != 1 || bb != 1 {
		t.Fatalf("Subscribers A=%d B=%d, want 1 and 1", a, bb)
	}
	f.live.Publish("B", 1, "board", []byte("<p>B</p>"))
	f.live.Publish("A", 2, "board", []byte("<p>A</p>"))
	if ev := spoof.next(t); ev.ID != "2" {
		t.Errorf("spoofing client got id %q first, want A's 2", ev.ID)
	}
	if ev := b.next(t); ev.ID != "1" {
		t.Errorf("B got id %q, want 1", ev.ID)
	}
}

// flushlessWriter is a ResponseWriter wrapper without Flush or SetWriteDeadline of its
// own, like Echo's or scs's: only Unwrap leads to the connection.
type flushlessWriter struct{ w http.ResponseWriter }

func (f flushlessWriter) Header() http.Header         { return f.w.Header() }
func (f flushlessWriter) Write(p []byte) (int, error) { return f.w.Write(p) }
func (f flushlessWriter) WriteHeader(code int)        { f.w.WriteHeader(code) }
func (f flushlessWriter) Unwrap() http.ResponseWriter { return f.w }

func TestLiveServeThroughUnwrappingWriter(t *testing.T) {
	live := NewLive(LiveConfig{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		live.Serve(flushlessWriter{w}, r, "P")
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(live.Close)
	f := &liveFixture{live: live, srv: srv, client: srv.Client()}
	c := f.subscribe(t, "/", nil)
	live.Publish("P", 1, "board", []byte("<p/>"))
	if ev := c.next(t); ev.ID != "1" {
		t.Errorf("got id %q, want 1", ev.ID)
	}
}

func TestLiveSubscriberTooFarBehindIsDropped(t *testing.T) {
	// A write deadline far beyond the failure timeout: only the queue's bound can drop
	// the stalled client in time.
	f := newLiveFixture(t, LiveConfig{WriteDeadline: time.Hour})
	dialStalled(t, f, "/stream/A")
	waitLive(t, liveWait, "the stalled client to subscribe", func() bool { return f.live.Subscribers("A") == 1 })
	healthy := f.subscribe(t, "/stream/A", nil)

	// Rounds of 100 events, each read by the healthy client before the next, so that only
	// the stalled client falls behind; 8 KB events fill its socket buffers quickly.
	payload := []byte(strings.Repeat("x", 8<<10))
	seq := 0
	for f.live.Subscribers("A") == 2 {
		if seq > 4*liveQueueLimit {
			t.Fatalf("stalled client still subscribed after %d events", seq)
		}
		for range 100 {
			seq++
			f.live.Publish("A", int64(seq), "board", payload)
		}
		for want := seq - 99; want <= seq; want++ {
			if ev := healthy.next(t); ev.ID != strconv.Itoa(want) {
				t.Fatalf("healthy client got id %q, want %d", ev.ID, want)
			}
		}
	}
	if seq < liveQueueLimit {
		t.Errorf("stalled client dropped after %d events, before its queue could be full (%d)", seq, liveQueueLimit)
	}
	f.live.Publish("A", int64(seq+1), "board", []byte("<p>after</p>"))
	if ev := healthy.next(t); ev.ID != strconv.Itoa(seq+1) {
		t.Errorf("after the drop: id %q, want %d", ev.ID, seq+1)
	}
}

// gatedWriter holds the first write of an event until open is closed, and logs each
// write ("w") and flush ("f").
type gatedWriter struct {
	http.ResponseWriter
	entered chan struct{} // closed when the first event's write starts
	open    chan struct{}

	mu  sync.Mutex
	log []byte
}

func (g *gatedWriter) record(op byte) (first bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	first = op == 'w' && bytes.IndexByte(g.log, 'w') < 0
	g.log = append(g.log, op)
	return first
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	if g.record('w') {
		close(g.entered)
		<-g.open
	}
	return g.ResponseWriter.Write(p)
}

func (g *gatedWriter) Flush() {
	g.record('f')
	http.NewResponseController(g.ResponseWriter).Flush()
}

func (g *gatedWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func TestLiveSubscriberBehindGetsOneBatch(t *testing.T) {
	live := NewLive(LiveConfig{Logger: slog.New(slog.DiscardHandler)})
	g := &gatedWriter{entered: make(chan struct{}), open: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.ResponseWriter = w
		live.Serve(g, r, "P")
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(live.Close)
	f := &liveFixture{live: live, srv: srv, client: srv.Client()}
	c := f.subscribe(t, "/", nil)

	live.Publish("P", 1, "board", []byte("<p>1</p>"))
	<-g.entered // the subscriber is writing event 1: the next ones wait in its queue
	for i := 2; i <= 10; i++ {
		live.Publish("P", int64(i), "board", []byte("<p>"+strconv.Itoa(i)+"</p>"))
	}
	close(g.open)
	for i := 1; i <= 10; i++ {
		if ev := c.next(t); ev.ID != strconv.Itoa(i) || ev.Data != "<p>"+strconv.Itoa(i)+"</p>" {
			t.Fatalf("event %d: got %+v", i, ev)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	// The headers, event 1, then events 2 to 10 with one flush.
	if got, want := string(g.log), "fwf"+strings.Repeat("w", 9)+"f"; got != want {
		t.Errorf("writes and flushes %q, want %q", got, want)
	}
}

func TestLiveEncodesAnEventOnce(t *testing.T) {
	live := NewLive(LiveConfig{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(live.Close)
	data := []byte("<p>a\nb</p>")
	f1 := live.frame(7, "board", data)
	if f2 := live.frame(7, "board", bytes.Clone(data)); f2 != f1 {
		t.Error("the same event published to a second stream was encoded again")
	}
	data[1] = 'q' // the caller reuses its buffer for another fragment
	for _, tt := range []struct {
		name string
		seq  int64
		ev   string
		data []byte
	}{
		{"other data", 7, "board", data},
		{"other seq", 8, "board", []byte("<p>a\nb</p>")},
		{"other name", 7, "other", []byte("<p>a\nb</p>")},
	} {
		if live.frame(tt.seq, tt.ev, tt.data) == f1 {
			t.Errorf("%s: the previous encoding was reused", tt.name)
		}
	}
	if got, want := string(f1.wire), "id: 7\nevent: board\ndata: <p>a\ndata: b</p>\n\n"; got != want {
		t.Errorf("encoded %q, want %q", got, want)
	}
}
