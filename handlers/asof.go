package handlers

import (
	"errors"
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

// asOfView says where position seq (asked for as a moment when when is set) stands.
func asOfView(loc *time.Location, when, changed time.Time, last int64, since int, prev, next int64) views.AsOfView {
	if when.IsZero() {
		when = changed
	}
	return views.AsOfView{When: when.In(loc).Format(views.AsOfTime), ChangeWhen: changed.In(loc).Format(views.AsOfTime),
		Seq: last, Since: since, Prev: prev, Next: next}
}

// backlogAsOf shows the backlog as it was (?at=): the sprints and the backlog of then,
// read-only, with the board's banner. Members and viewers alike may look.
func (h *Handler) backlogAsOf(c echo.Context) error {
	p, _ := currentProject(c)
	loc := userLocation(c)
	seq, when, err := h.asOfPosition(c, p, loc, strings.TrimSpace(c.QueryParam("at")))
	if err != nil {
		return err
	}
	st, err := h.store.BacklogAsOf(ctx(c), p.ID, seq)
	if err != nil {
		return err
	}
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return err
	}
	a := views.AsOfPageView{AsOfView: asOfView(loc, when, st.At, st.LastSeq, st.Since, st.Prev, st.Next),
		Path: views.ProjectURL(p, "/backlog"), What: "The backlog"}
	b := views.NewBacklogView(st.Backlog, st.Sprints, members, views.BoardFilter{}, false)
	pg := h.page(c, p.Key+" backlog as of "+a.When)
	c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
	return render(c, http.StatusOK, views.BacklogAsOfPage(pg, b, a))
}

// taskAsOf shows a task's page as it was (?at=): its fields, time tracking and history
// up to then, read-only, stepping through the task's own changes. A task created later
// is a 404 that says so.
func (h *Handler) taskAsOf(c echo.Context) error {
	p, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	loc := userLocation(c)
	seq, when, err := h.asOfPosition(c, p, loc, strings.TrimSpace(c.QueryParam("at")))
	if err != nil {
		return err
	}
	st, err := h.store.TaskAsOf(ctx(c), p, t, seq)
	var notYet *store.TaskNotYetError
	if errors.As(err, &notYet) {
		if when.IsZero() {
			when = notYet.At
		}
		return store.Errorf(store.ENOTFOUND, "%s did not exist yet on %s: it was created on %s.", t.Key,
			when.In(loc).Format(views.AsOfTime), notYet.CreatedAt.In(loc).Format(views.AsOfTime))
	}
	if err != nil {
		return err
	}
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return err
	}
	history, err := h.store.TaskHistory(ctx(c), p, t.ID)
	if err != nil {
		return err
	}
	upTo := history[:0:0]
	for _, e := range history {
		if e.Seq <= seq {
			upTo = append(upTo, e)
		}
	}
	then := *p // the workflow of then names the task's column
	then.Columns = st.Columns
	a := views.AsOfPageView{AsOfView: asOfView(loc, when, st.At, st.LastSeq, st.Since, st.Prev, st.Next),
		Path: views.TaskURL(p, t), What: t.Key, OwnChanges: true}
	v := views.TaskView{Task: st.Task, Members: members, History: upTo, Sprints: st.Sprints,
		Time: &views.TimeView{Task: st.Task, Time: st.Time, Cal: p.Calendar(), Members: members}}
	pg := h.page(c, t.Key+" as of "+a.When)
	pg.Project = &then
	c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
	return render(c, http.StatusOK, views.TaskAsOfPage(pg, v, a))
}
