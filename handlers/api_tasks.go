package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
)

func (h *Handler) apiProjects(c echo.Context) error {
	list, err := h.store.ProjectsFor(ctx(c), currentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]projectJSON, 0, len(list))
	for _, ps := range list {
		p, err := h.store.Project(ctx(c), ps.ID)
		if err != nil {
			return err
		}
		out = append(out, newProjectJSON(p, ps.Role))
	}
	return writeJSON(c, http.StatusOK, map[string]any{"projects": out})
}

func (h *Handler) apiProject(c echo.Context) error {
	p, role := currentProject(c)
	return writeJSON(c, http.StatusOK, newProjectJSON(p, role))
}

func (h *Handler) apiColumns(c echo.Context) error {
	p, _ := currentProject(c)
	return writeJSON(c, http.StatusOK, map[string]any{"columns": newColumnsJSON(p)})
}

func (h *Handler) apiMembers(c echo.Context) error {
	p, _ := currentProject(c)
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return err
	}
	out := make([]memberJSON, 0, len(members))
	for _, m := range members {
		out = append(out, memberJSON{ID: m.User.ID, Name: m.User.Name, Email: m.User.Email, Role: string(m.Role), AddedAt: m.AddedAt})
	}
	return writeJSON(c, http.StatusOK, map[string]any{"members": out})
}

// apiTasks lists tasks in board order, filtered, one page at a time.
func (h *Handler) apiTasks(c echo.Context) error {
	p, _ := currentProject(c)
	q := store.TaskQuery{
		ProjectID: p.ID, Column: c.QueryParam("column"), Assignee: c.QueryParam("assignee"),
		Type: store.TaskType(c.QueryParam("type")), Label: c.QueryParam("label"), Text: c.QueryParam("q"),
		Cursor: c.QueryParam("cursor"), IncludeArchived: c.QueryParam("archived") == "true",
	}
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 { // the store takes 0 for its default
			return &store.Error{Code: store.EINVALID, Field: "limit", Message: "limit must be a whole number between 1 and 200."}
		}
		q.Limit = n
	}
	if q.Type != "" && !validTaskType(q.Type) {
		return &store.Error{Code: store.EINVALID, Field: "type", Message: "type must be one of story, bug, task or epic."}
	}
	var err error
	if q.Sprint, err = h.sprintFilter(ctx(c), p, c.QueryParam("sprint")); err != nil {
		return err
	}
	tasks, next, err := h.store.QueryTasks(ctx(c), q)
	if err != nil {
		return err
	}
	out := make([]taskJSON, 0, len(tasks))
	refs := h.sprintRefs(ctx(c))
	for _, t := range tasks {
		out = append(out, newTaskJSON(t, refs))
	}
	if refs.err != nil {
		return refs.err
	}
	var nextCursor *string
	if next != "" {
		nextCursor = &next
	}
	return writeJSON(c, http.StatusOK, map[string]any{"tasks": out, "next_cursor": nextCursor})
}

// sprintFilter turns the list's sprint query (active, none or a sprint number) into
// the store's filter.
func (h *Handler) sprintFilter(ctx context.Context, p *store.Project, sprint string) (string, error) {
	switch sprint {
	case "", "active", "none":
		return sprint, nil
	}
	n, err := strconv.Atoi(sprint)
	if err != nil || n < 1 || strconv.Itoa(n) != sprint {
		return "", &store.Error{Code: store.EINVALID, Field: "sprint", Message: "sprint must be active, none or a sprint number."}
	}
	s, err := h.sprintByNumber(ctx, p, n, "sprint")
	if err != nil {
		return "", err
	}
	return s.ID, nil
}

func validTaskType(t store.TaskType) bool {
	for _, v := range store.TaskTypes {
		if v == t {
			return true
		}
	}
	return false
}

// apiTaskOf returns the task named by :task in the current project.
func (h *Handler) apiTaskOf(c echo.Context) (*store.Project, *store.Task, error) {
	p, _ := currentProject(c)
	t, err := h.store.TaskByKey(ctx(c), p, c.Param("task"))
	return p, t, err
}

// writeTask answers with a task and its ETag.
func (h *Handler) writeTask(c echo.Context, status int, t *store.Task, extra map[string]any) error {
	refs := h.sprintRefs(ctx(c))
	j := newTaskJSON(t, refs)
	if refs.err != nil {
		return refs.err
	}
	body, err := json.Marshal(j)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(t.Version))
	if extra != nil {
		// The task's fields plus the outcome members (applied, merged) at the top level.
		if body, err = withMembers(body, extra); err != nil {
			return err
		}
	}
	return c.Blob(status, echo.MIMEApplicationJSON, body)
}

// withMembers adds members, in name order, to the end of the encoded JSON object obj;
// their names must differ from obj's own.
func withMembers(obj []byte, members map[string]any) ([]byte, error) {
	names := make([]string, 0, len(members))
	for k := range members {
		names = append(names, k)
	}
	slices.Sort(names)
	out := bytes.TrimSuffix(bytes.TrimRight(obj, " \n"), []byte("}"))
	for _, k := range names {
		name, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(members[k])
		if err != nil {
			return nil, err
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(append(append(out, name...), ':'), value...)
	}
	return append(out, '}'), nil
}

func (h *Handler) apiTask(c echo.Context) error {
	_, t, err := h.apiTaskOf(c)
	if err != nil {
		return err
	}
	if etagMatches(c.Request().Header.Get("If-None-Match"), t.Version) {
		c.Response().Header().Set("ETag", etag(t.Version))
		return c.NoContent(http.StatusNotModified)
	}
	return h.writeTask(c, http.StatusOK, t, nil)
}

// newTaskBody is the body of POST .../tasks.
type newTaskBody struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Type        string   `json:"type"`
	Priority    string   `json:"priority"`
	ColumnID    string   `json:"column_id"`
	AssigneeID  *string  `json:"assignee_id"`
	Labels      []string `json:"labels"`
	Points      *float64 `json:"points"`
	Due         *string  `json:"due"`
	Sprint      *int     `json:"sprint"`
	// OriginalEstimate is whole seconds, a duration string ("2h 30m") or null; the
	// remaining estimate starts equal to it.
	OriginalEstimate json.RawMessage `json:"original_estimate"`
}

func (h *Handler) apiCreateTask(c echo.Context) error {
	p, _ := currentProject(c)
	var in newTaskBody
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	estimate, err := readDuration(in.OriginalEstimate, "original_estimate", true)
	if err != nil {
		return err
	}
	nt := store.NewTask{
		ProjectID: p.ID, Title: in.Title, Description: in.Description, Type: store.TaskType(in.Type),
		Priority: store.Priority(in.Priority), ColumnID: in.ColumnID, AssigneeID: deref(in.AssigneeID),
		Labels: in.Labels, Points: in.Points, Due: deref(in.Due),
	}
	if nt.Estimate, err = estimate.resolve(p.Calendar()); err != nil {
		return err
	}
	if in.Sprint != nil {
		sprint, err := h.sprintIDOf(ctx(c), p, sprintChoice{set: true, number: *in.Sprint})
		if err != nil {
			return err
		}
		nt.SprintID = sprint.V
	}
	t, err := h.store.CreateTask(ctx(c), currentUser(c).ID, nt)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, apiPrefix+"/projects/"+p.Key+"/tasks/"+t.Key)
	return h.writeTask(c, http.StatusCreated, t, nil)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// taskPatch is the body of PATCH .../tasks/KEY: the precondition and the fields to change.
type taskPatch struct {
	BaseVersion *int `json:"base_version"`
	taskFields
}

// taskFields are the task fields a PATCH or a sync update changes: only the fields
// present change; null clears assignee_id, points, due and the estimates.
type taskFields struct {
	Title       *string         `json:"title"`
	Description *string         `json:"description"`
	Type        *string         `json:"type"`
	Priority    *string         `json:"priority"`
	AssigneeID  json.RawMessage `json:"assignee_id"`
	Labels      *[]string       `json:"labels"`
	Points      json.RawMessage `json:"points"`
	Due         json.RawMessage `json:"due"`
	Archived    *bool           `json:"archived"`
	Sprint      json.RawMessage `json:"sprint"` // a sprint number; null for the backlog
	// The estimates: whole seconds, a duration string ("2h 30m") or null.
	OriginalEstimate  json.RawMessage `json:"original_estimate"`
	RemainingEstimate json.RawMessage `json:"remaining_estimate"`
}

// taskEstimates are the estimates a task write sets, read but for duration strings,
// which the task's project's calendar reads.
type taskEstimates struct{ original, remaining durationInput }

// estimates reads the estimate members.
func (in taskFields) estimates() (taskEstimates, error) {
	var e taskEstimates
	var err error
	if e.original, err = readDuration(in.OriginalEstimate, "original_estimate", true); err != nil {
		return e, err
	}
	e.remaining, err = readDuration(in.RemainingEstimate, "remaining_estimate", true)
	return e, err
}

// apply sets the estimates of u, reading duration strings with cal.
func (e taskEstimates) apply(u *store.TaskUpdate, cal duration.Calendar) error {
	var err error
	if u.Estimate, err = e.original.opt(cal); err != nil {
		return err
	}
	u.Remaining, err = e.remaining.opt(cal)
	return err
}

// update turns the fields into a store command, but for the estimates (see estimates);
// fields absent from the body stay unset.
func (in taskFields) update(taskID string) (store.TaskUpdate, error) {
	u := store.TaskUpdate{TaskID: taskID}
	if in.Title != nil {
		u.Title = store.Some(*in.Title)
	}
	if in.Description != nil {
		u.Description = store.Some(*in.Description)
	}
	if in.Type != nil {
		u.Type = store.Some(store.TaskType(*in.Type))
	}
	if in.Priority != nil {
		u.Priority = store.Some(store.Priority(*in.Priority))
	}
	if in.Labels != nil {
		u.Labels = store.Some(*in.Labels)
	}
	if in.Archived != nil {
		u.Archived = store.Some(*in.Archived)
	}
	if in.AssigneeID != nil {
		var v *string
		if err := json.Unmarshal(in.AssigneeID, &v); err != nil {
			return u, echo.NewHTTPError(http.StatusBadRequest, `Field "assignee_id" must be a user id or null.`)
		}
		u.Assignee = store.Some(deref(v))
	}
	if in.Due != nil {
		var v *string
		if err := json.Unmarshal(in.Due, &v); err != nil {
			return u, echo.NewHTTPError(http.StatusBadRequest, `Field "due" must be a date like "2026-12-31" or null.`)
		}
		u.Due = store.Some(deref(v))
	}
	if in.Points != nil {
		var v *float64
		if err := json.Unmarshal(in.Points, &v); err != nil {
			return u, echo.NewHTTPError(http.StatusBadRequest, `Field "points" must be a number or null.`)
		}
		u.Points = store.Some(v)
	}
	return u, nil
}

func (h *Handler) apiPatchTask(c echo.Context) error {
	p, t, err := h.apiTaskOf(c)
	if err != nil {
		return err
	}
	var in taskPatch
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := in.update(t.ID)
	if err != nil {
		return err
	}
	est, err := in.estimates()
	if err != nil {
		return err
	}
	if err := est.apply(&u, p.Calendar()); err != nil {
		return err
	}
	choice, err := parseSprintChoice(in.Sprint)
	if err != nil {
		return err
	}
	if u.Sprint, err = h.sprintIDOf(ctx(c), p, choice); err != nil {
		return err
	}
	if u.BaseVersion, u.Strict, err = precondition(c, in.BaseVersion); err != nil {
		return err
	}
	res, err := h.store.UpdateTask(ctx(c), currentUser(c).ID, u)
	if err != nil {
		return err
	}
	return h.writeTask(c, http.StatusOK, res.Task, outcome(res))
}

// outcome says what a write did: the fields it changed and those others had changed
// since the base version, which were kept (merged).
func outcome(res *store.TaskResult) map[string]any {
	return map[string]any{"applied": fieldNames(res.Applied), "merged": fieldNames(res.Merged)}
}

// moveBody is the body of POST .../tasks/KEY/move.
type moveBody struct {
	BaseVersion *int `json:"base_version"`
	moveFields
}

// moveFields say where a move or a sync move puts the task.
type moveFields struct {
	ColumnID string `json:"column_id"`
	AfterID  string `json:"after_id"`
	BeforeID string `json:"before_id"`
	Position string `json:"position"` // top, bottom, up, down (instead of neighbours)
}

// move turns the fields into a store command; the column is required.
func (in moveFields) move(taskID string) (store.TaskMove, error) {
	if strings.TrimSpace(in.ColumnID) == "" {
		return store.TaskMove{}, &store.Error{Code: store.EINVALID, Field: "column_id", Message: "column_id is required: the column to move the task to."}
	}
	return store.TaskMove{TaskID: taskID, ColumnID: in.ColumnID, AfterID: in.AfterID, BeforeID: in.BeforeID, Step: store.Step(in.Position)}, nil
}

func (h *Handler) apiMoveTask(c echo.Context) error {
	_, t, err := h.apiTaskOf(c)
	if err != nil {
		return err
	}
	var in moveBody
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := in.move(t.ID)
	if err != nil {
		return err
	}
	if m.BaseVersion, m.Strict, err = precondition(c, in.BaseVersion); err != nil {
		return err
	}
	res, err := h.store.MoveTask(ctx(c), currentUser(c).ID, m)
	if err != nil {
		return err
	}
	return h.writeTask(c, http.StatusOK, res.Task, outcome(res))
}

// sprintChoice is a sprint a request names by its number: unset when the member is
// absent, the backlog when it is null (number 0), else sprint number.
type sprintChoice struct {
	set    bool
	number int
}

// parseSprintChoice reads a "sprint" member: absent, null or a sprint number.
func parseSprintChoice(raw json.RawMessage) (sprintChoice, error) {
	if raw == nil {
		return sprintChoice{}, nil
	}
	var n *int
	if err := json.Unmarshal(raw, &n); err != nil {
		return sprintChoice{}, echo.NewHTTPError(http.StatusBadRequest, `Field "sprint" must be a sprint number or null (the backlog).`)
	}
	if n == nil {
		return sprintChoice{set: true}, nil
	}
	if *n < 1 {
		return sprintChoice{}, &store.Error{Code: store.EINVALID, Field: "sprint", Message: "sprint must be a sprint number (1 or more), or null for the backlog."}
	}
	return sprintChoice{set: true, number: *n}, nil
}

// sprintIDOf turns a sprint choice into the store's: unset, "" for the backlog, or the
// id of the project's sprint of that number (422 naming "sprint" when there is none).
func (h *Handler) sprintIDOf(ctx context.Context, p *store.Project, ch sprintChoice) (store.Opt[string], error) {
	if !ch.set || ch.number == 0 {
		return store.Opt[string]{Set: ch.set}, nil
	}
	s, err := h.sprintByNumber(ctx, p, ch.number, "sprint")
	if err != nil {
		return store.Opt[string]{}, err
	}
	return store.Some(s.ID), nil
}

// planBody is the body of POST .../tasks/KEY/plan.
type planBody struct {
	BaseVersion *int `json:"base_version"`
	planFields
}

// planFields say where planning puts a task: its sprint (absent: it stays in its list;
// null: the backlog) and its place in that list.
type planFields struct {
	Sprint   json.RawMessage `json:"sprint"`
	AfterID  string          `json:"after_id"`
	BeforeID string          `json:"before_id"`
	Position string          `json:"position"` // top, bottom, up, down (instead of neighbours)
}

// plan turns the fields into a store command, but for the sprint, which is returned to
// be resolved in the task's project.
func (in planFields) plan(taskID string) (store.TaskPlan, sprintChoice, error) {
	ch, err := parseSprintChoice(in.Sprint)
	if err != nil {
		return store.TaskPlan{}, ch, err
	}
	return store.TaskPlan{TaskID: taskID, AfterID: in.AfterID, BeforeID: in.BeforeID, Step: store.Step(in.Position)}, ch, nil
}

func (h *Handler) apiPlanTask(c echo.Context) error {
	p, t, err := h.apiTaskOf(c)
	if err != nil {
		return err
	}
	var in planBody
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	pl, ch, err := in.plan(t.ID)
	if err != nil {
		return err
	}
	if pl.Sprint, err = h.sprintIDOf(ctx(c), p, ch); err != nil {
		return err
	}
	if pl.BaseVersion, pl.Strict, err = precondition(c, in.BaseVersion); err != nil {
		return err
	}
	res, err := h.store.PlanTask(ctx(c), currentUser(c).ID, pl)
	if err != nil {
		return err
	}
	return h.writeTask(c, http.StatusOK, res.Task, outcome(res))
}

// versionBody is the body of archive and restore: only the precondition.
type versionBody struct {
	BaseVersion *int `json:"base_version"`
}

func (h *Handler) apiArchive(archived bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, t, err := h.apiTaskOf(c)
		if err != nil {
			return err
		}
		var in versionBody
		if body, err := readBody(c); err != nil {
			return err
		} else if len(bytes.TrimSpace(body)) > 0 {
			if err := decodeJSON(c, &in); err != nil {
				return err
			}
		}
		u := store.TaskUpdate{TaskID: t.ID, Archived: store.Some(archived)}
		if u.BaseVersion, u.Strict, err = precondition(c, in.BaseVersion); err != nil {
			return err
		}
		res, err := h.store.UpdateTask(ctx(c), currentUser(c).ID, u)
		if err != nil {
			return err
		}
		return h.writeTask(c, http.StatusOK, res.Task, outcome(res))
	}
}

func (h *Handler) apiTaskHistory(c echo.Context) error {
	p, t, err := h.apiTaskOf(c)
	if err != nil {
		return err
	}
	entries, err := h.store.TaskHistory(ctx(c), p, t.ID)
	if err != nil {
		return err
	}
	out := make([]historyJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, newHistoryJSON(e))
	}
	return writeJSON(c, http.StatusOK, map[string]any{"history": out})
}

func (h *Handler) apiActivity(c echo.Context) error {
	p, _ := currentProject(c)
	limit, before, err := pageParams(c, 50)
	if err != nil {
		return err
	}
	entries, err := h.store.Activity(ctx(c), p, before, limit)
	if err != nil {
		return err
	}
	out := make([]historyJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, newHistoryJSON(e))
	}
	var next *int64
	if len(entries) == limit {
		seq := entries[len(entries)-1].Seq
		next = &seq
	}
	return writeJSON(c, http.StatusOK, map[string]any{"activity": out, "next_before": next})
}

// pageParams reads limit (1..200) and before (a seq) from the query.
func pageParams(c echo.Context, def int) (limit int, before int64, err error) {
	limit = def
	if s := c.QueryParam("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 200 {
			return 0, 0, &store.Error{Code: store.EINVALID, Field: "limit", Message: "limit must be a whole number between 1 and 200."}
		}
	}
	if s := c.QueryParam("before"); s != "" {
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
			return 0, 0, &store.Error{Code: store.EINVALID, Field: "before", Message: "before must be an event sequence number."}
		}
	}
	return limit, before, nil
}

// etagMatches reports whether an If-None-Match list names the version: "*", or any
// listed tag, weak ones included (RFC 9110 weak comparison).
func etagMatches(header string, version int) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag(version) {
			return true
		}
	}
	return false
}
