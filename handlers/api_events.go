package handlers

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
)

// The event feed pages through a project's events in sequence order; the event stream
// sends the same events over Server-Sent Events as they are committed. The event store is
// the stream's only source: each connection reads the events after the last one it sent
// and, once caught up, sleeps until the next commit. So a client that reconnects with
// Last-Event-ID gets every event it missed, then live ones, none twice, in order, and a
// slow client only delays itself.

const (
	feedDefaultLimit    = 100
	feedMaxLimit        = 1000
	streamBatch         = 500
	streamHeartbeat     = 20 * time.Second
	streamWriteDeadline = 5 * time.Second
)

// commitSignal wakes the open API streams after every commit. wait returns a channel
// that is closed at the next commit and the number of commits so far; done is closed
// when the Handler closes. feeds holds what the streams share of the newest events.
type commitSignal struct {
	mu    sync.Mutex
	gen   uint64
	next  chan struct{}
	done  chan struct{}
	once  sync.Once
	feeds *streamFeeds
}

func newCommitSignal(st *store.Store) *commitSignal {
	s := &commitSignal{next: make(chan struct{}), done: make(chan struct{})}
	s.feeds = newStreamFeeds(st, s)
	st.Listen(s.committed)
	return s
}

// committed runs on the committing goroutine: it only swaps a channel.
func (s *commitSignal) committed([]store.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	close(s.next)
	s.next = make(chan struct{})
}

func (s *commitSignal) wait() (<-chan struct{}, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next, s.gen
}

func (s *commitSignal) close() { s.once.Do(func() { close(s.done) }) }

// apiEvents returns a page of the project's events after the sequence number "after".
func (h *Handler) apiEvents(c echo.Context) error {
	p, _ := currentProject(c)
	after, err := seqParam(c.QueryParam("after"), "after")
	if err != nil {
		return err
	}
	limit := feedDefaultLimit
	if s := c.QueryParam("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > feedMaxLimit {
			return &store.Error{Code: store.EINVALID, Field: "limit", Message: "limit must be a whole number between 1 and 1000."}
		}
	}
	events, err := h.store.ProjectEvents(ctx(c), p.ID, after, limit)
	if err != nil {
		return err
	}
	out := make([]eventJSON, 0, len(events))
	for _, e := range events {
		out = append(out, newEventJSON(e))
		after = e.Seq
	}
	return writeJSON(c, http.StatusOK, map[string]any{"events": out, "next_after": after})
}

// seqParam reads an event sequence number from the query; absent is 0, the start.
func seqParam(s, field string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, &store.Error{Code: store.EINVALID, Field: field, Message: field + " must be an event sequence number (0 or more)."}
	}
	return n, nil
}

// apiStream sends the project's events after Last-Event-ID (or ?after=, or from the
// start) and then every new one, until the client leaves or the Handler closes.
//
// A stream reads what it missed from the store itself; once caught up it follows the
// project's feed, which reads and encodes each commit's events once for every stream of
// the project. A stream that falls behind the feed's window reads from the store again.
func (h *Handler) apiStream(c echo.Context) error {
	p, _ := currentProject(c)
	after, err := seqParam(c.QueryParam("after"), "after")
	// A reconnecting EventSource keeps its URL and says where it got to in the header.
	if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
		if after, err = strconv.ParseInt(id, 10, 64); err != nil || after < 0 {
			return echo.NewHTTPError(http.StatusBadRequest, "Last-Event-ID must be the id of an event this stream sent (a sequence number).")
		}
	}
	if err != nil {
		return err
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	out := &eventWriter{w: w, rc: http.NewResponseController(w)}
	defer out.rc.SetWriteDeadline(time.Time{}) // the connection may serve another request
	beat := time.NewTicker(streamHeartbeat)
	defer beat.Stop()
	rctx := ctx(c)
	feeds := h.commits.feeds
	var feed *streamFeed // the project's, once this stream has caught up
	defer func() {
		if feed != nil {
			feeds.leave(feed)
		}
	}()
	for {
		wake, gen := h.commits.wait() // before reading, so a commit from now on is not missed
		caughtUp := false
		if feed != nil {
			if err := feed.update(rctx, gen); err != nil {
				if rctx.Err() == nil {
					h.log.Error("api stream: read events", "project", p.Key, "err", err)
				}
				return nil
			}
			var frames []streamFrame
			if frames, caughtUp = feed.since(after); caughtUp {
				for _, f := range frames {
					out.buf.Write(f.wire)
					after = f.seq
				}
			}
		}
		if !caughtUp {
			events, err := feeds.readGap(rctx, p.ID, after, streamBatch)
			if err != nil {
				if rctx.Err() == nil {
					h.log.Error("api stream: read events", "project", p.Key, "after", after, "err", err)
				}
				return nil
			}
			for _, e := range events {
				wire, err := encodeStreamEvent(e)
				if err != nil {
					h.log.Error("api stream: encode event", "seq", e.Seq, "err", err)
					return nil
				}
				out.buf.Write(wire)
				after = e.Seq
			}
			caughtUp = len(events) < streamBatch
			if caughtUp && feed == nil {
				feed = feeds.join(p.ID, after, gen)
			}
		}
		if err := out.send(); err != nil {
			return nil
		}
		if !caughtUp { // more are waiting: read on, unless the stream is over
			select {
			case <-rctx.Done():
				return nil
			case <-h.commits.done:
				return nil
			default:
				continue
			}
		}
		select {
		case <-wake:
		case <-beat.C:
			out.buf.WriteString(": heartbeat\n\n")
		case <-rctx.Done():
			return nil
		case <-h.commits.done:
			return nil
		}
	}
}

// eventWriter sends what a stream has to send under a write deadline, so that a client
// that stops reading fails instead of holding the handler.
type eventWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	buf     bytes.Buffer
	started bool // the headers have been flushed
}

// send writes and flushes what was added, if anything (or the headers, the first time):
// one deadline, one write and one flush for everything a wake-up brought.
func (ew *eventWriter) send() error {
	if ew.buf.Len() == 0 && ew.started {
		return nil
	}
	ew.started = true
	if err := ew.rc.SetWriteDeadline(time.Now().Add(streamWriteDeadline)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if ew.buf.Len() > 0 {
		if _, err := ew.w.Write(ew.buf.Bytes()); err != nil {
			return err
		}
		ew.buf.Reset()
		if ew.buf.Cap() > 64<<10 {
			ew.buf = bytes.Buffer{} // a caught-up stream does not keep its catch-up's buffer
		}
	}
	return ew.rc.Flush()
}
