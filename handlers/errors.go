package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// statusOf maps a store error code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case store.EINVALID:
		return http.StatusUnprocessableEntity
	case store.ENOTFOUND:
		return http.StatusNotFound
	case store.ECONFLICT:
		return http.StatusConflict
	case store.EFORBIDDEN:
		return http.StatusForbidden
	case store.EUNAUTHORIZED:
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}

// handleError is the one place where errors become responses: a conflict becomes 409
// with the reconfirm page, other errors a page with a safe message. Only 5xx are logged.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if clientGone(c, err) {
		return // the client went away (a reload cancels a page's requests): nobody to answer
	}
	if isAPI(c) {
		h.writeProblem(c, err)
		return
	}
	status, msg := http.StatusInternalServerError, store.ErrorMessage(err)
	var he *echo.HTTPError
	var conflict *store.ConflictError
	switch {
	case errors.As(err, &conflict):
		if rerr := h.renderConflict(c, conflict); rerr != nil && !clientGone(c, rerr) {
			h.log.Error("render conflict", "err", rerr)
		}
		return
	case errors.As(err, &he):
		status = he.Code
		msg = http.StatusText(status)
		switch status {
		case http.StatusNotFound:
			msg = "There is no page at this address."
		case http.StatusRequestEntityTooLarge:
			msg = errTooLarge.Message.(string)
		}
	default:
		status = statusOf(store.ErrorCode(err))
	}
	if status >= 500 {
		h.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	if rerr := render(c, status, views.ErrorPage(h.page(c, http.StatusText(status)), status, msg)); rerr != nil && !clientGone(c, rerr) {
		h.log.Error("render error page", "err", rerr)
		c.String(status, msg)
	}
}

// clientGone reports whether err is the request's own cancellation: the client went away
// (a reload or a navigation cancels a page's requests), so there is nobody to answer and
// nothing to log.
func clientGone(c echo.Context, err error) bool {
	return errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil
}
