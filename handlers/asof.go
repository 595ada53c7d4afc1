package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// asOfLayouts are the moments ?at= accepts besides a position of the log, read in the
// viewer's time zone (an RFC 3339 time carries its own).
var asOfLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"}

// boardAsOf shows the board as it was (?at=2026-11-20T14:00 or ?at=SEQ): read-only,
// with where it stands in the project's history. Members and viewers alike may look.
func (h *Handler) boardAsOf(c echo.Context) error {
	p, _ := currentProject(c)
	loc := userLocation(c)
	seq, when, err := h.asOfPosition(c, p, loc, strings.TrimSpace(c.QueryParam("at")))
	if err != nil {
		return err
	}
	st, err := h.store.BoardAsOf(ctx(c), p.ID, seq)
	if err != nil {
		return err
	}
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return err
	}
	changed := st.At.In(loc).Format(views.AsOfTime)
	if when.IsZero() {
		when = st.At
	}
	a := views.AsOfView{When: when.In(loc).Format(views.AsOfTime), ChangeWhen: changed, Seq: st.LastSeq,
		Since: st.Since, Prev: st.Prev, Next: st.Next}
	b := views.NewBoardView(&st.Project, st.Tasks, members, views.BoardFilter{}, false)
	pg := h.page(c, p.Key+" board as of "+a.When)
	c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
	return render(c, http.StatusOK, views.BoardAsOfPage(pg, b, a))
}

// asOfPosition reads ?at=: a position of the log, or a moment in the viewer's zone
// turned into the project's last change at or before it (when is then that moment).
func (h *Handler) asOfPosition(c echo.Context, p *store.Project, loc *time.Location, at string) (seq int64, when time.Time, err error) {
	if at == "" {
		return 0, time.Time{}, store.Errorf(store.EINVALID, "Say which moment to show: ?at=2026-11-20T14:00 or a change number.")
	}
	if n, err := strconv.ParseInt(at, 10, 64); err == nil {
		return n, time.Time{}, nil
	}
	t, ok := parseAsOf(at, loc)
	if !ok {
		return 0, time.Time{}, store.Errorf(store.EINVALID, "%q is not a moment Tack can read. Write a date and time like 2026-11-20T14:00 (in your time zone, %s) or a change number.", clipInput(at), loc)
	}
	if now := h.store.Now(); t.After(now) {
		return 0, time.Time{}, store.Errorf(store.EINVALID, "%s is in the future: the board can only be shown as it was.", t.In(loc).Format(views.AsOfTime))
	}
	seq, err = h.store.SeqAt(ctx(c), p.ID, t)
	if err != nil {
		return 0, time.Time{}, err
	}
	if seq == 0 {
		return 0, time.Time{}, store.Errorf(store.EINVALID, "%s did not exist yet on %s: it was created on %s.",
			p.Key, t.In(loc).Format(views.AsOfTime), p.CreatedAt.In(loc).Format(views.AsOfTime))
	}
	return seq, t, nil
}

func parseAsOf(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range asOfLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// clipInput shortens what a person typed before it is quoted back to them.
func clipInput(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
