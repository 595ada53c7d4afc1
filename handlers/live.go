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
)

// Defaults for LiveConfig's zero values.
const (
	defaultLiveHeartbeat     = 20 * time.Second
	defaultLiveWriteDeadline = 5 * time.Second
)

// liveQueueLimit bounds the events waiting for one subscriber. A subscriber whose queue
// would exceed it cannot keep up and is dropped: its page reconnects and resyncs. Queued
// events are shared with every other subscriber, so a full queue costs 8 bytes an event
// of its own; 4,096 events is 80 s of a busy board (50 events/s), far beyond the write
// deadline that drops a client which stopped reading.
const liveQueueLimit = 4096

// Live fans out live updates to every open board of a project over Server-Sent Events.
//
// Each event is encoded once (its id:, event: and data: lines), however many streams and
// subscribers receive it; the publisher names the same event once per viewer's stream,
// and the encoding of the last event is reused for them. Publish appends the encoded
// event to each subscriber's queue and never blocks. Each subscriber's request goroutine
// waits for its queue, takes everything queued, writes it into the response's buffer and
// flushes once, under one write deadline: a subscriber that is behind catches up in one
// batch (a system call per few KB, not per event), and a healthy one gets every event
// in order. A subscriber that stops reading fails its
// write at the deadline, and one that falls liveQueueLimit events behind is dropped;
// either way its page reconnects and resyncs, and no other subscriber waits for it.
//
// Live replaced github.com/r3labs/sse/v2 here (BenchmarkLiveFanout1000 measures both):
// the library hands each event through a goroutine per stream, which makes a blocking
// send per subscriber, to each subscriber's goroutine, which formats it anew and writes
// and flushes it alone, with a write deadline per line through the wrapper a stalled
// client needs; a subscriber that is behind is never sent its backlog in one write, and
// with one stream per viewer (as the publisher names them) the hand-overs double the
// server's CPU per event. Its queues also held more memory at 1,000 viewers.
type Live struct {
	cfg LiveConfig
	log *slog.Logger

	// ctx is canceled by Close.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.RWMutex
	closed  bool
	streams map[string]*liveStream // by stream id; a stream goes when its last subscriber does
	// groups lists the streams of each group: a stream id's group is the part before
	// its first "/" (a project's id, for the board's per-viewer streams).
	groups map[string][]*liveStream

	encMu    sync.Mutex
	last     *liveFrame // the event encoded last, for the next stream it is published to
	lastData []byte     // its data as given to Publish, to recognise it

	serving   sync.WaitGroup // Serve calls in progress
	beatDone  chan struct{}  // closed when the heartbeat goroutine has returned
	closeOnce sync.Once
}

// LiveConfig tunes Live; zero values mean the defaults.
type LiveConfig struct {
	Heartbeat     time.Duration // comment event to every stream; default 20s
	WriteDeadline time.Duration // deadline for one batch of writes to a subscriber; default 5s
	Logger        *slog.Logger  // default slog.Default()
}

// liveFrame is one event as sent on the wire. It is shared by every subscriber that
// receives it and never changes.
type liveFrame struct {
	seq  int64
	name string
	wire []byte
}

// liveHeartbeat is the comment that keeps idle streams open through proxies.
var liveHeartbeat = &liveFrame{wire: []byte(": heartbeat\n\n")}

// liveStream is one stream id's subscribers.
type liveStream struct {
	id          string
	subscribers atomic.Int64 // len(subs), readable without the lock

	mu   sync.Mutex
	subs []*liveSub
}

// liveSub is one subscriber: the events queued for it and a wake-up for its goroutine.
type liveSub struct {
	wake chan struct{} // buffered 1: there is something to take
	conn *liveConn

	mu    sync.Mutex
	queue []*liveFrame
	spare []*liveFrame // the queue taken last time, reused
	over  bool         // the queue overflowed: drop the subscriber
}

// push queues f for the subscriber and wakes it, or drops the subscriber if it is too far
// behind: its queue is let go and a write it is blocked in fails now.
func (s *liveSub) push(f *liveFrame) {
	s.mu.Lock()
	switch {
	case s.over:
	case len(s.queue) >= liveQueueLimit:
		s.over, s.queue, s.spare = true, nil, nil
		s.conn.expire()
	default:
		s.queue = append(s.queue, f)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns what is queued (valid until the next take) and whether the subscriber
// is to be dropped.
func (s *liveSub) take() ([]*liveFrame, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	batch := s.queue
	clear(s.spare)
	if cap(s.spare) > 64 {
		s.spare = nil // a long queue was a lag, not the usual: let it go
	}
	s.queue, s.spare = s.spare[:0], batch
	return batch, s.over
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
	ctx, cancel := context.WithCancel(context.Background())
	l := &Live{
		cfg:      cfg,
		log:      cfg.Logger,
		ctx:      ctx,
		cancel:   cancel,
		streams:  map[string]*liveStream{},
		groups:   map[string][]*liveStream{},
		beatDone: make(chan struct{}),
	}
	go l.heartbeat()
	return l
}

// Publish sends one event to every subscriber of the stream without blocking the caller.
// seq is the global event sequence, sent as the SSE id; name is the SSE event name; data
// is an HTML fragment and may contain newlines (line endings are sent as "\n": SSE cannot
// carry a bare "\r"). data is copied, so the caller may reuse it. A stream nobody is
// subscribed to does not exist, and then there is nothing to do.
func (l *Live) Publish(streamID string, seq int64, name string, data []byte) {
	// An empty event would be no event at all, and a line break in the name would
	// corrupt the framing: both are programming errors.
	if len(data) == 0 || strings.ContainsAny(name, "\r\n") {
		l.log.Error("live: invalid event not sent", "stream", streamID, "seq", seq, "name", name, "bytes", len(data))
		return
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	st := l.streams[streamID]
	if l.closed || st == nil {
		return
	}
	f := l.frame(seq, name, data)
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, s := range st.subs {
		s.push(f)
	}
}

// frame returns the event encoded, reusing the last encoding when the same event is
// published again (to the next viewer's stream).
func (l *Live) frame(seq int64, name string, data []byte) *liveFrame {
	l.encMu.Lock()
	defer l.encMu.Unlock()
	if f := l.last; f != nil && f.seq == seq && f.name == name && bytes.Equal(l.lastData, data) {
		return f
	}
	l.last = &liveFrame{seq: seq, name: name, wire: encodeEvent(seq, name, data)}
	l.lastData = append(l.lastData[:0], data...)
	return l.last
}

// encodeEvent frames an event for Server-Sent Events: its id, its name, and a data: line
// for each line of data, with "\r\n" and "\r" taken as line breaks too.
func encodeEvent(seq int64, name string, data []byte) []byte {
	lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
	b := make([]byte, 0, len(data)+len(name)+32+lines*len("data: \n"))
	b = append(b, "id: "...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, "\nevent: "...)
	b = append(b, name...)
	b = append(b, '\n')
	for {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			break
		}
		b = append(b, "data: "...)
		b = append(b, data[:i]...)
		b = append(b, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	b = append(b, "data: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
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
		for _, st := range l.streams {
			st.mu.Lock()
			for _, s := range st.subs {
				s.push(liveHeartbeat)
			}
			st.mu.Unlock()
		}
		l.mu.RUnlock()
	}
}

// Serve streams the stream's events to this request until the client goes away, falls
// too far behind, or Live closes. The caller has already checked that the user may read
// the project. Last-Event-ID is ignored: the page resyncs itself after a reconnect.
func (l *Live) Serve(w http.ResponseWriter, r *http.Request, streamID string) {
	if streamID == "" {
		http.Error(w, "no such stream", http.StatusNotFound)
		return
	}
	conn := &liveConn{rc: http.NewResponseController(w), timeout: l.cfg.WriteDeadline}
	st, sub, ok := l.subscribe(streamID, conn)
	if !ok {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "live updates are shutting down", http.StatusServiceUnavailable)
		return
	}
	defer l.serving.Done()
	defer l.unsubscribe(st, sub)
	defer conn.release()
	// On Close, fail a write blocked on a stalled client right away.
	stop := context.AfterFunc(l.ctx, conn.expire)
	defer stop()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	conn.arm()
	if conn.rc.Flush() != nil {
		return
	}
	for {
		select {
		case <-sub.wake:
		case <-r.Context().Done():
			return
		case <-l.ctx.Done():
			return
		}
		batch, over := sub.take()
		if over {
			l.log.Warn("live: subscriber too far behind, dropped", "stream", streamID)
			return
		}
		if len(batch) == 0 {
			continue
		}
		conn.arm()
		err := writeFrames(w, batch)
		if err == nil {
			err = conn.rc.Flush()
		}
		if err != nil {
			return // the client is gone or stopped reading; its page reconnects
		}
	}
}

// writeFrames writes a batch of frames into the response's buffered writer. net/http
// buffers small frames together, so a batch costs a write per few KB rather than one per
// event; no buffer of Live's own is held while a write blocks on a slow client.
func writeFrames(w http.ResponseWriter, batch []*liveFrame) error {
	for _, f := range batch {
		if _, err := w.Write(f.wire); err != nil {
			return err
		}
	}
	return nil
}

// subscribe registers a subscriber on the stream, creating the stream on first use, and
// counts a Serve in progress; it reports false once Live is closing.
func (l *Live) subscribe(streamID string, conn *liveConn) (*liveStream, *liveSub, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, false
	}
	st := l.streams[streamID]
	if st == nil {
		st = &liveStream{id: streamID}
		l.streams[streamID] = st
		group, _, _ := strings.Cut(streamID, "/")
		l.groups[group] = append(l.groups[group], st)
	}
	sub := &liveSub{wake: make(chan struct{}, 1), conn: conn}
	st.mu.Lock()
	st.subs = append(st.subs, sub)
	st.subscribers.Add(1)
	st.mu.Unlock()
	l.serving.Add(1)
	return st, sub, true
}

// unsubscribe removes the subscriber, and the stream with its last one.
func (l *Live) unsubscribe(st *liveStream, sub *liveSub) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st.mu.Lock()
	for i, s := range st.subs {
		if s == sub {
			last := len(st.subs) - 1
			st.subs[i] = st.subs[last]
			st.subs[last] = nil
			st.subs = st.subs[:last]
			break
		}
	}
	n := st.subscribers.Add(-1)
	st.mu.Unlock()
	if n > 0 {
		return
	}
	delete(l.streams, st.id)
	group, _, _ := strings.Cut(st.id, "/")
	rest := l.groups[group]
	for i, s := range rest {
		if s == st {
			rest[i] = rest[len(rest)-1]
			rest[len(rest)-1] = nil
			rest = rest[:len(rest)-1]
			break
		}
	}
	if len(rest) == 0 {
		delete(l.groups, group)
	} else {
		l.groups[group] = rest
	}
}

// Subscribers returns how many clients are subscribed to the stream (for tests and
// metrics). A client counts from the moment its subscription is registered, before it
// receives the response headers, until its Serve returns.
func (l *Live) Subscribers(streamID string) int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if st := l.streams[streamID]; st != nil {
		return int(st.subscribers.Load())
	}
	return 0
}

// Streams returns the ids of the group's streams that have subscribers now. A stream
// id's group is the part before its first "/".
func (l *Live) Streams(group string) []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var ids []string
	for _, st := range l.groups[group] {
		if st.subscribers.Load() > 0 {
			ids = append(ids, st.id)
		}
	}
	return ids
}

// Close stops heartbeats and ends every stream so shutdown does not wait for open
// streams; it returns once every Serve has returned. A write blocked on a stalled client
// is cut short through the connection's write deadline; a writer that cannot set one
// may hold Close up until its write returns. It is safe to call twice.
func (l *Live) Close() {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.cancel()
		l.serving.Wait()
		<-l.beatDone
	})
}

// liveConn sets a subscriber connection's write deadline: one per batch of writes, so a
// client that stops reading fails its write after timeout instead of holding its
// goroutine for ever.
type liveConn struct {
	rc      *http.ResponseController
	timeout time.Duration

	mu       sync.Mutex // orders expire against arm and release
	expired  bool       // Close cut the connection short
	released bool       // Serve has returned: the connection is net/http's again
}

// arm sets the write deadline timeout from now, unless Close has expired it.
func (c *liveConn) arm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.expired && !c.released {
		c.setDeadline(time.Now().Add(c.timeout))
	}
}

// expire sets a deadline in the past, failing a write blocked now and every later one
// (on Close, and for a subscriber dropped for being too far behind).
func (c *liveConn) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.released {
		c.expired = true
		c.setDeadline(time.Now())
	}
}

// release clears the deadline before the connection goes back to net/http, unless Close
// expired it (then the connection is meant to fail and close).
func (c *liveConn) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.released = true
	if !c.expired {
		c.setDeadline(time.Time{})
	}
}

func (c *liveConn) setDeadline(t time.Time) {
	// Errors are ignored: http.ErrNotSupported means the writer cannot time out (e.g. a
	// test recorder), and any other error means the connection is gone, which the write
	// that follows reports.
	_ = c.rc.SetWriteDeadline(t)
}
