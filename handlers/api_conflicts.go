package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
)

// A change the API refuses as a conflict (409) stays pending for its author until they
// answer it, here or on the board: a client that synced can list what waits for its
// user and answer each one "mine" (apply it after all) or "theirs" (keep the other).

// apiConflicts lists the caller's pending conflicts in the project, oldest first. Nobody
// sees another user's; a viewer normally has none (only a member demoted after a
// conflict has one, which they can no longer answer).
func (h *Handler) apiConflicts(c echo.Context) error {
	p, _ := currentProject(c)
	pending, err := h.store.PendingConflicts(ctx(c), p.ID, currentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]pendingConflictJSON, 0, len(pending))
	refs := h.sprintRefs(ctx(c))
	for _, pc := range pending {
		t, err := h.store.Task(ctx(c), pc.TaskID)
		if err != nil {
			return err
		}
		out = append(out, newPendingConflictJSON(pc, t, refs))
	}
	if refs.err != nil {
		return refs.err
	}
	return writeJSON(c, http.StatusOK, map[string]any{"conflicts": out})
}

// conflictAnswerBody is the body of POST .../conflicts/SEQ.
type conflictAnswerBody struct {
	Choice      string `json:"choice"`
	BaseVersion *int   `json:"base_version"`
}

// apiAnswerConflict answers one of the caller's pending conflicts: 200 with the task,
// or 409 with the new conflict when "mine" meets a change made since.
func (h *Handler) apiAnswerConflict(c echo.Context) error {
	pc, err := h.apiPendingConflict(c)
	if err != nil {
		return err
	}
	var in conflictAnswerBody
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	a := store.ConflictAnswer{TaskID: pc.TaskID, Seq: pc.Seq, Choice: in.Choice}
	if in.BaseVersion != nil {
		if *in.BaseVersion < 1 {
			return &store.Error{Code: store.EINVALID, Field: "base_version", Message: "base_version must be a version number (1 or more)."}
		}
		a.BaseVersion = *in.BaseVersion
	}
	res, err := h.store.AnswerConflict(ctx(c), currentUser(c).ID, a)
	if err != nil {
		return err
	}
	out := outcome(res)
	out["answered"] = in.Choice
	return h.writeTask(c, http.StatusOK, res.Task, out)
}

// apiPendingConflict returns the caller's pending conflict named by :seq in the current
// project. Any other conflict, answered, replaced or someone else's, is not found.
func (h *Handler) apiPendingConflict(c echo.Context) (*store.PendingConflict, error) {
	p, _ := currentProject(c)
	notFound := store.Errorf(store.ENOTFOUND, "There is no such conflict waiting for your answer in %s: it was answered already, or replaced by a newer one on the same task.", p.Key)
	seq, err := strconv.ParseInt(c.Param("seq"), 10, 64)
	if err != nil || seq < 1 {
		return nil, notFound
	}
	pending, err := h.store.PendingConflicts(ctx(c), p.ID, currentUser(c).ID)
	if err != nil {
		return nil, err
	}
	for _, pc := range pending {
		if pc.Seq == seq {
			return pc, nil
		}
	}
	return nil, notFound
}
