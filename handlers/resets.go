package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// createPasswordReset issues a one-time password reset link for a member of the project
// and shows it once on the members page; admins only.
func (h *Handler) createPasswordReset(c echo.Context) error {
	p, _ := currentProject(c)
	secret, reset, err := h.store.CreatePasswordReset(ctx(c), currentUser(c).ID, p.ID, c.Param("user"))
	if err != nil {
		return err
	}
	return h.renderMembers(c, http.StatusCreated, views.AddMemberForm{Role: string(store.RoleMember)}, views.Invitations{},
		views.PasswordResetLink{Reset: reset, URL: h.siteURL(c) + "/reset/" + secret})
}

// resetPasswordPage shows a reset link's "Choose a new password" form to whoever holds
// the link, signed in or not. A used, replaced or expired link is 404.
func (h *Handler) resetPasswordPage(c echo.Context) error {
	reset, err := h.store.PasswordResetBySecret(ctx(c), c.Param("token"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ResetPassword(h.page(c, "Choose a new password"), reset, c.Request().URL.Path, nil))
}

// resetPassword sets the new password with the link, ends the account's other sessions
// (whoever knew the old password is signed out) and signs the link holder in as its user.
func (h *Handler) resetPassword(c echo.Context) error {
	secret := c.Param("token")
	u, err := h.store.ResetPassword(ctx(c), secret, c.FormValue("password"))
	if store.ErrorCode(err) == store.EINVALID {
		reset, lerr := h.store.PasswordResetBySecret(ctx(c), secret)
		if lerr != nil {
			return lerr
		}
		return render(c, http.StatusUnprocessableEntity, views.ResetPassword(h.page(c, "Choose a new password"), reset, c.Request().URL.Path, fieldErrors(err)))
	}
	if err != nil {
		return err
	}
	if _, err := EndSessions(h.store, u.ID); err != nil {
		return err
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	h.flash(c, "Your new password is set, "+u.Name+". You are signed in; other sessions of your account were signed out.")
	return c.Redirect(http.StatusSeeOther, "/projects")
}
