package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
)

// POST /api/v1/sync applies the operations an offline client queued, in order, each on
// its own: one failing does not undo the others. Every operation names the version it
// was made on and is judged by Tack's merge rule, never strictly. Each op_id is an
// idempotency key of its own, so re-sending a batch (or part of one) after a lost answer
// applies nothing twice and answers with the results first given.
//
// log_work logs time spent on a task. It never conflicts (time spent adds up; the
// remaining-estimate choice is relative or an explicit statement), so it needs no
// base_version; given one, it lets later operations made on that version build on it.

// maxSyncOps bounds one batch; a larger queue is sent in several.
const maxSyncOps = 500

// Outcomes of one sync operation.
const (
	syncApplied  = "applied"
	syncMerged   = "merged"
	syncConflict = "conflict"
	syncRejected = "rejected"
)

// syncBody is the body of POST /api/v1/sync.
type syncBody struct {
	Operations *[]json.RawMessage `json:"operations"`
}

// syncOp is one queued operation as the client sends it.
type syncOp struct {
	OpID        string          `json:"op_id"`
	Task        string          `json:"task"`
	BaseVersion *int            `json:"base_version"`
	Action      string          `json:"action"`
	Changes     json.RawMessage `json:"changes"`
}

// syncCommand is a checked operation, ready to run once its task is known.
type syncCommand struct {
	op          syncOp
	fingerprint string
	update      *store.TaskUpdate // update, archive and restore
	estimates   taskEstimates     // of update, read with the task's project's calendar
	move        *store.TaskMove
	plan        *store.TaskPlan
	logWork     *worklogInput
	sprint      sprintChoice // of update and plan, resolved in the task's project
}

// syncResult is the outcome of one operation. applied and merged are present for
// applied and merged operations, conflict for a conflict, reason for a rejection.
type syncResult struct {
	OpID     string       `json:"op_id"`
	Status   string       `json:"status"`
	Task     *taskJSON    `json:"task,omitempty"`
	Worklog  *worklogJSON `json:"worklog,omitempty"` // the worklog log_work added
	Applied  *[]string    `json:"applied,omitempty"`
	Merged   *[]string    `json:"merged,omitempty"`
	Conflict *problem     `json:"conflict,omitempty"`
	Reason   string       `json:"reason,omitempty"`
}

func (h *Handler) apiSync(c echo.Context) error {
	var in syncBody
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cmds, err := syncCommands(in)
	if err != nil {
		return err
	}
	results := make([]json.RawMessage, 0, len(cmds))
	chains := map[string]syncChain{}
	for i, cmd := range cmds {
		// A client that hangs up gets no answer: stop between operations. Each operation
		// that started has finished and saved its result, which a retry of the batch
		// is answered with.
		if ctx(c).Err() != nil {
			h.log.Warn("sync stopped: the client closed the request", "user", currentUser(c).ID,
				"done", i, "operations", len(cmds))
			return nil
		}
		task := strings.ToUpper(strings.TrimSpace(cmd.op.Task))
		base := 0 // log_work has none
		if cmd.logWork == nil {
			base = chains[task].base(*cmd.op.BaseVersion)
		}
		res, err := h.syncOne(ctx(c), currentUser(c).ID, cmd, base)
		if err != nil {
			// Only a failure on our side stops the batch; the operations before it keep
			// their saved results, so the client can simply send the batch again.
			return err
		}
		results = append(results, res)
		if cmd.logWork == nil {
			chains[task] = chains[task].after(*cmd.op.BaseVersion, res)
		} else {
			chains[task] = chains[task].afterLog(cmd.op.BaseVersion, res)
		}
	}
	return writeJSON(c, http.StatusOK, map[string]any{"results": results})
}

// syncChain lets the operations of one batch on the same task build on each other. An
// offline client queues them all on the last version it saw, v; the second was made
// after the first, so the first's own changes must neither conflict with it nor count
// as merged. When an operation made on v applied with nothing merged, every event
// between v and its result version is its own (or a reorder, which never conflicts), so
// a later operation made on v is judged from that result version instead. When
// something did merge, others' changes sit in between and the base stays v: the client's
// own earlier change may then show as merged or conflict, but nobody's is overwritten.
type syncChain struct {
	from, to int // versions; zero: no chain
}

// base is the version an operation made on version v is judged from.
func (ch syncChain) base(v int) int {
	if ch.to > 0 && ch.from == v {
		return ch.to
	}
	return v
}

// after returns the chain once an operation made on version v has the result res.
func (ch syncChain) after(v int, res json.RawMessage) syncChain {
	if to := appliedVersion(res); to > 0 {
		return syncChain{from: v, to: to}
	}
	return ch
}

// afterLog returns the chain once a log_work has the result res; v is the version it
// says it was made on, if it says. Logging adds one event to the task, the client's own:
// when it directly follows the chain's end, or version v, later operations made on the
// chain's version (or v) are judged from after it, so that the remaining estimate the
// log moved is not someone else's change to them.
func (ch syncChain) afterLog(v *int, res json.RawMessage) syncChain {
	to := appliedVersion(res)
	switch {
	case to == 0:
	case ch.to > 0 && to == ch.to+1:
		return syncChain{from: ch.from, to: to}
	case v != nil && to == *v+1:
		return syncChain{from: *v, to: to}
	}
	return ch
}

// appliedVersion is the task's version in an applied operation's result, 0 for any
// other result.
func appliedVersion(res json.RawMessage) int {
	var r struct {
		Status string `json:"status"`
		Task   *struct {
			Version int `json:"version"`
		} `json:"task"`
	}
	if json.Unmarshal(res, &r) != nil || r.Status != syncApplied || r.Task == nil {
		return 0
	}
	return r.Task.Version
}

// syncCommands checks the shape of every operation before any is applied: a malformed
// batch is the client's bug and is refused as a whole.
func syncCommands(in syncBody) ([]syncCommand, error) {
	if in.Operations == nil {
		return nil, &store.Error{Code: store.EINVALID, Field: "operations", Message: "operations is required: the list of operations to apply."}
	}
	ops := *in.Operations
	if len(ops) > maxSyncOps {
		return nil, &store.Error{Code: store.EINVALID, Field: "operations",
			Message: fmt.Sprintf("A batch holds at most %d operations; this one has %d. Send the rest in another batch.", maxSyncOps, len(ops))}
	}
	seen := make(map[string]int, len(ops))
	cmds := make([]syncCommand, 0, len(ops))
	for i, raw := range ops {
		cmd, err := syncCommandOf(raw)
		if err != nil {
			return nil, syncOpError(i, err)
		}
		if j, dup := seen[cmd.op.OpID]; dup {
			return nil, &store.Error{Code: store.EINVALID, Field: fmt.Sprintf("operations[%d].op_id", i),
				Message: fmt.Sprintf("Operations %d and %d share op_id %q; every operation needs its own.", j, i, cmd.op.OpID)}
		}
		seen[cmd.op.OpID] = i
		cmds = append(cmds, cmd)
	}
	return cmds, nil
}

// syncCommandOf decodes and checks one operation.
func syncCommandOf(raw json.RawMessage) (syncCommand, error) {
	var cmd syncCommand
	if err := strictJSON(raw, &cmd.op); err != nil {
		return cmd, err
	}
	op := &cmd.op
	switch {
	case !validOpID(op.OpID):
		return cmd, &store.Error{Code: store.EINVALID, Field: "op_id", Message: "op_id is required: 1 to 255 visible ASCII characters."}
	case strings.TrimSpace(op.Task) == "":
		return cmd, &store.Error{Code: store.EINVALID, Field: "task", Message: `task is required: the key of the task, such as "DEMO-12".`}
	case op.BaseVersion != nil && *op.BaseVersion < 1, op.BaseVersion == nil && op.Action != "log_work":
		return cmd, &store.Error{Code: store.EINVALID, Field: "base_version", Message: "base_version is required: the version of the task the change was made on (1 or more)."}
	}
	changes := op.Changes
	if len(bytes.TrimSpace(changes)) == 0 || bytes.Equal(bytes.TrimSpace(changes), []byte("null")) {
		changes = json.RawMessage("{}")
	}
	switch op.Action {
	case "update":
		var f taskFields
		if err := strictJSON(changes, &f); err != nil {
			return cmd, err
		}
		u, err := f.update("")
		if err == nil {
			cmd.estimates, err = f.estimates()
		}
		if err == nil {
			cmd.sprint, err = parseSprintChoice(f.Sprint)
		}
		if err != nil {
			return cmd, inChanges(err)
		}
		cmd.update = &u
	case "move":
		var f moveFields
		if err := strictJSON(changes, &f); err != nil {
			return cmd, err
		}
		m, err := f.move("")
		if err != nil {
			return cmd, inChanges(err)
		}
		cmd.move = &m
	case "plan":
		var f planFields
		if err := strictJSON(changes, &f); err != nil {
			return cmd, err
		}
		pl, ch, err := f.plan("")
		if err != nil {
			return cmd, inChanges(err)
		}
		cmd.plan, cmd.sprint = &pl, ch
	case "archive", "restore":
		if err := strictJSON(changes, &struct{}{}); err != nil {
			return cmd, err
		}
		cmd.update = &store.TaskUpdate{Archived: store.Some(op.Action == "archive")}
	case "log_work":
		var f newWorklogBody
		if err := strictJSON(changes, &f); err != nil {
			return cmd, err
		}
		in, err := f.check()
		if err != nil {
			return cmd, inChanges(err)
		}
		cmd.logWork = &in
	default:
		return cmd, &store.Error{Code: store.EINVALID, Field: "action", Message: "action must be one of update, move, plan, archive, restore or log_work."}
	}
	var err error
	cmd.fingerprint, err = syncFingerprint(*op, changes)
	return cmd, err
}

// inChanges says that a field error is about a member of "changes".
func inChanges(err error) error {
	var se *store.Error
	if errors.As(err, &se) && se.Field != "" {
		return &store.Error{Code: se.Code, Field: "changes." + se.Field, Message: se.Message}
	}
	return err
}

// strictJSON decodes one JSON value into v, refusing unknown fields.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badJSON(err)
	}
	return nil
}

// syncOpError says which operation of the batch is malformed.
func syncOpError(i int, err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, _ := he.Message.(string)
		return echo.NewHTTPError(he.Code, fmt.Sprintf("Operation %d: %s", i, msg))
	}
	var se *store.Error
	if errors.As(err, &se) {
		field := fmt.Sprintf("operations[%d]", i)
		if se.Field != "" {
			field += "." + se.Field
		}
		return &store.Error{Code: se.Code, Field: field, Message: fmt.Sprintf("Operation %d: %s", i, se.Message)}
	}
	return err
}

// validOpID accepts what an Idempotency-Key may be: 1 to 255 visible ASCII characters.
func validOpID(id string) bool {
	if id == "" || len(id) > 255 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// syncKey is the idempotency key of an operation: the op_id is hashed so that, with its
// "sync:" namespace, the key stays within the 255 characters the store accepts.
func syncKey(opID string) string {
	sum := sha256.Sum256([]byte(opID))
	return "sync:" + hex.EncodeToString(sum[:])
}

// syncFingerprint identifies an operation's content whatever its spacing, member order
// or the case of its task key, so that a client re-encoding its queue still sends "the
// same" operation.
func syncFingerprint(op syncOp, changes json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(changes))
	dec.UseNumber()
	var c any
	if err := dec.Decode(&c); err != nil {
		return "", badJSON(err)
	}
	canonical, err := json.Marshal(map[string]any{ // map keys are marshalled sorted
		"op_id": op.OpID, "task": strings.ToUpper(strings.TrimSpace(op.Task)), "base_version": op.BaseVersion,
		"action": op.Action, "changes": c,
	})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// syncOne applies one operation, judged from version base, unless its op_id was seen
// before, and returns its result as JSON. An error is a failure on our side, after which
// the op_id is released so that the operation can be sent again.
func (h *Handler) syncOne(ctx context.Context, userID string, cmd syncCommand, base int) (json.RawMessage, error) {
	// An operation runs to its end even if the client hangs up meanwhile: its reads,
	// its command and the saving of its result belong together, so that a retry finds
	// either nothing or the saved result, never an applied change without its result.
	ctx = context.WithoutCancel(ctx)
	key := syncKey(cmd.op.OpID)
	saved, err := h.store.BeginIdempotent(ctx, userID, key, cmd.fingerprint)
	switch store.ErrorCode(err) {
	case "":
	case store.EINVALID:
		return syncReject(cmd.op.OpID, fmt.Sprintf("op_id %q was already used for a different operation; give every operation its own op_id.", cmd.op.OpID))
	case store.ECONFLICT:
		return syncReject(cmd.op.OpID, fmt.Sprintf("Operation %q is still being applied by another request; send it again in a moment.", cmd.op.OpID))
	default:
		return nil, err
	}
	if saved != nil {
		return saved.Body, nil
	}
	res, err := h.syncApply(ctx, userID, cmd, base)
	var body []byte
	if err == nil {
		body, err = json.Marshal(res)
	}
	if err != nil {
		if aerr := h.store.AbandonIdempotent(ctx, userID, key); aerr != nil {
			h.log.Error("release sync operation key", "err", aerr)
		}
		return nil, err
	}
	saveErr := h.store.FinishIdempotent(ctx, userID, key, store.SavedResponse{Status: http.StatusOK,
		ContentType: echo.MIMEApplicationJSON, Headers: map[string]string{}, Body: body})
	if saveErr != nil {
		h.log.Error("save sync operation result", "err", saveErr)
	}
	return body, nil
}

// syncApply runs one operation's store command, judged from version base, and tells its
// outcome; an error is a failure on our side.
func (h *Handler) syncApply(ctx context.Context, userID string, cmd syncCommand, base int) (*syncResult, error) {
	p, t, err := h.syncTask(ctx, userID, cmd.op.Task)
	if cmd.logWork != nil {
		return h.syncLogWork(ctx, userID, cmd, p, t, err)
	}
	var sprint store.Opt[string]
	if err == nil {
		sprint, err = h.sprintIDOf(ctx, p, cmd.sprint)
	}
	var res *store.TaskResult
	if err == nil {
		switch {
		case cmd.move != nil:
			m := *cmd.move
			m.TaskID, m.BaseVersion = t.ID, base
			res, err = h.store.MoveTask(ctx, userID, m)
		case cmd.plan != nil:
			pl := *cmd.plan
			pl.TaskID, pl.BaseVersion, pl.Sprint = t.ID, base, sprint
			res, err = h.store.PlanTask(ctx, userID, pl)
		default:
			u := *cmd.update
			u.TaskID, u.BaseVersion, u.Sprint = t.ID, base, sprint
			if err = cmd.estimates.apply(&u, p.Calendar()); err == nil {
				res, err = h.store.UpdateTask(ctx, userID, u)
			}
		}
	}
	out := &syncResult{OpID: cmd.op.OpID}
	refs := h.sprintRefs(ctx)
	var conflict *store.ConflictError
	switch {
	case errors.As(err, &conflict):
		p := problemFor(err, refs)
		out.Status, out.Conflict = syncConflict, &p
	case err != nil && store.ErrorCode(err) == store.EINTERNAL:
		return nil, err
	case err != nil:
		out.Status, out.Reason = syncRejected, store.ErrorMessage(err)
	default:
		task := newTaskJSON(res.Task, refs)
		applied, merged := fieldNames(res.Applied), fieldNames(res.Merged)
		out.Status, out.Task, out.Applied, out.Merged = syncApplied, &task, &applied, &merged
		if len(merged) > 0 {
			out.Status = syncMerged
		}
	}
	if refs.err != nil {
		return nil, refs.err
	}
	return out, nil
}

// syncLogWork logs the work of a log_work operation on task t of project p (or tells
// why not: findErr is the error finding the task).
func (h *Handler) syncLogWork(ctx context.Context, userID string, cmd syncCommand, p *store.Project, t *store.Task, findErr error) (*syncResult, error) {
	err := findErr
	var res *store.WorklogResult
	if err == nil {
		var nw store.NewWorklog
		if nw, err = cmd.logWork.command(t.ID, p.Calendar()); err == nil {
			res, err = h.store.LogWork(ctx, userID, nw)
		}
	}
	out := &syncResult{OpID: cmd.op.OpID}
	switch {
	case err != nil && store.ErrorCode(err) == store.EINTERNAL:
		return nil, err
	case err != nil:
		out.Status, out.Reason = syncRejected, store.ErrorMessage(err)
		return out, nil
	}
	refs := h.sprintRefs(ctx)
	task, worklog := newTaskJSON(res.Task, refs), newWorklogJSON(res.Worklog, res.Task.Key)
	if refs.err != nil {
		return nil, refs.err
	}
	out.Status, out.Task, out.Worklog = syncApplied, &task, &worklog
	return out, nil
}

// syncTask finds a task by key in any project the user belongs to; for anyone else the
// task does not exist.
func (h *Handler) syncTask(ctx context.Context, userID, key string) (*store.Project, *store.Task, error) {
	prefix, _, _ := strings.Cut(key, "-")
	p, _, err := h.store.ProjectFor(ctx, userID, prefix)
	if store.ErrorCode(err) == store.ENOTFOUND {
		return nil, nil, store.Errorf(store.ENOTFOUND, "No task %s.", key)
	}
	if err != nil {
		return nil, nil, err
	}
	t, err := h.store.TaskByKey(ctx, p, key)
	return p, t, err
}

// fieldNames lists fields as the API names them, [] for none.
func fieldNames(fields []store.Field) []string {
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, apiField(string(f)))
	}
	return out
}

// syncReject is the result of an operation refused before it was looked at.
func syncReject(opID, reason string) (json.RawMessage, error) {
	return json.Marshal(syncResult{OpID: opID, Status: syncRejected, Reason: reason})
}
