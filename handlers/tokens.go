package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// The settings page for personal access tokens: list, create (the secret is shown once,
// in the answer to the create form), revoke.

func (h *Handler) tokensPage(c echo.Context) error {
	return h.renderTokens(c, http.StatusOK, nil, views.NewTokenForm{})
}

func (h *Handler) renderTokens(c echo.Context, status int, created *views.CreatedToken, form views.NewTokenForm) error {
	tokens, err := h.store.Tokens(ctx(c), currentUser(c).ID)
	if err != nil {
		return err
	}
	return render(c, status, views.Tokens(h.page(c, "API tokens"), tokens, created, form))
}

// createToken answers with the page itself rather than a redirect: the secret must not
// be stored anywhere, not even in the session for one page view.
func (h *Handler) createToken(c echo.Context) error {
	form := views.NewTokenForm{Name: c.FormValue("name")}
	secret, t, err := h.store.CreateToken(ctx(c), currentUser(c).ID, form.Name)
	if store.ErrorCode(err) == store.EINVALID {
		form.Errors = fieldErrors(err)
		return h.renderTokens(c, http.StatusUnprocessableEntity, nil, form)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.renderTokens(c, http.StatusOK, &views.CreatedToken{Name: t.Name, Secret: secret}, views.NewTokenForm{})
}

// revokeToken revokes one of the user's own tokens; anyone else's is not found.
func (h *Handler) revokeToken(c echo.Context) error {
	if err := h.store.RevokeToken(ctx(c), currentUser(c).ID, c.Param("id")); err != nil {
		return err
	}
	h.flash(c, "Token revoked: requests that send it are refused from now on.")
	return c.Redirect(http.StatusSeeOther, "/settings/tokens")
}
