package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
	"github.com/tack-pm/tack/views"
)

// taskOf returns the task named by :task in the current project.
func (h *Handler) taskOf(c echo.Context) (*store.Project, *store.Task, error) {
	p, _ := currentProject(c)
	t, err := h.store.TaskByKey(ctx(c), p, c.Param("task"))
	return p, t, err
}

func taskURL(t *store.Task) string {
	key, _, _ := strings.Cut(t.Key, "-")
	return "/projects/" + key + "/tasks/" + t.Key
}

func (h *Handler) createTask(c echo.Context) error {
	p, _ := currentProject(c)
	form := views.NewTaskForm{Title: c.FormValue("title"), Type: c.FormValue("type")}
	t, err := h.store.CreateTask(ctx(c), currentUser(c).ID, store.NewTask{
		ProjectID: p.ID, Title: form.Title, Type: store.TaskType(form.Type), ColumnID: c.FormValue("column"),
	})
	if store.ErrorCode(err) == store.EINVALID {
		form.Errors = fieldErrors(err)
		return h.renderProjectHome(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.flash(c, "Created "+t.Key+".")
	return c.Redirect(http.StatusSeeOther, "/projects/"+p.Key)
}

func (h *Handler) taskPage(c echo.Context) error {
	if c.QueryParams().Has("at") {
		return h.taskAsOf(c) // the task as it was (asof.go)
	}
	_, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	return h.renderTask(c, http.StatusOK, t, views.TaskFormFrom(t))
}

func (h *Handler) renderTask(c echo.Context, status int, t *store.Task, form views.TaskForm) error {
	v, err := h.taskView(c, t, form)
	if err != nil {
		return err
	}
	return render(c, status, views.TaskPage(h.taskPageOf(c, t), v))
}

// taskPageOf is the task page's frame: htmx and the page's script, which swap the time
// tracking section in place and keep it live.
func (h *Handler) taskPageOf(c echo.Context, t *store.Task) views.Page {
	pg := h.page(c, t.Key+" "+t.Title)
	pg.Live, pg.Script = true, "task.js"
	return pg
}

// taskView loads what the task page and the card panel show, the user's pending
// conflict on the task included; what that conflict wanted is kept in the form.
func (h *Handler) taskView(c echo.Context, t *store.Task, form views.TaskForm) (views.TaskView, error) {
	p, role := currentProject(c)
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return views.TaskView{}, err
	}
	history, err := h.store.TaskHistory(ctx(c), p, t.ID)
	if err != nil {
		return views.TaskView{}, err
	}
	sprints, err := h.store.Sprints(ctx(c), p.ID)
	if err != nil {
		return views.TaskView{}, err
	}
	v := views.TaskView{Task: t, Members: members, History: history, Form: form, Sprints: sprints}
	if v.Time, err = h.timeView(c, t, members); err != nil {
		return views.TaskView{}, err
	}
	if !role.CanEdit() {
		return v, nil
	}
	pc, err := h.store.PendingConflict(ctx(c), t.ID, currentUser(c).ID)
	switch {
	case err == nil:
		cv := views.NewConflictView(p, pc, t, members)
		views.NameSprints(&cv, pc, sprints)
		v.Conflict = &cv
		if form.Errors == nil {
			v.Form.Keep(pc)
		}
	case store.ErrorCode(err) != store.ENOTFOUND:
		return views.TaskView{}, err
	}
	return v, nil
}

// inPanel reports whether the request comes from a card opened on the board.
func inPanel(c echo.Context) bool {
	return isHTMX(c) && c.Request().Header.Get("HX-Target") == "task-panel-body"
}

// renderPanel answers the board's card panel.
func (h *Handler) renderPanel(c echo.Context, status int, t *store.Task, form views.TaskForm, msg string) error {
	v, err := h.taskView(c, t, form)
	if err != nil {
		return err
	}
	return render(c, status, views.TaskPanel(h.page(c, t.Key), v, msg))
}

// taskPanel opens a card on the board: its details, editable in place.
func (h *Handler) taskPanel(c echo.Context) error {
	_, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	return h.renderPanel(c, http.StatusOK, t, views.TaskFormFrom(t), "")
}

// updateTask applies the fields present in the form; absent fields stay as they are.
func (h *Handler) updateTask(c echo.Context) error {
	_, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	p, _ := currentProject(c)
	u, err := parseTaskUpdate(c, t.ID, p.Calendar())
	if err == nil {
		var res *store.TaskResult
		if res, err = h.store.UpdateTask(ctx(c), currentUser(c).ID, u); err == nil {
			if inPanel(c) {
				return h.renderPanel(c, http.StatusOK, res.Task, views.TaskFormFrom(res.Task), updateMessage(res))
			}
			h.flash(c, updateMessage(res))
			return c.Redirect(http.StatusSeeOther, taskURL(res.Task))
		}
	}
	if store.ErrorCode(err) != store.EINVALID {
		return err
	}
	form := views.TaskFormFrom(t)
	submitted, _ := c.FormParams()
	form.Fill(submitted)
	form.Errors = taskFieldErrors(err)
	if inPanel(c) {
		return h.renderPanel(c, http.StatusUnprocessableEntity, t, form, "")
	}
	return h.renderTask(c, http.StatusUnprocessableEntity, t, form)
}

func updateMessage(res *store.TaskResult) string {
	switch {
	case len(res.Applied) == 0:
		return "Nothing to save: " + res.Task.Key + " already had those values."
	case len(res.Merged) > 0:
		return fmt.Sprintf("Saved. Changes made meanwhile by others to %s were kept.", joinFields(res.Merged))
	}
	return "Saved " + res.Task.Key + "."
}

func joinFields(fs []store.Field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = strings.ToLower(store.FieldLabel(f))
	}
	return strings.Join(names, ", ")
}

// parseTaskUpdate reads a task form: only the fields present are changed.
func parseTaskUpdate(c echo.Context, taskID string, cal duration.Calendar) (store.TaskUpdate, error) {
	u := store.TaskUpdate{TaskID: taskID}
	var err error
	if u.BaseVersion, err = baseVersion(c); err != nil {
		return u, err
	}
	form, err := c.FormParams()
	if err != nil {
		return u, store.Errorf(store.EINVALID, "The form could not be read.")
	}
	has := func(name string) bool { _, ok := form[name]; return ok }
	if has("title") {
		u.Title = store.Some(form.Get("title"))
	}
	if has("description") {
		u.Description = store.Some(form.Get("description"))
	}
	if has("assignee") {
		u.Assignee = store.Some(form.Get("assignee"))
	}
	if has("type") {
		u.Type = store.Some(store.TaskType(form.Get("type")))
	}
	if has("priority") {
		u.Priority = store.Some(store.Priority(form.Get("priority")))
	}
	if has("labels") {
		u.Labels = store.Some(store.ParseLabels(form.Get("labels")))
	}
	if has("due") {
		u.Due = store.Some(form.Get("due"))
	}
	if has("sprint") {
		u.Sprint = store.Some(form.Get("sprint"))
	}
	if has("points") {
		s := strings.TrimSpace(form.Get("points"))
		if s == "" {
			u.Points = store.Some[*float64](nil)
		} else {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return u, &store.Error{Code: store.EINVALID, Field: "points", Message: "Story points must be a number, like 3 or 0.5."}
			}
			u.Points = store.Some(&v)
		}
	}
	if has("archived") {
		u.Archived = store.Some(form.Get("archived") == "true")
	}
	for name, dst := range map[string]*store.Opt[*int64]{"estimate": &u.Estimate, "remaining": &u.Remaining} {
		if !has(name) {
			continue
		}
		s := strings.TrimSpace(form.Get(name))
		if s == "" {
			*dst = store.Some[*int64](nil)
			continue
		}
		n, err := parseDuration(cal, s, name)
		if err != nil {
			return u, err
		}
		*dst = store.Some(&n)
	}
	return u, nil
}

// taskFieldErrors places a refused edit's message next to its field in the task form,
// whose estimate fields the store names as the API does.
func taskFieldErrors(err error) map[string]string {
	errs := fieldErrors(err)
	for from, to := range map[string]string{"original_estimate": "estimate", "remaining_estimate": "remaining"} {
		if msg, ok := errs[from]; ok {
			delete(errs, from)
			errs[to] = msg
		}
	}
	return errs
}

func baseVersion(c echo.Context) (int, error) {
	v, err := strconv.Atoi(c.FormValue("base_version"))
	if err != nil || v < 1 {
		return 0, store.Errorf(store.EINVALID, "The form is missing the task version it was based on. Reload the page and try again.")
	}
	return v, nil
}

func (h *Handler) moveTask(c echo.Context) error {
	p, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	base, err := baseVersion(c)
	if err != nil {
		return err
	}
	res, err := h.store.MoveTask(ctx(c), currentUser(c).ID, store.TaskMove{
		TaskID: t.ID, BaseVersion: base, ColumnID: c.FormValue("column"),
		AfterID: c.FormValue("after"), BeforeID: c.FormValue("before"),
	})
	if err != nil {
		return err
	}
	if len(res.Events) == 0 {
		h.flash(c, res.Task.Key+" is already there.")
	} else {
		h.flash(c, "Moved "+res.Task.Key+" to "+p.ColumnName(res.Task.ColumnID)+".")
	}
	return c.Redirect(http.StatusSeeOther, taskURL(res.Task))
}

// renderConflict shows the user their conflict, now pending: in place of the card on the
// board, on top of the card panel, or on top of the whole task page, with what they
// typed kept in the form.
func (h *Handler) renderConflict(c echo.Context, ce *store.ConflictError) error {
	if c.FormValue("return") == "backlog" {
		return h.renderBacklogConflict(c, ce)
	}
	if strings.HasSuffix(c.Path(), "/board/move") || c.FormValue("return") == "board" {
		return h.renderBoardConflict(c, ce)
	}
	if p, _ := currentProject(c); p == nil || currentUser(c) == nil {
		return c.String(http.StatusConflict, ce.Error())
	}
	if inPanel(c) {
		v, err := h.taskView(c, ce.Task, views.TaskFormFrom(ce.Task))
		if err != nil {
			return err
		}
		msg := ""
		if v.Conflict != nil {
			msg = "Conflict: " + views.ConflictSentence(h.page(c, ""), *v.Conflict)
		}
		return render(c, http.StatusConflict, views.TaskPanel(h.page(c, ce.TaskKey), v, msg))
	}
	return h.renderTask(c, http.StatusConflict, ce.Task, views.TaskFormFrom(ce.Task))
}
