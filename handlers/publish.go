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
	// taskProjects remembers the project of tasks seen, so that finding which board a
	// change concerns reads nothing; only the run goroutine uses it.
	taskProjects map[string]string
	// sprintProjects does the same for sprints.
	sprintProjects map[string]string
}

func newPublisher(h *Handler) *publisher {
	pub := &publisher{h: h, wake: make(chan struct{}, 1), stopped: make(chan struct{}), taskProjects: map[string]string{}, sprintProjects: map[string]string{}}
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
	tasks  []string // the tasks whose cards changed, in order
	from   []string // the columns cards were moved out of
	resync bool     // the workflow changed: open boards redraw whole
	// sprints is set when a sprint itself changed (created, edited, started, completed…):
	// open backlog pages redraw whole.
	sprints bool
	events  []store.Event
	// private is set when the change only matters to these users: a conflict recorded
	// or answered shows on its author's boards only.
	private map[string]bool
}

// audience keeps the streams the change concerns: all of them, or for a private change
// only its users'.
func (pc *projectChange) audience(streams []string) []string {
	if pc.private == nil {
		return streams
	}
	return slices.DeleteFunc(streams, func(id string) bool {
		_, user := parseStreamID(id)
		return !pc.private[user]
	})
}

// publish sends, for each project a batch touched, what changed to every open board of
// the project. Which projects and columns a batch touched comes from the events
// themselves (and, for a task not seen before, the task's project by its key): nothing
// else is read unless a board of the project is open.
func (pub *publisher) publish(ctx context.Context, batch []store.Event) error {
	changed := map[string]*projectChange{}
	var order []string
	for _, e := range batch {
		projectID, payload, err := pub.projectOf(ctx, e)
		if err != nil {
			return err
		}
		if projectID == "" {
			continue
		}
		pc := changed[projectID]
		if pc == nil {
			pc = &projectChange{}
			changed[projectID] = pc
			order = append(order, projectID)
		}
		switch p := payload.(type) {
		case *store.WorkflowChanged:
			pc.resync = true
		case *store.TaskMoved:
			pc.from = append(pc.from, p.FromColumn)
		case *store.SettingsChanged:
			pc.sprints = true
		case *store.SprintScopeChanged:
			// Written with the task's own event: the task's row and the sprint's heading
			// say it.
		default:
			if strings.HasPrefix(e.Stream, "sprint:") {
				pc.sprints = true
			}
		}
		if id := taskIDOf(e); id != "" && !slices.Contains(pc.tasks, id) {
			pc.tasks = append(pc.tasks, id)
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
		if err := pub.h.publishChange(ctx, projectID, changed[projectID]); err != nil {
			return err
		}
		if err := pub.h.publishBacklog(ctx, projectID, changed[projectID]); err != nil {
			return err
		}
	}
	return pub.h.publishTime(ctx, batch)
}

// taskProjectsKept bounds the publisher's memory of which project each task is in.
const taskProjectsKept = 10_000

// projectOf returns the project whose board an event changes ("" for none) and the
// event's payload. A task's project is in the event that created it; for a task created
// before the publisher started it is read once (by primary key) and remembered, since a
// task never changes project.
func (pub *publisher) projectOf(ctx context.Context, e store.Event) (string, store.Payload, error) {
	p, err := e.Decode()
	if err != nil {
		return "", nil, err
	}
	switch p := p.(type) {
	case *store.UserRegistered, *store.ProjectCreated,
		*store.MemberAdded, *store.MemberRoleChanged, *store.MemberRemoved,
		*store.WorkflowConflicted:
		return "", p, nil
	case *store.WorkflowChanged, *store.SettingsChanged:
		return strings.TrimPrefix(e.Stream, "project:"), p, nil
	case *store.TaskCreated:
		pub.rememberTask(taskIDOf(e), p.ProjectID)
		return p.ProjectID, p, nil
	case *store.SprintCreated:
		pub.rememberSprint(strings.TrimPrefix(e.Stream, "sprint:"), p.ProjectID)
		return p.ProjectID, p, nil
	}
	if sprintID, ok := strings.CutPrefix(e.Stream, "sprint:"); ok {
		projectID, err := pub.sprintProject(ctx, sprintID)
		return projectID, p, err
	}
	taskID := taskIDOf(e)
	if taskID == "" {
		return "", p, nil // sprint and project-settings events change no card
	}
	if projectID, ok := pub.taskProjects[taskID]; ok {
		return projectID, p, nil
	}
	projectID, err := pub.h.store.TaskProject(ctx, taskID)
	if err != nil {
		return "", nil, err
	}
	pub.rememberTask(taskID, projectID)
	return projectID, p, nil
}

func (pub *publisher) rememberTask(taskID, projectID string) {
	if len(pub.taskProjects) >= taskProjectsKept {
		clear(pub.taskProjects)
	}
	pub.taskProjects[taskID] = projectID
}

// sprintProject returns a sprint's project, read once (by primary key) and remembered
// since a sprint never changes project; "" for a sprint no longer stored (deleted before
// the publisher saw it: nothing is left to show).
func (pub *publisher) sprintProject(ctx context.Context, sprintID string) (string, error) {
	if projectID, ok := pub.sprintProjects[sprintID]; ok {
		return projectID, nil
	}
	sp, err := pub.h.store.Sprint(ctx, sprintID)
	if store.ErrorCode(err) == store.ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	pub.rememberSprint(sprintID, sp.ProjectID)
	return sp.ProjectID, nil
}

func (pub *publisher) rememberSprint(sprintID, projectID string) {
	if len(pub.sprintProjects) >= taskProjectsKept {
		clear(pub.sprintProjects)
	}
	pub.sprintProjects[sprintID] = projectID
}

// changesSprintBoards reports whether e changes which cards a sprint board shows or what
// its header says: a sprint starting, completing, reopening or edited.
func changesSprintBoards(e store.Event) bool {
	switch e.Type {
	case store.TypeSprintStarted, store.TypeSprintCompleted, store.TypeSprintReopened, store.TypeSprintEdited:
		return true
	}
	return false
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

// publishChange renders what a change did to the project's board once per audience and
// sends it to every open board of the project. Nothing is read or rendered when nobody
// is watching. One card's change (the usual case) is rendered from that card's rows:
// the card, its place, its columns' counts and the conflicts pending on it; a change to
// the workflow, or to several cards at once (no command does that today), tells boards
// to redraw from the server instead.
func (h *Handler) publishChange(ctx context.Context, projectID string, pc *projectChange) error {
	if len(pc.tasks) == 0 && !pc.resync && !slices.ContainsFunc(pc.events, changesSprintBoards) {
		return nil // a sprint created, deleted or planned, or a setting: no board shows it
	}
	streams := pc.audience(h.live.Streams(projectID))
	if len(streams) == 0 {
		return nil
	}
	p, err := h.store.Project(ctx, projectID)
	if err != nil {
		return err
	}
	last := pc.events[len(pc.events)-1]
	actor, note := last.Actor, ""
	entries, err := h.store.DescribeEvents(ctx, p, []store.Event{last})
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		note = entries[0].Actor.Name + " " + entries[0].Text
	}
	if pc.resync || len(pc.tasks) != 1 || slices.ContainsFunc(pc.events, changesSprintBoards) {
		var buf bytes.Buffer
		if err := views.BoardResync(actor, note).Render(ctx, &buf); err != nil {
			return err
		}
		for _, id := range streams {
			h.live.Publish(id, last.Seq, "board", buf.Bytes())
		}
		return nil
	}
	card, err := h.store.LiveCardPlace(ctx, pc.tasks[0])
	if err != nil {
		return err
	}
	t := card.Task
	columns := []string{t.ColumnID}
	counts := map[string]int{t.ColumnID: card.Count}
	for _, id := range pc.from {
		if _, ok := counts[id]; !ok {
			if counts[id], err = h.store.ColumnCount(ctx, projectID, id); err != nil {
				return err
			}
			columns = append(columns, id)
		}
	}
	members, err := h.store.Members(ctx, projectID)
	if err != nil {
		return err
	}
	pending, err := h.store.TaskConflicts(ctx, t.ID)
	if err != nil {
		return err
	}
	byUser := map[string][]*store.PendingConflict{}
	for _, c := range pending {
		byUser[c.UserID] = append(byUser[c.UserID], c)
	}
	page := views.Page{Project: p, Now: h.store.Now()}
	// One rendering per audience: "view", "edit", or an author's id for editors whose
	// pending conflict on the card stands in its place.
	rendered := map[string][]byte{}
	for _, id := range streams {
		editable, user := parseStreamID(id)
		audience, conflicts := "view", []*store.PendingConflict(nil)
		if editable {
			audience = "edit"
			if conflicts = byUser[user]; len(conflicts) > 0 {
				audience = "user:" + user
			}
		}
		data, ok := rendered[audience]
		if !ok {
			b := views.NewCardBoard(p, members, views.BoardFilter{}, editable, counts).WithCardConflicts(p, conflicts, t)
			var buf bytes.Buffer
			update := views.CardUpdate(page, b, views.PlacedCard(b, t, card.After, card.Index), b.Headings(columns...), actor, note)
			if err := update.Render(ctx, &buf); err != nil {
				return err
			}
			data = buf.Bytes()
			rendered[audience] = data
		}
		h.live.Publish(id, last.Seq, "board", data)
	}
	return nil
}

// publishBacklog renders what a change did to the project's backlog page once per
// audience and sends it to every open backlog page of the project. Nothing is read or
// rendered when no backlog page of the project is open. One task's change is the task's
// row where it is now (or its removal) with every list's heading (a few sprints); a
// change to sprints themselves, to the workflow or to several tasks at once tells the
// pages to redraw from the server.
func (h *Handler) publishBacklog(ctx context.Context, projectID string, pc *projectChange) error {
	streams := pc.audience(h.live.Streams("backlog:" + projectID))
	if len(streams) == 0 {
		return nil
	}
	p, err := h.store.Project(ctx, projectID)
	if err != nil {
		return err
	}
	last := pc.events[len(pc.events)-1]
	// The note names what matters on this page: a change of sprint rather than the
	// re-rank that comes with it.
	said := last
	for _, e := range pc.events {
		if e.Type == store.TypeTaskSprintChanged {
			said = e
		}
	}
	actor, note, who := last.Actor, "", ""
	entries, err := h.store.DescribeEvents(ctx, p, []store.Event{said})
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		who = entries[0].Actor.Name
		note = who + " " + entries[0].Text
	}
	if pc.resync || pc.sprints || len(pc.tasks) != 1 {
		var buf bytes.Buffer
		if err := views.BacklogResync(actor, note).Render(ctx, &buf); err != nil {
			return err
		}
		for _, id := range streams {
			h.live.Publish(id, last.Seq, "backlog", buf.Bytes())
		}
		return nil
	}
	taskID := pc.tasks[0]
	// Read once for every audience: the lists' headings and the task's row, never the
	// page's other rows.
	edit, editRow, err := h.backlogChange(ctx, projectID, taskID, true, false)
	if err != nil {
		return err
	}
	pending, err := h.store.TaskConflicts(ctx, taskID)
	if err != nil {
		return err
	}
	byUser := map[string]*store.PendingConflict{}
	for _, c := range pending {
		byUser[c.UserID] = c
	}
	page := views.Page{Project: p, Now: h.store.Now()}
	rendered := map[string][]byte{}
	for _, id := range streams {
		editable, user := parseStreamID(id)
		audience, conflict := "view", (*store.PendingConflict)(nil)
		if editable {
			audience = "edit"
			if conflict = byUser[user]; conflict != nil {
				audience = "user:" + user
			}
		}
		data, ok := rendered[audience]
		if !ok {
			b, u := edit, editRow
			b.Editable = editable
			if said.Type == store.TypeTaskMoved && u.Task != nil && who != "" && !movedColumn(said) {
				note = who + " reordered " + u.Task.Key + " in " + u.List.Name()
			}
			if conflict != nil && u.Task != nil {
				b = b.WithTaskConflict(p, conflict, u.Task)
			}
			var buf bytes.Buffer
			if err := views.PlanUpdate(page, b, u, b.Lists, actor, note).Render(ctx, &buf); err != nil {
				return err
			}
			data = buf.Bytes()
			rendered[audience] = data
		}
		h.live.Publish(id, last.Seq, "backlog", data)
	}
	return nil
}

// movedColumn reports whether a task.moved event took the task to another column (not
// only a new rank).
func movedColumn(e store.Event) bool {
	p, err := e.Decode()
	m, ok := p.(*store.TaskMoved)
	return err == nil && ok && m.FromColumn != m.ToColumn
}
