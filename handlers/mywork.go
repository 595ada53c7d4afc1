package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// myWork lists the tasks assigned to the signed-in user across their projects.
func (h *Handler) myWork(c echo.Context) error {
	user := currentUser(c)
	summaries, err := h.store.ProjectsFor(ctx(c), user.ID)
	if err != nil {
		return err
	}
	projects := make([]*store.Project, 0, len(summaries))
	for _, ps := range summaries {
		p, err := h.store.Project(ctx(c), ps.ID)
		if err != nil {
			return err
		}
		projects = append(projects, p)
	}
	tasks, err := h.store.AssignedTasks(ctx(c), user.ID)
	if err != nil {
		return err
	}
	pg := h.page(c, "My work")
	pg.Live = true
	return render(c, http.StatusOK, views.MyWorkPage(pg, views.NewMyWorkView(projects, tasks)))
}
