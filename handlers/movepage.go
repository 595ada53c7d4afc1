package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// movePage shows one card's Move menu as a page: where the board's Move link leads
// without JavaScript. Its forms post to the board's move endpoint, which leads back to
// the board.
func (h *Handler) movePage(c echo.Context) error {
	p, role := currentProject(c)
	if !role.CanEdit() {
		return store.Errorf(store.EFORBIDDEN, "Your role in %s is viewer: you can read it but not move its cards. Ask a project admin for member access.", p.Key)
	}
	_, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	if t.Archived {
		return store.Errorf(store.EINVALID, "%s is archived: restore it before moving it.", t.Key)
	}
	pl, err := h.store.CardPlace(ctx(c), t.ID)
	if err != nil {
		return err
	}
	filter := views.ParseBoardFilter(c.QueryParams()).Query()
	m := views.MoveMenu{Task: t, Columns: p.Columns, Within: p.ColumnName(t.ColumnID), Index: pl.Index, Count: pl.Count, Filter: filter}
	return render(c, http.StatusOK, views.MovePage(h.page(c, "Move "+t.Key), m))
}
