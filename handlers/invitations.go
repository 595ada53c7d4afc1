package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// createInvitation creates an invitation link and shows it once on the members page.
func (h *Handler) createInvitation(c echo.Context) error {
	p, _ := currentProject(c)
	form := views.InviteForm{Role: c.FormValue("role"), Expires: c.FormValue("expires")}
	days, err := strconv.Atoi(form.Expires)
	if err != nil || days < 1 {
		days = -1 // refused by the store with its message
	}
	secret, inv, err := h.store.CreateInvitation(ctx(c), currentUser(c).ID, p.ID, store.Role(form.Role), time.Duration(days)*24*time.Hour)
	if store.ErrorCode(err) == store.EINVALID {
		form.Errors = fieldErrors(err)
		return h.renderMembers(c, http.StatusUnprocessableEntity, views.AddMemberForm{Role: string(store.RoleMember)}, views.Invitations{Form: form}, views.PasswordResetLink{})
	}
	if err != nil {
		return err
	}
	return h.renderMembers(c, http.StatusCreated, views.AddMemberForm{Role: string(store.RoleMember)},
		views.Invitations{Created: inv, CreatedURL: h.siteURL(c) + "/invite/" + secret, Form: form}, views.PasswordResetLink{})
}

// revokeInvitation makes a pending invitation unusable.
func (h *Handler) revokeInvitation(c echo.Context) error {
	p, _ := currentProject(c)
	if err := h.store.RevokeInvitation(ctx(c), currentUser(c).ID, p.ID, c.Param("id")); err != nil {
		return err
	}
	h.flash(c, "Invitation revoked: its link no longer works.")
	return c.Redirect(http.StatusSeeOther, "/projects/"+p.Key+"/members")
}

// invitePage shows an invitation: a join button for a signed-in user, a sign-up form
// otherwise. It works whether public sign-up is open or closed.
func (h *Handler) invitePage(c echo.Context) error {
	inv, err := h.store.InvitationBySecret(ctx(c), c.Param("token"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Invite(h.page(c, "Join "+inv.ProjectName), inv, c.Request().URL.Path, views.SignUpForm{}))
}

// acceptInvite uses an invitation: a signed-in user joins the project; a visitor gets
// an account that joins it. A used, revoked or expired invitation is refused with 404.
func (h *Handler) acceptInvite(c echo.Context) error {
	secret := c.Param("token")
	if u := currentUser(c); u != nil {
		inv, err := h.store.AcceptInvitation(ctx(c), secret, u.ID)
		if err != nil {
			return err
		}
		h.flash(c, "You joined "+inv.ProjectKey+" as "+string(inv.Role)+".")
		return c.Redirect(http.StatusSeeOther, "/projects/"+inv.ProjectKey)
	}
	form := views.SignUpForm{Email: c.FormValue("email"), Name: c.FormValue("name")}
	u, inv, err := h.store.RegisterInvited(ctx(c), secret, store.NewUser{Email: form.Email, Name: form.Name, Password: c.FormValue("password")})
	if store.ErrorCode(err) == store.EINVALID {
		pending, perr := h.store.InvitationBySecret(ctx(c), secret)
		if perr != nil {
			return perr
		}
		form.Errors = fieldErrors(err)
		return render(c, http.StatusUnprocessableEntity, views.Invite(h.page(c, "Join "+pending.ProjectName), pending, c.Request().URL.Path, form))
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	h.flash(c, "Welcome to Tack, "+u.Name+". You joined "+inv.ProjectKey+" as "+string(inv.Role)+".")
	return c.Redirect(http.StatusSeeOther, "/projects/"+inv.ProjectKey)
}

// siteURL is the scheme and host this request reached Tack at, for links to share.
func (h *Handler) siteURL(c echo.Context) string {
	scheme := c.Scheme()
	if h.secure {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host
}
