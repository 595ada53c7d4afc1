package handlers

import (
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
)

// tzCookie is set by static/js/tz.js to the browser's IANA time zone name.
const tzCookie = "tz"

// userLocation is the signed-in person's time zone as their browser reported it, or
// UTC when it did not (JavaScript off, an API client) or named a zone we do not know.
func userLocation(c echo.Context) *time.Location {
	ck, err := c.Cookie(tzCookie)
	if err != nil {
		return time.UTC
	}
	name, err := url.QueryUnescape(ck.Value)
	if err != nil || name == "" || len(name) > 64 {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// userToday is today's date (YYYY-MM-DD) in the user's time zone.
func userToday(c echo.Context) string {
	return time.Now().In(userLocation(c)).Format(time.DateOnly)
}
