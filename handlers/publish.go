package handlers

import (
	"bytes"
	"context"
	"strings"
	"sync"

	"tack/store"
	"tack/views"
)

// streamID names a project's live stream; editors and viewers get their own, because
// viewers' cards carry no Move menu.
func streamID(projectID string, editable bool) string {
	if editable {
		return projectID + "/edit"
	}
	return projectID + "/view"
}

// publisher turns committed events into live board updates, in commit order, on its own
// goroutine so that committing never waits for rendering.
type publisher struct {
	h       *Handler
	mu      sync.Mutex
	queue   [][]store.Event
	closed  bool
	wake    chan struct{}
	stopped chan struct{}
}

func newPublisher(h *Handler) *publisher {
	pub := &publisher{h: h, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	h.store.Listen(pub.enqueue)
	go pub.run()
	return pub
}

func (pub *publisher) enqueue(events []store.Event) {
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if pub.closed {
		return
	}
	pub.queue = append(pub.queue, events)
	select {
	case pub.wake <- struct{}{}:
	default:
	}
}

// close stops the publisher after what is queued has been published.
func (pub *publisher) close() {
	pub.mu.Lock()
	pub.closed = true
	pub.mu.Unlock()
	select {
	case pub.wake <- struct{}{}:
	default:
	}
	<-pub.stopped
}

func (pub *publisher) run() {
	defer close(pub.stopped)
	for range pub.wake {
		for {
			pub.mu.Lock()
			if len(pub.queue) == 0 {
				closed := pub.closed
				pub.mu.Unlock()
				if closed {
					return
				}
				break
			}
			batch := pub.queue[0]
			pub.queue = pub.queue[1:]
			pub.mu.Unlock()
			if err := pub.publish(context.Background(), batch); err != nil {
				pub.h.log.Error("live update failed", "err", err)
			}
		}
	}
}

// projectChange is what one batch changed on one project's board.
type projectChange struct {
	columns map[string]bool
	events  []store.Event
}

// singleTask returns the task when every event of the change concerns the same one.
func (pc *projectChange) singleTask() (string, bool) {
	id := ""
	for _, e := range pc.events {
		t := taskIDOf(e)
		if t == "" || (id != "" && t != id) {
			return "", false
		}
		id = t
	}
	return id, id != ""
}

// publish sends, for each project a batch touched, the columns that changed to every
// open board of the project.
func (pub *publisher) publish(ctx context.Context, batch []store.Event) error {
	changed := map[string]*projectChange{}
	var order []string
	for _, e := range batch {
		projectID, columns, err := pub.h.affectedColumns(ctx, e)
		if err != nil {
			return err
		}
		if projectID == "" || len(columns) == 0 {
			continue
		}
		pc := changed[projectID]
		if pc == nil {
			pc = &projectChange{columns: map[string]bool{}}
			changed[projectID] = pc
			order = append(order, projectID)
		}
		for _, c := range columns {
			pc.columns[c] = true
		}
		pc.events = append(pc.events, e)
	}
	for _, projectID := range order {
		if err := pub.h.publishColumns(ctx, projectID, changed[projectID]); err != nil {
			return err
		}
	}
	return nil
}

// allColumns marks a change to the board's structure (its workflow): boards redraw whole.
const allColumns = "*"

// affectedColumns returns the project and the board columns an event changed.
func (h *Handler) affectedColumns(ctx context.Context, e store.Event) (string, []string, error) {
	p, err := e.Decode()
	if err != nil {
		return "", nil, err
	}
	switch p := p.(type) {
	case *store.TaskConflicted, *store.UserRegistered, *store.ProjectCreated,
		*store.MemberAdded, *store.MemberRoleChanged, *store.MemberRemoved,
		*store.WorkflowConflicted:
		return "", nil, nil
	case *store.WorkflowChanged:
		return strings.TrimPrefix(e.Stream, "project:"), []string{allColumns}, nil
	case *store.TaskCreated:
		return p.ProjectID, []string{p.ColumnID}, nil
	case *store.TaskMoved:
		t, err := h.store.Task(ctx, taskIDOf(e))
		if err != nil {
			return "", nil, err
		}
		return t.ProjectID, []string{p.FromColumn, p.ToColumn}, nil
	}
	t, err := h.store.Task(ctx, taskIDOf(e))
	if err != nil {
		return "", nil, err
	}
	return t.ProjectID, []string{t.ColumnID}, nil
}

func taskIDOf(e store.Event) string {
	// Task streams are named "task:ID".
	if len(e.Stream) > 5 && e.Stream[:5] == "task:" {
		return e.Stream[5:]
	}
	return ""
}

func (h *Handler) publishColumns(ctx context.Context, projectID string, pc *projectChange) error {
	p, err := h.store.Project(ctx, projectID)
	if err != nil {
		return err
	}
	entries, err := h.store.DescribeEvents(ctx, p, pc.events)
	if err != nil {
		return err
	}
	last := pc.events[len(pc.events)-1]
	actor, note := last.Actor, ""
	if len(entries) > 0 {
		e := entries[len(entries)-1]
		note = e.Actor.Name + " " + e.Text
	}
	tasks, err := h.store.Tasks(ctx, p.ID, store.TaskFilter{})
	if err != nil {
		return err
	}
	members, err := h.store.Members(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, editable := range []bool{true, false} {
		if pc.columns[allColumns] {
			var buf bytes.Buffer
			if err := views.BoardResync(actor, note).Render(ctx, &buf); err != nil {
				return err
			}
			h.live.Publish(streamID(p.ID, editable), last.Seq, "board", buf.Bytes())
			continue
		}
		b := views.NewBoardView(p, tasks, members, views.BoardFilter{}, editable)
		var cols []views.ColumnView
		for _, c := range b.Columns {
			if pc.columns[c.Column.ID] {
				cols = append(cols, c)
			}
		}
		var buf bytes.Buffer
		page := views.Page{Project: p, Now: h.store.Now()}
		update := views.LiveUpdate(page, b, cols, actor, note, taskIDOf(last))
		if id, ok := pc.singleTask(); ok {
			// One card changed (the usual case): send that card and the column headings,
			// not whole columns — a few KB instead of hundreds on a large board.
			update = views.CardUpdate(page, b, views.NewCardChange(b, id), cols, actor, note)
		}
		if err := update.Render(ctx, &buf); err != nil {
			return err
		}
		h.live.Publish(streamID(p.ID, editable), last.Seq, "board", buf.Bytes())
	}
	return nil
}
