package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
)

// The API names a sprint by its number in the project (/projects/DEMO/sprints/4), as the
// web pages do; events and sprint_id carry its id. Sprint writes follow the tasks' rules:
// If-Match on the sprint's version is strict (412), base_version asks for the merge rule
// (an edit of a field someone else changed since is 409), neither is 428.

// sprintJSON is a sprint as the API shows it. version is also the ETag.
type sprintJSON struct {
	ID          string     `json:"id"`
	ProjectID   string     `json:"project_id"`
	Number      int        `json:"number"`
	Name        string     `json:"name"`
	Goal        string     `json:"goal"`
	Start       *string    `json:"start"`
	End         *string    `json:"end"`
	State       string     `json:"state"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Version     int        `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	Tasks       int        `json:"tasks"`
	Points      float64    `json:"points"`
}

func newSprintJSON(s *store.Sprint) sprintJSON {
	return sprintJSON{ID: s.ID, ProjectID: s.ProjectID, Number: s.Number, Name: s.Name, Goal: s.Goal,
		Start: nullable(s.Start), End: nullable(s.End), State: string(s.State), StartedAt: s.StartedAt,
		CompletedAt: s.CompletedAt, Version: s.Version, CreatedAt: s.CreatedAt, Tasks: s.Tasks, Points: s.Points}
}

// nullable is nil for "" and a pointer to s otherwise.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// sprintRefs turns the sprint ids tasks and conflicts hold into the sprint numbers the
// API shows, looking each sprint up once per request. A failed lookup shows null and
// keeps the error: whoever built a response with refs must check err before sending it.
type sprintRefs struct {
	ctx  context.Context
	st   *store.Store
	nums map[string]int
	err  error
}

func (h *Handler) sprintRefs(ctx context.Context) *sprintRefs {
	return &sprintRefs{ctx: ctx, st: h.store, nums: map[string]int{}}
}

// number returns the number of sprint id, or nil for "" (no sprint).
func (r *sprintRefs) number(id string) *int {
	if id == "" || r == nil {
		return nil
	}
	n, ok := r.nums[id]
	if !ok {
		var err error
		if n, err = r.st.SprintNumber(r.ctx, id); err != nil {
			if r.err == nil {
				r.err = fmt.Errorf("handlers: sprint %s of a task: %w", id, err)
			}
			return nil
		}
		r.nums[id] = n
	}
	return &n
}

// sprintNotFound is the answer for a sprint number the project does not have.
func sprintNotFound(p *store.Project, n string) error {
	return store.Errorf(store.ENOTFOUND, "There is no sprint %s in %s.", n, p.Key)
}

// apiSprintOf returns the sprint named by :sprint (its number) in the current project.
func (h *Handler) apiSprintOf(c echo.Context) (*store.Project, *store.Sprint, error) {
	p, _ := currentProject(c)
	n, err := strconv.Atoi(c.Param("sprint"))
	if err != nil || n < 1 {
		return p, nil, sprintNotFound(p, c.Param("sprint"))
	}
	s, err := h.sprintByNumber(ctx(c), p, n, "")
	return p, s, err
}

// sprintByNumber returns the project's sprint number n, refusing an unknown one as not
// found, with field (when given) naming the input for a 422 instead.
func (h *Handler) sprintByNumber(ctx context.Context, p *store.Project, n int, field string) (*store.Sprint, error) {
	s, err := h.store.SprintByNumber(ctx, p.ID, n)
	if store.ErrorCode(err) == store.ENOTFOUND {
		if field != "" {
			return nil, &store.Error{Code: store.EINVALID, Field: field, Message: fmt.Sprintf("%s has no sprint %d.", p.Key, n)}
		}
		return nil, sprintNotFound(p, strconv.Itoa(n))
	}
	return s, err
}

// writeSprint answers with a sprint and its ETag.
func writeSprint(c echo.Context, status int, s *store.Sprint) error {
	c.Response().Header().Set("ETag", etag(s.Version))
	return writeJSON(c, status, newSprintJSON(s))
}

// sprintStale refuses a strict (If-Match) sprint write: the sprint is no longer at the
// version the client saw.
type sprintStale struct {
	Expected int
	Sprint   *store.Sprint
}

func (e *sprintStale) Error() string {
	return fmt.Sprintf("%s is at version %d, not %d: fetch it again and reapply your change.", e.Sprint.Name, e.Sprint.Version, e.Expected)
}

// Unwrap gives the refusal the precondition code (412).
func (e *sprintStale) Unwrap() error {
	return &store.Error{Code: store.EPRECONDITION, Message: e.Error()}
}

// sprintPrecondition returns the base version of a write to sprint s, as precondition
// does for tasks. Under If-Match a sprint at another version is refused at once (412).
func sprintPrecondition(c echo.Context, s *store.Sprint, baseVersion *int) (base int, strict bool, err error) {
	if base, strict, err = precondition(c, baseVersion); err != nil {
		return 0, false, err
	}
	if strict && s.Version != base {
		return 0, false, &sprintStale{Expected: base, Sprint: s}
	}
	return base, strict, nil
}

// strictly turns the store's refusal of a sprint write that met a change since the base
// into 412 when the client asked for strictness: the sprint moved on while the request
// ran.
func strictly(strict bool, base int, err error) error {
	var ce *store.SprintConflictError
	if strict && errors.As(err, &ce) && ce.Sprint != nil {
		return &sprintStale{Expected: base, Sprint: ce.Sprint}
	}
	return err
}

// sprintConflictJSON is one field of a sprint edit's conflict.
type sprintConflictJSON struct {
	Field     string    `json:"field"`
	Yours     *string   `json:"yours"`
	Theirs    *string   `json:"theirs"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

// sprintProblem fills p for the sprint refusals: 409 with the conflicting fields and
// the sprint as it is now, 412 with the sprint as it is now.
func sprintProblem(p *problem, err error, refs *sprintRefs) {
	var stale *sprintStale
	if errors.As(err, &stale) {
		p.setSprint(stale.Sprint, refs)
		return
	}
	var ce *store.SprintConflictError
	if !errors.As(err, &ce) {
		return
	}
	p.Title = "Conflict: changed by someone else"
	fields := make([]sprintConflictJSON, 0, len(ce.Fields))
	for _, f := range ce.Fields {
		j := sprintConflictJSON{Field: f.Field, Yours: &f.Yours, Theirs: &f.Theirs, ChangedBy: ce.ChangedBy, ChangedAt: ce.ChangedAt}
		if f.Field == "start" || f.Field == "end" {
			j.Yours, j.Theirs = nullable(f.Yours), nullable(f.Theirs)
		}
		fields = append(fields, j)
	}
	if len(fields) > 0 {
		p.Conflicts = fields
	}
	if ce.Sprint != nil {
		p.setSprint(ce.Sprint, refs)
	}
}

// setSprint makes sp the problem's current sprint, read again with its task count and
// points (a command's refusal carries the sprint without them).
func (p *problem) setSprint(sp *store.Sprint, refs *sprintRefs) {
	if refs != nil {
		fresh, err := refs.st.Sprint(refs.ctx, sp.ID)
		if err == nil {
			sp = fresh
		} else if refs.err == nil {
			refs.err = err
		}
	}
	cur := newSprintJSON(sp)
	p.Current, p.currentVersion = cur, cur.Version
}

func (h *Handler) apiSprints(c echo.Context) error {
	p, _ := currentProject(c)
	state := store.SprintState(c.QueryParam("state"))
	switch state {
	case "", store.SprintPlanned, store.SprintActive, store.SprintCompleted:
	default:
		return &store.Error{Code: store.EINVALID, Field: "state", Message: "state must be one of planned, active or completed."}
	}
	list, err := h.store.Sprints(ctx(c), p.ID)
	if err != nil {
		return err
	}
	out := make([]sprintJSON, 0, len(list))
	for _, s := range list {
		if state == "" || s.State == state {
			out = append(out, newSprintJSON(s))
		}
	}
	return writeJSON(c, http.StatusOK, map[string]any{"sprints": out})
}

func (h *Handler) apiSprint(c echo.Context) error {
	_, s, err := h.apiSprintOf(c)
	if err != nil {
		return err
	}
	if etagMatches(c.Request().Header.Get("If-None-Match"), s.Version) {
		c.Response().Header().Set("ETag", etag(s.Version))
		return c.NoContent(http.StatusNotModified)
	}
	return writeSprint(c, http.StatusOK, s)
}

// newSprintBody is the body of POST .../sprints.
type newSprintBody struct {
	Name  string  `json:"name"`
	Goal  string  `json:"goal"`
	Start *string `json:"start"`
	End   *string `json:"end"`
}

func (h *Handler) apiCreateSprint(c echo.Context) error {
	p, _ := currentProject(c)
	var in newSprintBody
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	s, err := h.store.CreateSprint(ctx(c), currentUser(c).ID, store.NewSprint{
		ProjectID: p.ID, Name: in.Name, Goal: in.Goal, Start: deref(in.Start), End: deref(in.End)})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, fmt.Sprintf("%s/projects/%s/sprints/%d", apiPrefix, p.Key, s.Number))
	return writeSprint(c, http.StatusCreated, s)
}

// sprintPatch is the body of PATCH .../sprints/N: only the members present change; null
// (or "") clears a date.
type sprintPatch struct {
	BaseVersion *int            `json:"base_version"`
	Name        *string         `json:"name"`
	Goal        *string         `json:"goal"`
	Start       json.RawMessage `json:"start"`
	End         json.RawMessage `json:"end"`
}

// dateOpt reads an optional date member: absent is unset, null or "" clears.
func dateOpt(raw json.RawMessage, field string) (store.Opt[string], error) {
	if raw == nil {
		return store.Opt[string]{}, nil
	}
	var v *string
	if err := json.Unmarshal(raw, &v); err != nil {
		return store.Opt[string]{}, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(`Field %q must be a date like "2026-12-31" or null.`, field))
	}
	return store.Some(deref(v)), nil
}

// sprintBody is the body of a sprint write: it holds the precondition.
type sprintBody interface{ base() *int }

func (b *sprintPatch) base() *int        { return b.BaseVersion }
func (b *sprintStartBody) base() *int    { return b.BaseVersion }
func (b *sprintCompleteBody) base() *int { return b.BaseVersion }
func (b *versionBody) base() *int        { return b.BaseVersion }

// sprintWrite is the frame of the writes to the sprint named in the path: it reads the
// body into in (which may be empty unless required, for If-Match), takes the base version
// from the precondition, runs do and answers with the sprint it returns (204 for none).
func (h *Handler) sprintWrite(c echo.Context, in sprintBody, required bool,
	do func(p *store.Project, s *store.Sprint, base int) (*store.Sprint, error)) error {
	p, s, err := h.apiSprintOf(c)
	if err != nil {
		return err
	}
	if required {
		err = decodeJSON(c, in)
	} else {
		err = decodeOptionalJSON(c, in)
	}
	if err != nil {
		return err
	}
	base, strict, err := sprintPrecondition(c, s, in.base())
	if err != nil {
		return err
	}
	if s, err = do(p, s, base); err != nil {
		return strictly(strict, base, err)
	}
	if s == nil {
		return c.NoContent(http.StatusNoContent)
	}
	return writeSprint(c, http.StatusOK, s)
}

func (h *Handler) apiPatchSprint(c echo.Context) error {
	var in sprintPatch
	return h.sprintWrite(c, &in, true, func(_ *store.Project, s *store.Sprint, base int) (*store.Sprint, error) {
		u := store.SprintUpdate{SprintID: s.ID, BaseVersion: base}
		if in.Name != nil {
			u.Name = store.Some(*in.Name)
		}
		if in.Goal != nil {
			u.Goal = store.Some(*in.Goal)
		}
		var err error
		if u.Start, err = dateOpt(in.Start, "start"); err != nil {
			return nil, err
		}
		if u.End, err = dateOpt(in.End, "end"); err != nil {
			return nil, err
		}
		return h.store.UpdateSprint(ctx(c), currentUser(c).ID, u)
	})
}

// sprintStartBody is the body of POST .../sprints/N/start: the dates, when not planned
// already (or to change them), and the precondition.
type sprintStartBody struct {
	BaseVersion *int    `json:"base_version"`
	Start       *string `json:"start"`
	End         *string `json:"end"`
}

func (h *Handler) apiStartSprint(c echo.Context) error {
	var in sprintStartBody
	return h.sprintWrite(c, &in, false, func(_ *store.Project, s *store.Sprint, base int) (*store.Sprint, error) {
		st := store.SprintStart{SprintID: s.ID, BaseVersion: base}
		if in.Start != nil {
			st.Start = store.Some(*in.Start)
		}
		if in.End != nil {
			st.End = store.Some(*in.End)
		}
		return h.store.StartSprint(ctx(c), currentUser(c).ID, st)
	})
}

// decodeOptionalJSON decodes the body into v when there is one: writes whose body only
// holds the precondition may send none with If-Match.
func decodeOptionalJSON(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeJSON(c, v)
}

// sprintCompleteBody is the body of POST .../sprints/N/complete.
type sprintCompleteBody struct {
	BaseVersion *int              `json:"base_version"`
	Default     *string           `json:"default"`
	Tasks       map[string]string `json:"tasks"`
}

// The API's destinations: "next" (the store's default: the next planned sprint by
// number, else a new one), "new", "backlog" or "sprint:N" (a planned sprint's number).
const destNext = "next"

// destination turns an API destination into the store's; next returns the plan's
// default.
func (h *Handler) destination(ctx context.Context, p *store.Project, v, field string, next func() (store.Destination, error)) (store.Destination, error) {
	switch v {
	case destNext:
		return next()
	case string(store.DestNew), string(store.DestBacklog):
		return store.Destination(v), nil
	}
	if num, ok := strings.CutPrefix(v, "sprint:"); ok {
		if n, err := strconv.Atoi(num); err == nil && n >= 1 && strconv.Itoa(n) == num {
			s, err := h.sprintByNumber(ctx, p, n, field)
			if err != nil {
				return "", err
			}
			return store.DestSprint(s.ID), nil
		}
	}
	return "", &store.Error{Code: store.EINVALID, Field: field,
		Message: fmt.Sprintf(`%q is not a destination: use "next", "new", "backlog" or "sprint:N" (a planned sprint's number).`, v)}
}

// apiDestination shows a store destination the API's way.
func apiDestination(d store.Destination, refs *sprintRefs) string {
	if id, ok := strings.CutPrefix(string(d), "sprint:"); ok {
		if n := refs.number(id); n != nil {
			return "sprint:" + strconv.Itoa(*n)
		}
	}
	return string(d)
}

// destinations turns a completion body's destinations into the store's: task keys
// become ids, sprint numbers sprint ids. "next" is the store's default (Destination ""),
// chosen in the completion's own transaction; only a task sent "next" while the default
// is something else needs it named now.
func (h *Handler) destinations(ctx context.Context, actor string, p *store.Project, s *store.Sprint, in sprintCompleteBody) (store.Destination, map[string]store.Destination, error) {
	next := func() (store.Destination, error) { return "", nil }
	def := destNext
	if in.Default != nil {
		def = *in.Default
	}
	dflt, err := h.destination(ctx, p, def, "default", next)
	if err != nil {
		return "", nil, err
	}
	if dflt != "" {
		next = func() (store.Destination, error) {
			plan, err := h.store.CompletionPlan(ctx, actor, s.ID)
			if err != nil {
				return "", err
			}
			return plan.Default, nil
		}
	}
	keys := slices.Sorted(maps.Keys(in.Tasks)) // the first wrong one is always the same
	tasks := make(map[string]store.Destination, len(keys))
	for _, key := range keys {
		field := "tasks." + key
		t, err := h.store.TaskByKey(ctx, p, key)
		if store.ErrorCode(err) == store.ENOTFOUND {
			return "", nil, &store.Error{Code: store.EINVALID, Field: field, Message: fmt.Sprintf("There is no task %s in %s.", key, p.Key)}
		} else if err != nil {
			return "", nil, err
		}
		d, err := h.destination(ctx, p, in.Tasks[key], field, next)
		if err != nil {
			return "", nil, err
		}
		if d != "" { // "" goes by the default, which is next
			tasks[t.ID] = d
		}
	}
	return dflt, tasks, nil
}

func (h *Handler) apiCompleteSprint(c echo.Context) error {
	var in sprintCompleteBody
	return h.sprintWrite(c, &in, false, func(p *store.Project, s *store.Sprint, base int) (*store.Sprint, error) {
		comp := store.SprintCompletion{SprintID: s.ID, BaseVersion: base}
		var err error
		if comp.Default, comp.Tasks, err = h.destinations(ctx(c), currentUser(c).ID, p, s, in); err != nil {
			return nil, err
		}
		return h.store.CompleteSprint(ctx(c), currentUser(c).ID, comp)
	})
}

func (h *Handler) apiReopenSprint(c echo.Context) error {
	return h.sprintWrite(c, &versionBody{}, false, func(_ *store.Project, s *store.Sprint, base int) (*store.Sprint, error) {
		return h.store.ReopenSprint(ctx(c), currentUser(c).ID, s.ID, base)
	})
}

func (h *Handler) apiDeleteSprint(c echo.Context) error {
	return h.sprintWrite(c, &versionBody{}, false, func(_ *store.Project, s *store.Sprint, base int) (*store.Sprint, error) {
		return nil, h.store.DeleteSprint(ctx(c), currentUser(c).ID, s.ID, base)
	})
}

// completionJSON is what completing a sprint would do: its done and unfinished tasks,
// the destinations offered and the default.
type completionJSON struct {
	Sprint       sprintJSON        `json:"sprint"`
	Done         []taskJSON        `json:"done"`
	Unfinished   []taskJSON        `json:"unfinished"`
	Destinations []destinationJSON `json:"destinations"`
	Default      string            `json:"default"`
}

type destinationJSON struct {
	Destination string `json:"destination"`
	Label       string `json:"label"`
}

func (h *Handler) apiSprintCompletion(c echo.Context) error {
	_, s, err := h.apiSprintOf(c)
	if err != nil {
		return err
	}
	plan, err := h.store.CompletionPlan(ctx(c), currentUser(c).ID, s.ID)
	if err != nil {
		return err
	}
	refs := h.sprintRefs(ctx(c))
	sp := plan.Sprint
	out := completionJSON{Sprint: newSprintJSON(sp), Done: make([]taskJSON, 0, len(plan.Done)),
		Unfinished: make([]taskJSON, 0, len(plan.Unfinished)), Destinations: make([]destinationJSON, 0, len(plan.Destinations)),
		Default: apiDestination(plan.Default, refs)}
	for _, t := range plan.Done {
		out.Done = append(out.Done, newTaskJSON(t, refs))
	}
	for _, t := range plan.Unfinished {
		out.Unfinished = append(out.Unfinished, newTaskJSON(t, refs))
	}
	for _, d := range plan.Destinations {
		out.Destinations = append(out.Destinations, destinationJSON{Destination: apiDestination(d.Destination, refs), Label: d.Label})
	}
	if refs.err != nil {
		return refs.err
	}
	c.Response().Header().Set("ETag", etag(sp.Version))
	return writeJSON(c, http.StatusOK, out)
}
