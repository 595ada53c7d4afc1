package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// loadProject puts the project named by :key and the user's role in the context, for
// pages and the API alike. Non-members get 404, exactly as for a project that does not
// exist, and viewers may not send anything that changes state.
func (h *Handler) loadProject(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, role, err := h.store.ProjectFor(ctx(c), currentUser(c).ID, c.Param("key"))
		if err != nil {
			return err
		}
		c.Set(ctxProject, p)
		c.Set(ctxRole, role)
		if c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead && !role.CanEdit() {
			return store.Errorf(store.EFORBIDDEN, "Your role in %s is viewer: you can read it but not change it. Ask a project admin for member access.", p.Key)
		}
		return next(c)
	}
}

func currentProject(c echo.Context) (*store.Project, store.Role) {
	p, _ := c.Get(ctxProject).(*store.Project)
	r, _ := c.Get(ctxRole).(store.Role)
	return p, r
}

func (h *Handler) listProjects(c echo.Context) error {
	return h.renderProjects(c, http.StatusOK, views.NewProjectForm{})
}

func (h *Handler) renderProjects(c echo.Context, status int, form views.NewProjectForm) error {
	list, err := h.store.ProjectsFor(ctx(c), currentUser(c).ID)
	if err != nil {
		return err
	}
	return render(c, status, views.Projects(h.page(c, "Projects"), list, form))
}

func (h *Handler) createProject(c echo.Context) error {
	form := views.NewProjectForm{Key: c.FormValue("key"), Name: c.FormValue("name"),
		KeySuggested: c.FormValue("key_suggested"), Columns: c.FormValue("columns")}
	in := store.NewProject{Key: form.Key, Name: form.Name}
	if strings.TrimSpace(form.Key) == strings.TrimSpace(form.KeySuggested) {
		// The key is the page's suggestion, untouched: the store suggests it again
		// from the name and adds a digit if it is taken, rather than refusing it.
		in.Key = ""
	}
	for _, name := range strings.Split(form.Columns, ",") {
		if strings.TrimSpace(name) != "" {
			in.Columns = append(in.Columns, store.Column{Name: name})
		}
	}
	p, err := h.store.CreateProject(ctx(c), currentUser(c).ID, in)
	if store.ErrorCode(err) == store.EINVALID {
		form.Errors = fieldErrors(err)
		return h.renderProjects(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.flash(c, "Project "+p.Key+" created.")
	return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/board"))
}

// projectHome is the List: ?sort=COLUMN&dir=asc|desc orders it, the board's filter
// parameters narrow it.
func (h *Handler) projectHome(c echo.Context) error {
	return h.renderProjectHome(c, http.StatusOK, views.NewTaskForm{})
}

func (h *Handler) renderProjectHome(c echo.Context, status int, form views.NewTaskForm) error {
	p, _ := currentProject(c)
	tasks, err := h.store.Tasks(ctx(c), p.ID, store.TaskFilter{})
	if err != nil {
		return err
	}
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	v := views.NewListView(p, tasks, members, views.ParseBoardFilter(q), views.ParseTaskSort(q))
	v.Create = form
	return render(c, status, views.ProjectHome(h.page(c, p.Key+" list"), v))
}

func (h *Handler) activity(c echo.Context) error {
	p, _ := currentProject(c)
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	const pageSize = 50
	entries, err := h.store.Activity(ctx(c), p, before, pageSize)
	if err != nil {
		return err
	}
	tasks, err := h.store.Tasks(ctx(c), p.ID, store.TaskFilter{IncludeArchived: true})
	if err != nil {
		return err
	}
	titles := make(map[string]string, len(tasks))
	for _, t := range tasks {
		titles[t.ID] = t.Title
	}
	var older int64
	if len(entries) == pageSize {
		older = entries[len(entries)-1].Seq
	}
	page := h.page(c, p.Key+" activity")
	return render(c, http.StatusOK, views.Activity(page, views.GroupActivity(page.Now, entries, titles), older))
}

func (h *Handler) members(c echo.Context) error {
	return h.renderMembers(c, http.StatusOK, views.AddMemberForm{Role: string(store.RoleMember)}, views.Invitations{}, views.PasswordResetLink{})
}

// renderMembers renders the members page; admins also see the pending invitations and
// a password reset link just issued.
func (h *Handler) renderMembers(c echo.Context, status int, form views.AddMemberForm, inv views.Invitations, reset views.PasswordResetLink) error {
	p, role := currentProject(c)
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return err
	}
	if role.CanAdmin() {
		if inv.Pending, err = h.store.PendingInvitations(ctx(c), p.ID); err != nil {
			return err
		}
	}
	if inv.Form.Role == "" {
		inv.Form.Role, inv.Form.Expires = string(store.RoleMember), "7"
	}
	return render(c, status, views.Members(h.page(c, p.Key+" members"), members, form, inv, reset))
}

func (h *Handler) addMember(c echo.Context) error {
	p, _ := currentProject(c)
	form := views.AddMemberForm{Email: c.FormValue("email"), Role: c.FormValue("role")}
	err := h.store.AddMember(ctx(c), currentUser(c).ID, p.ID, form.Email, store.Role(form.Role))
	if store.ErrorCode(err) == store.EINVALID {
		form.Errors = fieldErrors(err)
		return h.renderMembers(c, http.StatusUnprocessableEntity, form, views.Invitations{}, views.PasswordResetLink{})
	}
	if err != nil {
		return err
	}
	h.flash(c, "Added "+strings.TrimSpace(form.Email)+" as "+form.Role+".")
	return c.Redirect(http.StatusSeeOther, "/projects/"+p.Key+"/members")
}

func (h *Handler) changeMember(c echo.Context) error {
	p, _ := currentProject(c)
	if err := h.store.ChangeMemberRole(ctx(c), currentUser(c).ID, p.ID, c.Param("user"), store.Role(c.FormValue("role"))); err != nil {
		return err
	}
	h.flash(c, "Role changed.")
	return c.Redirect(http.StatusSeeOther, "/projects/"+p.Key+"/members")
}

func (h *Handler) removeMember(c echo.Context) error {
	p, _ := currentProject(c)
	if err := h.store.RemoveMember(ctx(c), currentUser(c).ID, p.ID, c.Param("user")); err != nil {
		return err
	}
	h.flash(c, "Member removed.")
	return c.Redirect(http.StatusSeeOther, "/projects/"+p.Key+"/members")
}
