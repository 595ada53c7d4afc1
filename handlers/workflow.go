package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

func (h *Handler) workflow(c echo.Context) error {
	p, _ := currentProject(c)
	return render(c, http.StatusOK, views.Workflow(h.page(c, p.Key+" workflow"), views.NewWorkflowForm(p)))
}

// saveWorkflow reads the editor's rows (id, name, wip, order and category repeated per
// row, and the ids to remove) and the version the form was loaded at, orders the rows
// and hands the workflow to the store, which merges it with what others changed
// meanwhile. A conflict shows the editor again (409) with the user's values and the
// conflict.
func (h *Handler) saveWorkflow(c echo.Context) error {
	p, _ := currentProject(c)
	form, err := c.FormParams()
	if err != nil {
		return store.Errorf(store.EINVALID, "The form could not be read.")
	}
	ids, names, wips, orders, cats := form["id"], form["name"], form["wip"], form["order"], form["category"]
	if cats == nil {
		// A form from before categories: every column keeps its own.
		cats = make([]string, len(ids))
	}
	if len(names) != len(ids) || len(wips) != len(ids) || len(orders) != len(ids) || len(cats) != len(ids) {
		return store.Errorf(store.EINVALID, "The workflow form is incomplete. Reload the page and try again.")
	}
	base, _ := strconv.Atoi(form.Get("base_version"))
	remove := form["remove"]
	f := views.WorkflowForm{Version: base}
	type ordered struct {
		order int
		col   store.Column
	}
	var cols []ordered
	var bad string
	for i := range ids {
		row := views.WorkflowRow{ID: ids[i], Name: names[i], WIP: wips[i], Order: orders[i], Category: store.Category(cats[i]),
			Remove: slices.Contains(remove, ids[i]) && ids[i] != ""}
		f.Rows = append(f.Rows, row)
		if row.Remove || (row.ID == "" && strings.TrimSpace(row.Name) == "") {
			continue
		}
		wip, werr := strconv.Atoi(strings.TrimSpace(row.WIP))
		order, oerr := strconv.Atoi(strings.TrimSpace(row.Order))
		if strings.TrimSpace(row.WIP) == "" {
			wip, werr = 0, nil
		}
		if werr != nil || oerr != nil {
			bad = "Order and WIP limit must be whole numbers."
		}
		cols = append(cols, ordered{order, store.Column{ID: row.ID, Name: row.Name, WIPLimit: wip, Category: row.Category}})
	}
	if bad != "" {
		f.Errors = map[string]string{"columns": bad}
		return render(c, http.StatusUnprocessableEntity, views.Workflow(h.page(c, p.Key+" workflow"), f))
	}
	slices.SortStableFunc(cols, func(a, b ordered) int { return a.order - b.order })
	workflow := make([]store.Column, len(cols))
	for i, oc := range cols {
		workflow[i] = oc.col
	}
	err = h.store.ChangeWorkflow(ctx(c), currentUser(c).ID, p.ID, base, workflow)
	var conflict *store.WorkflowConflictError
	switch {
	case err == nil:
		msg := "Workflow saved."
		if base < p.Version {
			msg = "Workflow saved; changes others made since you opened it were kept."
		}
		h.flash(c, msg)
		return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/workflow"))
	case errors.As(err, &conflict):
		f.Conflict = views.NewWorkflowConflictView(conflict, h.userName(c))
		return render(c, http.StatusConflict, views.Workflow(h.page(c, "Conflict on the "+p.Key+" workflow"), f))
	case store.ErrorCode(err) == store.EINVALID:
		f.Errors = fieldErrors(err)
		return render(c, http.StatusUnprocessableEntity, views.Workflow(h.page(c, p.Key+" workflow"), f))
	}
	return err
}

// userName returns a function naming users by id for the request's messages.
func (h *Handler) userName(c echo.Context) func(string) string {
	names := map[string]string{}
	return func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		names[id] = "Someone"
		if u, err := h.store.User(ctx(c), id); err == nil {
			names[id] = u.Name
		}
		return names[id]
	}
}
