package handlers

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/tack-pm/tack/store"
)

// streamWindow is how many of a project's newest events its feed keeps for the API
// streams that follow it; a stream further behind reads its gap from the store.
const streamWindow = 1024

// streamFeeds keeps, for each project that API event streams follow, a window of its
// newest events read once per commit and encoded once, which every stream of the project
// sends from: a commit costs one store read per followed project, not one per stream.
type streamFeeds struct {
	st      *store.Store
	commits *commitSignal
	window  int // streamWindow, but for tests

	mu    sync.Mutex
	feeds map[string]*streamFeed // by project id, while streams follow it

	// Store reads, for tests and benchmarks: the feeds' shared ones, and those streams
	// make alone to catch up.
	sharedReads, gapReads atomic.Int64
}

// streamFeed is one project's window of newest events.
type streamFeed struct {
	feeds     *streamFeeds
	projectID string
	streams   int // following it; under feeds.mu

	reading sync.Mutex // one store read at a time

	mu sync.RWMutex
	// The window holds every event of the project with from < seq <= head, and every
	// event committed up to commit number gen.
	from, head int64
	gen        uint64
	frames     []streamFrame // by seq; elements never change once appended
}

// streamFrame is one event as an API stream sends it.
type streamFrame struct {
	seq  int64
	wire []byte
}

func newStreamFeeds(st *store.Store, commits *commitSignal) *streamFeeds {
	return &streamFeeds{st: st, commits: commits, window: streamWindow, feeds: map[string]*streamFeed{}}
}

// join returns the project's feed for a stream that has read every event of the project
// up to seq after, in a store read begun after commit number gen; the feed starts from
// there if no other stream follows the project.
func (fs *streamFeeds) join(projectID string, after int64, gen uint64) *streamFeed {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.feeds[projectID]
	if f == nil {
		f = &streamFeed{feeds: fs, projectID: projectID, from: after, head: after, gen: gen}
		fs.feeds[projectID] = f
	}
	f.streams++
	return f
}

// leave drops the feed with the last stream that follows it.
func (fs *streamFeeds) leave(f *streamFeed) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f.streams--; f.streams == 0 {
		delete(fs.feeds, f.projectID)
	}
}

// readGap reads up to limit of the project's events after seq for one stream alone.
func (fs *streamFeeds) readGap(ctx context.Context, projectID string, after int64, limit int) ([]store.Event, error) {
	fs.gapReads.Add(1)
	return fs.st.ProjectEvents(ctx, projectID, after, limit)
}

// update brings the window up to commit number need, reading the store only if no other
// stream has done so already.
func (f *streamFeed) update(ctx context.Context, need uint64) error {
	f.reading.Lock()
	defer f.reading.Unlock()
	f.mu.RLock()
	done, head := f.gen >= need, f.head
	f.mu.RUnlock()
	for !done {
		// The commit count before the read: every commit it counts is visible to the read.
		_, gen := f.feeds.commits.wait()
		f.feeds.sharedReads.Add(1)
		events, err := f.feeds.st.ProjectEvents(ctx, f.projectID, head, streamBatch)
		if err != nil {
			return err
		}
		frames := make([]streamFrame, 0, len(events))
		for _, e := range events {
			wire, err := encodeStreamEvent(e)
			if err != nil {
				return err
			}
			frames = append(frames, streamFrame{seq: e.Seq, wire: wire})
		}
		done = len(events) < streamBatch
		f.mu.Lock()
		f.frames = append(f.frames, frames...)
		if len(frames) > 0 {
			f.head = frames[len(frames)-1].seq
		}
		if n := len(f.frames) - f.feeds.window; n > 0 {
			f.from = f.frames[n-1].seq
			f.frames = f.frames[n:] // readers may still hold the old slice: never overwrite
		}
		if done {
			f.gen = gen
		}
		head = f.head
		f.mu.Unlock()
	}
	return nil
}

// since returns the window's events after seq, or false if the window no longer holds
// them all.
func (f *streamFeed) since(after int64) ([]streamFrame, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if after < f.from {
		return nil, false
	}
	i := sort.Search(len(f.frames), func(i int) bool { return f.frames[i].seq > after })
	return f.frames[i:len(f.frames):len(f.frames)], true
}

// encodeStreamEvent frames one event for the API stream: its id is the sequence number
// and its data the JSON, one line (JSON strings escape newlines).
func encodeStreamEvent(e store.Event) ([]byte, error) {
	data, err := json.Marshal(newEventJSON(e))
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(data)+48)
	b = append(b, "id: "...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, "\nevent: event\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...), nil
}
