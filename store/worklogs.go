package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tack-pm/tack/store/duration"
)

// This file holds time tracking on tasks: estimates, worklogs and the remaining
// estimate they move. Worklog events live in the task's stream, so a logged hour moves
// the task's version, its history and everything that follows it live.

// Adjust is what a worklog does to its task's remaining estimate.
type Adjust string

// Remaining-estimate choices of a worklog.
const (
	// AdjustAuto subtracts the time logged (adds it back on delete, the difference on
	// edit), never below zero; a task without a remaining estimate keeps none.
	AdjustAuto Adjust = "auto"
	// AdjustLeave leaves the remaining estimate as it is.
	AdjustLeave Adjust = "leave"
	// AdjustSet sets it to AdjustBy seconds.
	AdjustSet Adjust = "set"
	// AdjustReduce reduces it by AdjustBy seconds, never below zero (EINVALID when the
	// task has no remaining estimate).
	AdjustReduce Adjust = "reduce"
)

// Adjusts lists the remaining-estimate choices in the order forms show them.
var Adjusts = []Adjust{AdjustAuto, AdjustLeave, AdjustSet, AdjustReduce}

// Worklog is time someone spent on a task on a work date.
type Worklog struct {
	ID        string    `json:"id"`
	TaskID    string    `json:"task_id"`
	ProjectID string    `json:"project_id"`
	AuthorID  string    `json:"author_id"` // who did the work (the user who logged it)
	Date      string    `json:"date"`      // work date YYYY-MM-DD: the day the work was done
	Start     string    `json:"start"`     // "HH:MM" (24h) or ""
	Seconds   int64     `json:"seconds"`   // > 0
	Comment   string    `json:"comment"`
	Version   int       `json:"version"` // 1 when logged, +1 per edit
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// TaskKey and TaskTitle are filled by queries that join them (Worklogs, Worklog).
	TaskKey   string `json:"task_key"`
	TaskTitle string `json:"task_title,omitempty"`
}

// MaxWorklogComment is the longest worklog comment, in characters.
const MaxWorklogComment = 2000

// NewWorklog is the input for logging work on a task.
type NewWorklog struct {
	TaskID   string
	Date     string // YYYY-MM-DD, required; may be in the past; not more than one day after today (UTC)
	Start    string // "" or "HH:MM"
	Seconds  int64  // > 0, ≤ duration.Max
	Comment  string // ≤ 2000 characters (trimmed)
	Adjust   Adjust // "" = auto
	AdjustBy int64  // seconds, for set and reduce (≥ 0)
}

// WorklogEdit changes some fields of a worklog seen at BaseVersion.
type WorklogEdit struct {
	WorklogID   string
	BaseVersion int // the worklog version the user saw (required, ≥ 1)
	// Strict (HTTP If-Match) refuses with *WorklogConflictError (Fields nil) unless the
	// worklog is still at BaseVersion, instead of merging.
	Strict               bool
	Date, Start, Comment Opt[string]
	Seconds              Opt[int64]
	// Adjust: auto takes the difference in time spent off the remaining estimate
	// (floor 0); leave; set; reduce (by AdjustBy).
	Adjust   Adjust
	AdjustBy int64
}

// WorklogDelete deletes a worklog seen at BaseVersion.
type WorklogDelete struct {
	WorklogID   string
	BaseVersion int    // a worklog changed since → *WorklogConflictError (always strict)
	Adjust      Adjust // auto (adds the time back), leave, set (AdjustBy); reduce is EINVALID here
	AdjustBy    int64
}

// WorklogResult is the outcome of a worklog command.
type WorklogResult struct {
	Worklog *Worklog // nil after a delete
	Task    *Task    // the task after the change (version bumped)
	Events  []Event
}

// WorklogConflictError refuses a worklog edit or delete because the worklog changed
// since the version its user saw: Fields names the fields both changed ("date", "start",
// "seconds", "comment"); nil for a strict command or a delete, refused on any change.
type WorklogConflictError struct {
	Worklog *Worklog // as it is now
	Fields  []string
	By      string // user id of the latest change
	At      time.Time
	// ByName is the name of the user who made the latest change, for the message.
	ByName string
	// BaseVersion is the version the refused command was based on.
	BaseVersion int
}

func (e *WorklogConflictError) Error() string {
	who := e.ByName
	if who == "" {
		who = "Someone"
	}
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s changed this worklog since you opened it (version %d, now %d): look at it again and redo your change.",
			who, e.BaseVersion, e.Worklog.Version)
	}
	return fmt.Sprintf("%s changed the %s of this worklog since you opened it: look at it again and redo your change.",
		who, joinAnd(worklogFieldLabels(e.Fields)))
}

// Worklog field names, as conflicts and errors name them.
const (
	worklogDate    = "date"
	worklogStart   = "start"
	worklogSeconds = "seconds"
	worklogComment = "comment"
)

func worklogFieldLabels(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		switch f {
		case worklogDate:
			out[i] = "date"
		case worklogStart:
			out[i] = "start time"
		case worklogSeconds:
			out[i] = "time spent"
		default:
			out[i] = f
		}
	}
	return out
}

// joinAnd lists words for a sentence: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	out := words[0]
	for _, w := range words[1 : len(words)-1] {
		out += ", " + w
	}
	return out + " and " + words[len(words)-1]
}

// nextRemaining is the remaining estimate after a worklog change: delta is the seconds
// added to the time logged (negative when a worklog is deleted or shortened), a the
// choice, by its amount for set and reduce. Nothing goes below zero; auto keeps a
// missing remaining estimate missing. (Reduce without a remaining estimate is refused
// before; here it keeps none.)
func nextRemaining(cur *int64, delta int64, a Adjust, by int64) *int64 {
	switch a {
	case AdjustLeave:
		return clonePtr(cur)
	case AdjustSet:
		return &by
	case AdjustReduce:
		delta = by
	}
	if cur == nil {
		return nil
	}
	v := max(0, *cur-delta)
	return &v
}

// TimeSummary is a task's time tracking in numbers, with the bar a page draws of it.
type TimeSummary struct {
	Estimate, Remaining *int64
	Logged              int64
	// Expected is what remains by the original estimate: max(0, Estimate − Logged),
	// nil without an estimate.
	Expected *int64
	// Over is how far logged plus remaining exceed the estimate ("over by 2h"); 0 when
	// they do not, and without an estimate.
	Over int64
	// LoggedPct and RemainingPct are bar widths 0..100 of max(estimate, logged +
	// remaining); their sum is at most 100.
	LoggedPct, RemainingPct int
}

// Time returns the task's time summary.
func (t *Task) Time() TimeSummary {
	ts := TimeSummary{Estimate: clonePtr(t.Estimate), Remaining: clonePtr(t.Remaining), Logged: t.Logged}
	var remaining, estimate int64
	if t.Remaining != nil {
		remaining = *t.Remaining
	}
	if t.Estimate != nil {
		estimate = *t.Estimate
		expected := max(0, estimate-t.Logged)
		ts.Expected = &expected
		ts.Over = max(0, t.Logged+remaining-estimate)
	}
	whole := max(estimate, t.Logged+remaining)
	if whole > 0 {
		ts.LoggedPct = percent(t.Logged, whole)
		ts.RemainingPct = min(percent(remaining, whole), 100-ts.LoggedPct)
	}
	return ts
}

// percent is part of whole in whole percent, rounded to the nearest.
func percent(part, whole int64) int {
	return int((part*200 + whole) / (2 * whole))
}

// TaskTime is what the task page and panel show of a task's time tracking.
type TaskTime struct {
	TimeSummary
	Worklogs []*Worklog // newest work date first, then newest logged first
	// Why explains a remaining estimate that differs from Expected: the event at which
	// the current difference began, told like a history entry. nil when they are equal.
	Why *HistoryEntry
}

// TaskTime returns task t's (of project p) time tracking: its summary, worklogs, and
// why the remaining estimate is what it is. It reads the task's worklogs and events.
func (s *Store) TaskTime(ctx context.Context, p *Project, t *Task) (*TaskTime, error) {
	tt := &TaskTime{TimeSummary: t.Time()}
	var err error
	if tt.Worklogs, err = s.Worklogs(ctx, t.ID); err != nil {
		return nil, err
	}
	history, err := streamEvents(s.read, taskStream(t.ID))
	if err != nil {
		return nil, err
	}
	e, ok, err := whyRemaining(history)
	if err != nil || !ok {
		return tt, err
	}
	rows := []historyRow{{Seq: e.Seq, TaskID: t.ID, Type: e.Type, Actor: e.Actor, At: formatTime(e.At),
		Data: string(e.Data), TaskKey: t.Key, Stream: e.Stream}}
	entries, err := s.describe(ctx, p, rows)
	if err != nil {
		return nil, err
	}
	tt.Why = &entries[0]
	return tt, nil
}

// remainingGap is how a task's remaining estimate differs from the one its original
// estimate expects (max(0, estimate − logged)); the zero value means they are equal.
type remainingGap struct {
	noExpected, noRemaining bool // one of them is missing (not both)
	by                      int64
}

func gapOf(t *Task) remainingGap {
	ts := t.Time()
	switch {
	case ts.Expected == nil && ts.Remaining == nil:
		return remainingGap{}
	case ts.Expected == nil:
		return remainingGap{noExpected: true, by: *ts.Remaining}
	case ts.Remaining == nil:
		return remainingGap{noRemaining: true, by: *ts.Expected}
	}
	return remainingGap{by: *ts.Remaining - *ts.Expected}
}

// whyRemaining finds, in a task's events, the one at which the current difference
// between its remaining estimate and the expected one began: the event after which the
// difference has been what it is now, ever since. ok is false when there is none.
func whyRemaining(history []decodedEvent) (Event, bool, error) {
	gaps := make([]remainingGap, len(history))
	var t *Task
	for i, e := range history {
		var err error
		if t, err = applyTask(t, e.Event, e.payload); err != nil {
			return Event{}, false, err
		}
		gaps[i] = gapOf(t)
	}
	last := len(gaps) - 1
	if last < 0 || gaps[last] == (remainingGap{}) {
		return Event{}, false, nil
	}
	i := last
	for i > 0 && gaps[i-1] == gaps[last] {
		i--
	}
	return history[i].Event, true, nil
}

// worklogTask reads the task a worklog command acts on, with actor's role, and checks
// that actor may change it: non-members get ENOTFOUND, viewers EFORBIDDEN.
func worklogTask(w *writer, taskID, actor, what string) (*Task, Role, error) {
	t, role, err := loadTaskWithRole(w.tx, taskID, actor)
	if err != nil {
		return nil, "", err
	}
	if role == "" {
		return nil, "", Errorf(ENOTFOUND, "No such project.") // as requireRole says it
	}
	if err := allowRole(role, Role.CanEdit, what); err != nil {
		return nil, "", err
	}
	if t.Archived {
		return nil, "", Errorf(EINVALID, "%s is archived; restore it before changing its time tracking.", t.Key)
	}
	return t, role, nil
}

// appendWorklogEvent appends a worklog event to task t's stream and returns the task
// after it, with the event.
func appendWorklogEvent(w *writer, actor string, t *Task, p Payload) (*Task, []Event, error) {
	events, err := w.append(taskStream(t.ID), t.Version, actor, p)
	if err != nil {
		return nil, nil, err
	}
	next, err := applyTask(t, events[0], p)
	if err != nil {
		return nil, nil, err
	}
	return next, events, nil
}

// LogWork logs time spent by actor on a task. It never conflicts: time spent adds up,
// and the remaining-estimate choice is relative or an explicit statement, recorded
// with what it was and became.
func (s *Store) LogWork(ctx context.Context, actor string, in NewWorklog) (*WorklogResult, error) {
	logged := WorkLogged{WorklogID: newID(), Seconds: in.Seconds, AdjustBy: in.AdjustBy}
	var err error
	if logged.Start, err = normStart(in.Start); err != nil {
		return nil, err
	}
	if err = checkTimeSpent(in.Seconds); err != nil {
		return nil, err
	}
	if logged.Comment, err = normWorklogComment(in.Comment); err != nil {
		return nil, err
	}
	if logged.Adjust, err = normAdjust(in.Adjust, in.AdjustBy, true); err != nil {
		return nil, err
	}
	if logged.Adjust != AdjustSet && logged.Adjust != AdjustReduce {
		logged.AdjustBy = 0
	}
	res := &WorklogResult{}
	_, err = s.writeTx(ctx, func(w *writer) error {
		date, err := normWorkDate(in.Date, w.now) // checked against the write's own clock
		if err != nil {
			return err
		}
		logged.Date = date
		t, _, err := worklogTask(w, in.TaskID, actor, "log work")
		if err != nil {
			return err
		}
		if err := canReduce(t, logged.Adjust); err != nil {
			return err
		}
		logged.RemainingFrom = clonePtr(t.Remaining)
		logged.RemainingTo = nextRemaining(t.Remaining, logged.Seconds, logged.Adjust, logged.AdjustBy)
		if res.Task, res.Events, err = appendWorklogEvent(w, actor, t, &logged); err != nil {
			return err
		}
		res.Task.Key = t.Key
		res.Worklog, err = loadWorklog(w.tx, logged.WorklogID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: log work: %w", err)
	}
	return res, nil
}

// worklogFrame reads what an edit or delete of a worklog needs and checks who may: the
// worklog, its task, and the edits of the worklog since version base (in order).
func worklogFrame(w *writer, actor, worklogID string, base int) (*Worklog, *Task, []decodedEvent, error) {
	wl, err := loadWorklog(w.tx, worklogID)
	if err != nil {
		return nil, nil, nil, err
	}
	t, role, err := worklogTask(w, wl.TaskID, actor, "change worklogs")
	if err != nil {
		return nil, nil, nil, err
	}
	if wl.AuthorID != actor && !role.CanAdmin() {
		return nil, nil, nil, Errorf(EFORBIDDEN, "Only %s or a project admin can change this worklog.", userName(w.tx, wl.AuthorID))
	}
	if base < 1 || base > wl.Version {
		return nil, nil, nil, invalidField("version", "This worklog has no version %d (it is at version %d).", base, wl.Version)
	}
	var since []decodedEvent
	if base < wl.Version {
		var rows []eventRow
		if err := w.tx.Select(&rows, `SELECT seq, stream, version, type, actor, at, data FROM events
			WHERE stream = ? AND type = ? AND `+w.d.jsonText("data", "worklog_id")+` = ? AND `+w.d.jsonInt("data", "version")+` > ?
			ORDER BY version`, taskStream(t.ID), TypeWorklogEdited, wl.ID, base); err != nil {
			return nil, nil, nil, fmt.Errorf("store: edits of worklog %s: %w", wl.ID, err)
		}
		if since, err = decodeRows(rows); err != nil {
			return nil, nil, nil, err
		}
		if len(since) != wl.Version-base {
			return nil, nil, nil, fmt.Errorf("store: worklog %s at version %d, %d edits since %d", wl.ID, wl.Version, len(since), base)
		}
	}
	return wl, t, since, nil
}

// userName is a user's name for a message, "a former user" when unknown.
func userName(q sqlxGetter, id string) string {
	var name string
	if err := q.Get(&name, `SELECT name FROM users WHERE id = ?`, id); err != nil {
		return "a former user"
	}
	return name
}

// refusedWorklog builds the conflict error for a worklog changed since base: the
// latest change's author and time, from since.
func refusedWorklog(q sqlxGetter, wl *Worklog, base int, since []decodedEvent, fields []string) *WorklogConflictError {
	ce := &WorklogConflictError{Worklog: wl, Fields: fields, BaseVersion: base, At: wl.UpdatedAt}
	if n := len(since); n > 0 {
		ce.By, ce.At = since[n-1].Actor, since[n-1].At
		ce.ByName = userName(q, ce.By)
	}
	return ce
}

// worklogValue is one field of a worklog, as edits compare and conflicts record it.
func worklogValue(wl *Worklog, field string) any {
	switch field {
	case worklogDate:
		return wl.Date
	case worklogStart:
		return wl.Start
	case worklogSeconds:
		return wl.Seconds
	}
	return wl.Comment
}

// editedFrom returns the value field had before edit e, and whether e changed it.
func editedFrom(e *WorklogEdited, field string) (any, bool) {
	switch field {
	case worklogDate:
		if e.Date != nil {
			return e.Date.From, true
		}
	case worklogStart:
		if e.Start != nil {
			return e.Start.From, true
		}
	case worklogSeconds:
		if e.Seconds != nil {
			return e.Seconds.From, true
		}
	case worklogComment:
		if e.Comment != nil {
			return e.Comment.From, true
		}
	}
	return nil, false
}

// worklogChange is one field an edit sets, validated.
type worklogChange struct {
	field string
	value any
}

// changes validates the fields e sets.
func (e WorklogEdit) changes(now time.Time) ([]worklogChange, error) {
	var out []worklogChange
	if e.Date.Set {
		v, err := normWorkDate(e.Date.V, now)
		if err != nil {
			return nil, err
		}
		out = append(out, worklogChange{worklogDate, v})
	}
	if e.Start.Set {
		v, err := normStart(e.Start.V)
		if err != nil {
			return nil, err
		}
		out = append(out, worklogChange{worklogStart, v})
	}
	if e.Seconds.Set {
		if err := checkTimeSpent(e.Seconds.V); err != nil {
			return nil, err
		}
		out = append(out, worklogChange{worklogSeconds, e.Seconds.V})
	}
	if e.Comment.Set {
		v, err := normWorklogComment(e.Comment.V)
		if err != nil {
			return nil, err
		}
		out = append(out, worklogChange{worklogComment, v})
	}
	return out, nil
}

// EditWorklog changes a worklog under the concurrency rule: fields changed by someone
// else since e.BaseVersion merge unless this edit changes them too, which is a
// *WorklogConflictError recorded in the task's history. A value equal to the one there
// now, or to the one its user saw, is no change. The author may edit (while a member
// who can change tasks), and admins may edit anyone's.
func (s *Store) EditWorklog(ctx context.Context, actor string, e WorklogEdit) (*WorklogResult, error) {
	adjust, err := normAdjust(e.Adjust, e.AdjustBy, true)
	if err != nil {
		return nil, err
	}
	res := &WorklogResult{}
	var conflict *WorklogConflictError
	_, err = s.writeTx(ctx, func(w *writer) error {
		changes, err := e.changes(w.now) // the date is checked against the write's own clock
		if err != nil {
			return err
		}
		wl, t, since, err := worklogFrame(w, actor, e.WorklogID, e.BaseVersion)
		if err != nil {
			return err
		}
		res.Worklog, res.Task = wl, t
		if e.Strict && e.BaseVersion != wl.Version {
			conflict = refusedWorklog(w.tx, wl, e.BaseVersion, since, nil)
			return nil
		}
		edited := &WorklogEdited{WorklogID: wl.ID, Version: wl.Version + 1, Author: wl.AuthorID, Adjust: adjust}
		var clashes []string
		yours, theirs := map[string]any{}, map[string]any{}
		for _, c := range changes {
			now := worklogValue(wl, c.field)
			if c.value == now {
				continue
			}
			if seen, touched := worklogBaseValue(since, c.field); touched {
				if c.value == seen {
					continue // the value the user saw, resubmitted: not a change
				}
				clashes = append(clashes, c.field)
				yours[c.field], theirs[c.field] = c.value, now
				continue
			}
			switch c.field {
			case worklogDate:
				edited.Date = &StringChange{From: wl.Date, To: c.value.(string)}
			case worklogStart:
				edited.Start = &StringChange{From: wl.Start, To: c.value.(string)}
			case worklogSeconds:
				edited.Seconds = &Int64Change{From: wl.Seconds, To: c.value.(int64)}
			case worklogComment:
				edited.Comment = &StringChange{From: wl.Comment, To: c.value.(string)}
			}
		}
		if len(clashes) > 0 {
			conflict = refusedWorklog(w.tx, wl, e.BaseVersion, since, clashes)
			_, err := w.appendLatest(conflictStream(t.ID), actor, &WorklogConflicted{WorklogID: wl.ID, Author: wl.AuthorID,
				BaseVersion: e.BaseVersion, CurrentVersion: wl.Version, Fields: clashes, Yours: yours, Theirs: theirs,
				ChangedBy: conflict.By, ChangedAt: conflict.At})
			return err
		}
		if edited.Date == nil && edited.Start == nil && edited.Seconds == nil && edited.Comment == nil {
			return nil // nothing changes
		}
		if err := canReduce(t, adjust); err != nil {
			return err
		}
		var delta int64
		if edited.Seconds != nil {
			delta = edited.Seconds.To - edited.Seconds.From
		}
		if adjust == AdjustSet || adjust == AdjustReduce {
			edited.AdjustBy = e.AdjustBy
		}
		edited.RemainingFrom = clonePtr(t.Remaining)
		edited.RemainingTo = nextRemaining(t.Remaining, delta, adjust, edited.AdjustBy)
		if res.Task, res.Events, err = appendWorklogEvent(w, actor, t, edited); err != nil {
			return err
		}
		res.Task.Key = t.Key
		res.Worklog, err = loadWorklog(w.tx, wl.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: edit worklog: %w", err)
	}
	if conflict != nil {
		return nil, conflict
	}
	return res, nil
}

// worklogBaseValue returns the value field had at the base of since (before the first edit
// that changed it), and whether any edit in since changed it.
func worklogBaseValue(since []decodedEvent, field string) (any, bool) {
	for _, e := range since {
		if edit, ok := e.payload.(*WorklogEdited); ok {
			if v, ok := editedFrom(edit, field); ok {
				return v, true
			}
		}
	}
	return nil, false
}

// DeleteWorklog deletes a worklog, refused with *WorklogConflictError if it changed
// since d.BaseVersion. Who may: as EditWorklog. Auto adds the time back to the
// remaining estimate; reduce is not a choice here.
func (s *Store) DeleteWorklog(ctx context.Context, actor string, d WorklogDelete) (*WorklogResult, error) {
	adjust, err := normAdjust(d.Adjust, d.AdjustBy, false)
	if err != nil {
		return nil, err
	}
	res := &WorklogResult{}
	var conflict *WorklogConflictError
	_, err = s.writeTx(ctx, func(w *writer) error {
		wl, t, since, err := worklogFrame(w, actor, d.WorklogID, d.BaseVersion)
		if err != nil {
			return err
		}
		if d.BaseVersion != wl.Version {
			conflict = refusedWorklog(w.tx, wl, d.BaseVersion, since, nil)
			return nil
		}
		deleted := &WorklogDeleted{WorklogID: wl.ID, Author: wl.AuthorID, Date: wl.Date, Seconds: wl.Seconds, Adjust: adjust}
		if adjust == AdjustSet {
			deleted.AdjustBy = d.AdjustBy
		}
		deleted.RemainingFrom = clonePtr(t.Remaining)
		deleted.RemainingTo = nextRemaining(t.Remaining, -wl.Seconds, adjust, deleted.AdjustBy)
		if res.Task, res.Events, err = appendWorklogEvent(w, actor, t, deleted); err != nil {
			return err
		}
		res.Task.Key = t.Key
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: delete worklog: %w", err)
	}
	if conflict != nil {
		return nil, conflict
	}
	return res, nil
}

// canReduce refuses to reduce a remaining estimate the task does not have.
func canReduce(t *Task, a Adjust) error {
	if a == AdjustReduce && t.Remaining == nil {
		return invalidField("adjust", "%s has no remaining estimate to reduce: choose another way to adjust it.", t.Key)
	}
	return nil
}

// normWorkDate checks a work date: required, YYYY-MM-DD, not after tomorrow (UTC).
func normWorkDate(s string, now time.Time) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalidField("date", "Enter the date the work was done.")
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < 1900 {
		return "", invalidField("date", "The date must be a date like 2026-11-23.")
	}
	tomorrow := now.UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	if s = d.Format(time.DateOnly); s > tomorrow {
		return "", invalidField("date", "The date can't be later than %s: log work on the day it was done.", tomorrow)
	}
	return s, nil
}

// normStart checks a start time: "" or HH:MM on a 24-hour clock ("9:05" reads as 09:05).
func normStart(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return "", invalidField("start", "The start time must be like 09:30 (24-hour clock), or empty.")
	}
	return t.Format("15:04"), nil
}

// checkTimeSpent checks a worklog's seconds.
func checkTimeSpent(sec int64) error {
	switch {
	case sec <= 0:
		return invalidField("time_spent", "Enter the time spent, more than nothing, e.g. 2h 30m.")
	case sec > duration.Max:
		return invalidField("time_spent", "The time spent can be 100,000 hours at most.")
	}
	return nil
}

// normWorklogComment trims a worklog comment and checks its length.
func normWorklogComment(s string) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	switch {
	case !utf8.ValidString(s):
		return "", invalidField("comment", "The comment contains invalid characters.")
	case utf8.RuneCountInString(s) > MaxWorklogComment:
		return "", invalidField("comment", "The comment is too long (%d characters at most).", MaxWorklogComment)
	}
	return s, nil
}

// normAdjust checks a remaining-estimate choice ("" is auto) and its amount; reduce is
// a choice only when reducible says so (not on delete).
func normAdjust(a Adjust, by int64, reducible bool) (Adjust, error) {
	a = Adjust(strings.ToLower(strings.TrimSpace(string(a))))
	if a == "" {
		a = AdjustAuto
	}
	if !slices.Contains(Adjusts, a) || (a == AdjustReduce && !reducible) {
		if reducible {
			return "", invalidField("adjust", "Choose how to adjust the remaining estimate: auto, leave, set or reduce.")
		}
		return "", invalidField("adjust", "Choose how to adjust the remaining estimate: auto (add the time back), leave or set.")
	}
	if a == AdjustSet || a == AdjustReduce {
		switch {
		case by < 0:
			return "", invalidField("adjust_by", "The remaining estimate can't be negative.")
		case by > duration.Max:
			return "", invalidField("adjust_by", "The remaining estimate can be 100,000 hours at most.")
		}
	}
	return a, nil
}

// worklogRow is a worklogs row as stored, with its task's key and title.
type worklogRow struct {
	ID         string `db:"id"`
	TaskID     string `db:"task_id"`
	ProjectID  string `db:"project_id"`
	AuthorID   string `db:"author_id"`
	Date       string `db:"work_date"`
	Start      string `db:"start_time"`
	Seconds    int64  `db:"seconds"`
	Comment    string `db:"comment"`
	Version    int    `db:"version"`
	CreatedAt  string `db:"created_at"`
	UpdatedAt  string `db:"updated_at"`
	ProjectKey string `db:"project_key"`
	Number     int    `db:"number"`
	Title      string `db:"title"`
}

const worklogColumns = `w.id, w.task_id, w.project_id, w.author_id, w.work_date, w.start_time, w.seconds, w.comment,
	w.version, w.created_at, w.updated_at, p.key AS project_key, t.number, t.title`

const worklogFrom = ` FROM worklogs w JOIN tasks t ON t.id = w.task_id JOIN projects p ON p.id = w.project_id`

func (r worklogRow) worklog() (*Worklog, error) {
	w := &Worklog{ID: r.ID, TaskID: r.TaskID, ProjectID: r.ProjectID, AuthorID: r.AuthorID, Date: r.Date, Start: r.Start,
		Seconds: r.Seconds, Comment: r.Comment, Version: r.Version,
		TaskKey: fmt.Sprintf("%s-%d", r.ProjectKey, r.Number), TaskTitle: r.Title}
	var err error
	if w.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return nil, err
	}
	if w.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
		return nil, err
	}
	return w, nil
}

// loadWorklog reads worklog id, ENOTFOUND when it is gone.
func loadWorklog(q sqlxGetter, id string) (*Worklog, error) {
	var r worklogRow
	if err := q.Get(&r, `SELECT `+worklogColumns+worklogFrom+` WHERE w.id = ?`, id); err != nil {
		return nil, notFound(err, "This worklog was deleted.")
	}
	return r.worklog()
}

// Worklogs returns a task's worklogs, newest work date first, then newest logged first.
func (s *Store) Worklogs(ctx context.Context, taskID string) ([]*Worklog, error) {
	var rows []worklogRow
	if err := s.read.SelectContext(ctx, &rows, `SELECT `+worklogColumns+worklogFrom+`
		WHERE w.task_id = ? ORDER BY w.work_date DESC, w.created_at DESC, w.id DESC`, taskID); err != nil {
		return nil, fmt.Errorf("store: worklogs: %w", err)
	}
	out := make([]*Worklog, 0, len(rows))
	for _, r := range rows {
		w, err := r.worklog()
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// Worklog returns one worklog; ENOTFOUND ("This worklog was deleted.") when it is gone.
func (s *Store) Worklog(ctx context.Context, id string) (*Worklog, error) {
	return loadWorklog(s.read, id)
}

// normEstimate checks an estimate in seconds (nil: none) for the form field field.
func normEstimate(field string, v *int64) (*int64, error) {
	if v == nil {
		return nil, nil
	}
	what := "The original estimate"
	if field == "remaining_estimate" {
		what = "The remaining estimate"
	}
	switch {
	case *v < 0:
		return nil, invalidField(field, "%s can't be negative.", what)
	case *v > duration.Max:
		return nil, invalidField(field, "%s can be 100,000 hours at most.", what)
	}
	return clonePtr(v), nil
}

// estimateSetsRemaining applies Jira's habit to an edit's events: an original estimate
// set on a task without a remaining estimate also sets the remaining estimate, to the
// estimate less the time logged (never below zero), unless the edit sets the remaining
// estimate itself.
func estimateSetsRemaining(current *Task, apply []change, payloads []Payload) {
	if current.Remaining != nil {
		return
	}
	for _, c := range apply {
		if c.field == FieldRemaining {
			return
		}
	}
	for _, p := range payloads {
		if e, ok := p.(*TaskEstimated); ok && e.To != nil {
			r := max(0, *e.To-current.Logged)
			e.RemainingTo = &r
		}
	}
}

// formatSeconds writes a duration with the project's calendar, "none" for nil.
func formatSeconds(p *Project, v *int64) string {
	if v == nil {
		return "none"
	}
	c := duration.Default
	if p != nil {
		c = p.Calendar()
	}
	return c.Format(*v)
}

// describeTime tells a time tracking event for people, durations written with the
// project's calendar: "logged 2h on DEMO-12 for 23 Nov (remaining 6h → 4h)".
func describeTime(h *HistoryEntry, p *Project, payload Payload, name func(string) User) {
	key := h.TaskKey
	d := func(v *int64) string { return formatSeconds(p, v) }
	sec := func(v int64) string { return formatSeconds(p, &v) }
	change := func(field, from, to string) {
		h.Changes = append(h.Changes, ValueChange{Field: field, From: from, To: to})
	}
	remaining := func(from, to *int64) {
		if !equalValues(from, to) {
			change("Remaining estimate", d(from), d(to))
		}
	}
	// whose names a worklog's author: "their" for the actor's own.
	whose := func(author string) string {
		if author == h.Actor.ID {
			return "their"
		}
		return name(author).Name + "'s"
	}
	day := func(date string) string { return workDay(date, h.At) }
	switch e := payload.(type) {
	case *TaskEstimated:
		if e.To == nil {
			h.Text = "cleared the original estimate of " + key
		} else {
			h.Text = fmt.Sprintf("set the original estimate of %s to %s", key, d(e.To))
		}
		change("Original estimate", d(e.From), d(e.To))
		if e.RemainingTo != nil {
			remaining(e.RemainingFrom, e.RemainingTo)
		}
	case *TaskRemainingChanged:
		if e.To == nil {
			h.Text = "cleared the remaining estimate of " + key
		} else {
			h.Text = fmt.Sprintf("set the remaining estimate of %s to %s", key, d(e.To))
		}
		change("Remaining estimate", d(e.From), d(e.To))
	case *WorkLogged:
		h.Text = fmt.Sprintf("logged %s on %s for %s", sec(e.Seconds), key, day(e.Date))
		if !equalValues(e.RemainingFrom, e.RemainingTo) {
			h.Text += fmt.Sprintf(" (remaining %s → %s)", d(e.RemainingFrom), d(e.RemainingTo))
		}
		change("Time spent", "", sec(e.Seconds))
		if e.Comment != "" {
			change("Comment", "", e.Comment)
		}
		remaining(e.RemainingFrom, e.RemainingTo)
	case *WorklogEdited:
		h.Text = fmt.Sprintf("changed %s worklog on %s", whose(e.Author), key)
		if e.Seconds != nil {
			h.Text += fmt.Sprintf(": %s → %s", sec(e.Seconds.From), sec(e.Seconds.To))
			change("Time spent", sec(e.Seconds.From), sec(e.Seconds.To))
		}
		if e.Date != nil {
			change("Date", day(e.Date.From), day(e.Date.To))
		}
		if e.Start != nil {
			change("Start time", orNone(e.Start.From), orNone(e.Start.To))
		}
		if e.Comment != nil {
			change("Comment", orNone(e.Comment.From), orNone(e.Comment.To))
		}
		remaining(e.RemainingFrom, e.RemainingTo)
	case *WorklogDeleted:
		what := "a worklog"
		if e.Author != h.Actor.ID {
			what = name(e.Author).Name + "'s worklog"
		}
		h.Text = fmt.Sprintf("deleted %s of %s (%s) on %s", what, sec(e.Seconds), day(e.Date), key)
		remaining(e.RemainingFrom, e.RemainingTo)
	case *WorklogConflicted:
		h.Text = fmt.Sprintf("tried to change %s worklog on %s from version %d, but it had changed (now version %d): conflict, not applied",
			whose(e.Author), key, e.BaseVersion, e.CurrentVersion)
		for _, f := range e.Fields {
			show := func(v any) string {
				if f == worklogSeconds {
					if n, ok := wantedSeconds(v); ok && n != nil {
						return sec(*n)
					}
				}
				if f == worklogDate {
					return day(fmt.Sprint(v))
				}
				return orNone(fmt.Sprint(v))
			}
			h.Conflicts = append(h.Conflicts, ConflictNote{Field: worklogFieldName(f), Yours: show(e.Yours[f]),
				Theirs: show(e.Theirs[f]), By: name(e.ChangedBy), At: e.ChangedAt})
		}
	}
}

// worklogFieldName is a worklog field's label: "Time spent".
func worklogFieldName(f string) string {
	l := worklogFieldLabels([]string{f})[0]
	return strings.ToUpper(l[:1]) + l[1:]
}

// workDay writes a work date for a sentence: "23 Nov", with the year when it is not
// the year of the event that tells it.
func workDay(date string, at time.Time) string {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	if d.Year() != at.UTC().Year() {
		return d.Format("2 Jan 2006")
	}
	return d.Format("2 Jan")
}
