package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// buildStamp tells builds apart in ETags: a page cached by a browser from another
// version of Tack (other markup, other script) is not reused after an upgrade.
var buildStamp = func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	s := info.Main.Version
	for _, kv := range info.Settings {
		if strings.HasPrefix(kv.Key, "vcs.") {
			s += " " + kv.Value
		}
	}
	return s
}()

// boardETag is the ETag of the board page as this request would get it. Everything the
// page shows comes from the project's events up to head (tasks, workflow, members, the
// viewer's conflicts) and from the request: the user, their role, the query (filter and
// the card to focus) and the CSRF token the page's forms carry. A pending flash message
// is not in it: a page with one is never answered from the cache (see board). Nor is
// yesterday's page: the sprint header counts the days left.
func boardETag(c echo.Context, head int64, day string) string {
	p, role := currentProject(c)
	sum := sha256.New()
	csrf, _ := c.Get("csrf").(string)
	for _, s := range []string{buildStamp, p.ID, currentUser(c).ID, string(role), c.QueryParams().Encode(), csrf, day} {
		sum.Write([]byte(s))
		sum.Write([]byte{0})
	}
	return `W/"` + strconv.FormatInt(head, 10) + "-" + hex.EncodeToString(sum.Sum(nil)[:12]) + `"`
}

// noneMatchNames reports whether an If-None-Match header names etag (weak comparison,
// as RFC 9110 asks for If-None-Match).
func noneMatchNames(header, etag string) bool {
	if header == "" {
		return false
	}
	if strings.TrimSpace(header) == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == want {
			return true
		}
	}
	return false
}

// hasFlash reports whether a one-time message waits for the next page.
func (h *Handler) hasFlash(c echo.Context) bool {
	loaded, _ := c.Get(ctxSession).(bool)
	return loaded && h.sessions.Exists(c.Request().Context(), "flash")
}

// notModified answers 304 to a request whose If-None-Match names etag.
func notModified(c echo.Context, etag string) bool {
	if !noneMatchNames(c.Request().Header.Get("If-None-Match"), etag) {
		return false
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
	c.Response().Header().Set("ETag", etag)
	c.Response().WriteHeader(http.StatusNotModified)
	return true
}
