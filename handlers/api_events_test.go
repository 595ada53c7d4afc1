package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

// feedWait is how long a test waits for something that should happen promptly before it
// fails; it is a failure timeout, never a measurement.
const feedWait = 10 * time.Second

// feedEvent is one event of the feed or the stream, as a client reads it.
type feedEvent struct {
	Seq     int64           `json:"seq"`
	Stream  string          `json:"stream"`
	Version int             `json:"version"`
	Type    string          `json:"type"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
	TaskID  *string         `json:"task_id"`
	Data    json.RawMessage `json:"data"`
}

// feedStored returns every event of the project, as the event store has them.
func feedStored(a *app, p *store.Project) []store.Event {
	a.t.Helper()
	events, err := a.st.ProjectEvents(a.ctx, p.ID, 0, 1_000_000)
	if err != nil {
		a.t.Fatal(err)
	}
	return events
}

// feedExpectSame fails unless got holds exactly the stored events, in order.
func feedExpectSame(t *testing.T, got []feedEvent, want []store.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d events, want %d", len(got), len(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			t.Errorf("event %d: seq %d after %d: not strictly increasing", i, got[i].Seq, got[i-1].Seq)
		}
	}
	for i := 0; i < min(len(got), len(want)); i++ {
		g, w := got[i], want[i]
		if g.Seq != w.Seq || g.Stream != w.Stream || g.Version != w.Version || g.Type != w.Type || g.Actor != w.Actor || !g.At.Equal(w.At) {
			t.Fatalf("event %d: got %d %s v%d %s by %s, want %d %s v%d %s by %s", i,
				g.Seq, g.Stream, g.Version, g.Type, g.Actor, w.Seq, w.Stream, w.Version, w.Type, w.Actor)
		}
		if strings.HasPrefix(w.Stream, "task:") != (g.TaskID != nil) || len(g.Data) == 0 {
			t.Errorf("event %d (%s): task_id %v, data %s", i, w.Stream, g.TaskID, g.Data)
		}
	}
}

// feedCreateTasks creates n tasks in the project, as ana.
func feedCreateTasks(a *app, p *store.Project, n int, title string) {
	a.t.Helper()
	for i := 0; i < n; i++ {
		if _, err := a.st.CreateTask(a.ctx, a.ana.ID, store.NewTask{ProjectID: p.ID, Title: fmt.Sprintf("%s %d", title, i+1)}); err != nil {
			a.t.Fatal(err)
		}
	}
}

// feedOtherProject creates project OTHER, with a task, whose events must never show in DEMO's.
func feedOtherProject(a *app) *store.Project {
	a.t.Helper()
	p, err := a.st.CreateProject(a.ctx, a.ana.ID, store.NewProject{Key: "OTHER", Name: "Other project"})
	if err != nil {
		a.t.Fatal(err)
	}
	feedCreateTasks(a, p, 1, "Other task")
	return p
}

// feedPage is one page of the event feed.
type feedPage struct {
	Events    []feedEvent `json:"events"`
	NextAfter int64       `json:"next_after"`
}

func TestFeedPagesThroughEvents(t *testing.T) {
	a := newApp(t)
	other := feedOtherProject(a)
	// Interleave the two projects' events, and make more than a default page.
	for i := 0; i < 4; i++ {
		feedCreateTasks(a, a.demo, 25, fmt.Sprintf("Batch %d task", i))
		feedCreateTasks(a, other, 2, "Other task")
	}
	want := feedStored(a, a.demo)
	if len(want) <= 100 {
		t.Fatalf("only %d DEMO events: the default page would not be full", len(want))
	}
	c := syncClientFor(a, a.ben)

	var got []feedEvent
	after := int64(0)
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatal("the feed does not end")
		}
		var page feedPage
		c.do(http.MethodGet, fmt.Sprintf("/api/v1/projects/DEMO/events?after=%d&limit=7", after), nil, nil).decode(t, http.StatusOK, &page)
		if len(page.Events) > 7 {
			t.Fatalf("page of %d events with limit=7", len(page.Events))
		}
		if len(page.Events) == 0 {
			if page.NextAfter != after {
				t.Errorf("empty page after %d: next_after %d, want the same cursor", after, page.NextAfter)
			}
			break
		}
		if last := page.Events[len(page.Events)-1].Seq; page.NextAfter != last {
			t.Fatalf("next_after %d, want the last seq of the page, %d", page.NextAfter, last)
		}
		if page.Events[0].Seq <= after {
			t.Fatalf("page after %d starts at seq %d", after, page.Events[0].Seq)
		}
		got = append(got, page.Events...)
		after = page.NextAfter
	}
	feedExpectSame(t, got, want)

	// Default limit 100; a cursor in the middle; the largest page.
	var page feedPage
	c.do(http.MethodGet, "/api/v1/projects/demo/events", nil, nil).decode(t, http.StatusOK, &page)
	feedExpectSame(t, page.Events, want[:100])
	mid := want[40].Seq
	c.do(http.MethodGet, fmt.Sprintf("/api/v1/projects/DEMO/events?after=%d&limit=1000", mid), nil, nil).decode(t, http.StatusOK, &page)
	feedExpectSame(t, page.Events, want[41:])
	if page.NextAfter != want[len(want)-1].Seq {
		t.Errorf("next_after %d, want %d", page.NextAfter, want[len(want)-1].Seq)
	}
}

func TestFeedBadInputAndAccess(t *testing.T) {
	a := newApp(t)
	c := syncClientFor(a, a.ben)
	for _, tt := range []struct{ query, field string }{
		{"after=-1", "after"}, {"after=x", "after"}, {"after=1.5", "after"},
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=ten", "limit"},
	} {
		var p struct {
			Status int    `json:"status"`
			Field  string `json:"field"`
			Detail string `json:"detail"`
		}
		r := c.do(http.MethodGet, "/api/v1/projects/DEMO/events?"+tt.query, nil, nil)
		r.decode(t, http.StatusUnprocessableEntity, &p)
		if p.Field != tt.field || p.Detail == "" || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("?%s: problem %+v (%s), want field %q", tt.query, p, r.Header.Get("Content-Type"), tt.field)
		}
	}
	// A viewer reads the feed; someone outside the project does not know it exists.
	var page feedPage
	syncClientFor(a, a.chlo).do(http.MethodGet, "/api/v1/projects/DEMO/events", nil, nil).decode(t, http.StatusOK, &page)
	if len(page.Events) == 0 {
		t.Error("viewer: empty feed")
	}
	outsider, err := a.st.RegisterUser(a.ctx, store.NewUser{Email: "olga@example.com", Name: "Olga", Password: "long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/projects/DEMO/events", "/api/v1/projects/DEMO/stream"} {
		if r := syncClientFor(a, outsider).do(http.MethodGet, path, nil, nil); r.Status != http.StatusNotFound {
			t.Errorf("outsider %s: status %d, want 404", path, r.Status)
		}
		if r := (&syncClient{t: t, base: a.srv.URL}).do(http.MethodGet, path, nil, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("no token %s: status %d, want 401", path, r.Status)
		}
	}
}

// feedConn is an open event stream read by a plain HTTP client.
type feedConn struct {
	t      *testing.T
	cancel context.CancelFunc
	header http.Header
	events chan feedSSE
	ended  chan struct{} // closed when the response body ends
}

// feedSSE is one Server-Sent Event with its framing.
type feedSSE struct {
	ID, Name, Data string
}

// stream opens an event stream and reads it in the background.
func (c *syncClient) stream(path string, header http.Header) *feedConn {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		c.t.Fatalf("GET %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		c.t.Fatalf("GET %s: status %d: %s", path, res.StatusCode, body)
	}
	conn := &feedConn{t: c.t, cancel: cancel, header: res.Header, events: make(chan feedSSE, 10_000), ended: make(chan struct{})}
	go conn.read(res.Body)
	c.t.Cleanup(conn.close)
	return conn
}

// read parses the stream into events; comments (heartbeats) are skipped.
func (fc *feedConn) read(body io.ReadCloser) {
	defer close(fc.ended)
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var ev feedSSE
	for sc.Scan() {
		line := sc.Text()
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch {
		case line == "":
			if ev != (feedSSE{}) {
				fc.events <- ev
			}
			ev = feedSSE{}
		case field == "id":
			ev.ID = value
		case field == "event":
			ev.Name = value
		case field == "data":
			ev.Data += value
		}
	}
}

// next returns the next event, failing the test if none comes in time.
func (fc *feedConn) next() feedEvent {
	fc.t.Helper()
	select {
	case ev := <-fc.events:
		var e feedEvent
		if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
			fc.t.Fatalf("event data %q: %v", ev.Data, err)
		}
		if ev.Name != "event" || ev.ID != strconv.FormatInt(e.Seq, 10) {
			fc.t.Fatalf("event named %q with id %q for seq %d; want name \"event\" and the seq as id", ev.Name, ev.ID, e.Seq)
		}
		return e
	case <-fc.ended:
		fc.t.Fatal("the stream ended")
	case <-time.After(feedWait):
		fc.t.Fatalf("no event within %v", feedWait)
	}
	return feedEvent{}
}

// take reads n events.
func (fc *feedConn) take(n int) []feedEvent {
	fc.t.Helper()
	out := make([]feedEvent, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, fc.next())
	}
	return out
}

// close disconnects and waits until the reader is done.
func (fc *feedConn) close() {
	fc.cancel()
	<-fc.ended
}

func TestStreamDeliversEveryEventOnceAcrossReconnects(t *testing.T) {
	a := newApp(t)
	other := feedOtherProject(a)
	c := syncClientFor(a, a.ben)

	// Without a cursor the stream starts at the beginning of the project's log.
	conn := c.stream("/api/v1/projects/DEMO/stream", nil)
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := conn.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	got := conn.take(len(feedStored(a, a.demo)))

	// Live events, as they are committed; the other project's never show.
	feedCreateTasks(a, a.demo, 3, "Live task")
	feedCreateTasks(a, other, 1, "Other live task")
	got = append(got, conn.take(3)...)
	conn.close()

	// Made while the client is away: a task created, a two-field edit, a move.
	feedCreateTasks(a, a.demo, 1, "Missed task")
	feedCreateTasks(a, other, 1, "Other missed task")
	x := a.task("DEMO-3")
	res, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: x.ID, BaseVersion: x.Version,
		Title: store.Some("Reset a password by email"), Priority: store.Some(store.PriorityHighest)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.MoveTask(a.ctx, a.ben.ID, store.TaskMove{TaskID: x.ID, BaseVersion: res.Task.Version, ColumnID: a.demo.Columns[3].ID}); err != nil {
		t.Fatal(err)
	}
	missed := len(feedStored(a, a.demo)) - len(got)
	if missed != 4 {
		t.Fatalf("%d events made while disconnected, want 4", missed)
	}

	// Reconnecting with Last-Event-ID: exactly the missed ones, then live ones.
	last := got[len(got)-1].Seq
	conn = c.stream("/api/v1/projects/DEMO/stream", http.Header{"Last-Event-ID": {strconv.FormatInt(last, 10)}})
	got = append(got, conn.take(missed)...)
	feedCreateTasks(a, a.demo, 2, "Live again")
	got = append(got, conn.take(2)...)
	// Nothing else is on its way: the next event is the next one made.
	feedCreateTasks(a, a.demo, 1, "Marker")
	got = append(got, conn.next())
	feedExpectSame(t, got, feedStored(a, a.demo))
	seen := map[int64]bool{}
	for _, e := range got {
		if seen[e.Seq] {
			t.Errorf("seq %d received twice", e.Seq)
		}
		seen[e.Seq] = true
	}
}

func TestStreamCursors(t *testing.T) {
	a := newApp(t)
	c := syncClientFor(a, a.chlo) // viewers may follow the stream
	stored := feedStored(a, a.demo)

	// ?after= starts after that event.
	conn := c.stream(fmt.Sprintf("/api/v1/projects/DEMO/stream?after=%d", stored[9].Seq), nil)
	feedExpectSame(t, conn.take(len(stored)-10), stored[10:])
	conn.close()

	// Last-Event-ID wins over ?after=: a reconnecting EventSource keeps its first URL.
	conn = c.stream("/api/v1/projects/DEMO/stream?after=0", http.Header{"Last-Event-ID": {strconv.FormatInt(stored[len(stored)-2].Seq, 10)}})
	feedExpectSame(t, conn.take(1), stored[len(stored)-1:])
	conn.close()

	for _, tt := range []struct {
		name   string
		query  string
		header http.Header
		status int
	}{
		{"Last-Event-ID not a number", "", http.Header{"Last-Event-ID": {"abc"}}, http.StatusBadRequest},
		{"negative Last-Event-ID", "", http.Header{"Last-Event-ID": {"-4"}}, http.StatusBadRequest},
		{"after not a number", "?after=soon", nil, http.StatusUnprocessableEntity},
	} {
		r := c.do(http.MethodGet, "/api/v1/projects/DEMO/stream"+tt.query, nil, tt.header)
		if r.Status != tt.status || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: status %d (%s), want %d problem: %s", tt.name, r.Status, r.Header.Get("Content-Type"), tt.status, r.Body)
		}
	}
}

func TestStreamEndsWhenHandlerCloses(t *testing.T) {
	a := newApp(t)
	// A second server on the same store, to close its Handler while a stream is open.
	e, h := handlers.New(a.st, handlers.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(e)
	// Cleanups run last first: the client disconnects before the server closes.
	t.Cleanup(srv.Close)
	t.Cleanup(h.Close)
	c := syncClientFor(a, a.ana)
	c.base = srv.URL
	stored := feedStored(a, a.demo)
	conn := c.stream(fmt.Sprintf("/api/v1/projects/DEMO/stream?after=%d", stored[len(stored)-1].Seq), nil)
	feedCreateTasks(a, a.demo, 1, "Before closing")
	conn.next() // the stream is live

	h.Close()
	select {
	case <-conn.ended:
	case ev := <-conn.events:
		t.Fatalf("event after Close: %+v", ev)
	case <-time.After(feedWait):
		t.Fatalf("the stream is still open %v after Handler.Close", feedWait)
	}
}

func TestLiveAPIChangeAppearsOnOpenBoard(t *testing.T) {
	a := newApp(t)
	b := a.browser()
	b.signIn(anaEmail, anaPass)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.srv.URL+"/projects/DEMO/board/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("board stream: status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines := make(chan string, 10_000)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	// Ben's script renames a task through the API.
	x := a.task("DEMO-10")
	const title = "Velocity report, renamed by a script"
	var patched struct {
		Title   string `json:"title"`
		Version int    `json:"version"`
	}
	syncClientFor(a, a.ben).do(http.MethodPatch, "/api/v1/projects/DEMO/tasks/DEMO-10", map[string]any{"title": title},
		http.Header{"If-Match": {fmt.Sprintf(`"%d"`, x.Version)}}).decode(t, http.StatusOK, &patched)
	if patched.Title != title || patched.Version != x.Version+1 {
		t.Fatalf("PATCH answered %+v", patched)
	}
	stored := feedStored(a, a.demo)
	wantID := "id: " + strconv.FormatInt(stored[len(stored)-1].Seq, 10)

	timeout := time.After(feedWait)
	sawID := false
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the board stream ended")
			}
			sawID = sawID || line == wantID
			if strings.HasPrefix(line, "data:") && strings.Contains(line, title) {
				if !sawID {
					t.Errorf("the update is not sent with the retitle's seq (%q)", wantID)
				}
				return
			}
		case <-timeout:
			t.Fatalf("the open board did not receive the new title within %v", feedWait)
		}
	}
}

// feedServer serves a.st with a Handler of its own, to read its stream counters.
func feedServer(a *app) (*handlers.Handler, *syncClient) {
	a.t.Helper()
	e, h := handlers.New(a.st, handlers.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(e)
	a.t.Cleanup(srv.Close)
	a.t.Cleanup(h.Close)
	c := syncClientFor(a, a.ben)
	c.base = srv.URL
	return h, c
}

func TestStreamReadsEachCommitOnce(t *testing.T) {
	a := newApp(t)
	h, c := feedServer(a)
	stored := feedStored(a, a.demo)
	const streams, commits = 5, 3
	var conns []*feedConn
	for range streams {
		// Headers come after the stream's first read, once it follows the project's feed.
		conns = append(conns, c.stream(fmt.Sprintf("/api/v1/projects/DEMO/stream?after=%d", stored[len(stored)-1].Seq), nil))
	}
	shared0, gap0 := h.StreamReads()
	feedCreateTasks(a, a.demo, commits, "Shared task")
	want := feedStored(a, a.demo)[len(stored):]
	for _, conn := range conns {
		feedExpectSame(t, conn.take(commits), want)
	}
	shared, gap := h.StreamReads()
	if shared-shared0 < 1 || shared-shared0 > commits {
		t.Errorf("%d shared store reads for %d commits followed by %d streams; want 1 to %d", shared-shared0, commits, streams, commits)
	}
	if gap != gap0 {
		t.Errorf("%d reads by streams alone while they were caught up, want 0", gap-gap0)
	}
}

func TestStreamBehindTheWindowReadsTheStore(t *testing.T) {
	a := newApp(t)
	h, c := feedServer(a)
	h.SetStreamWindow(1)
	stored := feedStored(a, a.demo)
	conn := c.stream(fmt.Sprintf("/api/v1/projects/DEMO/stream?after=%d", stored[len(stored)-1].Seq), nil)
	_, gap0 := h.StreamReads()

	// A two-field edit: one commit of two events, more than the window holds.
	x := a.task("DEMO-3")
	if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: x.ID, BaseVersion: x.Version,
		Title: store.Some("Reset a password by email"), Priority: store.Some(store.PriorityHighest)}); err != nil {
		t.Fatal(err)
	}
	want := feedStored(a, a.demo)[len(stored):]
	if len(want) != 2 {
		t.Fatalf("%d events for a two-field edit, want 2", len(want))
	}
	feedExpectSame(t, conn.take(2), want)
	if _, gap := h.StreamReads(); gap == gap0 {
		t.Error("the stream got events the window no longer held without reading the store")
	}
	// And it follows the feed again: the next event is the next one made.
	feedCreateTasks(a, a.demo, 1, "After the gap")
	all := feedStored(a, a.demo)
	feedExpectSame(t, []feedEvent{conn.next()}, all[len(all)-1:])
}
