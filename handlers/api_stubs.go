package handlers

// TEMPORARY STUBS: the owners of api_sync.go, api_events.go and api_openapi.go replace
// these (delete this file when all three exist).

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (h *Handler) apiSync(c echo.Context) error { return echo.NewHTTPError(http.StatusNotImplemented) }
func (h *Handler) apiEvents(c echo.Context) error {
	return echo.NewHTTPError(http.StatusNotImplemented)
}
func (h *Handler) apiStream(c echo.Context) error {
	return echo.NewHTTPError(http.StatusNotImplemented)
}
func (h *Handler) apiOpenAPI(c echo.Context) error {
	return echo.NewHTTPError(http.StatusNotImplemented)
}
