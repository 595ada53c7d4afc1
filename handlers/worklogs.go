package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
	"github.com/tack-pm/tack/views"
)

// Time tracking on the task page and in the card panel: logging work, editing and
// deleting worklogs. Each form is a plain POST answered with a redirect to the task
// page; with htmx it is answered with the task's time section alone, swapped in place.

// timeInPanel reports whether the request comes from the board's card panel: the panel
// itself, or a form inside it (htmx names the page it was sent from).
func timeInPanel(c echo.Context) bool {
	if inPanel(c) {
		return true
	}
	if !isHTMX(c) {
		return false
	}
	u, err := url.Parse(c.Request().Header.Get("HX-Current-URL"))
	p, _ := currentProject(c)
	return err == nil && p != nil && u.Path == views.ProjectURL(p, "/board")
}

// timeView loads a task's time tracking as the current user sees it.
func (h *Handler) timeView(c echo.Context, t *store.Task, members []store.Member) (*views.TimeView, error) {
	p, _ := currentProject(c)
	tt, err := h.store.TaskTime(ctx(c), p, t)
	if err != nil {
		return nil, err
	}
	return &views.TimeView{Task: t, Time: tt, Cal: p.Calendar(), Members: members, UserID: currentUser(c).ID,
		InPanel: timeInPanel(c), Log: views.NewWorklogForm(userToday(c))}, nil
}

// renderTime answers a time-tracking request: with htmx the section alone; without, the
// worklog's own page when the section shows a worklog being changed, else the task page.
func (h *Handler) renderTime(c echo.Context, status int, t *store.Task, change func(*views.TimeView)) error {
	p, _ := currentProject(c)
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return err
	}
	tv, err := h.timeView(c, t, members)
	if err != nil {
		return err
	}
	change(tv)
	switch {
	case isHTMX(c):
		return render(c, status, views.TimeSection(h.page(c, t.Key), *tv))
	case tv.Change != nil:
		return render(c, status, views.WorklogPage(h.page(c, "Worklog on "+t.Key), *tv))
	}
	v, err := h.taskView(c, t, views.TaskFormFrom(t))
	if err != nil {
		return err
	}
	v.Time = tv
	return render(c, status, views.TaskPage(h.taskPageOf(c, t), v))
}

// timeDone answers a worklog change that was saved: the fresh section with the message
// (htmx), or back to the task page with it.
func (h *Handler) timeDone(c echo.Context, t *store.Task, msg string) error {
	if isHTMX(c) {
		return h.renderTime(c, http.StatusOK, t, func(v *views.TimeView) { v.Status = msg })
	}
	h.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, taskURL(t)+"#time-tracking")
}

// taskTime answers the section alone (the edit form's Cancel with htmx), or sends a
// browser to the task page.
func (h *Handler) taskTime(c echo.Context) error {
	_, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, taskURL(t)+"#time-tracking")
	}
	return h.renderTime(c, http.StatusOK, t, func(*views.TimeView) {})
}

// requireLogger refuses viewers before their input is read.
func requireLogger(c echo.Context) error {
	p, role := currentProject(c)
	if !role.CanEdit() {
		return store.Errorf(store.EFORBIDDEN, "Your role in %s is viewer: you can read it but not log work. Ask a project admin for member access.", p.Key)
	}
	return nil
}

// logWork logs work on the task.
func (h *Handler) logWork(c echo.Context) error {
	p, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	if err := requireLogger(c); err != nil {
		return err
	}
	form := worklogForm(c)
	cal := p.Calendar()
	in := store.NewWorklog{TaskID: t.ID, Date: strings.TrimSpace(form.Date), Start: strings.TrimSpace(form.Start), Comment: form.Comment}
	in.Seconds, err = parseDuration(cal, form.Spent, "spent")
	if err == nil {
		in.Adjust, in.AdjustBy, err = parseAdjust(cal, form, false)
	}
	var res *store.WorklogResult
	if err == nil {
		res, err = h.store.LogWork(ctx(c), currentUser(c).ID, in)
	}
	if err == nil {
		return h.timeDone(c, res.Task, fmt.Sprintf("Logged %s on %s.", cal.Format(res.Worklog.Seconds), res.Task.Key))
	}
	if store.ErrorCode(err) != store.EINVALID {
		return err
	}
	form.Errors = worklogErrors(err, form.Adjust)
	return h.renderTime(c, http.StatusUnprocessableEntity, t, func(v *views.TimeView) { v.Log = form })
}

// worklogOf returns the task and its worklog :id, once the user may change it: its
// author while a member who can edit, or an admin.
func (h *Handler) worklogOf(c echo.Context) (*store.Task, *store.Worklog, error) {
	p, t, err := h.taskOf(c)
	if err != nil {
		return nil, nil, err
	}
	if err := requireLogger(c); err != nil {
		return nil, nil, err
	}
	w, err := h.store.Worklog(ctx(c), c.Param("id"))
	if err != nil {
		return nil, nil, err
	}
	if w.TaskID != t.ID {
		return nil, nil, store.Errorf(store.ENOTFOUND, "%s has no such worklog.", t.Key)
	}
	if _, role := currentProject(c); w.AuthorID != currentUser(c).ID && !role.CanAdmin() {
		members, err := h.store.Members(ctx(c), p.ID)
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, store.Errorf(store.EFORBIDDEN, "Only %s or a project admin can change this worklog.", views.MemberName(members, w.AuthorID))
	}
	return t, w, nil
}

// worklogPage shows a worklog's edit form (deleting false) or delete confirmation.
func (h *Handler) worklogPage(deleting bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, _ := currentProject(c)
		t, w, err := h.worklogOf(c)
		if err != nil {
			return err
		}
		return h.renderTime(c, http.StatusOK, t, func(v *views.TimeView) {
			v.Change = &views.WorklogChange{Worklog: w, BaseVersion: w.Version, Delete: deleting, Form: views.WorklogFormFrom(w, p.Calendar())}
		})
	}
}

// editWorklog saves a worklog's edit form. Only the fields the user changed from what
// the form showed are sent, so a change someone made meanwhile to another field is kept.
func (h *Handler) editWorklog(c echo.Context) error {
	p, _ := currentProject(c)
	t, w, err := h.worklogOf(c)
	if err != nil {
		return h.worklogGone(c, err)
	}
	form := worklogForm(c)
	cal := p.Calendar()
	e := store.WorklogEdit{WorklogID: w.ID}
	if e.BaseVersion, err = worklogBase(c); err == nil {
		e, err = editFields(c, form, cal, e)
	}
	var res *store.WorklogResult
	if err == nil {
		res, err = h.store.EditWorklog(ctx(c), currentUser(c).ID, e)
	}
	if err == nil {
		msg := "Saved the worklog on " + res.Task.Key + "."
		if len(res.Events) == 0 {
			msg = "Nothing to save: the worklog already had those values."
		}
		return h.timeDone(c, res.Task, msg)
	}
	return h.worklogRefused(c, t, w, form, false, err)
}

// deleteWorklog deletes a worklog after its confirmation.
func (h *Handler) deleteWorklog(c echo.Context) error {
	p, _ := currentProject(c)
	t, w, err := h.worklogOf(c)
	if err != nil {
		return h.worklogGone(c, err)
	}
	form := worklogForm(c)
	d := store.WorklogDelete{WorklogID: w.ID}
	if d.BaseVersion, err = worklogBase(c); err == nil {
		d.Adjust, d.AdjustBy, err = parseAdjust(p.Calendar(), form, true)
	}
	var res *store.WorklogResult
	if err == nil {
		res, err = h.store.DeleteWorklog(ctx(c), currentUser(c).ID, d)
	}
	if err == nil {
		return h.timeDone(c, res.Task, fmt.Sprintf("Deleted the worklog of %s on %s.", p.Calendar().Format(w.Seconds), res.Task.Key))
	}
	return h.worklogRefused(c, t, w, form, true, err)
}

// worklogGone answers a change to a worklog deleted meanwhile: with htmx the section as
// it is now says so (409, swapped); otherwise the error page does.
func (h *Handler) worklogGone(c echo.Context, err error) error {
	if store.ErrorCode(err) != store.ENOTFOUND || !isHTMX(c) {
		return err
	}
	_, t, terr := h.taskOf(c)
	if terr != nil {
		return err
	}
	return h.renderTime(c, http.StatusConflict, t, func(v *views.TimeView) { v.Status = store.ErrorMessage(err) })
}

// worklogRefused shows the edit form or delete confirmation again: after invalid input
// with the messages next to the fields (422), after a conflict with who changed the
// worklog and what it is now, the user's values kept and based on the new version (409).
func (h *Handler) worklogRefused(c echo.Context, t *store.Task, w *store.Worklog, form views.WorklogForm, deleting bool, err error) error {
	var ce *store.WorklogConflictError
	switch {
	case errors.As(err, &ce):
		p, _ := currentProject(c)
		members, merr := h.store.Members(ctx(c), p.ID)
		if merr != nil {
			return merr
		}
		conflict := views.NewWorklogConflict(ce, members)
		return h.renderTime(c, http.StatusConflict, t, func(v *views.TimeView) {
			v.Change = &views.WorklogChange{Worklog: ce.Worklog, BaseVersion: ce.Worklog.Version, Delete: deleting, Form: form, Conflict: conflict}
		})
	case store.ErrorCode(err) == store.ENOTFOUND:
		return h.worklogGone(c, err)
	case store.ErrorCode(err) != store.EINVALID:
		return err
	}
	form.Errors = worklogErrors(err, form.Adjust)
	base, _ := strconv.Atoi(c.FormValue("base_version"))
	return h.renderTime(c, http.StatusUnprocessableEntity, t, func(v *views.TimeView) {
		v.Change = &views.WorklogChange{Worklog: w, BaseVersion: max(base, 1), Delete: deleting, Form: form}
	})
}

// worklogForm reads a worklog form as typed.
func worklogForm(c echo.Context) views.WorklogForm {
	return views.WorklogForm{
		Date: c.FormValue("date"), Start: c.FormValue("start"), Spent: c.FormValue("spent"), Comment: c.FormValue("comment"),
		Adjust: c.FormValue("adjust"), SetTo: c.FormValue("set_to"), ReduceBy: c.FormValue("reduce_by"),
	}
}

// worklogBase reads the worklog version the form was based on.
func worklogBase(c echo.Context) (int, error) {
	v, err := strconv.Atoi(c.FormValue("base_version"))
	if err != nil || v < 1 {
		return 0, &store.Error{Code: store.EINVALID, Field: "worklog", Message: "The form is missing the worklog version it was based on. Reload the page and try again."}
	}
	return v, nil
}

// parseDuration reads a duration typed into field, with the project's calendar; a bad
// one is a message for the field.
func parseDuration(cal duration.Calendar, s, field string) (int64, error) {
	n, err := cal.Parse(s)
	if err != nil {
		return 0, &store.Error{Code: store.EINVALID, Field: field, Message: err.Error()}
	}
	return n, nil
}

// parseAdjust reads the remaining-estimate choice and its amount.
func parseAdjust(cal duration.Calendar, f views.WorklogForm, deleting bool) (store.Adjust, int64, error) {
	a := store.Adjust(f.Adjust)
	switch {
	case a == "":
		return store.AdjustAuto, 0, nil
	case a == store.AdjustAuto || a == store.AdjustLeave:
		return a, 0, nil
	case a == store.AdjustSet:
		n, err := parseDuration(cal, f.SetTo, "set_to")
		return a, n, err
	case a == store.AdjustReduce && !deleting:
		n, err := parseDuration(cal, f.ReduceBy, "reduce_by")
		return a, n, err
	}
	return "", 0, &store.Error{Code: store.EINVALID, Field: "adjust", Message: "Choose what happens to the remaining estimate."}
}

// editFields turns the edit form into the command: the fields that differ from what the form
// showed (its hidden was_ values), the remaining choice.
func editFields(c echo.Context, f views.WorklogForm, cal duration.Calendar, e store.WorklogEdit) (store.WorklogEdit, error) {
	submitted, err := c.FormParams()
	if err != nil {
		return e, store.Errorf(store.EINVALID, "The form could not be read.")
	}
	changed := func(name, now string) bool {
		was, ok := submitted["was_"+name]
		return !ok || len(was) == 0 || was[0] != now
	}
	if d := strings.TrimSpace(f.Date); changed("date", d) {
		e.Date = store.Some(d)
	}
	if s := strings.TrimSpace(f.Start); changed("start", s) {
		e.Start = store.Some(s)
	}
	if changed("comment", f.Comment) {
		e.Comment = store.Some(f.Comment)
	}
	n, err := parseDuration(cal, f.Spent, "spent")
	if err != nil {
		return e, err
	}
	if changed("seconds", strconv.FormatInt(n, 10)) {
		e.Seconds = store.Some(n)
	}
	e.Adjust, e.AdjustBy, err = parseAdjust(cal, f, false)
	return e, err
}

// worklogErrors places a refused worklog's message next to its field; the store's
// names ("seconds", "adjust_by") are the form's ("spent", "set_to" or "reduce_by").
func worklogErrors(err error, adjust string) map[string]string {
	var e *store.Error
	if !errors.As(err, &e) {
		return map[string]string{"worklog": store.ErrorMessage(err)}
	}
	field := e.Field
	switch field {
	case "date", "start", "spent", "comment", "adjust", "set_to", "reduce_by", "worklog":
	case "seconds":
		field = "spent"
	case "adjust_by":
		field = "set_to"
		if adjust == string(store.AdjustReduce) {
			field = "reduce_by"
		}
	default:
		field = "worklog"
	}
	return map[string]string{field: e.Message}
}

// taskStream sends an open task page or card panel the task's time tracking as it
// changes (see publishTime).
func (h *Handler) taskStream(c echo.Context) error {
	_, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	_, role := currentProject(c)
	h.live.Serve(c.Response(), c.Request(), taskStreamID(t.ID, role, currentUser(c).ID))
	return nil
}

// taskStreamID names one viewer's live stream of a task; its Live group is "task:ID",
// so the publisher finds a task's watchers without reading anything.
func taskStreamID(taskID string, role store.Role, userID string) string {
	return "task:" + taskID + "/" + string(role) + "/" + userID
}

// parseTaskStreamID reads what taskStreamID wrote.
func parseTaskStreamID(id string) (store.Role, string) {
	_, rest, _ := strings.Cut(id, "/")
	role, user, _ := strings.Cut(rest, "/")
	return store.Role(role), user
}

// timeEvents are the events that change what a task's time section shows.
var timeEvents = map[string]bool{
	store.TypeTaskEstimated: true, store.TypeTaskRemainingChanged: true,
	store.TypeWorkLogged: true, store.TypeWorklogEdited: true, store.TypeWorklogDeleted: true,
}

// publishTime sends the time section's numbers and worklogs to every open page and
// panel of each task whose time tracking the batch changed. Nothing is read unless
// someone watches the task; the update is rendered once per audience: admins (who may
// change every worklog), each member who wrote one of its worklogs (their own carry
// Edit and Delete), and everyone else.
func (h *Handler) publishTime(ctx context.Context, batch []store.Event) error {
	var tasks []string
	last := map[string]store.Event{}
	for _, e := range batch {
		if !timeEvents[e.Type] {
			continue
		}
		id := taskIDOf(e)
		if _, seen := last[id]; !seen {
			tasks = append(tasks, id)
		}
		last[id] = e
	}
	for _, id := range tasks {
		streams := h.live.Streams("task:" + id)
		if len(streams) == 0 {
			continue
		}
		if err := h.publishTaskTime(ctx, id, last[id].Seq, streams); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) publishTaskTime(ctx context.Context, taskID string, seq int64, streams []string) error {
	t, err := h.store.Task(ctx, taskID)
	if err != nil {
		return err
	}
	p, err := h.store.Project(ctx, t.ProjectID)
	if err != nil {
		return err
	}
	tt, err := h.store.TaskTime(ctx, p, t)
	if err != nil {
		return err
	}
	members, err := h.store.Members(ctx, p.ID)
	if err != nil {
		return err
	}
	authors := map[string]bool{}
	for _, w := range tt.Worklogs {
		authors[w.AuthorID] = true
	}
	rendered := map[string][]byte{}
	for _, id := range streams {
		role, user := parseTaskStreamID(id)
		audience, page, v := "others", views.Page{Project: p, Now: h.store.Now(), Role: store.RoleViewer},
			views.TimeView{Task: t, Time: tt, Cal: p.Calendar(), Members: members}
		switch {
		case role.CanAdmin():
			audience, page.Role = "admin", store.RoleAdmin
		case role.CanEdit() && authors[user]:
			audience, page.Role, v.UserID = "user:"+user, role, user
		}
		data, ok := rendered[audience]
		if !ok {
			var buf bytes.Buffer
			if err := views.TimeUpdate(page, v).Render(ctx, &buf); err != nil {
				return err
			}
			data = buf.Bytes()
			rendered[audience] = data
		}
		h.live.Publish(id, seq, "time", data)
	}
	return nil
}
