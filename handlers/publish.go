package handlers

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// streamID names one viewer's live stream of a project's board. Every viewer has their
// own, because what a board shows depends on who looks: viewers' cards carry no Move
// menu, and an editor's pending conflicts stand in place of their cards. Updates are
// still rendered once per audience (editors, viewers, each author of a pending conflict
// on a changed card) and the same bytes sent to every stream of that audience.
func streamID(projectID string, editable bool, userID string) string {
	kind := "view"
	if editable {
		kind = "edit"
	}
	return projectID + "/" + kind + "/" + userID
}

// parseStreamID reads what streamID wrote.
func parseStreamID(id string) (editable bool, userID string) {
	_, rest, _ := strings.Cut(id, "/")
	kind, userID, _ := strings.Cut(rest, "/")
	return kind == "edit", userID
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
	// private is set when the change only matters to these users: a conflict recorded
	// or answered shows on its author's boards only.
	private map[string]bool
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
		if isConflictEvent(e) && (len(pc.events) == 0 || pc.private != nil) {
			if pc.private == nil {
				pc.private = map[string]bool{}
			}
			pc.private[e.Actor] = true
		} else {
			pc.private = nil
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
	case *store.UserRegistered, *store.ProjectCreated,
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

// taskIDOf returns the task an event concerns: task streams are named "task:ID", and
// a task's conflicts and their answers "task:ID:conflicts".
func taskIDOf(e store.Event) string {
	if id, ok := strings.CutPrefix(e.Stream, "task:"); ok {
		id, _, _ = strings.Cut(id, ":")
		return id
	}
	return ""
}

// isConflictEvent reports whether e records a conflict or its answer.
func isConflictEvent(e store.Event) bool {
	return e.Type == store.TypeTaskConflicted || e.Type == store.TypeConflictAnswered
}

// publishColumns renders what a change did to the project's board once per audience
// and sends it to every open board of the project. Nothing is read or rendered when
// nobody is watching.
func (h *Handler) publishColumns(ctx context.Context, projectID string, pc *projectChange) error {
	streams := h.live.Streams(projectID)
	if pc.private != nil {
		streams = slices.DeleteFunc(streams, func(id string) bool {
			_, user := parseStreamID(id)
			return !pc.private[user]
		})
	}
	if len(streams) == 0 {
		return nil
	}
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
	if pc.columns[allColumns] {
		var buf bytes.Buffer
		if err := views.BoardResync(actor, note).Render(ctx, &buf); err != nil {
			return err
		}
		for _, id := range streams {
			h.live.Publish(id, last.Seq, "board", buf.Bytes())
		}
		return nil
	}
	tasks, err := h.store.Tasks(ctx, p.ID, store.TaskFilter{})
	if err != nil {
		return err
	}
	members, err := h.store.Members(ctx, p.ID)
	if err != nil {
		return err
	}
	pending, err := h.store.PendingConflictsIn(ctx, p.ID)
	if err != nil {
		return err
	}
	byUser := map[string][]*store.PendingConflict{}
	for _, c := range pending {
		byUser[c.UserID] = append(byUser[c.UserID], c)
	}
	// One rendering per audience: "view", "edit", or an author's id for editors whose
	// pending conflicts the change shows.
	rendered := map[string][]byte{}
	for _, id := range streams {
		editable, user := parseStreamID(id)
		audience, conflicts := "view", []*store.PendingConflict(nil)
		if editable {
			audience = "edit"
			if conflicts = shownConflicts(byUser[user], pc, tasks); len(conflicts) > 0 {
				audience = "user:" + user
			}
		}
		data, ok := rendered[audience]
		if !ok {
			b := views.NewBoardView(p, tasks, members, views.BoardFilter{}, editable).WithConflicts(p, conflicts)
			if data, err = h.renderUpdate(ctx, p, b, pc, actor, note); err != nil {
				return err
			}
			rendered[audience] = data
		}
		h.live.Publish(id, last.Seq, "board", data)
	}
	return nil
}

// shownConflicts returns the pending conflicts that a change's fragment shows: those on
// the tasks it re-renders.
func shownConflicts(pending []*store.PendingConflict, pc *projectChange, tasks []*store.Task) []*store.PendingConflict {
	var out []*store.PendingConflict
	single, isSingle := pc.singleTask()
	for _, c := range pending {
		if isSingle && c.TaskID == single {
			out = append(out, c)
			continue
		}
		if isSingle {
			continue
		}
		for _, t := range tasks {
			if t.ID == c.TaskID && pc.columns[t.ColumnID] {
				out = append(out, c)
			}
		}
	}
	return out
}

// renderUpdate renders the live fragment of a change for board b.
func (h *Handler) renderUpdate(ctx context.Context, p *store.Project, b views.BoardView, pc *projectChange, actor, note string) ([]byte, error) {
	var cols []views.ColumnView
	for _, c := range b.Columns {
		if pc.columns[c.Column.ID] {
			cols = append(cols, c)
		}
	}
	page := views.Page{Project: p, Now: h.store.Now()}
	last := pc.events[len(pc.events)-1]
	update := views.LiveUpdate(page, b, cols, actor, note, taskIDOf(last))
	if id, ok := pc.singleTask(); ok {
		// One card changed (the usual case): send that card and the column headings,
		// not whole columns — a few KB instead of hundreds on a large board.
		update = views.CardUpdate(page, b, views.NewCardChange(b, id), cols, actor, note)
	}
	var buf bytes.Buffer
	if err := update.Render(ctx, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
