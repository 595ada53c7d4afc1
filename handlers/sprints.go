package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// sprintOf returns the sprint named by :n in the current project.
func (h *Handler) sprintOf(c echo.Context) (*store.Project, *store.Sprint, error) {
	p, _ := currentProject(c)
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		return p, nil, store.Errorf(store.ENOTFOUND, "There is no such sprint in %s.", p.Key)
	}
	s, err := h.store.SprintByNumber(ctx(c), p.ID, n)
	return p, s, err
}

// sprints lists the project's sprints with the create form.
func (h *Handler) sprints(c echo.Context) error {
	return h.renderSprints(c, http.StatusOK, views.SprintForm{}, "")
}

func (h *Handler) renderSprints(c echo.Context, status int, form views.SprintForm, settingsErr string) error {
	p, _ := currentProject(c)
	list, err := h.store.Sprints(ctx(c), p.ID)
	if err != nil {
		return err
	}
	v := views.NewSprintsView(p, list, form)
	v.SettingsError = settingsErr
	return render(c, status, views.SprintsPage(h.page(c, p.Key+" sprints"), v))
}

// createSprint creates a planned sprint and leads to its page.
func (h *Handler) createSprint(c echo.Context) error {
	p, _ := currentProject(c)
	f := views.SprintForm{Name: c.FormValue("name"), Goal: c.FormValue("goal"), Start: c.FormValue("start"), End: c.FormValue("end")}
	err := checkSprintDates(f.Start, f.End)
	var s *store.Sprint
	if err == nil {
		s, err = h.store.CreateSprint(ctx(c), currentUser(c).ID, store.NewSprint{
			ProjectID: p.ID, Name: strings.TrimSpace(f.Name), Goal: f.Goal, Start: strings.TrimSpace(f.Start), End: strings.TrimSpace(f.End),
		})
	}
	if store.ErrorCode(err) == store.EINVALID {
		f.Errors = fieldErrors(err)
		return h.renderSprints(c, http.StatusUnprocessableEntity, f, "")
	}
	if err != nil {
		return err
	}
	h.flash(c, "Created "+s.Name+".")
	return c.Redirect(http.StatusSeeOther, views.SprintURL(p, s, ""))
}

// checkSprintDates refuses a date that is not written YYYY-MM-DD (what a date input
// sends), naming the field; whether the dates make sense together is the store's rule.
func checkSprintDates(start, end string) error {
	for _, d := range []struct{ field, label, value string }{{"start", "start date", start}, {"end", "end date", end}} {
		v := strings.TrimSpace(d.value)
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return &store.Error{Code: store.EINVALID, Field: d.field,
				Message: fmt.Sprintf("The %s %q is not a date: write it like 2026-11-30.", d.label, v)}
		}
	}
	return nil
}

// sprintForm returns the sprint named by :n and the sprint version its form was based on.
func (h *Handler) sprintForm(c echo.Context) (*store.Project, *store.Sprint, int, error) {
	p, s, err := h.sprintOf(c)
	if err != nil {
		return p, nil, 0, err
	}
	v, err := strconv.Atoi(c.FormValue("base_version"))
	if err != nil || v < 1 {
		return p, s, 0, store.Errorf(store.EINVALID, "The form is missing the sprint version it was based on. Reload the page and try again.")
	}
	return p, s, v, nil
}

// sprintPage shows a sprint with its tasks and the actions its state allows.
func (h *Handler) sprintPage(c echo.Context) error {
	_, s, err := h.sprintOf(c)
	if err != nil {
		return err
	}
	return h.renderSprint(c, http.StatusOK, s, nil)
}

// renderSprint draws the sprint page; fill changes what a refused action shows.
func (h *Handler) renderSprint(c echo.Context, status int, s *store.Sprint, fill func(*views.SprintView)) error {
	p, _ := currentProject(c)
	tasks, err := h.store.Tasks(ctx(c), p.ID, store.TaskFilter{Sprint: s.ID})
	if err != nil {
		return err
	}
	sprints, err := h.store.Sprints(ctx(c), p.ID)
	if err != nil {
		return err
	}
	v := views.SprintView{Sprint: s, Tasks: tasks, Sprints: sprints,
		Edit: views.SprintFormFrom(s), Start: views.StartFormFor(s, h.store.Now())}
	if s.State == store.SprintCompleted {
		// Where its unfinished tasks went: a completed sprint's page is rarely opened.
		all, err := h.store.Tasks(ctx(c), p.ID, store.TaskFilter{})
		if err != nil {
			return err
		}
		for _, t := range all {
			if t.CarriedFrom == s.ID {
				v.CarriedOut = append(v.CarriedOut, t)
			}
		}
	}
	if fill != nil {
		fill(&v)
	}
	return render(c, status, views.SprintPage(h.page(c, s.Name), v))
}

// refused shows the sprint page again after a store refusal: 422 with the message for
// invalid input, 409 when the sprint changed since the page was loaded (who did it, and
// the sprint as it is now). Other errors go to the error handler.
func (h *Handler) refused(c echo.Context, s *store.Sprint, err error, fill func(*views.SprintView, map[string]string)) error {
	var ce *store.SprintConflictError
	switch {
	case errors.As(err, &ce):
		current := s
		if ce.Sprint != nil {
			current = ce.Sprint
		}
		msg := fmt.Sprintf("%s was changed by %s %s; nothing was done. Check it as it is now and try again.",
			current.Name, h.userName(c)(ce.ChangedBy), views.RelTime(h.store.Now(), ce.ChangedAt))
		return h.renderSprint(c, http.StatusConflict, current, func(v *views.SprintView) { v.Error = msg })
	case store.ErrorCode(err) == store.EINVALID:
		errs := fieldErrors(err)
		return h.renderSprint(c, http.StatusUnprocessableEntity, s, func(v *views.SprintView) {
			if fill != nil {
				fill(v, errs)
			}
			if msg, ok := errs[""]; ok {
				v.Error = msg
			}
		})
	}
	return err
}

// updateSprint saves the edit form. Only the fields the user changed are sent (the form
// carries the values it was loaded with), so the store merges them with what others
// changed meanwhile; the same field changed by someone else shows the conflict (409).
func (h *Handler) updateSprint(c echo.Context) error {
	p, s, base, err := h.sprintForm(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return store.Errorf(store.EINVALID, "The form could not be read.")
	}
	f := views.SprintFormFrom(s)
	f.BaseVersion = base
	u := store.SprintUpdate{SprintID: s.ID, BaseVersion: base}
	for name, opt := range map[string]*store.Opt[string]{"name": &u.Name, "goal": &u.Goal, "start": &u.Start, "end": &u.End} {
		if _, ok := form[name]; !ok {
			continue
		}
		f.Set(name, form.Get(name))
		if orig, ok := form["orig_"+name]; ok {
			f.Orig[name] = orig[0]
		} else {
			delete(f.Orig, name)
		}
		if f.Changed(name) {
			*opt = store.Some(strings.TrimSpace(form.Get(name)))
		}
	}
	showForm := func(v *views.SprintView, errs map[string]string) {
		f.Errors = errs
		v.Edit, v.EditOpen = f, true
	}
	if err := checkSprintDates(f.Start, f.End); err != nil {
		return h.refused(c, s, err, showForm)
	}
	updated, err := h.store.UpdateSprint(ctx(c), currentUser(c).ID, u)
	var ce *store.SprintConflictError
	switch {
	case errors.As(err, &ce) && len(ce.Fields) > 0:
		conflict := views.NewSprintConflictView(ce, f, h.userName(c))
		return h.renderSprint(c, http.StatusConflict, ce.Sprint, func(v *views.SprintView) {
			v.Conflict = conflict
			v.Edit, v.EditOpen = f, true
		})
	case err != nil:
		return h.refused(c, s, err, showForm)
	}
	msg := "Saved " + updated.Name + "."
	if base < s.Version {
		msg = "Saved " + updated.Name + "; changes others made since you opened it were kept."
	}
	h.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, views.SprintURL(p, updated, ""))
}

// startSprint starts a planned sprint with the dates of the start form.
func (h *Handler) startSprint(c echo.Context) error {
	p, s, base, err := h.sprintForm(c)
	if err != nil {
		return err
	}
	f := views.SprintForm{Start: c.FormValue("start"), End: c.FormValue("end"), BaseVersion: base}
	showForm := func(v *views.SprintView, errs map[string]string) {
		f.Errors = errs
		v.Start = f
	}
	if err := checkSprintDates(f.Start, f.End); err != nil {
		return h.refused(c, s, err, showForm)
	}
	st := store.SprintStart{SprintID: s.ID, BaseVersion: base}
	if v := strings.TrimSpace(f.Start); v != "" {
		st.Start = store.Some(v)
	}
	if v := strings.TrimSpace(f.End); v != "" {
		st.End = store.Some(v)
	}
	started, err := h.store.StartSprint(ctx(c), currentUser(c).ID, st)
	if err != nil {
		return h.refused(c, s, err, showForm)
	}
	h.flash(c, fmt.Sprintf("Started %s: %s. The board now shows its tasks.", started.Name, views.SprintSummary(started.Tasks, started.Points)))
	return c.Redirect(http.StatusSeeOther, views.SprintURL(p, started, ""))
}

// deleteSprint deletes an empty planned sprint.
func (h *Handler) deleteSprint(c echo.Context) error {
	p, s, base, err := h.sprintForm(c)
	if err != nil {
		return err
	}
	if err := h.store.DeleteSprint(ctx(c), currentUser(c).ID, s.ID, base); err != nil {
		return h.refused(c, s, err, nil)
	}
	h.flash(c, "Deleted "+s.Name+".")
	return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/sprints"))
}

// reopenSprint makes a completed sprint active again.
func (h *Handler) reopenSprint(c echo.Context) error {
	p, s, base, err := h.sprintForm(c)
	if err != nil {
		return err
	}
	reopened, err := h.store.ReopenSprint(ctx(c), currentUser(c).ID, s.ID, base)
	if err != nil {
		return h.refused(c, s, err, nil)
	}
	h.flash(c, "Reopened "+reopened.Name+": it is active again.")
	return c.Redirect(http.StatusSeeOther, views.SprintURL(p, reopened, ""))
}

// completePage is the complete-sprint dialog as a page.
func (h *Handler) completePage(c echo.Context) error {
	_, s, err := h.sprintOf(c)
	if err != nil {
		return err
	}
	plan, err := h.store.CompletionPlan(ctx(c), currentUser(c).ID, s.ID)
	if err != nil {
		return err
	}
	return h.renderComplete(c, http.StatusOK, views.CompleteView{Sprint: s, Plan: plan, Default: string(plan.Default)})
}

func (h *Handler) renderComplete(c echo.Context, status int, v views.CompleteView) error {
	if v.Plan.Sprint != nil {
		v.Sprint = v.Plan.Sprint
	}
	return render(c, status, views.CompletePage(h.page(c, "Complete "+v.Sprint.Name), v))
}

// completeSprint completes the sprint, sending each unfinished task where the form
// says (its own choice, or the default), and says where they went.
func (h *Handler) completeSprint(c echo.Context) error {
	p, s, base, err := h.sprintForm(c)
	if err != nil {
		return err
	}
	plan, err := h.store.CompletionPlan(ctx(c), currentUser(c).ID, s.ID)
	if err != nil {
		return err
	}
	v := views.CompleteView{Sprint: s, Plan: plan, Default: c.FormValue("default"), Tasks: map[string]string{}}
	cmd := store.SprintCompletion{SprintID: s.ID, BaseVersion: base, Default: store.Destination(v.Default), Tasks: map[string]store.Destination{}}
	for _, t := range plan.Unfinished {
		if to := c.FormValue("to_" + t.ID); to != "" {
			v.Tasks[t.ID], cmd.Tasks[t.ID] = to, store.Destination(to)
		}
	}
	if cmd.Default == "" {
		cmd.Default = plan.Default
	}
	done, err := h.store.CompleteSprint(ctx(c), currentUser(c).ID, cmd)
	var ce *store.SprintConflictError
	switch {
	case errors.As(err, &ce):
		v.Error = fmt.Sprintf("%s was changed by %s %s; nothing was done. Check the tasks below and complete it again.",
			s.Name, h.userName(c)(ce.ChangedBy), views.RelTime(h.store.Now(), ce.ChangedAt))
		if fresh, perr := h.store.CompletionPlan(ctx(c), currentUser(c).ID, s.ID); perr == nil {
			v.Plan = fresh
		}
		return h.renderComplete(c, http.StatusConflict, v)
	case store.ErrorCode(err) == store.EINVALID:
		v.Error = store.ErrorMessage(err)
		return h.renderComplete(c, http.StatusUnprocessableEntity, v)
	case err != nil:
		return err
	}
	msg, err := h.completionMessage(c, done, plan)
	if err != nil {
		return err
	}
	h.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, views.SprintURL(p, done, ""))
}

// completionMessage says what a completion did, from where the unfinished tasks are
// now: "Completed DEMO Sprint 3: 7 done; 2 moved to DEMO Sprint 4, 1 to the backlog."
func (h *Handler) completionMessage(c echo.Context, done *store.Sprint, plan *store.CompletionPlan) (string, error) {
	msg := fmt.Sprintf("Completed %s: %d done", done.Name, len(plan.Done))
	if len(plan.Unfinished) == 0 {
		return msg + ".", nil
	}
	counts := map[string]int{}
	var order []string
	for _, t := range plan.Unfinished {
		now, err := h.store.Task(ctx(c), t.ID)
		if err != nil {
			return "", err
		}
		if counts[now.SprintID] == 0 {
			order = append(order, now.SprintID)
		}
		counts[now.SprintID]++
	}
	// Sprints first, in the order of the tasks; the backlog last.
	slices.SortStableFunc(order, func(a, b string) int { return cmpBool(a == "", b == "") })
	parts := make([]string, len(order))
	for i, id := range order {
		where := "the backlog"
		if id != "" {
			s, err := h.store.Sprint(ctx(c), id)
			if err != nil {
				return "", err
			}
			where = s.Name
		}
		parts[i] = fmt.Sprintf("%d to %s", counts[id], where)
		if i == 0 {
			parts[i] = fmt.Sprintf("%d moved to %s", counts[id], where)
		}
	}
	return msg + "; " + strings.Join(parts, ", ") + ".", nil
}

// sprintSettings saves the project's parallel-sprints setting (admins only).
func (h *Handler) sprintSettings(c echo.Context) error {
	p, _ := currentProject(c)
	on := c.FormValue("parallel") == "on"
	err := h.store.SetParallelSprints(ctx(c), currentUser(c).ID, p.ID, on)
	if store.ErrorCode(err) == store.EINVALID {
		return h.renderSprints(c, http.StatusUnprocessableEntity, views.SprintForm{}, store.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	if on {
		h.flash(c, "Parallel active sprints are allowed now.")
	} else {
		h.flash(c, "One sprint at a time can be active now.")
	}
	return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/sprints"))
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
