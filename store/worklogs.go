package store

import (
	"context"
	"fmt"
	"time"

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
		return copySeconds(cur)
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
	ts := TimeSummary{Estimate: copySeconds(t.Estimate), Remaining: copySeconds(t.Remaining), Logged: t.Logged}
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
// why the remaining estimate is what it is.
func (s *Store) TaskTime(ctx context.Context, p *Project, t *Task) (*TaskTime, error) {
	tt := &TaskTime{TimeSummary: t.Time()}
	var err error
	if tt.Worklogs, err = s.Worklogs(ctx, t.ID); err != nil {
		return nil, err
	}
	return tt, nil
}

// LogWork logs time spent by actor on a task. It never conflicts: time spent adds up,
// and the remaining-estimate choice is relative or an explicit statement, recorded
// with what it was and became.
func (s *Store) LogWork(ctx context.Context, actor string, in NewWorklog) (*WorklogResult, error) {
	return nil, Errorf(EINVALID, "not yet")
}

// EditWorklog changes a worklog under the concurrency rule: fields changed by someone
// else since e.BaseVersion merge unless this edit changes them too, which is a
// *WorklogConflictError recorded in the task's history. The author may edit (while a
// member who can change tasks), and admins may edit anyone's.
func (s *Store) EditWorklog(ctx context.Context, actor string, e WorklogEdit) (*WorklogResult, error) {
	return nil, Errorf(EINVALID, "not yet")
}

// DeleteWorklog deletes a worklog, refused with *WorklogConflictError if it changed
// since d.BaseVersion. Who may: as EditWorklog.
func (s *Store) DeleteWorklog(ctx context.Context, actor string, d WorklogDelete) (*WorklogResult, error) {
	return nil, Errorf(EINVALID, "not yet")
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
	return copySeconds(v), nil
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
