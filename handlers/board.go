package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// isHTMX reports whether the request came from htmx (JavaScript on).
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// boardView loads the project's board as the current user sees it, with their pending
// conflicts in place of their cards. It reads what the cards show, and what the filter
// needs besides.
func (h *Handler) boardView(c echo.Context, f views.BoardFilter) (views.BoardView, error) {
	p, role := currentProject(c)
	f, active, err := h.sprintScope(c, f)
	if err != nil {
		return views.BoardView{}, err
	}
	var tasks []*store.Task
	if f.SprintScoped() {
		// Only the active sprints' cards are read.
		tasks, err = h.store.Tasks(ctx(c), p.ID, store.TaskFilter{Sprint: "active"})
	} else {
		tasks, err = h.store.BoardTasks(ctx(c), p.ID, store.BoardRead{Labels: f.Label != "", Description: f.Text != ""})
	}
	if err != nil {
		return views.BoardView{}, err
	}
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return views.BoardView{}, err
	}
	b := views.NewBoardView(p, tasks, members, f, role.CanEdit())
	b.Sprints = active
	if !role.CanEdit() {
		return b, nil
	}
	pending, err := h.store.PendingConflicts(ctx(c), p.ID, currentUser(c).ID)
	if err != nil {
		return views.BoardView{}, err
	}
	return h.withConflicts(c, b.WithConflicts(p, pending), pending)
}

// withConflicts names the sprints in b's conflicts about a task's sprint (the store
// records sprint ids); it reads the project's sprints only for such a conflict.
func (h *Handler) withConflicts(c echo.Context, b views.BoardView, pending []*store.PendingConflict) (views.BoardView, error) {
	if !views.ConflictsOnSprint(pending) {
		return b, nil
	}
	p, _ := currentProject(c)
	sprints, err := h.store.Sprints(ctx(c), p.ID)
	if err != nil {
		return views.BoardView{}, err
	}
	return b.WithSprintNames(pending, sprints), nil
}

// sprintScope reads the project's active sprints: unless the filter asks for all tasks,
// the board shows only theirs.
func (h *Handler) sprintScope(c echo.Context, f views.BoardFilter) (views.BoardFilter, []*store.Sprint, error) {
	p, _ := currentProject(c)
	active, err := h.store.ActiveSprints(ctx(c), p.ID)
	if err != nil {
		return f, nil, err
	}
	ids := make([]string, len(active))
	for i, s := range active {
		ids[i] = s.ID
	}
	return f.InSprints(ids), active, nil
}

// boardStream sends the project's live updates to an open board.
func (h *Handler) boardStream(c echo.Context) error {
	p, role := currentProject(c)
	h.live.Serve(c.Response(), c.Request(), streamID(p.ID, role.CanEdit(), currentUser(c).ID))
	return nil
}

// board shows the project's board. It answers 304 when the browser's copy is still what
// the page would show: nothing happened in the project since, for the same user, role
// and query, and no flash message waits (a page with one is never cached).
func (h *Handler) board(c echo.Context) error {
	if c.QueryParams().Has("at") {
		return h.boardAsOf(c) // the board as it was (asof.go)
	}
	p, _ := currentProject(c)
	head, err := h.store.ProjectHead(ctx(c), p.ID)
	if err != nil {
		return err
	}
	etag := boardETag(c, head, h.store.Now().Format(time.DateOnly))
	if !h.hasFlash(c) {
		if notModified(c, etag) {
			return nil
		}
		c.Response().Header().Set("ETag", etag)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
	b, err := h.boardView(c, views.ParseBoardFilter(c.QueryParams()))
	if err != nil {
		return err
	}
	pg := h.page(c, currentProjectKey(c)+" board")
	pg.Live = true
	// The board has one live region; a message from a no-JavaScript move goes there,
	// and is shown (not only spoken) above the board.
	b.Announce, b.Notice, pg.Flash = pg.Flash, pg.Flash, ""
	b.Moved = c.QueryParam("moved")
	return renderPage(c, http.StatusOK, views.BoardPage(pg, b))
}

// renderPage writes a large page straight to the response (through the Gzip middleware)
// rather than into a buffer first: hundreds of KB are not held and copied. Everything
// that can fail (reading the board) is done by then; an error while writing (the client
// went away) cannot become a clean 500, and needs none.
func renderPage(c echo.Context, status int, component templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return component.Render(c.Request().Context(), c.Response())
}

func currentProjectKey(c echo.Context) string {
	p, _ := currentProject(c)
	return p.Key
}

// boardMoveForm is what a drag, a Move-menu item or a reconfirmation posts.
type boardMoveForm struct {
	Task        string `form:"task"`
	BaseVersion string `form:"base_version"`
	To          string `form:"to"`   // "column:ID", "up", "down", "top" or "bottom"
	From        string `form:"from"` // the column the card was in when the menu was drawn
	Column      string `form:"column"`
	After       string `form:"after"`
	Before      string `form:"before"`
	Filter      string `form:"filter"`
}

func (f boardMoveForm) command() (store.TaskMove, error) {
	m := store.TaskMove{TaskID: f.Task, ColumnID: f.Column, AfterID: f.After, BeforeID: f.Before}
	v, err := strconv.Atoi(f.BaseVersion)
	if err != nil || v < 1 {
		return m, store.Errorf(store.EINVALID, "The move is missing the card version it was based on. Reload the board and try again.")
	}
	m.BaseVersion = v
	switch {
	case strings.HasPrefix(f.To, "column:"):
		m.ColumnID, m.AfterID, m.BeforeID = strings.TrimPrefix(f.To, "column:"), "", ""
	case f.To != "":
		m.ColumnID, m.Step, m.AfterID, m.BeforeID = f.From, store.Step(f.To), "", ""
	}
	if m.ColumnID == "" {
		return m, store.Errorf(store.EINVALID, "Choose a column to move the card to.")
	}
	return m, nil
}

// boardMove applies a move from the board: a drag, a Move-menu item or a reconfirmation.
// With htmx it answers with the moved card and the headings of the columns it left and
// entered, as the live update does; without, it redirects back to the board.
func (h *Handler) boardMove(c echo.Context) error {
	p, _ := currentProject(c)
	var in boardMoveForm
	if err := c.Bind(&in); err != nil {
		return store.Errorf(store.EINVALID, "The move could not be read.")
	}
	cmd, err := in.command()
	if err != nil {
		return err
	}
	if t, err := h.store.Task(ctx(c), cmd.TaskID); err != nil || t.ProjectID != p.ID {
		return store.Errorf(store.ENOTFOUND, "No such card on this board.")
	}
	res, err := h.store.MoveTask(ctx(c), currentUser(c).ID, cmd)
	if err != nil {
		return err
	}
	filter, _ := url.ParseQuery(in.Filter)
	card, err := h.cardView(c, views.ParseBoardFilter(filter), res.Task.ID, movedFrom(res)...)
	if err != nil {
		return err
	}
	card.Board.Announce = moveAnnouncement(p, card.Change, res)
	if !isHTMX(c) {
		h.flash(c, card.Board.Announce)
		q := filter
		q.Set("moved", res.Task.ID)
		// No #fragment: a page loaded with a target element skips autofocus (HTML's
		// "flush autofocus candidates"), and the focus belongs on the card's Move
		// button, which autofocus also scrolls into view.
		return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/board")+"?"+q.Encode())
	}
	return render(c, http.StatusOK, views.CardResult(h.page(c, ""), card.Board, card.Change, card.Headings))
}

// cardView is one card of the current user's board, drawn without the board: the card
// (or the user's pending conflict in its place) where the server has it, and the
// headings of its column and of the columns in also.
type cardView struct {
	Board    views.BoardView
	Change   views.CardChange
	Headings []views.ColumnView
}

// cardView reads what the answer about one card needs. Unfiltered, that is the card's
// place and its columns' counts, a few indexed lookups whatever the board's size; with a
// filter it reads the cards of those columns (not the whole board), since what the
// filter hides and what the heading counts depend on each card.
func (h *Handler) cardView(c echo.Context, f views.BoardFilter, taskID string, also ...string) (cardView, error) {
	p, role := currentProject(c)
	f, _, err := h.sprintScope(c, f)
	if err != nil {
		return cardView{}, err
	}
	// Filtered, the card's place comes from its columns' visible cards: its position
	// among all the column's cards would be counted for nothing.
	place := h.store.CardPlace
	if f.Active() {
		place = h.store.LiveCardPlace
	}
	pl, err := place(ctx(c), taskID)
	if err != nil {
		return cardView{}, err
	}
	members, err := h.store.Members(ctx(c), p.ID)
	if err != nil {
		return cardView{}, err
	}
	cols := []string{pl.Task.ColumnID}
	for _, id := range also {
		if id != "" && !slices.Contains(cols, id) {
			cols = append(cols, id)
		}
	}
	var v cardView
	if f.Active() {
		v.Board = views.NewCardBoard(p, members, f, role.CanEdit(), nil)
		for _, id := range cols {
			tasks, err := h.store.ColumnTasks(ctx(c), p.ID, id)
			if err != nil {
				return cardView{}, err
			}
			v.Board = v.Board.WithColumnTasks(id, tasks)
		}
		v.Change = views.NewCardChange(v.Board, taskID)
	} else {
		counts := map[string]int{pl.Task.ColumnID: pl.Count}
		for _, id := range cols[1:] {
			if counts[id], err = h.store.ColumnCount(ctx(c), p.ID, id); err != nil {
				return cardView{}, err
			}
		}
		v.Board = views.NewCardBoard(p, members, f, role.CanEdit(), counts)
		v.Change = views.PlacedCard(v.Board, pl.Task, pl.After, pl.Index)
	}
	if role.CanEdit() {
		pc, err := h.store.PendingConflict(ctx(c), taskID, currentUser(c).ID)
		switch {
		case err == nil:
			pending := []*store.PendingConflict{pc}
			if v.Board, err = h.withConflicts(c, v.Board.WithCardConflicts(p, pending, pl.Task), pending); err != nil {
				return cardView{}, err
			}
		case store.ErrorCode(err) != store.ENOTFOUND:
			return cardView{}, err
		}
	}
	v.Headings = v.Board.Headings(cols...)
	return v, nil
}

// movedFrom returns the columns a command's moves took the task out of.
func movedFrom(res *store.TaskResult) []string {
	var out []string
	for _, e := range res.Events {
		if p, err := e.Decode(); err == nil {
			if m, ok := p.(*store.TaskMoved); ok {
				out = append(out, m.FromColumn)
			}
		}
	}
	return out
}

// moveAnnouncement says where the card is now: "Moved DEMO-12 to In Review, position 2 of 5".
// The position is on the board as the user sees it (filtered or not); a card the filter
// hides has none.
func moveAnnouncement(p *store.Project, u views.CardChange, res *store.TaskResult) string {
	t := res.Task
	name := p.ColumnName(t.ColumnID)
	switch {
	case u.Task == nil:
		return fmt.Sprintf("Moved %s to %s.", t.Key, name)
	case len(res.Events) == 0:
		return fmt.Sprintf("%s is already in %s, position %d of %d.", t.Key, name, u.Index+1, u.Column.Len())
	}
	return fmt.Sprintf("Moved %s to %s, position %d of %d.", t.Key, name, u.Index+1, u.Column.Len())
}

// renderBoardConflict shows the user's conflict, now pending, in place of its card: with
// htmx the card is put back where the server has it (undoing the optimistic drag) with
// the conflict in its place; without JavaScript the whole board page is shown.
func (h *Handler) renderBoardConflict(c echo.Context, ce *store.ConflictError) error {
	filter, _ := url.ParseQuery(c.FormValue("filter"))
	f := views.ParseBoardFilter(filter)
	pg := h.page(c, "Conflict on "+ce.TaskKey)
	pg.Live, pg.Flash = true, ""
	if !isHTMX(c) {
		b, err := h.boardView(c, f)
		if err != nil {
			return err
		}
		if v, ok := b.Conflicts[ce.TaskID]; ok {
			b.Announce = "Conflict: " + views.ConflictSentence(pg, *v)
		}
		return render(c, http.StatusConflict, views.BoardPage(pg, b))
	}
	// The refused move may have been dragged there already: refresh that column too.
	var wanted []string
	for _, fc := range ce.Fields {
		if col, ok := fc.Yours.(string); ok && fc.Field == store.FieldColumn {
			wanted = append(wanted, col)
		}
	}
	card, err := h.cardView(c, f, ce.TaskID, wanted...)
	if err != nil {
		return err
	}
	if v, ok := card.Board.Conflicts[ce.TaskID]; ok {
		card.Board.Announce = "Conflict: " + views.ConflictSentence(pg, *v)
	}
	return render(c, http.StatusConflict, views.CardResult(pg, card.Board, card.Change, card.Headings))
}

// answerForm is a user's answer to their pending conflict, from the board, the card
// panel or the task page.
type answerForm struct {
	Choice      string `form:"choice"`
	BaseVersion string `form:"base_version"`
	Return      string `form:"return"` // "board", "backlog", "panel" or "task"
	Filter      string `form:"filter"`
}

// answerConflict applies the user's answer to their pending conflict and shows the
// result where it was given. A "mine" that conflicts anew shows the new conflict.
func (h *Handler) answerConflict(c echo.Context) error {
	p, t, err := h.taskOf(c)
	if err != nil {
		return err
	}
	var in answerForm
	if err := c.Bind(&in); err != nil {
		return store.Errorf(store.EINVALID, "The answer could not be read.")
	}
	seq, err := strconv.ParseInt(c.Param("seq"), 10, 64)
	if err != nil {
		return store.Errorf(store.ENOTFOUND, "No such conflict.")
	}
	base, _ := strconv.Atoi(in.BaseVersion)
	res, err := h.store.AnswerConflict(ctx(c), currentUser(c).ID, store.ConflictAnswer{TaskID: t.ID, Seq: seq, Choice: in.Choice, BaseVersion: base})
	if err != nil {
		return err
	}
	msg := answerMessage(p, in.Choice, res)
	switch {
	case in.Return == "backlog":
		return h.backlogAnswered(c, in.Filter, in.Choice, res)
	case in.Return == "panel" && inPanel(c):
		return h.renderPanel(c, http.StatusOK, res.Task, views.TaskFormFrom(res.Task), msg)
	case in.Return != "board":
		h.flash(c, msg)
		return c.Redirect(http.StatusSeeOther, taskURL(res.Task))
	}
	filter, _ := url.ParseQuery(in.Filter)
	if !isHTMX(c) {
		h.flash(c, msg)
		q := filter
		q.Set("moved", res.Task.ID)
		return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/board")+"?"+q.Encode())
	}
	card, err := h.cardView(c, views.ParseBoardFilter(filter), res.Task.ID, movedFrom(res)...)
	if err != nil {
		return err
	}
	card.Board.Announce = msg
	if movedTask(res) {
		card.Board.Announce = moveAnnouncement(p, card.Change, res)
	}
	return render(c, http.StatusOK, views.CardResult(h.page(c, ""), card.Board, card.Change, card.Headings))
}

// movedTask reports whether a command's events include a move of the task.
func movedTask(res *store.TaskResult) bool {
	return slices.ContainsFunc(res.Events, func(e store.Event) bool { return e.Type == store.TypeTaskMoved })
}

// answerMessage says what an answer did: "Kept the other change: DEMO-8 stays in Done."
// / "Moved DEMO-8 to In Progress." / "Saved DEMO-8."
func answerMessage(p *store.Project, choice string, res *store.TaskResult) string {
	t := res.Task
	switch {
	case choice == store.AnswerTheirs:
		return fmt.Sprintf("Kept the other change: %s stays in %s.", t.Key, p.ColumnName(t.ColumnID))
	case movedTask(res):
		return fmt.Sprintf("Moved %s to %s.", t.Key, p.ColumnName(t.ColumnID))
	}
	return "Saved " + t.Key + "."
}

// boardCreate creates a task from the board's one-line form, in the first column. With
// htmx it answers with the new card and its column's heading, not the column.
func (h *Handler) boardCreate(c echo.Context) error {
	p, role := currentProject(c)
	filter, _ := url.ParseQuery(c.FormValue("filter"))
	f, active, err := h.sprintScope(c, views.ParseBoardFilter(filter))
	if err != nil {
		return err
	}
	in := store.NewTask{ProjectID: p.ID, Title: c.FormValue("title")}
	if f.SprintScoped() {
		// Created on the sprint's board, the card goes in the sprint: it would vanish otherwise.
		in.SprintID = active[0].ID
	}
	t, err := h.store.CreateTask(ctx(c), currentUser(c).ID, in)
	if err != nil && store.ErrorCode(err) != store.EINVALID {
		return err
	}
	pg := h.page(c, p.Key+" board")
	pg.Live, pg.Flash = true, ""
	if err != nil {
		form := views.NewTaskForm{Title: c.FormValue("title"), Errors: fieldErrors(err)}
		if isHTMX(c) {
			b := views.NewCardBoard(p, nil, f, role.CanEdit(), nil)
			b.Create, b.Announce = form, store.ErrorMessage(err)
			return render(c, http.StatusUnprocessableEntity, views.CreateResult(pg, b, views.CardChange{}, nil))
		}
		b, berr := h.boardView(c, f)
		if berr != nil {
			return berr
		}
		b.Create, b.Announce = form, store.ErrorMessage(err)
		return render(c, http.StatusUnprocessableEntity, views.BoardPage(pg, b))
	}
	announce := fmt.Sprintf("Created %s in %s.", t.Key, p.ColumnName(t.ColumnID))
	if in.SprintID != "" {
		announce = fmt.Sprintf("Created %s in %s, in %s.", t.Key, p.ColumnName(t.ColumnID), active[0].Name)
	}
	if !isHTMX(c) {
		h.flash(c, announce)
		q := filter
		q.Set("moved", t.ID)
		return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/board")+"?"+q.Encode())
	}
	card, err := h.cardView(c, f, t.ID)
	if err != nil {
		return err
	}
	card.Board.Announce = announce
	return render(c, http.StatusOK, views.CreateResult(pg, card.Board, card.Change, card.Headings))
}
