package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Cumulative flow and cycle time (issue 12): both are pure folds of the project's
// events (event_projects lists them, as for the board as it was), never of today's read
// models. Days are calendar days in the project's time zone (its working calendar's,
// as the project's events last set it); a day's numbers are the board at its end.

// MaxFlowDays is the longest range the flow and cycle-time reports cover.
const MaxFlowDays = 366

// FlowReport is a project's cumulative flow over a range of days.
type FlowReport struct {
	ProjectID string `json:"project_id"`
	Key       string `json:"key"`
	From      string `json:"from"` // first day, YYYY-MM-DD in TimeZone
	To        string `json:"to"`   // last day
	TimeZone  string `json:"time_zone"`
	// Series are the bands of the chart, bottom up: every column that was part of the
	// workflow on one of the days, in workflow order (a removed column stays where it
	// was). A column renamed within the range is one series with all its names.
	Series []FlowSeries `json:"series"`
	Days   []FlowDay    `json:"days"`
}

// FlowSeries is one column over the range.
type FlowSeries struct {
	ColumnID string   `json:"column_id"`
	Name     string   `json:"name"`  // its name on the last day it existed in the range
	Names    []string `json:"names"` // every name it had in the range, first first
}

// Label is the series' name, with the names it had before in the range.
func (s FlowSeries) Label() string {
	if len(s.Names) <= 1 {
		return s.Name
	}
	l := s.Name + " (earlier "
	for i, n := range s.Names[:len(s.Names)-1] {
		if i > 0 {
			l += ", "
		}
		l += n
	}
	return l + ")"
}

// FlowDay is the board at the end of one day.
type FlowDay struct {
	Date string    `json:"date"`
	End  time.Time `json:"end"` // the instant the day ends (the next midnight in the zone)
	// Seq is the project's last event before End (0: the project did not exist yet).
	Seq int64 `json:"seq"`
	// Columns is the workflow as it was then, with the count of not-archived tasks in
	// each column.
	Columns []FlowCount `json:"columns"`
}

// FlowCount is one column's count at the end of a day.
type FlowCount struct {
	ColumnID string   `json:"column_id"`
	Name     string   `json:"name"`
	Category Category `json:"category"`
	Count    int      `json:"count"`
}

// Count returns the day's count for column id, and whether the column existed then.
func (d FlowDay) Count(id string) (int, bool) {
	for _, c := range d.Columns {
		if c.ColumnID == id {
			return c.Count, true
		}
	}
	return 0, false
}

// CycleReport is the cycle time of the tasks completed in a range of days.
type CycleReport struct {
	ProjectID string `json:"project_id"`
	Key       string `json:"key"`
	From      string `json:"from"`
	To        string `json:"to"`
	TimeZone  string `json:"time_zone"`
	// Tasks are the tasks whose (last) entry into a done column fell in the range, in
	// the order they were done.
	Tasks []CycleTask `json:"tasks"`
	// Measured is how many tasks have a cycle time (entered an in-progress column
	// before they were done); Median and P85 are nearest-rank percentiles of their
	// durations in seconds (0 when none).
	Measured int   `json:"measured"`
	Median   int64 `json:"median_seconds"`
	P85      int64 `json:"p85_seconds"`
}

// CycleTask is one completed task's cycle.
type CycleTask struct {
	TaskID string `json:"task_id"`
	Number int    `json:"number"`
	Key    string `json:"key"`
	Title  string `json:"title"`
	// Started is its first entry into an in-progress column (nil: it never was in
	// one before it was done, and has no cycle time); Done its entry into a done
	// column; Seconds the time between.
	Started *time.Time `json:"started"`
	Done    time.Time  `json:"done"`
	Seconds *int64     `json:"seconds"`
}

// NearestRank returns the p-th percentile (0 < p ≤ 100) of sorted by the nearest-rank
// method: the smallest value with at least p% of the values at or below it.
func NearestRank(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	r := int(math.Ceil(p / 100 * float64(len(sorted))))
	r = max(1, min(r, len(sorted)))
	return sorted[r-1]
}

// CumulativeFlow returns the project's tasks per column at the end of each day from
// from to to (YYYY-MM-DD, inclusive, in the project's time zone). Errors: ENOTFOUND for
// an unknown project, EINVALID for a range that cannot be read, is backwards, longer
// than MaxFlowDays or ends after today.
func (s *Store) CumulativeFlow(ctx context.Context, projectID, from, to string) (*FlowReport, error) {
	fl, err := s.foldFlow(ctx, projectID, from, to)
	if err != nil {
		return nil, err
	}
	return fl.flow, nil
}

// CycleTimes returns the cycle time of each task done from from to to (YYYY-MM-DD,
// inclusive, in the project's time zone): from its first entry into an in-progress
// column to its entry into a done column, categories as they were then. Errors as
// CumulativeFlow's.
func (s *Store) CycleTimes(ctx context.Context, projectID, from, to string) (*CycleReport, error) {
	fl, err := s.foldFlow(ctx, projectID, from, to)
	if err != nil {
		return nil, err
	}
	return fl.cycle, nil
}

// FlowAndCycle returns both CumulativeFlow and CycleTimes from one fold of the
// project's history (the flow page shows both; each alone folds it again).
func (s *Store) FlowAndCycle(ctx context.Context, projectID, from, to string) (*FlowReport, *CycleReport, error) {
	fl, err := s.foldFlow(ctx, projectID, from, to)
	if err != nil {
		return nil, nil, err
	}
	return fl.flow, fl.cycle, nil
}

type flowResult struct {
	flow  *FlowReport
	cycle *CycleReport
}

// ParseFlowRange reads a report range: two dates, from not after to, at most
// MaxFlowDays days.
func ParseFlowRange(from, to string) (time.Time, time.Time, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return f, f, invalidField("from", "from=%q is not a date: write it as 2026-11-02.", clipDate(from))
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return f, t, invalidField("to", "to=%q is not a date: write it as 2026-11-30.", clipDate(to))
	}
	if t.Before(f) {
		return f, t, invalidField("to", "The range ends (%s) before it begins (%s): swap the dates.", to, from)
	}
	if n := int(t.Sub(f).Hours()/24) + 1; n > MaxFlowDays {
		return f, t, invalidField("to", "%s to %s is %d days; a report covers at most %d days.", from, to, n, MaxFlowDays)
	}
	return f, t, nil
}

func clipDate(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// projectEvents returns the project's events in log order, from event_projects.
func (s *Store) projectEvents(ctx context.Context, projectID string) ([]decodedEvent, error) {
	if err := s.indexProjectEvents(ctx); err != nil {
		return nil, err
	}
	var n int
	if err := s.read.GetContext(ctx, &n, `SELECT COUNT(*) FROM projects WHERE id = ?`, projectID); err != nil {
		return nil, fmt.Errorf("store: project %s: %w", projectID, err)
	}
	if n == 0 {
		return nil, Errorf(ENOTFOUND, "No such project.")
	}
	var rows []eventRow
	if err := s.read.SelectContext(ctx, &rows, `SELECT e.seq, e.stream, e.version, e.type, e.actor, e.at, e.data
		FROM event_projects ep JOIN events e ON e.seq = ep.seq
		WHERE ep.project_id = ? ORDER BY ep.seq`, projectID); err != nil {
		return nil, fmt.Errorf("store: events of project %s: %w", projectID, err)
	}
	return decodeRows(rows)
}

// taskCycle is what the fold keeps of one task's categories.
type taskCycle struct {
	cat     Category
	started *time.Time // first entry into in progress
	done    *time.Time // last entry into done within the range
	seq     int64      // that entry's position (orders the report)
}

func (s *Store) foldFlow(ctx context.Context, projectID, from, to string) (*flowResult, error) {
	fromDay, toDay, err := ParseFlowRange(from, to)
	if err != nil {
		return nil, err
	}
	events, err := s.projectEvents(ctx, projectID)
	if err != nil {
		return nil, err
	}
	zone := ""
	for _, e := range events {
		if p, ok := e.payload.(*SettingsChanged); ok && p.TimeZone != nil {
			zone = p.TimeZone.To
		}
	}
	loc := newWorkCalendar(zone, 0, nil).Location
	today := s.Now().In(loc).Format(time.DateOnly)
	if to > today {
		return nil, invalidField("to", "%s is in the future (today is %s in %s): a report can only show days that have ended or are under way.", to, today, loc)
	}
	return foldFlow(projectID, events, loc, fromDay, toDay), nil
}

// dayEnd is the instant day (a date at UTC midnight) ends in loc.
func dayEnd(day time.Time, loc *time.Location) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
}

// foldFlow folds the project's events (log order) into both reports.
func foldFlow(projectID string, events []decodedEvent, loc *time.Location, fromDay, toDay time.Time) *flowResult {
	fromS, toS := fromDay.Format(time.DateOnly), toDay.Format(time.DateOnly)
	flow := &FlowReport{ProjectID: projectID, From: fromS, To: toS, TimeZone: loc.String(), Series: []FlowSeries{}, Days: []FlowDay{}}
	cycle := &CycleReport{ProjectID: projectID, From: fromS, To: toS, TimeZone: loc.String(), Tasks: []CycleTask{}}
	rangeStart := time.Date(fromDay.Year(), fromDay.Month(), fromDay.Day(), 0, 0, 0, 0, loc)
	rangeEnd := dayEnd(toDay, loc)

	f := newBoardFold()
	cycles := map[string]*taskCycle{}
	project := func() *Project { return &Project{Columns: f.Columns} }
	// settle notes task id's category after an event at instant at.
	settle := func(id string, at time.Time, seq int64) {
		t := f.Tasks[id]
		if t == nil {
			return
		}
		c := cycles[id]
		if c == nil {
			c = &taskCycle{}
			cycles[id] = c
		}
		cat := project().Category(t.ColumnID)
		if cat == c.cat {
			return
		}
		c.cat = cat
		switch cat {
		case CategoryInProgress:
			if c.started == nil {
				at := at
				c.started = &at
			}
		case CategoryDone:
			if !at.Before(rangeStart) && at.Before(rangeEnd) {
				at := at
				c.done, c.seq = &at, seq
			}
		}
	}

	// A day's board is the board at the project's last event before the day ends, as
	// SeqAt finds it (latest instant, then latest position); the fold goes in log order
	// up to it. (Instants follow the log's order; were one out of order, a day's board
	// would never go back to an earlier position.)
	byTime := make([]int, len(events))
	for k := range byTime {
		byTime[k] = k
	}
	sort.SliceStable(byTime, func(a, b int) bool { return events[byTime[a]].At.Before(events[byTime[b]].At) })
	i, j := 0, 0
	var target int64
	for day := fromDay; !day.After(toDay); day = day.AddDate(0, 0, 1) {
		end := dayEnd(day, loc)
		for ; j < len(byTime) && events[byTime[j]].At.Before(end); j++ {
			target = max(target, events[byTime[j]].Seq)
		}
		for ; i < len(events) && events[i].Seq <= target; i++ {
			e := events[i]
			if err := f.apply(e.Event, e.payload); err != nil {
				continue // an event the fold cannot apply changes nothing it shows
			}
			kind, id := streamID(e.Stream)
			switch {
			case kind == "task":
				settle(id, e.At, e.Seq)
			case kind == "project":
				if _, ok := e.payload.(*WorkflowChanged); ok {
					for tid := range f.Tasks {
						settle(tid, e.At, e.Seq)
					}
				}
			}
		}
		d := FlowDay{Date: day.Format(time.DateOnly), End: end.UTC(), Seq: f.Seq, Columns: []FlowCount{}}
		if f.Seq != 0 {
			counts := map[string]int{}
			for _, t := range f.Tasks {
				if !t.Archived {
					counts[t.ColumnID]++
				}
			}
			p := project()
			for _, c := range f.Columns {
				d.Columns = append(d.Columns, FlowCount{ColumnID: c.ID, Name: c.Name, Category: p.Category(c.ID), Count: counts[c.ID]})
			}
		}
		flow.Days = append(flow.Days, d)
	}
	flow.Key, cycle.Key = f.Key, f.Key
	flow.Series = flowSeries(flow.Days)

	var durations []int64
	for id, c := range cycles {
		if c.done == nil {
			continue
		}
		t := f.Tasks[id]
		ct := CycleTask{TaskID: id, Number: t.Number, Key: f.Key + "-" + strconv.Itoa(t.Number), Title: t.Title, Done: c.done.UTC()}
		if c.started != nil && !c.started.After(*c.done) {
			st := c.started.UTC()
			sec := int64(c.done.Sub(*c.started) / time.Second)
			ct.Started, ct.Seconds = &st, &sec
			durations = append(durations, sec)
		}
		cycle.Tasks = append(cycle.Tasks, ct)
	}
	sort.Slice(cycle.Tasks, func(a, b int) bool {
		return cycles[cycle.Tasks[a].TaskID].seq < cycles[cycle.Tasks[b].TaskID].seq
	})
	slices.Sort(durations)
	cycle.Measured = len(durations)
	cycle.Median = NearestRank(durations, 50)
	cycle.P85 = NearestRank(durations, 85)
	return &flowResult{flow: flow, cycle: cycle}
}

// flowSeries lists the columns of the days' workflows in stacking order: a column
// first seen on a later day goes after the column before it in that day's workflow.
func flowSeries(days []FlowDay) []FlowSeries {
	out := []FlowSeries{}
	index := map[string]int{}
	for _, d := range days {
		prev := ""
		for _, c := range d.Columns {
			if i, ok := index[c.ColumnID]; ok {
				s := &out[i]
				s.Name = c.Name
				if s.Names[len(s.Names)-1] != c.Name {
					s.Names = append(s.Names, c.Name)
				}
			} else {
				at := 0
				if prev != "" {
					at = slices.IndexFunc(out, func(s FlowSeries) bool { return s.ColumnID == prev }) + 1
				}
				out = slices.Insert(out, at, FlowSeries{ColumnID: c.ColumnID, Name: c.Name, Names: []string{c.Name}})
				for j, s := range out {
					index[s.ColumnID] = j
				}
			}
			prev = c.ColumnID
		}
	}
	return out
}
