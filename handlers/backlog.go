package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// backlogStreamID names one viewer's live stream of a project's backlog page. Its group
// (the part before the first "/") is "backlog:PROJECT", apart from the board's streams,
// so that the publisher renders backlog rows only for open backlog pages.
func backlogStreamID(projectID string, editable bool, userID string) string {
	return "backlog:" + streamID(projectID, editable, userID)
}

// backlogView loads the project's backlog as the current user sees it, with their
// pending conflicts in place of their rows.
func (h *Handler) backlogView(c echo.Context, f views.BoardFilter) (views.BacklogView, error) {
	p, role := currentProject(c)
	bl, err := h.store.Backlog(ctx(c), p.ID)
	if err != nil {
		return views.BacklogView{}, err
	}
	sprints, err := h.store.Sprints(ctx(c), p.ID)
	if err != nil {
		return views.BacklogView{}, err
	}
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return views.BacklogView{}, err
	}
	b := views.NewBacklogView(bl, sprints, members, f, role.CanEdit())
	if !role.CanEdit() {
		return b, nil
	}
	pending, err := h.store.PendingConflicts(ctx(c), p.ID, currentUser(c).ID)
	if err != nil {
		return views.BacklogView{}, err
	}
	return b.WithConflicts(p, pending), nil
}

// backlogPage is the page's frame: htmx, SortableJS and backlog.js, no other page script.
func (h *Handler) backlogPage(c echo.Context) views.Page {
	pg := h.page(c, currentProjectKey(c)+" backlog")
	pg.Live, pg.Script = true, "backlog.js"
	return pg
}

// backlog shows the project's backlog page.
func (h *Handler) backlog(c echo.Context) error {
	if c.QueryParams().Has("at") {
		return h.backlogAsOf(c) // the backlog as it was (asof.go)
	}
	b, err := h.backlogView(c, views.ParseBoardFilter(c.QueryParams()))
	if err != nil {
		return err
	}
	pg := h.backlogPage(c)
	// A message from a change without JavaScript is spoken by the live region and shown.
	b.Announce, b.Notice, pg.Flash = pg.Flash, pg.Flash, ""
	b.Moved = c.QueryParam("moved")
	c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
	return render(c, http.StatusOK, views.BacklogPage(pg, b))
}

// backlogStream sends the project's live backlog updates to an open backlog page.
func (h *Handler) backlogStream(c echo.Context) error {
	p, role := currentProject(c)
	h.live.Serve(c.Response(), c.Request(), backlogStreamID(p.ID, role.CanEdit(), currentUser(c).ID))
	return nil
}

// planForm is what a drag, a Move-menu item or the no-JavaScript Move page posts.
type planForm struct {
	Task        string `form:"task"`
	BaseVersion string `form:"base_version"`
	// To is "sprint:ID", "backlog", or a step within the task's list: "up", "down",
	// "top", "bottom" (the Move menu).
	To string `form:"to"`
	// From and List are the list the task was dragged from and to ("backlog" or a
	// sprint id), After and Before its new neighbours there (a drag).
	From   string `form:"from"`
	List   string `form:"list"`
	After  string `form:"after"`
	Before string `form:"before"`
	Filter string `form:"filter"`
}

// listSprint is the task's sprint field for a list id: "" for the backlog.
func listSprint(list string) string {
	if list == views.BacklogListID {
		return ""
	}
	return list
}

func (f planForm) command() (store.TaskPlan, error) {
	pl := store.TaskPlan{TaskID: f.Task}
	v, err := strconv.Atoi(f.BaseVersion)
	if err != nil || v < 1 {
		return pl, store.Errorf(store.EINVALID, "The move is missing the task version it was based on. Reload the backlog and try again.")
	}
	pl.BaseVersion = v
	switch {
	case strings.HasPrefix(f.To, "sprint:") && f.To != "sprint:":
		pl.Sprint = store.Opt[string]{Set: true, V: strings.TrimPrefix(f.To, "sprint:")}
	case f.To == views.BacklogListID:
		pl.Sprint = store.Opt[string]{Set: true, V: ""}
	case f.To == string(store.StepUp), f.To == string(store.StepDown), f.To == string(store.StepTop), f.To == string(store.StepBottom):
		pl.Step = store.Step(f.To)
	case f.To != "":
		return pl, store.Errorf(store.EINVALID, "Choose a sprint, the backlog, or a step (top, up, down, bottom) to move the task to.")
	case f.List != "":
		// A drag: within its list only the rank changes, which never conflicts; into
		// another list the sprint changes too.
		if f.List != f.From {
			pl.Sprint = store.Opt[string]{Set: true, V: listSprint(f.List)}
		}
		pl.AfterID, pl.BeforeID = f.After, f.Before
	default:
		return pl, store.Errorf(store.EINVALID, "Choose where to move the task: a sprint, the backlog, or a place in its list.")
	}
	return pl, nil
}

// backlogPlan plans one task from the backlog page: a drag, a Move-menu item or the
// Move page. With htmx it answers with the task's row where the server put it, the
// lists' headings and the announcement; without, it redirects back to the page.
func (h *Handler) backlogPlan(c echo.Context) error {
	p, _ := currentProject(c)
	var in planForm
	if err := c.Bind(&in); err != nil {
		return store.Errorf(store.EINVALID, "The move could not be read.")
	}
	cmd, err := in.command()
	if err != nil {
		return err
	}
	if t, err := h.store.Task(ctx(c), cmd.TaskID); err != nil || t.ProjectID != p.ID {
		return store.Errorf(store.ENOTFOUND, "No such task in this project.")
	}
	res, err := h.store.PlanTask(ctx(c), currentUser(c).ID, cmd)
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return h.renderBacklogConflict(c, ce)
	}
	if err != nil {
		return err
	}
	return h.backlogAnswer(c, in.Filter, res.Task, func(u views.RowChange) string {
		return views.PlanAnnouncement(u, res.Task.Key, len(res.Events) > 0)
	})
}

// backlogAnswer answers a change to one task: with htmx its row and the lists' headings,
// as the live update does; without JavaScript a redirect to the page with the message.
func (h *Handler) backlogAnswer(c echo.Context, filter string, t *store.Task, say func(views.RowChange) string) error {
	p, role := currentProject(c)
	q, _ := url.ParseQuery(filter)
	f := views.ParseBoardFilter(q)
	var b views.BacklogView
	var u views.RowChange
	var err error
	if f.Active() {
		// A filtered page places the row among the rows it shows: read them.
		if b, err = h.backlogView(c, f); err != nil {
			return err
		}
		u = views.NewRowChange(b, t.ID)
	} else if b, u, err = h.backlogChange(ctx(c), p.ID, t.ID, role.CanEdit(), true); err != nil {
		return err
	}
	if u.Task != nil && role.CanEdit() {
		// The viewer's own pending conflict on the task, if any, stands in its place.
		pending, err := h.store.TaskConflicts(ctx(c), t.ID)
		if err != nil {
			return err
		}
		for _, pc := range pending {
			if pc.UserID == currentUser(c).ID {
				b = b.WithTaskConflict(p, pc, u.Task)
			}
		}
	}
	b.Announce = say(u)
	if !isHTMX(c) {
		return h.backToBacklog(c, p, f, t.ID, b.Announce)
	}
	return render(c, http.StatusOK, views.PlanResult(h.page(c, ""), b, []views.RowChange{u}, b.Lists))
}

// renderBacklogConflict shows the user's conflict, now pending, in place of the task's
// row: with htmx the row is put back where the server has it (undoing the drag) with
// the conflict in its place; without JavaScript the whole page is shown.
func (h *Handler) renderBacklogConflict(c echo.Context, ce *store.ConflictError) error {
	q, _ := url.ParseQuery(c.FormValue("filter"))
	b, err := h.backlogView(c, views.ParseBoardFilter(q))
	if err != nil {
		return err
	}
	pg := h.backlogPage(c)
	pg.Flash = ""
	if v, ok := b.Conflicts[ce.TaskID]; ok {
		b.Announce = "Conflict: " + views.PlanConflictSentence(pg, *v)
	}
	if !isHTMX(c) {
		b.Notice = b.Announce
		return render(c, http.StatusConflict, views.BacklogPage(pg, b))
	}
	u := views.NewRowChange(b, ce.TaskID)
	return render(c, http.StatusConflict, views.PlanResult(pg, b, []views.RowChange{u}, b.Lists))
}

// backlogAnswered shows the result of an answer to a planning conflict given on the
// backlog page (answerConflict with return=backlog).
func (h *Handler) backlogAnswered(c echo.Context, filter, choice string, res *store.TaskResult) error {
	t := res.Task
	return h.backlogAnswer(c, filter, t, func(u views.RowChange) string {
		switch {
		case choice == store.AnswerTheirs && u.Task != nil:
			return fmt.Sprintf("Kept the other change: %s stays in %s.", t.Key, u.List.Name())
		case choice == store.AnswerTheirs:
			return "Kept the other change to " + t.Key + "."
		}
		return views.PlanAnnouncement(u, t.Key, true)
	})
}

// backlogPlanMany moves the selected tasks to one list, each with the version it was
// seen at: those that conflict stay pending in place of their rows, the others move.
// It is a plain form; the answer is the page again with what happened.
func (h *Handler) backlogPlanMany(c echo.Context) error {
	p, _ := currentProject(c)
	form, err := c.FormParams()
	if err != nil {
		return store.Errorf(store.EINVALID, "The selection could not be read.")
	}
	to := form.Get("to")
	target := store.Opt[string]{Set: true}
	switch {
	case to == views.BacklogListID:
	case strings.HasPrefix(to, "sprint:") && to != "sprint:":
		target.V = strings.TrimPrefix(to, "sprint:")
	default:
		return store.Errorf(store.EINVALID, "Choose a sprint or the backlog to move the selected tasks to.")
	}
	picked := form["task"]
	if len(picked) == 0 {
		return store.Errorf(store.EINVALID, "Select at least one task to move.")
	}
	if len(picked) > 500 {
		return store.Errorf(store.EINVALID, "Move at most 500 tasks at once.")
	}
	plans := make([]store.TaskPlan, 0, len(picked))
	for _, v := range picked {
		id, ver, ok := strings.Cut(v, ":")
		n, err := strconv.Atoi(ver)
		if !ok || err != nil || n < 1 || id == "" {
			return store.Errorf(store.EINVALID, "A selected task is missing the version it was seen at. Reload the backlog and try again.")
		}
		t, err := h.store.Task(ctx(c), id)
		if err != nil || t.ProjectID != p.ID {
			return store.Errorf(store.ENOTFOUND, "No such task in this project.")
		}
		plans = append(plans, store.TaskPlan{TaskID: id, BaseVersion: n, Sprint: target})
	}
	var moved, conflicted, refused []string
	for _, pl := range plans {
		res, err := h.store.PlanTask(ctx(c), currentUser(c).ID, pl)
		var ce *store.ConflictError
		switch {
		case errors.As(err, &ce):
			conflicted = append(conflicted, ce.TaskKey)
		case store.ErrorCode(err) == store.EINVALID:
			refused = append(refused, store.ErrorMessage(err))
		case err != nil:
			return err
		default:
			moved = append(moved, res.Task.Key)
		}
	}
	h.flash(c, planManyMessage(moved, conflicted, refused))
	q, _ := url.ParseQuery(form.Get("filter"))
	return c.Redirect(http.StatusSeeOther, views.BacklogURL(p, views.ParseBoardFilter(q).Query()))
}

// planManyMessage says what a "move selected" did: "Moved DEMO-3 and DEMO-5. DEMO-7
// was changed by someone else meanwhile: answer its conflict in place."
func planManyMessage(moved, conflicted, refused []string) string {
	var parts []string
	if len(moved) > 0 {
		parts = append(parts, "Moved "+joinKeys(moved)+".")
	}
	switch len(conflicted) {
	case 0:
	case 1:
		parts = append(parts, conflicted[0]+" was moved by someone else meanwhile: its conflict is shown in place, choose there.")
	default:
		parts = append(parts, joinKeys(conflicted)+" were moved by someone else meanwhile: their conflicts are shown in place, choose there.")
	}
	parts = append(parts, refused...)
	if len(parts) == 0 {
		return "Nothing to move."
	}
	return strings.Join(parts, " ")
}

// joinKeys writes "DEMO-1", "DEMO-1 and DEMO-2", "DEMO-1, DEMO-2 and DEMO-3".
func joinKeys(keys []string) string {
	if len(keys) == 1 {
		return keys[0]
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1]
}

// backlogCreate creates a task from a list's one-line form, at the bottom of that list
// (a sprint's or the backlog). With htmx it answers with the new row and its list's
// heading, not the page.
func (h *Handler) backlogCreate(c echo.Context) error {
	p, _ := currentProject(c)
	q, _ := url.ParseQuery(c.FormValue("filter"))
	f := views.ParseBoardFilter(q)
	list := c.FormValue("list")
	if list == "" {
		list = views.BacklogListID
	}
	t, err := h.store.CreateTask(ctx(c), currentUser(c).ID, store.NewTask{ProjectID: p.ID, Title: c.FormValue("title"), SprintID: listSprint(list)})
	if err != nil && store.ErrorCode(err) != store.EINVALID {
		return err
	}
	b, berr := h.backlogView(c, f)
	if berr != nil {
		return berr
	}
	l, ok := b.List(list)
	if !ok {
		l, _ = b.List(views.BacklogListID)
	}
	pg := h.backlogPage(c)
	pg.Flash = ""
	if err != nil {
		b.Create = map[string]views.NewTaskForm{l.ID(): {Title: c.FormValue("title"), Errors: fieldErrors(err)}}
		b.Announce = store.ErrorMessage(err)
		if isHTMX(c) {
			return render(c, http.StatusUnprocessableEntity, views.PlanCreateResult(pg, b, l, nil, nil))
		}
		b.Notice = b.Announce
		return render(c, http.StatusUnprocessableEntity, views.BacklogPage(pg, b))
	}
	u := views.NewRowChange(b, t.ID)
	b.Announce = fmt.Sprintf("Created %s in %s.", t.Key, l.Name())
	if !isHTMX(c) {
		return h.backToBacklog(c, p, f, t.ID, b.Announce)
	}
	return render(c, http.StatusOK, views.PlanCreateResult(pg, b, l, []views.RowChange{u}, b.Headings(l.ID())))
}

// backlogMovePage shows one task's Move menu as a page: where a row's Move link leads
// without JavaScript. Its forms post to the plan endpoint, which leads back.
func (h *Handler) backlogMovePage(c echo.Context) error {
	p, role := currentProject(c)
	if !role.CanEdit() {
		return store.Errorf(store.EFORBIDDEN, "Your role in %s is viewer: you can read it but not plan it. Ask a project admin for member access.", p.Key)
	}
	_, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	if t.Archived {
		return store.Errorf(store.EINVALID, "%s is archived: restore it before planning it.", t.Key)
	}
	f := views.ParseBoardFilter(c.QueryParams())
	b, err := h.backlogView(c, views.BoardFilter{})
	if err != nil {
		return err
	}
	b.Filter = f
	u := views.NewRowChange(b, t.ID)
	if u.Task == nil {
		return store.Errorf(store.EINVALID, "%s is not on the backlog page: it is done, or in a completed sprint's history.", t.Key)
	}
	m := views.NewPlanMenu(b, u.Task, u.Index, len(u.List.Tasks))
	return render(c, http.StatusOK, views.BacklogMovePage(h.page(c, "Move "+t.Key), m))
}

// backlogChange is what a change to one task does to the unfiltered backlog page: every
// list's heading and the task's row where it is now, read without the page's other
// rows (store.PlanPlace, the lists' sizes). With count the row's position is counted,
// for the mover's announcement.
func (h *Handler) backlogChange(c context.Context, projectID, taskID string, editable, count bool) (views.BacklogView, views.RowChange, error) {
	place, err := h.store.PlanPlace(c, taskID, count)
	if err != nil {
		return views.BacklogView{}, views.RowChange{}, err
	}
	sprints, err := h.store.Sprints(c, projectID)
	if err != nil {
		return views.BacklogView{}, views.RowChange{}, err
	}
	var backlog views.PlanListView
	if backlog.Count, backlog.Points, err = h.store.BacklogSize(c, projectID); err != nil {
		return views.BacklogView{}, views.RowChange{}, err
	}
	members, err := h.store.Members(c, projectID)
	if err != nil {
		return views.BacklogView{}, views.RowChange{}, err
	}
	b, u := views.NewBacklogChange(sprints, backlog, place, members, editable)
	return b, u, nil
}

// backToBacklog answers a change made without JavaScript: a redirect to the backlog page
// with its filter, the message as a flash, and focus on the changed task's Move button.
func (h *Handler) backToBacklog(c echo.Context, p *store.Project, f views.BoardFilter, taskID, message string) error {
	h.flash(c, message)
	q := url.Values{}
	if enc := f.Query(); enc != "" {
		q, _ = url.ParseQuery(enc)
	}
	q.Set("moved", taskID)
	return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/backlog")+"?"+q.Encode())
}
