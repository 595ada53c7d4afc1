package store

import (
	"fmt"
	"slices"
)

// This file holds Tack's concurrency rule, the heart of the product: a command carries
// the task version its user saw (the base). Changes to fields nobody else touched since
// then merge; a change to a field someone else changed meanwhile is a conflict.

// Opt is an optional value in a command: fields left unset are not changed.
type Opt[T any] struct {
	Set bool
	V   T
}

// Some returns a set Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{Set: true, V: v} }

// change is one field a command wants to set, already validated and normalised.
type change struct {
	field Field
	value any
}

// decodedEvent is an event with its payload decoded once.
type decodedEvent struct {
	Event
	payload Payload
}

// verdict is the outcome of the concurrency rule for one command.
type verdict struct {
	apply     []change        // changes to record as events
	conflicts []FieldConflict // non-empty means: refuse the whole command
	merged    []Field         // fields changed by others since the base and kept
}

// judgeEdit applies the rule to field edits. A change whose value equals the value the
// user saw is not a change (a form resubmitting untouched fields must not revert
// someone else's edit). A change to the value the task already has is a no-op.
// A change to a field someone changed since the base is a conflict.
func judgeEdit(current *Task, since []decodedEvent, changes []change) verdict {
	var v verdict
	v.merged = touchedFields(since)
	for _, c := range changes {
		if equalValues(baseValue(current, since, c.field), c.value) || equalValues(current.value(c.field), c.value) {
			continue
		}
		if e, ok := lastTouch(since, c.field); ok {
			v.conflicts = append(v.conflicts, conflictOn(c, current, e))
			continue
		}
		v.apply = append(v.apply, c)
	}
	return v
}

// baseValue is field f of the task as the user saw it, at the base version: the value
// the first change to f since then changed it from, or its value now when nobody
// changed it since. Only the events since the base are needed, so judging an edit costs
// the same on a task with a long history (a year of worklogs) as on a new one.
func baseValue(current *Task, since []decodedEvent, f Field) any {
	for _, e := range since {
		if slices.Contains(fieldsOf(e.payload), f) {
			return fromValue(e.payload, f)
		}
	}
	return current.value(f)
}

// fromValue is the value of field f before the event p that changed it, comparable
// with Task.value's.
func fromValue(p Payload, f Field) any {
	switch p := p.(type) {
	case *TaskRetitled:
		return p.From
	case *TaskDescribed:
		return p.From
	case *TaskMoved:
		if f == FieldColumn {
			return p.FromColumn
		}
		return p.FromRank
	case *TaskAssigned:
		return p.From
	case *TaskTypeChanged:
		return p.From
	case *TaskPrioritized:
		return p.From
	case *TaskLabeled:
		return nonNil(p.From)
	case *TaskPointed:
		return p.From
	case *TaskDueChanged:
		return p.From
	case *TaskArchived:
		return false
	case *TaskRestored:
		return true
	case *TaskSprintChanged:
		return p.From
	case *TaskEstimated:
		if f == FieldRemaining {
			return p.RemainingFrom
		}
		return p.From
	case *TaskRemainingChanged:
		return p.From
	case *WorkLogged:
		return p.RemainingFrom
	case *WorklogEdited:
		return p.RemainingFrom
	case *WorklogDeleted:
		return p.RemainingFrom
	}
	panic(fmt.Sprintf("store: no previous value of %s in %T", f, p))
}

// judgeMove applies the rule to a move. Only the column conflicts: if someone moved the
// task to another column since the base and the user wants a different column than the
// one it is in now, that is a conflict. Reorders by others are not: the task is placed
// relative to its neighbours as they are now.
func judgeMove(current *Task, since []decodedEvent, toColumn string) verdict {
	return judgePlace(current, since, FieldColumn, toColumn)
}

// judgeSprint applies the rule to planning, as judgeMove does to a move: only the
// sprint conflicts, when someone changed it since the base and the user wants another
// sprint than the task is in now; re-ranking never does.
func judgeSprint(current *Task, since []decodedEvent, toSprint string) verdict {
	return judgePlace(current, since, FieldSprint, toSprint)
}

// judgePlace is the rule for placing a task in list field f (its column or sprint).
func judgePlace(current *Task, since []decodedEvent, f Field, to string) verdict {
	v := verdict{merged: touchedFields(since)}
	if to == current.value(f) {
		return v
	}
	if e, ok := lastTouch(since, f); ok {
		v.conflicts = append(v.conflicts, conflictOn(change{f, to}, current, e))
	}
	return v
}

func conflictOn(c change, current *Task, e decodedEvent) FieldConflict {
	return FieldConflict{
		Field:     c.field,
		Yours:     c.value,
		Theirs:    current.value(c.field),
		ChangedBy: e.Actor,
		ChangedAt: e.At,
		Seq:       e.Seq,
	}
}

// lastTouch returns the latest event in since that changed field f.
func lastTouch(since []decodedEvent, f Field) (decodedEvent, bool) {
	for i := len(since) - 1; i >= 0; i-- {
		for _, g := range fieldsOf(since[i].payload) {
			if g == f {
				return since[i], true
			}
		}
	}
	return decodedEvent{}, false
}

// touchedFields lists, once each and in order, the fields changed by events in since.
func touchedFields(since []decodedEvent) []Field {
	var out []Field
	seen := map[Field]bool{}
	for _, e := range since {
		for _, f := range fieldsOf(e.payload) {
			if f != FieldRank && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// eventFor returns the event payload that sets c on task t.
func eventFor(t *Task, c change) Payload {
	switch c.field {
	case FieldTitle:
		return &TaskRetitled{From: t.Title, To: c.value.(string)}
	case FieldDescription:
		return &TaskDescribed{From: t.Description, To: c.value.(string)}
	case FieldAssignee:
		return &TaskAssigned{From: t.AssigneeID, To: c.value.(string)}
	case FieldType:
		return &TaskTypeChanged{From: t.Type, To: c.value.(TaskType)}
	case FieldPriority:
		return &TaskPrioritized{From: t.Priority, To: c.value.(Priority)}
	case FieldLabels:
		return &TaskLabeled{From: nonNil(t.Labels), To: nonNil(c.value.([]string))}
	case FieldPoints:
		return &TaskPointed{From: t.Points, To: c.value.(*float64)}
	case FieldDue:
		return &TaskDueChanged{From: t.Due, To: c.value.(string)}
	case FieldSprint:
		return &TaskSprintChanged{From: t.SprintID, To: c.value.(string)}
	case FieldEstimate:
		return &TaskEstimated{From: clonePtr(t.Estimate), To: clonePtr(c.value.(*int64))}
	case FieldRemaining:
		return &TaskRemainingChanged{From: clonePtr(t.Remaining), To: clonePtr(c.value.(*int64))}
	case FieldArchived:
		if c.value.(bool) {
			return &TaskArchived{}
		}
		return &TaskRestored{}
	}
	panic("store: no event for field " + string(c.field))
}
