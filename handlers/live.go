package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/r3labs/sse/v2"
)

// Defaults for LiveConfig's zero values.
const (
	defaultLiveHeartbeat     = 20 * time.Second
	defaultLiveWriteDeadline = 5 * time.Second
)

// livePendingLimit bounds the events waiting in one project's queue. The queue only grows
// while the project's r3labs stream is stuck behind a stalled subscriber, which lasts about
// one WriteDeadline; 10,000 events is far more than a board produces in that time and
// bounds memory if something goes badly wrong. Events beyond it are dropped and logged.
const livePendingLimit = 10_000

// Live fans out live updates to every open board of a project over Server-Sent Events.
//
// It wraps github.com/r3labs/sse/v2 with the settings Tack needs (see STACK.md): no
// replay, multi-line data split into data: lines, one long-lived stream per project,
// a write deadline on every write so one stalled client cannot stall its stream, and a
// Close that ends every stream without leaking the library's goroutines.
//
// Delivery: Publish only appends the event to the project's queue; a goroutine per
// project (started when the queue becomes non-empty, gone when it is empty) hands the
// events in order to the library with its blocking Publish. The caller therefore never
// waits on a slow subscriber, and an event is never dropped for healthy subscribers
// unless the project's queue exceeds livePendingLimit, which is logged.
type Live struct {
	cfg LiveConfig
	log *slog.Logger
	sse *sse.Server

	// ctx is canceled by Close; every served request's context derives from it.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.RWMutex
	closed   bool
	projects map[string]*liveProject // by stream id; never shrinks while Live runs
	// groups lists the streams of each group: a stream id's group is the part before
	// its first "/" (a project's id, for the board's per-viewer streams).
	groups map[string][]*liveProject

	serving   sync.WaitGroup // Serve calls in progress
	pumps     sync.WaitGroup // pump goroutines
	beatDone  chan struct{}  // closed when the heartbeat goroutine has returned
	closeOnce sync.Once
}

// LiveConfig tunes Live; zero values mean the defaults.
type LiveConfig struct {
	Heartbeat     time.Duration // comment event to every stream; default 20s
	WriteDeadline time.Duration // per-write deadline for a subscriber; default 5s
	Logger        *slog.Logger  // default slog.Default()
}

// liveProject is one project's stream: its subscriber count and its queue of events not
// yet handed to the library.
type liveProject struct {
	id          string
	subscribers atomic.Int64

	mu      sync.Mutex
	queue   []*sse.Event
	pumping bool // a pump goroutine owns the queue
	dropped int  // events refused since the pump last looked

	droppedTotal atomic.Int64 // events refused since the stream was created
}

// NewLive returns a Live with its heartbeat running. Call Close when done.
func NewLive(cfg LiveConfig) *Live {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = defaultLiveHeartbeat
	}
	if cfg.WriteDeadline <= 0 {
		cfg.WriteDeadline = defaultLiveWriteDeadline
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	srv := sse.New()
	// AutoReplay would keep every event forever and overwrite our ids; the page resyncs
	// itself after a reconnect instead.
	srv.AutoReplay = false
	// HTML fragments contain newlines; without SplitData browsers drop all but the first line.
	srv.SplitData = true
	// Streams are created by Serve only; AutoStream also removes streams, which leaks.
	srv.AutoStream = false
	srv.Headers = map[string]string{
		"Cache-Control":     "no-cache",
		"X-Accel-Buffering": "no", // nginx: do not buffer the stream
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Live{
		cfg:      cfg,
		log:      cfg.Logger,
		sse:      srv,
		ctx:      ctx,
		cancel:   cancel,
		projects: map[string]*liveProject{},
		groups:   map[string][]*liveProject{},
		beatDone: make(chan struct{}),
	}
	go l.heartbeat()
	return l
}

// Publish sends one event to every subscriber of the project's stream without blocking
// the caller. seq is the global event sequence, sent as the SSE id; name is the SSE event
// name; data is an HTML fragment and may contain newlines (line endings are sent as "\n":
// SSE cannot carry a bare "\r"). data is copied, so the caller may reuse it. A project
// nobody has subscribed to yet has no stream, and then there is nothing to do.
func (l *Live) Publish(projectID string, seq int64, name string, data []byte) {
	// An event without data would make r3labs end every subscriber's stream, and a line
	// break in the name would corrupt the framing: both are programming errors.
	if len(data) == 0 || strings.ContainsAny(name, "\r\n") {
		l.log.Error("live: invalid event not sent", "project", projectID, "seq", seq, "name", name, "bytes", len(data))
		return
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	p := l.projects[projectID]
	if l.closed || p == nil {
		return
	}
	ev := &sse.Event{
		ID:    strconv.AppendInt(nil, seq, 10),
		Event: []byte(name),
		Data:  normalizeNewlines(data),
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) >= livePendingLimit {
		p.dropped++
		p.droppedTotal.Add(1)
		return
	}
	p.queue = append(p.queue, ev)
	if !p.pumping {
		p.pumping = true
		l.pumps.Add(1) // under l.mu.RLock: Close cannot be waiting yet
		go l.pump(p)
	}
}

// normalizeNewlines returns a copy of data with "\r\n" and "\r" turned into "\n".
func normalizeNewlines(data []byte) []byte {
	if bytes.IndexByte(data, '\r') < 0 {
		return bytes.Clone(data)
	}
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
}

// pump hands the project's queued events to the library in order until the queue is
// empty. sse.Server.Publish blocks while the stream's buffer is full, which is what keeps
// events from being dropped; it returns at once when the stream is closed.
func (l *Live) pump(p *liveProject) {
	defer l.pumps.Done()
	for {
		p.mu.Lock()
		batch, dropped := p.queue, p.dropped
		p.queue, p.dropped = nil, 0
		if len(batch) == 0 || l.ctx.Err() != nil {
			p.pumping = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		if dropped > 0 {
			l.log.Warn("live: queue full, events dropped", "project", p.id, "dropped", dropped)
		}
		for _, ev := range batch {
			if l.ctx.Err() != nil {
				break // closing: nobody is left to receive the rest
			}
			l.sse.Publish(p.id, ev)
		}
	}
}

// heartbeat sends a comment to every stream every cfg.Heartbeat until Close, so that
// proxies keep idle streams open and dead clients are noticed.
func (l *Live) heartbeat() {
	defer close(l.beatDone)
	t := time.NewTicker(l.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
		}
		l.mu.RLock()
		ids := make([]string, 0, len(l.projects))
		for id := range l.projects {
			ids = append(ids, id)
		}
		l.mu.RUnlock()
		for _, id := range ids {
			// A stream whose buffer is full is sending anyway: skip its heartbeat.
			l.sse.TryPublish(id, &sse.Event{Comment: []byte("heartbeat")})
		}
	}
}

// Serve streams the project's events to this request until the client goes away or Live
// closes. The caller has already checked that the user may read the project. The
// project's stream is created on first use and kept while Live runs.
func (l *Live) Serve(w http.ResponseWriter, r *http.Request, projectID string) {
	if projectID == "" {
		http.Error(w, "no such stream", http.StatusNotFound)
		return
	}
	p, ok := l.open(projectID)
	if !ok {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "live updates are shutting down", http.StatusServiceUnavailable)
		return
	}
	defer l.serving.Done()

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	dw := &liveWriter{
		inner:   w,
		rc:      http.NewResponseController(w),
		timeout: l.cfg.WriteDeadline,
		onOK:    func() { p.subscribers.Add(1) },
	}
	// On Close: end the request (r3labs then deregisters the subscriber while its stream
	// still runs) and fail any write blocked on a stalled client right away.
	expired := make(chan struct{})
	stopExpire := context.AfterFunc(l.ctx, func() {
		defer close(expired)
		cancel()
		dw.expire()
	})

	req := r.Clone(ctx)
	// r3labs picks the stream from the query: overwrite whatever the client sent.
	q := req.URL.Query()
	q.Set("stream", projectID)
	req.URL.RawQuery = q.Encode()
	// r3labs answers 400 to a Last-Event-ID that is not an integer; with replay off the
	// value is unused anyway (the page resyncs), so a foreign one is dropped.
	if id := req.Header.Get("Last-Event-ID"); id != "" {
		if _, err := strconv.Atoi(id); err != nil {
			req.Header.Del("Last-Event-ID")
		}
	}

	defer func() {
		// ServeHTTP returns once the stream has closed the subscriber's channel, that
		// is, once the subscriber is deregistered.
		if dw.subscribed {
			p.subscribers.Add(-1)
		}
		if !stopExpire() {
			<-expired
		}
		dw.release()
	}()
	l.sse.ServeHTTP(dw, req)
}

// open returns the project's stream, creating it on first use, and counts a Serve in
// progress; it reports false once Live is closing.
func (l *Live) open(projectID string) (*liveProject, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, false
	}
	p := l.projects[projectID]
	if p == nil {
		l.sse.CreateStream(projectID)
		p = &liveProject{id: projectID}
		l.projects[projectID] = p
		group, _, _ := strings.Cut(projectID, "/")
		l.groups[group] = append(l.groups[group], p)
	}
	l.serving.Add(1)
	return p, true
}

// Subscribers returns how many clients are subscribed to the project's stream (for tests
// and metrics). A client counts from the moment its subscription is registered, before
// it receives the response headers, until its Serve returns.
func (l *Live) Subscribers(projectID string) int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if p := l.projects[projectID]; p != nil {
		return int(p.subscribers.Load())
	}
	return 0
}

// Streams returns the ids of the group's streams that have subscribers now. A stream
// id's group is the part before its first "/".
func (l *Live) Streams(group string) []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var ids []string
	for _, p := range l.groups[group] {
		if p.subscribers.Load() > 0 {
			ids = append(ids, p.id)
		}
	}
	return ids
}

// Close stops heartbeats and closes every stream so shutdown does not wait for open
// streams; it returns once every Serve has returned. It is safe to call twice.
//
// r3labs v2.10.0 leaks a goroutine per connected subscriber when its stream is closed
// first (the subscriber's deregistration waits forever for the stream's goroutine), so
// Close first ends every served request and waits for its Serve, and only then closes
// the library's streams. A blocked write is cut short through the connection's write
// deadline; a writer that cannot set one may hold Close up until its write returns.
func (l *Live) Close() {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.cancel()
		l.serving.Wait()
		<-l.beatDone
		l.sse.Close()
		l.pumps.Wait()
	})
}

// liveWriter is the ResponseWriter r3labs writes to. Every Write and Flush first moves
// the connection's write deadline, so a client that stops reading fails its writes after
// timeout instead of blocking its stream's single sending goroutine for ever.
type liveWriter struct {
	inner   http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration

	onOK       func() // called when r3labs has registered the subscriber
	subscribed bool

	mu      sync.Mutex // orders expire against extend
	expired bool
}

// extend sets the write deadline timeout from now, unless Close has expired it.
func (w *liveWriter) extend() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.expired {
		return
	}
	w.setDeadline(time.Now().Add(w.timeout))
}

// expire sets a deadline in the past, failing a write blocked now and every later one.
func (w *liveWriter) expire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expired = true
	w.setDeadline(time.Now())
}

// release clears the deadline before the connection goes back to net/http, unless Close
// expired it (then the connection is meant to fail and close).
func (w *liveWriter) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.expired {
		w.setDeadline(time.Time{})
	}
}

func (w *liveWriter) setDeadline(t time.Time) {
	// Errors are ignored: http.ErrNotSupported means the writer cannot time out (e.g. a
	// test recorder), and any other error means the connection is gone, which the write
	// that follows reports.
	_ = w.rc.SetWriteDeadline(t)
}

// Header returns the inner writer's header map.
func (w *liveWriter) Header() http.Header { return w.inner.Header() }

// WriteHeader forwards the status. r3labs writes 200 only after registering the
// subscriber, which makes it the moment the subscriber starts to count.
func (w *liveWriter) WriteHeader(code int) {
	if code == http.StatusOK && !w.subscribed {
		w.subscribed = true
		w.onOK()
	}
	w.inner.WriteHeader(code)
}

// Write writes p under a fresh write deadline.
func (w *liveWriter) Write(p []byte) (int, error) {
	w.extend()
	return w.inner.Write(p)
}

// Flush flushes under a fresh write deadline. It goes through a ResponseController
// because the inner writer may be a wrapper (Echo, scs) that only offers Unwrap.
func (w *liveWriter) Flush() {
	w.extend()
	_ = w.rc.Flush() // a failed flush shows in the next write, and ends the request
}

// Unwrap returns the inner writer, for http.ResponseController.
func (w *liveWriter) Unwrap() http.ResponseWriter { return w.inner }
