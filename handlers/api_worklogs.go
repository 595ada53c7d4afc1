package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
)

// A task's worklogs live below it: /projects/DEMO/tasks/DEMO-12/worklogs/{id}. A
// worklog carries its own version (its ETag). Its writes follow the tasks' rules:
// If-Match is strict (412), base_version in the body merges (an edit of a field someone
// else changed since is 409), neither is 428; a delete is always judged strictly (412
// under If-Match, 409 under base_version). Every write answers with the task as well,
// whose time logged and remaining estimate it changed.
//
// Durations are whole seconds, or a duration written as people do ("2h 30m"), read with
// the project's working calendar.

// worklogJSON is a worklog as the API shows it. version is also its ETag.
type worklogJSON struct {
	ID        string    `json:"id"`
	TaskID    string    `json:"task_id"`
	TaskKey   string    `json:"task_key"`
	AuthorID  string    `json:"author_id"`
	Date      string    `json:"date"`
	Start     *string   `json:"start"`
	Seconds   int64     `json:"seconds"`
	Comment   string    `json:"comment"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// newWorklogJSON shows a worklog of the task with key taskKey (commands return
// worklogs without it).
func newWorklogJSON(w *store.Worklog, taskKey string) worklogJSON {
	return worklogJSON{ID: w.ID, TaskID: w.TaskID, TaskKey: taskKey, AuthorID: w.AuthorID, Date: w.Date,
		Start: nullable(w.Start), Seconds: w.Seconds, Comment: w.Comment, Version: w.Version,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

// worklogWithTask is the answer to a worklog write: the worklog and its task after it.
type worklogWithTask struct {
	worklogJSON
	Task taskJSON `json:"task"`
}

// durationInput is a duration member of a request as sent: whole seconds (a JSON
// integer), a duration string, or null where the member may be cleared. A string is read
// later, with the calendar of the task's project.
type durationInput struct {
	field   string
	set     bool // the member is present
	null    bool
	seconds int64
	text    *string
}

// readDuration reads the member raw (nil when absent), refusing anything but an
// integer, a string or (when nullable) null.
func readDuration(raw json.RawMessage, field string, nullable bool) (durationInput, error) {
	d := durationInput{field: field, set: raw != nil}
	if raw == nil {
		return d, nil
	}
	v := bytes.TrimSpace(raw)
	switch {
	case bytes.Equal(v, []byte("null")):
		if nullable {
			d.null = true
			return d, nil
		}
	case len(v) > 0 && v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			d.text = &s
			return d, nil
		}
	default:
		if json.Unmarshal(v, &d.seconds) == nil {
			return d, nil
		}
	}
	orNull := ""
	if nullable {
		orNull = ", or null to clear it"
	}
	return d, echo.NewHTTPError(http.StatusBadRequest,
		fmt.Sprintf(`Field %q must be whole seconds or a duration such as "2h 30m"%s.`, field, orNull))
}

// resolve returns the duration in seconds, reading a string with cal; nil when the
// member is absent or null.
func (d durationInput) resolve(cal duration.Calendar) (*int64, error) {
	if !d.set || d.null {
		return nil, nil
	}
	n := d.seconds
	if d.text != nil {
		var err error
		if n, err = cal.Parse(*d.text); err != nil {
			return nil, &store.Error{Code: store.EINVALID, Field: d.field, Message: err.Error()}
		}
	}
	return &n, nil // the store checks the range, each value by its own rule
}

// opt returns the member as a store option: unset when absent, nil when null.
func (d durationInput) opt(cal duration.Calendar) (store.Opt[*int64], error) {
	if !d.set {
		return store.Opt[*int64]{}, nil
	}
	v, err := d.resolve(cal)
	if err != nil {
		return store.Opt[*int64]{}, err
	}
	return store.Some(v), nil
}

// adjustment is the remaining-estimate choice of a worklog write, checked for what
// needs no calendar: a known choice, and adjust_by exactly when the choice takes one.
type adjustment struct {
	adjust store.Adjust
	by     durationInput
}

// readAdjustment reads adjust and adjust_by.
func readAdjustment(adjust string, by json.RawMessage) (adjustment, error) {
	a := adjustment{adjust: store.Adjust(adjust)}
	var err error
	if a.by, err = readDuration(by, "adjust_by", false); err != nil {
		return a, err
	}
	switch a.adjust {
	case "", store.AdjustAuto, store.AdjustLeave:
		if a.by.set {
			return a, &store.Error{Code: store.EINVALID, Field: "adjust_by",
				Message: `adjust_by goes only with adjust "set" (the new remaining estimate) or "reduce" (how much to take off it).`}
		}
	case store.AdjustSet, store.AdjustReduce:
		if !a.by.set {
			what := "the new remaining estimate"
			if a.adjust == store.AdjustReduce {
				what = "how much to take off the remaining estimate"
			}
			return a, &store.Error{Code: store.EINVALID, Field: "adjust_by",
				Message: fmt.Sprintf(`adjust_by is required with adjust %q: %s, such as "4h".`, a.adjust, what)}
		}
	default:
		return a, &store.Error{Code: store.EINVALID, Field: "adjust", Message: "adjust must be one of auto, leave, set or reduce."}
	}
	return a, nil
}

// resolve returns the choice and its seconds, reading adjust_by with cal.
func (a adjustment) resolve(cal duration.Calendar) (store.Adjust, int64, error) {
	by, err := a.by.resolve(cal)
	if err != nil || by == nil {
		return a.adjust, 0, err
	}
	return a.adjust, *by, nil
}

// timeSpent reads how long a worklog says was worked: seconds or time_spent. need says
// that one of them is required (logging work) rather than optional (an edit).
func timeSpent(seconds *int64, text *string, need bool) (durationInput, error) {
	switch {
	case seconds != nil && text != nil:
		return durationInput{}, &store.Error{Code: store.EINVALID, Field: "time_spent",
			Message: "Send how long you worked once: seconds or time_spent, not both."}
	case seconds != nil:
		return durationInput{field: "seconds", set: true, seconds: *seconds}, nil
	case text != nil:
		return durationInput{field: "time_spent", set: true, text: text}, nil
	case need:
		return durationInput{}, &store.Error{Code: store.EINVALID, Field: "time_spent",
			Message: `time_spent is required: how long you worked, such as "2h 30m" (or whole seconds in "seconds").`}
	}
	return durationInput{}, nil
}

// newWorklogBody is the body of POST .../worklogs and the changes of a sync log_work.
type newWorklogBody struct {
	Date      string          `json:"date"`
	Start     *string         `json:"start"`
	Seconds   *int64          `json:"seconds"`
	TimeSpent *string         `json:"time_spent"`
	Comment   string          `json:"comment"`
	Adjust    string          `json:"adjust"`
	AdjustBy  json.RawMessage `json:"adjust_by"`
}

// worklogInput is a log-work body checked for what needs no project: its durations are
// read with the project's calendar by command.
type worklogInput struct {
	body   newWorklogBody
	spent  durationInput
	adjust adjustment
}

// check checks the body's members; the date's form and the other rules are the store's.
func (b newWorklogBody) check() (worklogInput, error) {
	in := worklogInput{body: b}
	var err error
	if in.adjust, err = readAdjustment(b.Adjust, b.AdjustBy); err != nil {
		return in, err
	}
	if strings.TrimSpace(b.Date) == "" {
		return in, &store.Error{Code: store.EINVALID, Field: "date", Message: `date is required: the day the work was done, such as "2026-11-23".`}
	}
	in.spent, err = timeSpent(b.Seconds, b.TimeSpent, true)
	return in, err
}

// command returns the store's command logging the work on task taskID, reading the
// durations with cal.
func (in worklogInput) command(taskID string, cal duration.Calendar) (store.NewWorklog, error) {
	nw := store.NewWorklog{TaskID: taskID, Date: in.body.Date, Start: deref(in.body.Start), Comment: in.body.Comment}
	spent, err := in.spent.resolve(cal)
	if err != nil {
		return nw, err
	}
	nw.Seconds = *spent
	nw.Adjust, nw.AdjustBy, err = in.adjust.resolve(cal)
	return nw, err
}

// worklogPatch is the body of PATCH .../worklogs/ID: only the members present change;
// null (or "") clears the start time.
type worklogPatch struct {
	BaseVersion *int            `json:"base_version"`
	Date        *string         `json:"date"`
	Start       json.RawMessage `json:"start"`
	Seconds     *int64          `json:"seconds"`
	TimeSpent   *string         `json:"time_spent"`
	Comment     *string         `json:"comment"`
	Adjust      string          `json:"adjust"`
	AdjustBy    json.RawMessage `json:"adjust_by"`
}

// edit returns the store's command for worklog id, but for its precondition.
func (in worklogPatch) edit(id string, cal duration.Calendar) (store.WorklogEdit, error) {
	e := store.WorklogEdit{WorklogID: id}
	if in.Date != nil {
		e.Date = store.Some(*in.Date)
	}
	if in.Comment != nil {
		e.Comment = store.Some(*in.Comment)
	}
	if in.Start != nil {
		var v *string
		if err := json.Unmarshal(in.Start, &v); err != nil {
			return e, echo.NewHTTPError(http.StatusBadRequest, `Field "start" must be a time like "09:30", or null for none.`)
		}
		e.Start = store.Some(deref(v))
	}
	spent, err := timeSpent(in.Seconds, in.TimeSpent, false)
	if err != nil {
		return e, err
	}
	if spent.set {
		n, err := spent.resolve(cal)
		if err != nil {
			return e, err
		}
		e.Seconds = store.Some(*n)
	}
	a, err := readAdjustment(in.Adjust, in.AdjustBy)
	if err != nil {
		return e, err
	}
	e.Adjust, e.AdjustBy, err = a.resolve(cal)
	return e, err
}

// worklogDeleteBody is the optional body of DELETE .../worklogs/ID.
type worklogDeleteBody struct {
	BaseVersion *int            `json:"base_version"`
	Adjust      string          `json:"adjust"`
	AdjustBy    json.RawMessage `json:"adjust_by"`
}

func (b *worklogPatch) base() *int      { return b.BaseVersion }
func (b *worklogDeleteBody) base() *int { return b.BaseVersion }

// worklogPath is the API address of worklog id of task key in project pkey.
func worklogPath(pkey, key, id string) string {
	return fmt.Sprintf("%s/projects/%s/tasks/%s/worklogs/%s", apiPrefix, pkey, key, url.PathEscape(id))
}

// apiWorklogOf returns the task named by :task and its worklog named by :worklog; a
// worklog of another task is not found.
func (h *Handler) apiWorklogOf(c echo.Context) (*store.Project, *store.Task, *store.Worklog, error) {
	p, t, err := h.apiTaskOf(c)
	if err != nil {
		return p, nil, nil, err
	}
	w, err := h.store.Worklog(ctx(c), c.Param("worklog"))
	if err == nil && w.TaskID != t.ID {
		err = store.Errorf(store.ENOTFOUND, "There is no worklog %s on %s.", c.Param("worklog"), t.Key)
	}
	return p, t, w, err
}

func (h *Handler) apiWorklogs(c echo.Context) error {
	_, t, err := h.apiTaskOf(c)
	if err != nil {
		return err
	}
	list, err := h.store.Worklogs(ctx(c), t.ID)
	if err != nil {
		return err
	}
	out := make([]worklogJSON, 0, len(list))
	for _, w := range list {
		out = append(out, newWorklogJSON(w, t.Key))
	}
	return writeJSON(c, http.StatusOK, map[string]any{"worklogs": out})
}

func (h *Handler) apiWorklog(c echo.Context) error {
	_, t, w, err := h.apiWorklogOf(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(w.Version))
	if etagMatches(c.Request().Header.Get("If-None-Match"), w.Version) {
		return c.NoContent(http.StatusNotModified)
	}
	return writeJSON(c, http.StatusOK, newWorklogJSON(w, t.Key))
}

func (h *Handler) apiLogWork(c echo.Context) error {
	p, t, err := h.apiTaskOf(c)
	if err != nil {
		return err
	}
	var body newWorklogBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	in, err := body.check()
	if err != nil {
		return err
	}
	nw, err := in.command(t.ID, p.Calendar())
	if err != nil {
		return err
	}
	res, err := h.store.LogWork(ctx(c), currentUser(c).ID, nw)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, worklogPath(p.Key, res.Task.Key, res.Worklog.ID))
	return h.writeWorklog(c, http.StatusCreated, res)
}

func (h *Handler) apiPatchWorklog(c echo.Context) error {
	p, t, w, err := h.apiWorklogOf(c)
	if err != nil {
		return err
	}
	var in worklogPatch
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	e, err := in.edit(w.ID, p.Calendar())
	if err != nil {
		return err
	}
	if e.BaseVersion, e.Strict, err = worklogPrecondition(c, t, w, in.base()); err != nil {
		return err
	}
	res, err := h.store.EditWorklog(ctx(c), currentUser(c).ID, e)
	if err != nil {
		return worklogRefusal(t, e, err)
	}
	return h.writeWorklog(c, http.StatusOK, res)
}

func (h *Handler) apiDeleteWorklog(c echo.Context) error {
	p, t, w, err := h.apiWorklogOf(c)
	if err != nil {
		return err
	}
	var in worklogDeleteBody
	if err := decodeOptionalJSON(c, &in); err != nil {
		return err
	}
	a, err := readAdjustment(in.Adjust, in.AdjustBy)
	if err != nil {
		return err
	}
	d := store.WorklogDelete{WorklogID: w.ID}
	if d.Adjust, d.AdjustBy, err = a.resolve(p.Calendar()); err != nil {
		return err
	}
	base, strict, err := worklogPrecondition(c, t, w, in.base())
	if err != nil {
		return err
	}
	d.BaseVersion = base
	res, err := h.store.DeleteWorklog(ctx(c), currentUser(c).ID, d)
	if err != nil {
		return worklogRefusal(t, store.WorklogEdit{BaseVersion: base, Strict: strict}, err)
	}
	return h.writeWorklog(c, http.StatusOK, res)
}

// writeWorklog answers a worklog write: the worklog with its ETag and the task, or only
// the task after a delete.
func (h *Handler) writeWorklog(c echo.Context, status int, res *store.WorklogResult) error {
	refs := h.sprintRefs(ctx(c))
	task := newTaskJSON(res.Task, refs)
	if refs.err != nil {
		return refs.err
	}
	if res.Worklog == nil {
		return writeJSON(c, status, map[string]any{"task": task})
	}
	c.Response().Header().Set("ETag", etag(res.Worklog.Version))
	return writeJSON(c, status, worklogWithTask{worklogJSON: newWorklogJSON(res.Worklog, res.Task.Key), Task: task})
}

// worklogPrecondition returns the base version of a write to worklog w, as precondition
// does for tasks. Under If-Match a worklog at another version is refused at once (412).
func worklogPrecondition(c echo.Context, t *store.Task, w *store.Worklog, baseVersion *int) (base int, strict bool, err error) {
	if base, strict, err = precondition(c, baseVersion); err != nil {
		return 0, false, err
	}
	if strict && w.Version != base {
		return 0, false, &worklogStale{Expected: base, Worklog: w, TaskKey: t.Key}
	}
	return base, strict, nil
}

// worklogStale refuses a strict (If-Match) worklog write: the worklog is no longer at the
// version the client saw.
type worklogStale struct {
	Expected int
	Worklog  *store.Worklog
	TaskKey  string
}

func (e *worklogStale) Error() string {
	return fmt.Sprintf("This worklog on %s is at version %d, not %d: fetch it again and reapply your change.", e.TaskKey, e.Worklog.Version, e.Expected)
}

// Unwrap gives the refusal the precondition code (412).
func (e *worklogStale) Unwrap() error {
	return &store.Error{Code: store.EPRECONDITION, Message: e.Error()}
}

// worklogConflict refuses a worklog write under base_version: someone changed the
// worklog since (an edit: a field this one changes too). Edit is the refused command.
type worklogConflict struct {
	*store.WorklogConflictError
	Edit    store.WorklogEdit
	TaskKey string
}

// Unwrap gives the refusal the conflict code (409).
func (e *worklogConflict) Unwrap() error {
	return &store.Error{Code: store.ECONFLICT, Message: e.WorklogConflictError.Error()}
}

// worklogRefusal turns the store's refusal of a worklog write that met a change since
// its base into 412 under If-Match and 409 under base_version.
func worklogRefusal(t *store.Task, e store.WorklogEdit, err error) error {
	var ce *store.WorklogConflictError
	if !errors.As(err, &ce) || ce.Worklog == nil {
		return err
	}
	if e.Strict {
		return &worklogStale{Expected: e.BaseVersion, Worklog: ce.Worklog, TaskKey: t.Key}
	}
	return &worklogConflict{WorklogConflictError: ce, Edit: e, TaskKey: t.Key}
}

// worklogConflictJSON is one field of a worklog edit's conflict.
type worklogConflictJSON struct {
	Field     string    `json:"field"`
	Yours     any       `json:"yours"`
	Theirs    any       `json:"theirs"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

// worklogProblem fills p for the worklog refusals: 412 with the worklog as it is now,
// 409 with the conflicting fields too.
func worklogProblem(p *problem, err error) {
	var stale *worklogStale
	if errors.As(err, &stale) {
		p.Current, p.currentVersion = newWorklogJSON(stale.Worklog, stale.TaskKey), stale.Worklog.Version
		return
	}
	var wc *worklogConflict
	if !errors.As(err, &wc) {
		return
	}
	w := wc.Worklog
	p.Title = "Conflict: changed by someone else"
	p.Current, p.currentVersion = newWorklogJSON(w, wc.TaskKey), w.Version
	e := wc.Edit
	yours := map[string]any{"date": e.Date.V, "start": nullable(e.Start.V), "seconds": e.Seconds.V, "comment": e.Comment.V}
	theirs := map[string]any{"date": w.Date, "start": nullable(w.Start), "seconds": w.Seconds, "comment": w.Comment}
	var fields []worklogConflictJSON
	for _, f := range wc.Fields {
		if _, ok := theirs[f]; ok {
			fields = append(fields, worklogConflictJSON{Field: f, Yours: yours[f], Theirs: theirs[f], ChangedBy: wc.By, ChangedAt: wc.At})
		}
	}
	if len(fields) > 0 {
		p.Conflicts = fields
	}
}
