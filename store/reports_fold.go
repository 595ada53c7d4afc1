package store

import (
	"fmt"
	"slices"
	"time"
)

// reportTaskState is what the report fold keeps about one task besides its state.
type reportTaskState struct {
	task *Task
	done bool // in a done-category column (as of the workflow then)
	// member: in the sprint now (its sprint, not archived); entry is the event that put
	// it there last (the start event for a task in it at start).
	member bool
	entry  eventRef
	// doneOnEntry: already done when it entered the sprint (or when the sprint started)
	// and never not done in it since: "completed outside the sprint".
	doneOnEntry bool
	// doneBy is the event that last made the task done.
	doneBy eventRef
	// ever: in the sprint at some time while it was active.
	ever bool
}

// eventRef names the event that put a task somewhere.
type eventRef struct {
	Seq int64
	By  string
	At  time.Time
}

func refOf(e decodedEvent) eventRef { return eventRef{Seq: e.Seq, By: e.Actor, At: e.At} }

type reportWorklog struct {
	taskID  string
	date    string
	seconds int64
}

// unitValue is a task's value in unit u.
func unitValue(t *Task, u ReportUnit) float64 {
	switch u {
	case UnitCount:
		return 1
	case UnitPoints:
		if t.Points != nil {
			return *t.Points
		}
	case UnitRemaining:
		if t.Remaining != nil {
			return float64(*t.Remaining)
		}
	case UnitOriginal:
		if t.Estimate != nil {
			return float64(*t.Estimate)
		}
	}
	return 0
}

// reportFold replays a sprint's events, its project's and its tasks' in log order.
type reportFold struct {
	sprintID string
	unit     ReportUnit
	key      string
	project  Project // workflow as of the event being folded
	sprint   *Sprint
	tasks    map[string]*reportTaskState
	ids      []string // task ids in first-seen order, for deterministic sums
	worklogs map[string]*reportWorklog
	wlOrder  []string
	// tentative are the indexes in the changes made at or after the sprint's latest
	// completion: the tasks it carried out, the re-estimates of tasks left in the
	// sprint. If the sprint is reopened they stand (the tasks left it, the values it
	// holds changed: committed + added − removed ± re-estimates is what it holds at its
	// next completion); if that completion is the sprint's last they are dropped (the
	// tasks are "not completed", the values are those at completion).
	tentative []int
}

func (f *reportFold) state(id string) *reportTaskState {
	st, ok := f.tasks[id]
	if !ok {
		st = &reportTaskState{}
		f.tasks[id] = st
		f.ids = append(f.ids, id)
	}
	return st
}

func (f *reportFold) reportTask(id string, ref eventRef) ReportTask {
	st := f.tasks[id]
	rt := ReportTask{TaskID: id, Seq: ref.Seq, By: ref.By, At: ref.At}
	if st == nil || st.task == nil {
		return rt
	}
	t := st.task
	rt.Points, rt.Estimate, rt.Remaining = clonePtr(t.Points), clonePtr(t.Estimate), clonePtr(t.Remaining)
	rt.Value = unitValue(t, f.unit)
	return rt
}

// active reports whether the sprint is running now.
func (f *reportFold) active() bool { return f.sprint != nil && f.sprint.State == SprintActive }

// started reports whether the sprint is running or completed (and may be reopened).
func (f *reportFold) started() bool {
	return f.sprint != nil && (f.sprint.State == SprintActive || f.sprint.State == SprintCompleted)
}

// refresh recomputes a task's done and membership flags after event e.
func (f *reportFold) refresh(st *reportTaskState, e decodedEvent) {
	t := st.task
	if t == nil {
		return
	}
	done := f.project.Done(t.ColumnID)
	if done && !st.done {
		st.doneBy = refOf(e)
	}
	st.done = done
	member := t.SprintID == f.sprintID && !t.Archived
	if member && !st.member {
		st.entry = refOf(e)
		st.doneOnEntry = done
		if f.active() {
			st.ever = true
		}
	}
	st.member = member
	if !done {
		st.doneOnEntry = false
	}
}

// remaining sums the unit values of the sprint's tasks that are not done.
func (f *reportFold) remaining() float64 {
	var sum float64
	for _, id := range f.ids {
		st := f.tasks[id]
		if st.member && !st.done && st.task != nil {
			sum += unitValue(st.task, f.unit)
		}
	}
	return sum
}

// membersSnapshot is the sprint's tasks at an instant: done or not, with their values.
type memberSnap struct {
	id          string
	done        bool
	doneOnEntry bool
	entry       eventRef
	doneBy      eventRef
	task        ReportTask
}

func (f *reportFold) members() []memberSnap {
	var out []memberSnap
	for _, id := range f.ids {
		st := f.tasks[id]
		if st.member && st.task != nil {
			out = append(out, memberSnap{id: id, done: st.done, doneOnEntry: st.doneOnEntry,
				entry: st.entry, doneBy: st.doneBy, task: f.reportTask(id, eventRef{})})
		}
	}
	return out
}

// buildSprintReport folds events (in log order, up to asOf) into the sprint's report.
func buildSprintReport(sprintID string, unit ReportUnit, asOf int64, asOfTime time.Time, events []decodedEvent) (*SprintReport, error) {
	// First pass: the sprint and the project's calendar as of asOf.
	var sp *Sprint
	var zone string
	weekdays := DefaultWorkWeekdays
	holidays := []string{}
	var startSeq, lastCompletion int64
	var completions []int64
	for _, e := range events {
		switch p := e.payload.(type) {
		case *SprintCreated, *SprintEdited, *SprintDeleted, *SprintStarted, *SprintScopeChanged, *SprintCompletedEvent, *SprintReopened:
			if e.Stream != sprintStream(sprintID) {
				continue
			}
			var err error
			if sp, err = applySprint(sp, e.Event, e.payload); err != nil {
				return nil, err
			}
			switch e.payload.(type) {
			case *SprintStarted:
				startSeq = e.Seq
			case *SprintCompletedEvent:
				lastCompletion = e.Seq
				completions = append(completions, e.Seq)
			}
		case *SettingsChanged:
			if p.TimeZone != nil {
				zone = p.TimeZone.To
			}
			if p.WorkWeekdays != nil {
				weekdays = p.WorkWeekdays.To
			}
			if p.Holidays != nil {
				holidays = p.Holidays.To
			}
		}
	}
	if sp == nil || sp.StartedAt == nil {
		return nil, fmt.Errorf("store: sprint report: sprint %s has not started by position %d", sprintID, asOf)
	}
	cal := newWorkCalendar(zone, weekdays, holidays)
	completed := sp.State == SprintCompleted
	r := &SprintReport{SprintID: sp.ID, Number: sp.Number, Name: sp.Name, Goal: sp.Goal, Start: sp.Start, End: sp.End,
		StartedAt: *sp.StartedAt, AsOf: asOf, AsOfTime: asOfTime.UTC(), Unit: unit, TimeZone: cal.Location.String(),
		Committed: []ReportTask{}, Added: []ReportChange{}, Removed: []ReportChange{}, Reestimated: []ReportChange{},
		Completed: []ReportTask{}, CompletedOutside: []ReportTask{}, NotCompleted: []ReportTask{},
		Totals: map[string]float64{}}
	if completed {
		ct := *sp.CompletedAt
		r.CompletedAt = &ct
		r.Version = len(completions)
		if len(completions) > 1 {
			r.PreviousAsOf = completions[len(completions)-2]
		}
	} else {
		r.Version = len(completions) + 1
		r.PreviousAsOf = lastCompletion
	}
	days := burndownDays(cal, *sp.StartedAt, sp.End, asOfTime)
	lastKnown := -1 // the day whose End is the as-of (or completion) instant
	for i := range days {
		if !days[i].Future {
			lastKnown = i
		}
	}

	f := &reportFold{sprintID: sprintID, unit: unit, tasks: map[string]*reportTaskState{}, worklogs: map[string]*reportWorklog{}}
	next := 0 // the next day to sample
	var final []memberSnap
	finalTaken := false
	carried := map[string]CarriedTask{}
	carriedRef := map[string]eventRef{}
	takeFinal := func() {
		for ; next <= lastKnown; next++ {
			days[next].Remaining = f.remaining()
		}
		final = f.members()
		finalTaken = true
	}
	var changes []ReportChange
	for _, e := range events {
		if e.Seq > startSeq && startSeq > 0 && !finalTaken {
			// The days that ended before this event take their value now.
			for next < lastKnown && !e.At.Before(days[next].End) {
				days[next].Remaining = f.remaining()
				next++
			}
			if completed && isFinalCompletion(e, sprintID, lastCompletion, *sp.CompletedAt) {
				takeFinal()
			}
		}
		if err := f.apply(e, startSeq, &changes, r); err != nil {
			return nil, err
		}
		if sc, ok := e.payload.(*TaskSprintChanged); ok && completed && sc.CarriedOver && sc.From == sprintID && e.At.Equal(*sp.CompletedAt) {
			_, id := streamID(e.Stream)
			carried[id] = CarriedTask{TaskID: id, To: sc.To}
			carriedRef[id] = refOf(e)
		}
	}
	if !finalTaken {
		takeFinal()
	}
	for i := len(f.tentative) - 1; i >= 0; i-- {
		changes = slices.Delete(changes, f.tentative[i], f.tentative[i]+1)
	}

	// Buckets at completion (or as of now).
	for _, m := range final {
		switch {
		case m.done && m.doneOnEntry:
			t := m.task
			t.Seq, t.By, t.At = m.entry.Seq, m.entry.By, m.entry.At
			r.CompletedOutside = append(r.CompletedOutside, t)
		case m.done:
			t := m.task
			t.Seq, t.By, t.At = m.doneBy.Seq, m.doneBy.By, m.doneBy.At
			r.Completed = append(r.Completed, t)
		default:
			t := m.task
			if c, ok := carried[m.id]; ok {
				ref := carriedRef[m.id]
				t.Seq, t.By, t.At, t.To = ref.Seq, ref.By, ref.At, c.To
			} else {
				t.Seq, t.By, t.At, t.To = m.entry.Seq, m.entry.By, m.entry.At, sprintID
			}
			r.NotCompleted = append(r.NotCompleted, t)
		}
	}
	for _, c := range changes {
		switch c.Kind {
		case ChangeAdded:
			r.Added = append(r.Added, c)
		case ChangeRemoved:
			r.Removed = append(r.Removed, c)
		default:
			r.Reestimated = append(r.Reestimated, c)
		}
	}

	// Key and title as of the position.
	f.key = f.project.Key
	name := func(t *ReportTask) {
		if st := f.tasks[t.TaskID]; st != nil && st.task != nil {
			t.Title = st.task.Title
			t.Key = fmt.Sprintf("%s-%d", f.key, st.task.Number)
		}
	}
	for _, list := range [][]ReportTask{r.Committed, r.Completed, r.CompletedOutside, r.NotCompleted} {
		for i := range list {
			name(&list[i])
		}
	}
	for _, list := range [][]ReportChange{r.Added, r.Removed, r.Reestimated, changes} {
		for i := range list {
			name(&list[i].Task)
		}
	}

	sum := func(ts []ReportTask) float64 {
		var s float64
		for _, t := range ts {
			s += t.Value
		}
		return s
	}
	sumChanges := func(cs []ReportChange) float64 {
		var s float64
		for _, c := range cs {
			s += c.To
		}
		return s
	}
	r.Totals[BucketCommitted] = sum(r.Committed)
	r.Totals[BucketAdded] = sumChanges(r.Added)
	r.Totals[BucketRemoved] = sumChanges(r.Removed)
	r.Totals[BucketCompleted] = sum(r.Completed)
	r.Totals[BucketCompletedOutside] = sum(r.CompletedOutside)
	r.Totals[BucketNotCompleted] = sum(r.NotCompleted)

	// Time logged: worklogs on tasks in the sprint while it was active, dated within its run.
	first := r.StartedAt.In(cal.Location).Format(time.DateOnly)
	last := asOfTime.In(cal.Location).Format(time.DateOnly)
	for _, id := range f.wlOrder {
		w := f.worklogs[id]
		if w == nil {
			continue
		}
		if st := f.tasks[w.taskID]; st != nil && st.ever && w.date >= first && w.date <= last {
			r.TimeLogged += w.seconds
		}
	}

	guide(days, cal, r.Totals[BucketCommitted], sp.End)
	if changes == nil {
		changes = []ReportChange{}
	}
	r.Burndown = Burndown{Unit: unit, Days: days, Changes: changes}
	return r, nil
}

// isFinalCompletion reports whether e belongs to the commit of the sprint's last
// completion: one of its carry-overs or the completion itself.
func isFinalCompletion(e decodedEvent, sprintID string, completionSeq int64, completedAt time.Time) bool {
	if e.Seq == completionSeq {
		return true
	}
	sc, ok := e.payload.(*TaskSprintChanged)
	return ok && sc.CarriedOver && sc.From == sprintID && e.At.Equal(completedAt) && e.Seq < completionSeq
}

// apply folds one event.
func (f *reportFold) apply(e decodedEvent, startSeq int64, changes *[]ReportChange, r *SprintReport) error {
	kind, id := streamID(e.Stream)
	switch kind {
	case "project":
		switch p := e.payload.(type) {
		case *ProjectCreated:
			f.project = Project{ID: id, Key: p.Key, Name: p.Name, Columns: slices.Clone(p.Columns)}
		case *WorkflowChanged:
			f.project.Columns = slices.Clone(p.To)
		default:
			return nil
		}
		for _, tid := range f.ids {
			f.refresh(f.tasks[tid], e)
		}
		return nil
	case "sprint":
		if id != f.sprintID {
			return nil
		}
		next, err := applySprint(f.sprint, e.Event, e.payload)
		if err != nil {
			return err
		}
		f.sprint = next
		switch p := e.payload.(type) {
		case *SprintStarted:
			for _, c := range p.Commitment {
				st := f.state(c.TaskID)
				st.entry = refOf(e)
				st.doneOnEntry = st.done
				st.ever = true
				r.Committed = append(r.Committed, f.reportTask(c.TaskID, refOf(e)))
			}
		case *SprintReopened:
			for _, tid := range f.ids {
				if st := f.tasks[tid]; st.member {
					st.ever = true
				}
			}
			// The completion is undone; what changed since stands.
			f.tentative = nil
		case *SprintScopeChanged:
			if e.Seq > startSeq {
				t := f.reportTask(p.TaskID, refOf(e))
				*changes = append(*changes, ReportChange{Kind: p.Change, Task: t, From: t.Value, To: t.Value})
			}
		}
		return nil
	case "task":
		st := f.state(id)
		wasMember := st.member
		before := st.task
		next, err := applyTask(st.task, e.Event, e.payload)
		if err != nil {
			return err
		}
		st.task = next
		f.trackWorklog(id, e.payload)
		if sc, ok := e.payload.(*TaskSprintChanged); ok && sc.CarriedOver && sc.From == f.sprintID {
			t := f.reportTask(id, refOf(e))
			t.To = sc.To
			f.tentative = append(f.tentative, len(*changes))
			*changes = append(*changes, ReportChange{Kind: ChangeRemoved, Task: t, From: t.Value, To: t.Value})
		}
		if wasMember && f.started() && f.unit != UnitCount && before != nil {
			if from, to := unitValue(before, f.unit), unitValue(next, f.unit); from != to && reestimates(e.payload, f.unit) {
				t := f.reportTask(id, refOf(e))
				if !f.active() {
					f.tentative = append(f.tentative, len(*changes))
				}
				*changes = append(*changes, ReportChange{Kind: ChangeReestimated, Task: t, From: from, To: to})
			}
		}
		f.refresh(st, e)
		if f.sprint != nil && f.sprint.State == SprintCompleted && st.member != wasMember {
			// Archived or restored while the sprint is completed: no scope change is
			// recorded then (the sprint is not running), but if it is reopened the task
			// left it or came back.
			kind := ChangeRemoved
			if st.member {
				kind = ChangeAdded
			}
			t := f.reportTask(id, refOf(e))
			f.tentative = append(f.tentative, len(*changes))
			*changes = append(*changes, ReportChange{Kind: kind, Task: t, From: t.Value, To: t.Value})
		}
	}
	return nil
}

// reestimates reports whether a task event is a re-estimate in unit u.
func reestimates(p Payload, u ReportUnit) bool {
	switch p.(type) {
	case *TaskPointed:
		return u == UnitPoints
	case *TaskEstimated:
		return u == UnitOriginal || u == UnitRemaining
	case *TaskRemainingChanged, *WorkLogged, *WorklogEdited, *WorklogDeleted:
		return u == UnitRemaining
	}
	return false
}

func (f *reportFold) trackWorklog(taskID string, p Payload) {
	switch p := p.(type) {
	case *WorkLogged:
		f.worklogs[p.WorklogID] = &reportWorklog{taskID: taskID, date: p.Date, seconds: p.Seconds}
		f.wlOrder = append(f.wlOrder, p.WorklogID)
	case *WorklogEdited:
		if w := f.worklogs[p.WorklogID]; w != nil {
			if p.Date != nil {
				w.date = p.Date.To
			}
			if p.Seconds != nil {
				w.seconds = p.Seconds.To
			}
		}
	case *WorklogDeleted:
		delete(f.worklogs, p.WorklogID)
	}
}

// burndownDays lists the days from the start instant's day to the planned end, or to
// the as-of day when later, in the calendar's zone. Each day's End is the end of the
// day, or the as-of instant for the day holding it; later days are Future.
func burndownDays(cal WorkCalendar, started time.Time, plannedEnd string, asOf time.Time) []BurndownDay {
	loc := cal.Location
	s := started.In(loc)
	day := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
	lastDay := asOf.In(loc).Format(time.DateOnly)
	if plannedEnd > lastDay {
		lastDay = plannedEnd
	}
	var days []BurndownDay
	for {
		date := day.Format(time.DateOnly)
		nextDay := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		d := BurndownDay{Date: date, End: nextDay.UTC(), Working: cal.Working(date)}
		switch {
		case !day.After(asOf) && asOf.Before(nextDay):
			d.End = asOf.UTC()
		case day.After(asOf):
			d.Future = true
		}
		days = append(days, d)
		if date >= lastDay || len(days) > 3660 {
			break
		}
		day = nextDay
	}
	return days
}

// guide sets each day's guideline: the commitment falls to 0 at the planned end, by an
// equal step on each working day (flat on non-working days, 0 after the planned end).
func guide(days []BurndownDay, cal WorkCalendar, committed float64, plannedEnd string) {
	total := 0
	for _, d := range days {
		if d.Date <= plannedEnd && d.Working {
			total++
		}
	}
	done := 0
	for i := range days {
		d := &days[i]
		if d.Date > plannedEnd {
			d.Guide = 0
			continue
		}
		if d.Working {
			done++
		}
		switch {
		case total == 0 && d.Date == plannedEnd:
			d.Guide = 0
		case total == 0:
			d.Guide = committed
		default:
			d.Guide = committed * float64(total-done) / float64(total)
		}
	}
}
