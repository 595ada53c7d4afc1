package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"
)

// ReportUnit is what a report measures work in.
type ReportUnit string

// Report units.
const (
	UnitPoints    ReportUnit = "points"
	UnitCount     ReportUnit = "count"
	UnitRemaining ReportUnit = "remaining" // remaining estimate, seconds
	UnitOriginal  ReportUnit = "original"  // original estimate, seconds
)

// ReportUnits lists the units in the order pages offer them.
var ReportUnits = []ReportUnit{UnitPoints, UnitCount, UnitRemaining, UnitOriginal}

// Report bucket names, the keys of SprintReport.Totals.
const (
	BucketCommitted        = "committed"
	BucketAdded            = "added"
	BucketRemoved          = "removed"
	BucketCompleted        = "completed"
	BucketCompletedOutside = "completed_outside"
	BucketNotCompleted     = "not_completed"
)

// Kinds of ReportChange.
const (
	ChangeAdded       = "added"
	ChangeRemoved     = "removed"
	ChangeReestimated = "reestimated"
)

// ReportTask is one task in a report bucket. Key and Title are as of the report's
// position; Points, Estimate and Remaining are the task's at the bucket's instant (at
// start for the commitment, at the change for a change, at completion, or at the report's
// position for an active sprint).
type ReportTask struct {
	TaskID    string   `json:"task_id"`
	Key       string   `json:"key"`
	Title     string   `json:"title"`
	Points    *float64 `json:"points"`
	Estimate  *int64   `json:"original_estimate"`
	Remaining *int64   `json:"remaining_estimate"`
	// Seq is the event that put the task in its bucket (link target), By its actor
	// (user id), At its instant.
	Seq int64     `json:"seq"`
	By  string    `json:"by"`
	At  time.Time `json:"at"`
	// To, for NotCompleted only: the sprint id the task went to, "" = the backlog. While
	// the sprint is active its unfinished tasks are still in it: To is the sprint's own id.
	To string `json:"to,omitempty"`
	// Value is the task's value in the report's unit at the bucket's instant.
	Value float64 `json:"value"`
}

// ReportChange is a scope change or a re-estimate after the sprint started.
type ReportChange struct {
	Kind string     `json:"kind"` // ChangeAdded, ChangeRemoved or ChangeReestimated
	Task ReportTask `json:"task"` // Seq/By/At = the change's event
	// From and To: for a re-estimate, the value in the report's unit before and after;
	// for an addition or removal, both are the task's value.
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

// SprintReport is a sprint's report as of an event position: a pure function of the
// events up to it.
type SprintReport struct {
	SprintID    string     `json:"sprint_id"`
	Number      int        `json:"number"`
	Name        string     `json:"name"`
	Goal        string     `json:"goal"`
	Start       string     `json:"start"` // planned dates
	End         string     `json:"end"`
	StartedAt   time.Time  `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	// AsOf and AsOfTime are the position and the instant the report was computed at.
	AsOf     int64     `json:"as_of"`
	AsOfTime time.Time `json:"as_of_time"`
	// Version is 1 for the first completion (or while active), 2 after reopening and
	// completing again…; PreviousAsOf is the earlier completion's position (0 if none).
	Version      int        `json:"version"`
	PreviousAsOf int64      `json:"previous_as_of"`
	Unit         ReportUnit `json:"unit"`
	// TimeZone is the project's zone the days are counted in (as of AsOf).
	TimeZone         string         `json:"time_zone"`
	Committed        []ReportTask   `json:"committed"`
	Added            []ReportChange `json:"added"`
	Removed          []ReportChange `json:"removed"`
	Reestimated      []ReportChange `json:"reestimated"`
	Completed        []ReportTask   `json:"completed"`
	CompletedOutside []ReportTask   `json:"completed_outside"`
	NotCompleted     []ReportTask   `json:"not_completed"`
	// Totals maps each bucket name to its sum in Unit.
	Totals map[string]float64 `json:"totals"`
	// TimeLogged is the time logged (seconds) on the sprint's tasks (those in it while it
	// was active) with work dates from its start day to its completion (or as-of) day,
	// net of edits and deletions up to AsOf.
	TimeLogged int64    `json:"time_logged"`
	Burndown   Burndown `json:"burndown"`
}

// Burndown is a sprint's remaining work day by day.
type Burndown struct {
	Unit ReportUnit `json:"unit"`
	// Days has one entry per calendar day in the project's zone, from the start instant's
	// day to the planned end (or to completion/now if later).
	Days []BurndownDay `json:"days"`
	// Changes are every scope change and re-estimate, in log order, for marking.
	Changes []ReportChange `json:"changes"`
}

// BurndownDay is one day of a burndown.
type BurndownDay struct {
	Date string `json:"date"` // YYYY-MM-DD in the project's zone
	// End is the instant the day's value is taken: the end of the day, or the
	// completion/as-of instant for the last known day. The first day starts at the
	// sprint's start instant.
	End     time.Time `json:"end"`
	Working bool      `json:"working"`
	// Remaining is the work left in Unit at End: tasks in the sprint then, not done.
	Remaining float64 `json:"remaining"`
	// Guide falls from the commitment at start to 0 at the planned end, over working
	// days only (flat on non-working days).
	Guide float64 `json:"guide"`
	// Future is true for days after the as-of instant: not known yet, no Remaining.
	Future bool `json:"future"`
}

// validUnit checks a report unit; "" is points.
func validUnit(u ReportUnit) (ReportUnit, error) {
	if u == "" {
		return UnitPoints, nil
	}
	if !slices.Contains(ReportUnits, u) {
		return "", invalidField("unit", "Unknown unit %q: choose points, count, remaining or original.", u)
	}
	return u, nil
}

// SprintReportVersions lists the completion positions of a sprint (reopened and
// completed again → several), oldest first.
func (s *Store) SprintReportVersions(ctx context.Context, sprintID string) ([]int64, error) {
	var seqs []int64
	if err := s.read.SelectContext(ctx, &seqs, `SELECT seq FROM events WHERE stream = ? AND type = ? ORDER BY seq`,
		sprintStream(sprintID), TypeSprintCompleted); err != nil {
		return nil, fmt.Errorf("store: sprint report versions: %w", err)
	}
	if seqs == nil {
		seqs = []int64{}
	}
	return seqs, nil
}

// SprintReport computes a sprint's report in unit as of position asOf. asOf 0 is now
// for an active sprint; for a completed one it is its latest completion, and any
// position at which the sprint was completed is that completion's (a completed sprint's
// report is frozen: later edits never change it). It reads only events: the sprint's
// stream, the streams of the tasks that were in it while it was active, and the
// project's stream (workflow and calendar), each up to the position.
func (s *Store) SprintReport(ctx context.Context, sprintID string, unit ReportUnit, asOf int64) (*SprintReport, error) {
	unit, err := validUnit(unit)
	if err != nil {
		return nil, err
	}
	if asOf < 0 {
		return nil, invalidField("as_of", "A position is a positive event number.")
	}
	tx, err := s.read.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: sprint report: %w", err)
	}
	defer tx.Rollback()
	var head int64
	if err := tx.GetContext(ctx, &head, `SELECT COALESCE(MAX(seq), 0) FROM events`); err != nil {
		return nil, fmt.Errorf("store: sprint report: %w", err)
	}
	if asOf > head {
		return nil, invalidField("as_of", "Position %d is beyond the end of the log (%d).", asOf, head)
	}
	now := asOf == 0
	if now {
		asOf = head
	}
	sprintEvents, err := streamEvents(tx, sprintStream(sprintID))
	if err != nil {
		return nil, err
	}
	if len(sprintEvents) == 0 {
		return nil, Errorf(ENOTFOUND, "No such sprint.")
	}
	if sprintEvents[0].Seq > asOf {
		return nil, invalidField("as_of", "This sprint did not exist yet at position %d; it was created at position %d.", asOf, sprintEvents[0].Seq)
	}
	sprintEvents = upTo(sprintEvents, asOf)
	var sp *Sprint
	var lastCompletion int64
	for _, e := range sprintEvents {
		if sp, err = applySprint(sp, e.Event, e.payload); err != nil {
			return nil, err
		}
		if _, ok := e.payload.(*SprintCompletedEvent); ok {
			lastCompletion = e.Seq
		}
	}
	if sp == nil || sp.deleted {
		return nil, Errorf(ENOTFOUND, "No such sprint.")
	}
	if sp.State == SprintPlanned {
		return nil, Errorf(EINVALID, "%s has not started; its report begins when it starts.", sp.Name)
	}
	var asOfTime time.Time
	if sp.State == SprintCompleted {
		// Frozen: the report of a completed sprint is the one at its completion.
		asOf, now = lastCompletion, false
		sprintEvents = upTo(sprintEvents, asOf)
	}
	var at string
	if err := tx.GetContext(ctx, &at, `SELECT at FROM events WHERE seq = ?`, asOf); err != nil {
		return nil, fmt.Errorf("store: sprint report position: %w", err)
	}
	if asOfTime, err = parseTime(at); err != nil {
		return nil, err
	}
	if now {
		if t := s.Now().UTC(); t.After(asOfTime) {
			asOfTime = t
		}
	}
	events, err := reportEvents(tx, sp.ProjectID, sprintEvents, asOf)
	if err != nil {
		return nil, err
	}
	return buildSprintReport(sprintID, unit, asOf, asOfTime, events)
}

// upTo keeps the events at or before position p (events are in seq order).
func upTo(events []decodedEvent, p int64) []decodedEvent {
	n := sort.Search(len(events), func(i int) bool { return events[i].Seq > p })
	return events[:n]
}

// reportEvents gathers, in log order up to asOf, the events a sprint report folds: the
// sprint's, the project's and those of every task that was in the sprint while it was
// active (its commitment and the tasks added to it).
func reportEvents(q sqlx.Queryer, projectID string, sprintEvents []decodedEvent, asOf int64) ([]decodedEvent, error) {
	streams := []string{projectStream(projectID)}
	seen := map[string]bool{}
	for _, e := range sprintEvents {
		var ids []string
		switch p := e.payload.(type) {
		case *SprintStarted:
			for _, t := range p.Commitment {
				ids = append(ids, t.TaskID)
			}
		case *SprintScopeChanged:
			ids = append(ids, p.TaskID)
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				streams = append(streams, taskStream(id))
			}
		}
	}
	all := slices.Clone(sprintEvents)
	// A few hundred streams per statement keeps under SQLite's limit of variables.
	for len(streams) > 0 {
		n := min(len(streams), 500)
		query, args, err := sqlx.In(`SELECT seq, stream, version, type, actor, at, data FROM events
			WHERE stream IN (?) AND seq <= ? ORDER BY seq`, streams[:n], asOf)
		if err != nil {
			return nil, fmt.Errorf("store: sprint report events: %w", err)
		}
		var rows []eventRow
		if err := sqlx.Select(q, &rows, query, args...); err != nil {
			return nil, fmt.Errorf("store: sprint report events: %w", err)
		}
		decoded, err := decodeRows(rows)
		if err != nil {
			return nil, err
		}
		all = append(all, decoded...)
		streams = streams[n:]
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	return all, nil
}
