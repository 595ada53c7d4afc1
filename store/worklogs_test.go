package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/migrations"
	"github.com/tack-pm/tack/store/duration"
)

const hour = 3600

// secs returns a pointer to n seconds.
func secs(n int64) *int64 { return &n }

// hours returns a pointer to n hours in seconds.
func hours(n float64) *int64 { return secs(int64(n * hour)) }

func showSeconds(p *int64) string {
	if p == nil {
		return "none"
	}
	return duration.Default.Format(*p)
}

// timeTask creates a task as Ana with an original (and so remaining) estimate, and
// optionally sets its remaining estimate to something else.
func (b *board) timeTask(t *testing.T, estimate, remaining *int64) *Task {
	t.Helper()
	ctx := context.Background()
	task, err := b.s.CreateTask(ctx, b.ana, NewTask{ProjectID: b.p.ID, Title: "Timed", Estimate: estimate})
	if err != nil {
		t.Fatal(err)
	}
	if !equalValues(remaining, task.Remaining) {
		res, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Remaining: Some(remaining)})
		if err != nil {
			t.Fatal(err)
		}
		task = res.Task
	}
	return task
}

func (b *board) mustLog(t *testing.T, actor string, in NewWorklog) *WorklogResult {
	t.Helper()
	if in.Date == "" {
		in.Date = "2026-11-02"
	}
	res, err := b.s.LogWork(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("log work %+v: %v", in, err)
	}
	return res
}

func wantRemaining(t *testing.T, task *Task, want *int64) {
	t.Helper()
	if !equalValues(task.Remaining, want) {
		t.Errorf("remaining estimate %s, want %s", showSeconds(task.Remaining), showSeconds(want))
	}
}

func TestNextRemaining(t *testing.T) {
	for _, c := range []struct {
		name  string
		cur   *int64
		delta int64
		a     Adjust
		by    int64
		want  *int64
	}{
		{"auto subtracts the time logged", hours(6), 2 * hour, AdjustAuto, 0, hours(4)},
		{"auto stops at zero", hours(1), 2 * hour, AdjustAuto, 0, hours(0)},
		{"auto adds a deleted worklog back", hours(1), -2 * hour, AdjustAuto, 0, hours(3)},
		{"auto keeps no remaining estimate", nil, 2 * hour, AdjustAuto, 0, nil},
		{"leave", hours(6), 2 * hour, AdjustLeave, 0, hours(6)},
		{"leave keeps none", nil, 2 * hour, AdjustLeave, 0, nil},
		{"set", hours(6), 2 * hour, AdjustSet, 3 * hour, hours(3)},
		{"set without a remaining estimate", nil, 2 * hour, AdjustSet, 3 * hour, hours(3)},
		{"set to zero", hours(6), 2 * hour, AdjustSet, 0, hours(0)},
		{"reduce by its amount, not the time logged", hours(6), 2 * hour, AdjustReduce, hour, hours(5)},
		{"reduce stops at zero", hours(1), 2 * hour, AdjustReduce, 3 * hour, hours(0)},
		{"reduce of none keeps none", nil, 2 * hour, AdjustReduce, hour, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := nextRemaining(c.cur, c.delta, c.a, c.by)
			if !equalValues(got, c.want) {
				t.Errorf("nextRemaining(%s, %d, %s, %d) = %s, want %s", showSeconds(c.cur), c.delta, c.a, c.by, showSeconds(got), showSeconds(c.want))
			}
			if got != nil && got == c.cur {
				t.Error("returned the input pointer: tasks would share it")
			}
		})
	}
}

func TestTaskTimeSummary(t *testing.T) {
	for _, c := range []struct {
		name                string
		estimate, remaining *int64
		logged              int64
		expected            *int64
		over                int64
		loggedPct, remPct   int
	}{
		{"nothing", nil, nil, 0, nil, 0, 0, 0},
		{"estimated, nothing logged", hours(8), hours(8), 0, hours(8), 0, 0, 100},
		{"on track", hours(8), hours(6), 2 * hour, hours(6), 0, 25, 75},
		{"ahead: less remains than expected", hours(8), hours(2), 2 * hour, hours(6), 0, 25, 25},
		{"over by 2h", hours(8), hours(4), 6 * hour, hours(2), 2 * hour, 60, 40},
		{"logged beyond the estimate, nothing remains", hours(4), hours(0), 6 * hour, hours(0), 2 * hour, 100, 0},
		{"no remaining estimate counts as none", hours(4), nil, 1 * hour, hours(3), 0, 25, 0},
		{"no estimate: bar of logged + remaining", nil, hours(3), 1 * hour, nil, 0, 25, 75},
		{"no estimate, only logged", nil, nil, 1 * hour, nil, 0, 100, 0},
		{"thirds round without passing 100", nil, secs(2), 1, nil, 0, 33, 67},
		{"rounding both up is capped", nil, secs(1), 1, nil, 0, 50, 50},
		{"zero estimate", hours(0), hours(0), 0, hours(0), 0, 0, 0},
		{"zero estimate, work logged", hours(0), hours(1), 1 * hour, hours(0), 2 * hour, 50, 50},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := (&Task{Estimate: c.estimate, Remaining: c.remaining, Logged: c.logged}).Time()
			if !equalValues(ts.Expected, c.expected) || ts.Over != c.over || ts.LoggedPct != c.loggedPct || ts.RemainingPct != c.remPct {
				t.Errorf("Time() = expected %s, over %d, bars %d%%+%d%%; want %s, %d, %d%%+%d%%",
					showSeconds(ts.Expected), ts.Over, ts.LoggedPct, ts.RemainingPct, showSeconds(c.expected), c.over, c.loggedPct, c.remPct)
			}
			if ts.LoggedPct+ts.RemainingPct > 100 || ts.LoggedPct < 0 || ts.RemainingPct < 0 {
				t.Errorf("bars %d%% + %d%% out of 0..100", ts.LoggedPct, ts.RemainingPct)
			}
			if !equalValues(ts.Estimate, c.estimate) || !equalValues(ts.Remaining, c.remaining) || ts.Logged != c.logged {
				t.Errorf("summary does not repeat the task's numbers: %+v", ts)
			}
		})
	}
}

// TestLogWorkRemaining: given a task with an estimate, when work is logged with each
// remaining-estimate choice, then the time logged adds up and the remaining estimate
// follows the choice.
func TestLogWorkRemaining(t *testing.T) {
	for _, c := range []struct {
		name               string
		estimate, start    *int64 // the task's original and remaining estimates
		seconds            int64
		adjust             Adjust
		by                 int64
		want               *int64
		wantCode, wantWhat string
	}{
		{"auto subtracts", hours(8), hours(6), 2 * hour, "", 0, hours(4), "", ""},
		{"auto named", hours(8), hours(6), 2 * hour, AdjustAuto, 0, hours(4), "", ""},
		{"auto floors at zero", hours(8), hours(1), 2 * hour, AdjustAuto, 0, hours(0), "", ""},
		{"auto on a task with no estimate", nil, nil, 2 * hour, AdjustAuto, 0, nil, "", ""},
		{"leave", hours(8), hours(6), 2 * hour, AdjustLeave, 0, hours(6), "", ""},
		{"set", hours(8), hours(6), 2 * hour, AdjustSet, 5 * hour, hours(5), "", ""},
		{"set on a task with no estimate", nil, nil, 2 * hour, AdjustSet, 5 * hour, hours(5), "", ""},
		{"reduce", hours(8), hours(6), 2 * hour, AdjustReduce, 1 * hour, hours(5), "", ""},
		{"reduce floors at zero", hours(8), hours(1), 2 * hour, AdjustReduce, 3 * hour, hours(0), "", ""},
		{"reduce with no remaining estimate", nil, nil, 2 * hour, AdjustReduce, 1 * hour, nil, EINVALID, "adjust"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			b := mustBoard(t)
			task := b.timeTask(t, c.estimate, c.start)
			res, err := b.s.LogWork(ctx, b.ben, NewWorklog{TaskID: task.ID, Date: "2026-11-01", Seconds: c.seconds,
				Adjust: c.adjust, AdjustBy: c.by, Comment: "  Paired with Cleo  "})
			if c.wantCode != "" {
				var e *Error
				if ErrorCode(err) != c.wantCode || !errors.As(err, &e) || e.Field != c.wantWhat {
					t.Fatalf("err = %v, want %s on %s", err, c.wantCode, c.wantWhat)
				}
				if now := b.task(t, task.ID); now.Version != task.Version || now.Logged != 0 {
					t.Errorf("a refused log changed the task: %+v", now)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantRemaining(t, res.Task, c.want)
			stored := b.task(t, task.ID)
			wantRemaining(t, stored, c.want)
			if stored.Logged != c.seconds || res.Task.Logged != c.seconds || stored.Version != task.Version+1 || res.Task.Version != stored.Version {
				t.Errorf("task after logging: logged %d (result %d), version %d (result %d); want %d, %d",
					stored.Logged, res.Task.Logged, stored.Version, res.Task.Version, c.seconds, task.Version+1)
			}
			if res.Task.Key != task.Key {
				t.Errorf("result task key %q, want %q", res.Task.Key, task.Key)
			}
			wl := res.Worklog
			if wl == nil || wl.AuthorID != b.ben || wl.Seconds != c.seconds || wl.Date != "2026-11-01" || wl.Version != 1 ||
				wl.Comment != "Paired with Cleo" || wl.TaskKey != task.Key || wl.TaskID != task.ID || wl.ProjectID != b.p.ID {
				t.Errorf("worklog = %+v", wl)
			}
			if len(res.Events) != 1 || res.Events[0].Type != TypeWorkLogged || res.Events[0].Stream != taskStream(task.ID) {
				t.Errorf("events = %+v", res.Events)
			}
		})
	}
}

// TestEditWorklogRemaining: given a worklog of 2h, when its time changes with each
// choice, then the remaining estimate follows the difference or the choice.
func TestEditWorklogRemaining(t *testing.T) {
	for _, c := range []struct {
		name     string
		start    *int64 // remaining estimate after the 2h worklog (logged with leave)
		to       int64  // new seconds of the worklog
		adjust   Adjust
		by       int64
		want     *int64
		wantCode string
	}{
		{"auto takes more time off", hours(6), 3 * hour, AdjustAuto, 0, hours(5), ""},
		{"auto gives time back", hours(6), 1 * hour, AdjustAuto, 0, hours(7), ""},
		{"auto floors at zero", hours(0.5), 3 * hour, AdjustAuto, 0, hours(0), ""},
		{"auto keeps none", nil, 3 * hour, AdjustAuto, 0, nil, ""},
		{"leave", hours(6), 3 * hour, AdjustLeave, 0, hours(6), ""},
		{"set", hours(6), 3 * hour, AdjustSet, hour, hours(1), ""},
		{"reduce", hours(6), 3 * hour, AdjustReduce, 4 * hour, hours(2), ""},
		{"reduce floors at zero", hours(1), 3 * hour, AdjustReduce, 4 * hour, hours(0), ""},
		{"reduce with no remaining estimate", nil, 3 * hour, AdjustReduce, hour, nil, EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			b := mustBoard(t)
			var task *Task
			if c.start == nil {
				task = b.timeTask(t, nil, nil)
			} else {
				task = b.timeTask(t, hours(8), c.start)
			}
			logged := b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: 2 * hour, Adjust: AdjustLeave})
			res, err := b.s.EditWorklog(ctx, b.ben, WorklogEdit{WorklogID: logged.Worklog.ID, BaseVersion: 1,
				Seconds: Some(c.to), Adjust: c.adjust, AdjustBy: c.by})
			if c.wantCode != "" {
				if ErrorCode(err) != c.wantCode {
					t.Fatalf("err = %v, want %s", err, c.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantRemaining(t, res.Task, c.want)
			wantRemaining(t, b.task(t, task.ID), c.want)
			if res.Task.Logged != c.to || res.Worklog.Seconds != c.to || res.Worklog.Version != 2 {
				t.Errorf("after edit: task logged %d, worklog %d s version %d; want %d, %d, 2", res.Task.Logged, res.Worklog.Seconds, res.Worklog.Version, c.to, c.to)
			}
		})
	}
}

// TestDeleteWorklogRemaining: given a worklog of 2h, when it is deleted with each
// choice, then the time logged drops and the remaining estimate follows the choice;
// reduce is not a choice on delete.
func TestDeleteWorklogRemaining(t *testing.T) {
	for _, c := range []struct {
		name     string
		start    *int64
		adjust   Adjust
		by       int64
		want     *int64
		wantCode string
	}{
		{"auto adds the time back", hours(4), "", 0, hours(6), ""},
		{"auto adds back from zero", hours(0), AdjustAuto, 0, hours(2), ""},
		{"auto keeps none", nil, AdjustAuto, 0, nil, ""},
		{"leave", hours(4), AdjustLeave, 0, hours(4), ""},
		{"set", hours(4), AdjustSet, 7 * hour, hours(7), ""},
		{"reduce is refused", hours(4), AdjustReduce, hour, hours(4), EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			b := mustBoard(t)
			var task *Task
			if c.start == nil {
				task = b.timeTask(t, nil, nil)
			} else {
				task = b.timeTask(t, hours(8), c.start)
			}
			logged := b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: 2 * hour, Adjust: AdjustLeave})
			res, err := b.s.DeleteWorklog(ctx, b.ben, WorklogDelete{WorklogID: logged.Worklog.ID, BaseVersion: 1, Adjust: c.adjust, AdjustBy: c.by})
			if c.wantCode != "" {
				var e *Error
				if ErrorCode(err) != c.wantCode || !errors.As(err, &e) || e.Field != "adjust" {
					t.Fatalf("err = %v, want %s on adjust", err, c.wantCode)
				}
				if _, err := b.s.Worklog(ctx, logged.Worklog.ID); err != nil {
					t.Errorf("a refused delete deleted: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantRemaining(t, res.Task, c.want)
			if stored := b.task(t, task.ID); stored.Logged != 0 || res.Worklog != nil {
				t.Errorf("after delete: logged %d, result worklog %v", stored.Logged, res.Worklog)
			}
			_, err = b.s.Worklog(ctx, logged.Worklog.ID)
			if ErrorCode(err) != ENOTFOUND || ErrorMessage(err) != "This worklog was deleted." {
				t.Errorf("Worklog after delete: %v", err)
			}
			_, err = b.s.EditWorklog(ctx, b.ben, WorklogEdit{WorklogID: logged.Worklog.ID, BaseVersion: 1, Comment: Some("late")})
			if ErrorCode(err) != ENOTFOUND || ErrorMessage(err) != "This worklog was deleted." {
				t.Errorf("edit of a deleted worklog: %v", err)
			}
		})
	}
}

// TestEstimates: the original estimate is a task field like the others (validated,
// cleared with nil), and setting it on a task without a remaining estimate sets that
// too (to the estimate less the time logged), in the same event.
func TestEstimates(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	t.Run("a new task's remaining estimate is its estimate", func(t *testing.T) {
		task := b.timeTask(t, hours(8), hours(8))
		if !equalValues(task.Estimate, hours(8)) {
			t.Errorf("estimate %s", showSeconds(task.Estimate))
		}
		wantRemaining(t, task, hours(8))
	})
	t.Run("an estimate on a task without remaining sets it, less the time logged", func(t *testing.T) {
		task := b.timeTask(t, nil, nil)
		b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: 2 * hour})
		task = b.task(t, task.ID)
		res, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Estimate: Some(hours(8))})
		if err != nil {
			t.Fatal(err)
		}
		wantRemaining(t, res.Task, hours(6))
		if len(res.Events) != 1 || res.Events[0].Type != TypeTaskEstimated || !slices2(res.Applied, FieldEstimate) {
			t.Errorf("events %+v, applied %v", res.Events, res.Applied)
		}
		e, _ := res.Events[0].Decode()
		if got := fieldsOf(e); !reflect.DeepEqual(got, []Field{FieldEstimate, FieldRemaining}) {
			t.Errorf("fields of the event %v", got)
		}
	})
	t.Run("never below zero", func(t *testing.T) {
		task := b.timeTask(t, nil, nil)
		b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: 5 * hour})
		task = b.task(t, task.ID)
		res, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Estimate: Some(hours(4))})
		if err != nil {
			t.Fatal(err)
		}
		wantRemaining(t, res.Task, hours(0))
	})
	t.Run("a remaining estimate already there stays", func(t *testing.T) {
		task := b.timeTask(t, hours(8), hours(3))
		res, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Estimate: Some(hours(16))})
		if err != nil {
			t.Fatal(err)
		}
		wantRemaining(t, res.Task, hours(3))
		e, _ := res.Events[0].Decode()
		if got := fieldsOf(e); !reflect.DeepEqual(got, []Field{FieldEstimate}) {
			t.Errorf("fields of the event %v", got)
		}
	})
	t.Run("both set together: remaining as given", func(t *testing.T) {
		task := b.timeTask(t, nil, nil)
		res, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version,
			Estimate: Some(hours(8)), Remaining: Some(hours(5))})
		if err != nil {
			t.Fatal(err)
		}
		wantRemaining(t, res.Task, hours(5))
		if len(res.Events) != 2 {
			t.Errorf("%d events, want estimate and remaining", len(res.Events))
		}
	})
	t.Run("an untouched empty remaining in the form does not stop the habit", func(t *testing.T) {
		task := b.timeTask(t, nil, nil)
		res, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version,
			Estimate: Some(hours(8)), Remaining: Some[*int64](nil)})
		if err != nil {
			t.Fatal(err)
		}
		wantRemaining(t, res.Task, hours(8))
	})
	t.Run("clearing", func(t *testing.T) {
		task := b.timeTask(t, hours(8), hours(8))
		res, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version,
			Estimate: Some[*int64](nil), Remaining: Some[*int64](nil)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Task.Estimate != nil || res.Task.Remaining != nil {
			t.Errorf("after clearing: %s, %s", showSeconds(res.Task.Estimate), showSeconds(res.Task.Remaining))
		}
	})
	t.Run("validation", func(t *testing.T) {
		task := b.timeTask(t, nil, nil)
		for _, c := range []struct {
			u     TaskUpdate
			field string
		}{
			{TaskUpdate{Estimate: Some(secs(-1))}, "original_estimate"},
			{TaskUpdate{Estimate: Some(secs(duration.Max + 1))}, "original_estimate"},
			{TaskUpdate{Remaining: Some(secs(-60))}, "remaining_estimate"},
			{TaskUpdate{Remaining: Some(secs(duration.Max + 1))}, "remaining_estimate"},
		} {
			c.u.TaskID, c.u.BaseVersion = task.ID, task.Version
			_, err := b.s.UpdateTask(ctx, b.ana, c.u)
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || e.Field != c.field || !strings.Contains(e.Message, "estimate") {
				t.Errorf("%+v: err = %v, want EINVALID on %s", c.u, err, c.field)
			}
		}
		_, err := b.s.CreateTask(ctx, b.ana, NewTask{ProjectID: b.p.ID, Title: "x", Estimate: secs(-5)})
		if ErrorCode(err) != EINVALID {
			t.Errorf("create with a negative estimate: %v", err)
		}
		if now := b.task(t, task.ID); now.Version != task.Version {
			t.Errorf("refused edits changed the task")
		}
		if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Estimate: Some(secs(duration.Max))}); err != nil {
			t.Errorf("the longest estimate is refused: %v", err)
		}
	})
}

func slices2(fs []Field, f Field) bool {
	for _, g := range fs {
		if g == f {
			return true
		}
	}
	return false
}

// TestEstimateConflicts: the original estimate merges and conflicts like any field; the
// remaining estimate conflicts with any change of it since the base (an estimate that
// set it, a worklog that moved it), and a worklog that left it alone merges. Answering
// "mine" applies the refused value.
func TestEstimateConflicts(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	t.Run("estimate against estimate", func(t *testing.T) {
		task := b.timeTask(t, hours(8), hours(8))
		if _, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Estimate: Some(hours(16))}); err != nil {
			t.Fatal(err)
		}
		_, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Estimate: Some(hours(4))})
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Fields[0].Field != FieldEstimate || ce.Fields[0].ChangedBy != b.ben {
			t.Fatalf("err = %v, want a conflict on the estimate", err)
		}
		res, err := b.s.AnswerConflict(ctx, b.cleo, ConflictAnswer{TaskID: task.ID, Seq: ce.Seq, Choice: AnswerMine})
		if err != nil {
			t.Fatal(err)
		}
		if !equalValues(res.Task.Estimate, hours(4)) {
			t.Errorf("after answering mine: estimate %s", showSeconds(res.Task.Estimate))
		}
	})
	t.Run("remaining against a worklog that moved it", func(t *testing.T) {
		task := b.timeTask(t, hours(8), hours(8))
		b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: hour})
		_, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Remaining: Some(hours(2))})
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Fields[0].Field != FieldRemaining || !equalValues(ce.Fields[0].Theirs, hours(7)) {
			t.Fatalf("err = %v, want a conflict on the remaining estimate (theirs 7h)", err)
		}
		res, err := b.s.AnswerConflict(ctx, b.cleo, ConflictAnswer{TaskID: task.ID, Seq: ce.Seq, Choice: AnswerMine, BaseVersion: ce.CurrentVersion})
		if err != nil {
			t.Fatal(err)
		}
		wantRemaining(t, res.Task, hours(2))
	})
	t.Run("remaining merges with a worklog that left it", func(t *testing.T) {
		task := b.timeTask(t, hours(8), hours(8))
		b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: hour, Adjust: AdjustLeave})
		res, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Remaining: Some(hours(2))})
		if err != nil {
			t.Fatal(err)
		}
		wantRemaining(t, res.Task, hours(2))
	})
	t.Run("remaining against an estimate that set it", func(t *testing.T) {
		task := b.timeTask(t, nil, nil)
		if _, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Estimate: Some(hours(8))}); err != nil {
			t.Fatal(err)
		}
		_, err := b.s.UpdateTask(ctx, b.cleo, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Remaining: Some(hours(2))})
		if ErrorCode(err) != ECONFLICT {
			t.Fatalf("err = %v, want a conflict", err)
		}
	})
	t.Run("the stored conflict reads back as the update", func(t *testing.T) {
		u, err := updateFromWanted("t", 3, map[Field]any{FieldEstimate: float64(7200), FieldRemaining: nil})
		if err != nil || !u.Estimate.Set || !equalValues(u.Estimate.V, secs(7200)) || !u.Remaining.Set || u.Remaining.V != nil {
			t.Errorf("updateFromWanted = %+v, %v", u, err)
		}
		if _, err := updateFromWanted("t", 3, map[Field]any{FieldEstimate: "2h"}); err == nil {
			t.Error("a string estimate was read")
		}
	})
}

// TestWorklogPermissions: members log work; authors change their own worklogs, admins
// anyone's; other members and viewers are refused (403), non-members do not see the
// project (404).
func TestWorklogPermissions(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.timeTask(t, hours(8), hours(8))
	for _, c := range []struct {
		who  string
		user string
		want string
	}{{"admin", b.ana, ""}, {"member", b.ben, ""}, {"viewer", b.vic, EFORBIDDEN}, {"non-member", b.outsider, ENOTFOUND}} {
		_, err := b.s.LogWork(ctx, c.user, NewWorklog{TaskID: task.ID, Date: "2026-11-02", Seconds: hour})
		if ErrorCode(err) != c.want && !(c.want == "" && err == nil) {
			t.Errorf("%s logs work: %v, want %q", c.who, err, c.want)
		}
	}
	bens := b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: hour}).Worklog
	version := 1
	for _, c := range []struct {
		who     string
		user    string
		want    string
		message string
	}{
		{"its author", b.ben, "", ""},
		{"an admin", b.ana, "", ""},
		{"another member", b.cleo, EFORBIDDEN, "Only Ben or a project admin can change this worklog."},
		{"a viewer", b.vic, EFORBIDDEN, ""},
		{"a non-member", b.outsider, ENOTFOUND, ""},
	} {
		_, err := b.s.EditWorklog(ctx, c.user, WorklogEdit{WorklogID: bens.ID, BaseVersion: version, Comment: Some("by " + c.who)})
		if c.want == "" {
			if err != nil {
				t.Errorf("%s edits: %v", c.who, err)
			}
			version++
			continue
		}
		if ErrorCode(err) != c.want || (c.message != "" && ErrorMessage(err) != c.message) {
			t.Errorf("%s edits: %v, want %s %q", c.who, err, c.want, c.message)
		}
		_, err = b.s.DeleteWorklog(ctx, c.user, WorklogDelete{WorklogID: bens.ID, BaseVersion: version})
		if ErrorCode(err) != c.want {
			t.Errorf("%s deletes: %v, want %s", c.who, err, c.want)
		}
	}
	// An author who became a viewer may no longer change their worklog.
	if err := b.s.ChangeMemberRole(ctx, b.ana, b.p.ID, b.ben, RoleViewer); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.DeleteWorklog(ctx, b.ben, WorklogDelete{WorklogID: bens.ID, BaseVersion: version}); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("author now a viewer deletes: %v", err)
	}
	if _, err := b.s.DeleteWorklog(ctx, b.ana, WorklogDelete{WorklogID: bens.ID, BaseVersion: version}); err != nil {
		t.Errorf("admin deletes: %v", err)
	}
	// An archived task's time tracking is frozen with it.
	arch := b.timeTask(t, nil, nil)
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: arch.ID, BaseVersion: arch.Version, Archived: Some(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.LogWork(ctx, b.ana, NewWorklog{TaskID: arch.ID, Date: "2026-11-02", Seconds: hour}); ErrorCode(err) != EINVALID {
		t.Errorf("log work on an archived task: %v", err)
	}
	if _, err := b.s.LogWork(ctx, b.ana, NewWorklog{TaskID: "nope", Date: "2026-11-02", Seconds: hour}); ErrorCode(err) != ENOTFOUND {
		t.Errorf("log work on no task: %v", err)
	}
}

// TestWorklogValidation: bad input is refused with a message naming the form field,
// and nothing is stored.
func TestWorklogValidation(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.timeTask(t, hours(8), hours(8))
	ok := NewWorklog{TaskID: task.ID, Date: "2026-11-02", Seconds: hour}
	for _, c := range []struct {
		name  string
		edit  func(*NewWorklog)
		field string
		says  string
	}{
		{"no date", func(n *NewWorklog) { n.Date = "" }, "date", "Enter the date"},
		{"not a date", func(n *NewWorklog) { n.Date = "23/11/2026" }, "date", "like 2026-11-23"},
		{"no such day", func(n *NewWorklog) { n.Date = "2026-02-30" }, "date", "like 2026-11-23"},
		{"two days ahead", func(n *NewWorklog) { n.Date = "2026-11-04" }, "date", "can't be later than 2026-11-03"},
		{"bad start", func(n *NewWorklog) { n.Start = "25:00" }, "start", "24-hour clock"},
		{"start with seconds", func(n *NewWorklog) { n.Start = "9:30:00" }, "start", "24-hour clock"},
		{"no time", func(n *NewWorklog) { n.Seconds = 0 }, "time_spent", "Enter the time spent"},
		{"negative time", func(n *NewWorklog) { n.Seconds = -60 }, "time_spent", "Enter the time spent"},
		{"too much time", func(n *NewWorklog) { n.Seconds = duration.Max + 1 }, "time_spent", "100,000 hours"},
		{"long comment", func(n *NewWorklog) { n.Comment = strings.Repeat("é", MaxWorklogComment+1) }, "comment", "too long"},
		{"bad comment", func(n *NewWorklog) { n.Comment = "\xff" }, "comment", "invalid characters"},
		{"unknown adjust", func(n *NewWorklog) { n.Adjust = "halve" }, "adjust", "auto, leave, set or reduce"},
		{"negative set", func(n *NewWorklog) { n.Adjust, n.AdjustBy = AdjustSet, -1 }, "adjust_by", "negative"},
		{"huge reduce", func(n *NewWorklog) { n.Adjust, n.AdjustBy = AdjustReduce, duration.Max+1 }, "adjust_by", "100,000 hours"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := ok
			c.edit(&in)
			_, err := b.s.LogWork(ctx, b.ben, in)
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || e.Field != c.field || !strings.Contains(e.Message, c.says) {
				t.Errorf("err = %#v, want EINVALID on %s saying %q", err, c.field, c.says)
			}
		})
	}
	if now := b.task(t, task.ID); now.Version != task.Version {
		t.Errorf("refused logs changed the task to version %d", now.Version)
	}
	// What is accepted, normalised.
	res, err := b.s.LogWork(ctx, b.ben, NewWorklog{TaskID: task.ID, Date: " 2026-11-03 ", Start: "9:05", Seconds: 1,
		Comment: strings.Repeat("é", MaxWorklogComment), Adjust: " Leave "})
	if err != nil {
		t.Fatal(err)
	}
	if w := res.Worklog; w.Date != "2026-11-03" || w.Start != "09:05" {
		t.Errorf("stored %q %q", w.Date, w.Start)
	}
	old := b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Date: "1999-12-31", Seconds: hour})
	// Edits are validated the same way; a version is required.
	for _, e := range []WorklogEdit{
		{BaseVersion: 1, Date: Some("")},
		{BaseVersion: 1, Seconds: Some[int64](0)},
		{BaseVersion: 1, Start: Some("noon")},
		{BaseVersion: 0, Comment: Some("x")},
		{BaseVersion: 7, Comment: Some("x")},
		{BaseVersion: 1, Comment: Some("x"), Adjust: "more"},
	} {
		e.WorklogID = old.Worklog.ID
		if _, err := b.s.EditWorklog(ctx, b.ben, e); ErrorCode(err) != EINVALID {
			t.Errorf("edit %+v: %v, want EINVALID", e, err)
		}
	}
	if _, err := b.s.DeleteWorklog(ctx, b.ben, WorklogDelete{WorklogID: old.Worklog.ID}); ErrorCode(err) != EINVALID {
		t.Errorf("delete without a version: %v", err)
	}
}

// TestWorklogEditMerge: edits from an old version merge fields nobody else changed; a
// field both changed is refused with *WorklogConflictError and recorded in the task's
// history; resubmitting the value one saw is no change; Strict refuses any change since.
func TestWorklogEditMerge(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	task := b.timeTask(t, hours(8), hours(8))
	wl := b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: 2 * hour, Comment: "draft", Start: "09:00"}).Worklog

	// Ana (admin) shortens it from version 1.
	if _, err := b.s.EditWorklog(ctx, b.ana, WorklogEdit{WorklogID: wl.ID, BaseVersion: 1, Seconds: Some[int64](hour)}); err != nil {
		t.Fatal(err)
	}
	// Ben, also from version 1, changes the comment and resubmits the time he saw: merged.
	res, err := b.s.EditWorklog(ctx, b.ben, WorklogEdit{WorklogID: wl.ID, BaseVersion: 1, Comment: Some("final"),
		Seconds: Some(2 * int64(hour)), Start: Some("09:00")})
	if err != nil {
		t.Fatal(err)
	}
	if w := res.Worklog; w.Comment != "final" || w.Seconds != hour || w.Version != 3 {
		t.Errorf("merged worklog = %+v", w)
	}
	// Cleo cannot edit Ben's; Ben from version 1 again wants 3h: conflict with Ana's change.
	_, err = b.s.EditWorklog(ctx, b.ben, WorklogEdit{WorklogID: wl.ID, BaseVersion: 1, Seconds: Some(3 * int64(hour)), Comment: Some("again")})
	var we *WorklogConflictError
	if !errors.As(err, &we) || !reflect.DeepEqual(we.Fields, []string{"seconds", "comment"}) || we.Worklog.Version != 3 ||
		ErrorCode(err) != ECONFLICT {
		t.Fatalf("err = %#v, want a conflict on seconds and comment", err)
	}
	if we.By != b.ben || !strings.Contains(we.Error(), "time spent and comment") {
		t.Errorf("conflict by %s: %q", we.By, we.Error())
	}
	if now, _ := b.s.Worklog(ctx, wl.ID); now.Seconds != hour || now.Comment != "final" {
		t.Errorf("a refused edit changed the worklog: %+v", now)
	}
	hist, err := b.s.TaskHistory(ctx, b.p, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if last.Type != TypeWorklogConflicted || len(last.Conflicts) != 2 || last.Conflicts[0].Field != "Time spent" ||
		last.Conflicts[0].Yours != "3h" || last.Conflicts[0].Theirs != "1h" {
		t.Errorf("history ends with %+v", last)
	}
	if !strings.Contains(last.Text, "tried to change their worklog on "+task.Key) {
		t.Errorf("conflict told as %q", last.Text)
	}
	// Equal to what is there: no change, no event.
	res, err = b.s.EditWorklog(ctx, b.ben, WorklogEdit{WorklogID: wl.ID, BaseVersion: 3, Comment: Some(" final ")})
	if err != nil || len(res.Events) != 0 || res.Worklog.Version != 3 {
		t.Errorf("no-op edit: %+v, %v", res, err)
	}
	// Strict: any change since is refused, even to another field.
	_, err = b.s.EditWorklog(ctx, b.ben, WorklogEdit{WorklogID: wl.ID, BaseVersion: 2, Strict: true, Start: Some("10:00")})
	if !errors.As(err, &we) || we.Fields != nil || we.Worklog.Version != 3 {
		t.Errorf("strict edit from an old version: %v", err)
	}
	if _, err := b.s.EditWorklog(ctx, b.ben, WorklogEdit{WorklogID: wl.ID, BaseVersion: 3, Strict: true, Start: Some("10:00")}); err != nil {
		t.Errorf("strict edit from the current version: %v", err)
	}
	// Delete is always strict.
	if _, err := b.s.DeleteWorklog(ctx, b.ben, WorklogDelete{WorklogID: wl.ID, BaseVersion: 3}); !errors.As(err, &we) {
		t.Errorf("delete from an old version: %v", err)
	}
	if _, err := b.s.DeleteWorklog(ctx, b.ben, WorklogDelete{WorklogID: wl.ID, BaseVersion: 4}); err != nil {
		t.Errorf("delete from the current version: %v", err)
	}
}

// TestTaskTimeWhy: Why names the event at which the remaining estimate began to differ
// from what the original estimate expects, and is nil when they agree.
func TestTaskTimeWhy(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	p, err := b.s.Project(ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	why := func(task *Task) *HistoryEntry {
		t.Helper()
		tt, err := b.s.TaskTime(ctx, p, b.task(t, task.ID))
		if err != nil {
			t.Fatal(err)
		}
		return tt.Why
	}
	task := b.timeTask(t, hours(8), hours(8))
	if w := why(task); w != nil {
		t.Errorf("fresh estimate: why = %+v", w)
	}
	b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: 2 * hour}) // auto: 6h of 6h expected
	if w := why(task); w != nil {
		t.Errorf("auto log: why = %+v", w)
	}
	b.mustLog(t, b.cleo, NewWorklog{TaskID: task.ID, Seconds: hour, Adjust: AdjustSet, AdjustBy: 4 * hour}) // 6h → 4h, 5h expected
	b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: hour})                                         // auto keeps the gap: 3h, 4h expected
	w := why(task)
	if w == nil || w.Type != TypeWorkLogged || w.Actor.ID != b.cleo || !strings.Contains(w.Text, "logged 1h on "+task.Key) ||
		!strings.Contains(w.Text, "(remaining 6h → 4h)") {
		t.Fatalf("why = %+v, want Cleo's log that set the remaining estimate", w)
	}
	current := b.task(t, task.ID)
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: task.ID, BaseVersion: current.Version, Remaining: Some(hours(4))}); err != nil {
		t.Fatal(err)
	}
	if w := why(task); w != nil {
		t.Errorf("remaining set back to the expected: why = %+v", w)
	}
	current = b.task(t, task.ID)
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: task.ID, BaseVersion: current.Version, Remaining: Some(hours(10))}); err != nil {
		t.Fatal(err)
	}
	if w := why(task); w == nil || w.Type != TypeTaskRemainingChanged || w.Text != "set the remaining estimate of "+task.Key+" to 1d 2h" {
		t.Errorf("why = %+v, want Ana's remaining estimate", w)
	}
	// No estimate, a remaining estimate: it differs from nothing expected.
	bare := b.timeTask(t, nil, nil)
	if w := why(bare); w != nil {
		t.Errorf("nothing estimated: why = %+v", w)
	}
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: bare.ID, BaseVersion: bare.Version, Remaining: Some(hours(3))}); err != nil {
		t.Fatal(err)
	}
	if w := why(bare); w == nil || w.Type != TypeTaskRemainingChanged {
		t.Errorf("remaining without estimate: why = %+v", w)
	}
	tt, err := b.s.TaskTime(ctx, p, b.task(t, task.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(tt.Worklogs) != 3 || tt.Logged != 4*hour || tt.Worklogs[0].CreatedAt.Before(tt.Worklogs[1].CreatedAt) {
		t.Errorf("task time: %d worklogs, %d logged", len(tt.Worklogs), tt.Logged)
	}
}

// TestWorklogsOrder: newest work date first, then newest logged first.
func TestWorklogsOrder(t *testing.T) {
	b := mustBoard(t)
	task := b.timeTask(t, nil, nil)
	var ids []string
	for _, d := range []string{"2026-10-30", "2026-11-01", "2026-10-30", "2026-11-02"} {
		ids = append(ids, b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Date: d, Seconds: hour}).Worklog.ID)
	}
	got, err := b.s.Worklogs(context.Background(), task.ID)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, w := range got {
		order = append(order, w.ID)
		if w.TaskKey != task.Key || w.TaskTitle != "Timed" {
			t.Errorf("worklog task %q %q", w.TaskKey, w.TaskTitle)
		}
	}
	if want := []string{ids[3], ids[1], ids[2], ids[0]}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

// TestTimeHistory: every time tracking event is told in the task's history and the
// project's activity, durations written with the project's calendar.
func TestTimeHistory(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	if err := b.s.SetCalendar(ctx, b.ana, b.p.ID, duration.Calendar{DayMinutes: 6 * 60, WeekDays: 5}); err != nil {
		t.Fatal(err)
	}
	p, err := b.s.Project(ctx, b.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	task := b.timeTask(t, nil, nil)
	k := task.Key
	if _, err := b.s.UpdateTask(ctx, b.ana, TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Estimate: Some(hours(6))}); err != nil {
		t.Fatal(err)
	}
	w := b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Date: "2026-10-23", Seconds: 2 * hour}).Worklog
	if _, err := b.s.EditWorklog(ctx, b.ana, WorklogEdit{WorklogID: w.ID, BaseVersion: 1, Seconds: Some(int64(3 * hour)), Adjust: AdjustLeave}); err != nil {
		t.Fatal(err)
	}
	current := b.task(t, task.ID)
	if _, err := b.s.UpdateTask(ctx, b.ben, TaskUpdate{TaskID: task.ID, BaseVersion: current.Version, Remaining: Some(hours(1))}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.DeleteWorklog(ctx, b.ana, WorklogDelete{WorklogID: w.ID, BaseVersion: 2}); err != nil {
		t.Fatal(err)
	}
	estimated, err := b.s.CreateTask(ctx, b.ana, NewTask{ProjectID: b.p.ID, Title: "Estimated", Estimate: hours(8)})
	if err != nil {
		t.Fatal(err)
	}
	if created, err := b.s.TaskHistory(ctx, p, estimated.ID); err != nil || len(created) != 1 ||
		!reflect.DeepEqual(created[0].Changes[1], ValueChange{Field: "Original estimate", From: "none", To: "1d 2h"}) {
		t.Errorf("created with an estimate: %+v, %v", created, err)
	}
	hist, err := b.s.TaskHistory(ctx, p, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ actor, text, changes string }{
		{"Ana", "created " + k + " in To Do", ""},
		{"Ana", "set the original estimate of " + k + " to 1d", "Original estimate: none → 1d; Remaining estimate: none → 1d"},
		{"Ben", "logged 2h on " + k + " for 23 Oct (remaining 1d → 4h)", "Time spent:  → 2h; Remaining estimate: 1d → 4h"},
		{"Ana", "changed Ben's worklog on " + k + ": 2h → 3h", "Time spent: 2h → 3h"},
		{"Ben", "set the remaining estimate of " + k + " to 1h", "Remaining estimate: 4h → 1h"},
		{"Ana", "deleted Ben's worklog of 3h (23 Oct) on " + k, "Remaining estimate: 1h → 4h"},
	}
	if len(hist) != len(want) {
		t.Fatalf("%d history entries, want %d: %+v", len(hist), len(want), hist)
	}
	for i, h := range hist {
		var changes []string
		for _, c := range h.Changes {
			if h.Type != TypeTaskCreated {
				changes = append(changes, c.Field+": "+c.From+" → "+c.To)
			}
		}
		if got := strings.Join(changes, "; "); h.Actor.Name != want[i].actor || h.Text != want[i].text || got != want[i].changes {
			t.Errorf("entry %d: %s %q [%s]\nwant        %s %q [%s]", i, h.Actor.Name, h.Text, got, want[i].actor, want[i].text, want[i].changes)
		}
	}
	acts, err := b.s.Activity(ctx, p, 0, 3)
	if err != nil || len(acts) != 3 || acts[0].Type != TypeTaskCreated || acts[1].Type != TypeWorklogDeleted {
		t.Errorf("activity: %+v, %v", acts, err)
	}
	// Conflicts show durations with the calendar too.
	if got := FormatValue(p, FieldRemaining, float64(7*hour), nil); got != "1d 1h" {
		t.Errorf("FormatValue(remaining 7h) = %q", got)
	}
	if got := FormatValue(p, FieldEstimate, nil, nil); got != "none" {
		t.Errorf("FormatValue(no estimate) = %q", got)
	}
	if FieldLabel(FieldEstimate) != "Original estimate" || FieldLabel(FieldRemaining) != "Remaining estimate" {
		t.Errorf("labels %q, %q", FieldLabel(FieldEstimate), FieldLabel(FieldRemaining))
	}
	// The work date's year is written when it is not the year of the event.
	if got := workDay("2025-12-31", b.s.Now()); got != "31 Dec 2025" {
		t.Errorf("workDay = %q", got)
	}
}

// barrier runs the given actions together, released at once, and waits for them.
func barrier(actions ...func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, a := range actions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a()
		}()
	}
	close(start)
	wg.Wait()
}

// TestRemainingEstimateRace: two users set the remaining estimate from the same base
// at the same moment: exactly one applies; the other gets a *ConflictError, recorded
// and pending, and answering "mine" applies it.
func TestRemainingEstimateRace(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	for round := range 25 {
		task := b.timeTask(t, hours(8), hours(8))
		var errs [2]error
		users := [2]string{b.ben, b.cleo}
		values := [2]*int64{hours(3), hours(5)}
		barrier(func() {
			_, errs[0] = b.s.UpdateTask(ctx, users[0], TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Remaining: Some(values[0])})
		}, func() {
			_, errs[1] = b.s.UpdateTask(ctx, users[1], TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Remaining: Some(values[1])})
		})
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: errors %v, %v; want exactly one refused", round, errs[0], errs[1])
		}
		won, lost := 0, 1
		if errs[0] != nil {
			won, lost = 1, 0
		}
		var ce *ConflictError
		if !errors.As(errs[lost], &ce) || len(ce.Fields) != 1 || ce.Fields[0].Field != FieldRemaining ||
			ce.Fields[0].ChangedBy != users[won] || !equalValues(ce.Fields[0].Theirs, values[won]) {
			t.Fatalf("round %d: loser's error %v", round, errs[lost])
		}
		now := b.task(t, task.ID)
		wantRemaining(t, now, values[won])
		if now.Version != task.Version+1 {
			t.Errorf("round %d: version %d, want %d", round, now.Version, task.Version+1)
		}
		pc, err := b.s.PendingConflict(ctx, task.ID, users[lost])
		if err != nil || pc.Seq != ce.Seq {
			t.Fatalf("round %d: pending conflict %+v, %v", round, pc, err)
		}
		res, err := b.s.AnswerConflict(ctx, users[lost], ConflictAnswer{TaskID: task.ID, Seq: ce.Seq, Choice: AnswerMine})
		if err != nil {
			t.Fatalf("round %d: answer mine: %v", round, err)
		}
		wantRemaining(t, res.Task, values[lost])
	}
}

// TestLogWorkRace: two users log work on one task at the same moment, remaining
// estimate auto: both apply, and the time logged and the remaining estimate add up
// exactly (no lost update).
func TestLogWorkRace(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	for round := range 20 {
		task := b.timeTask(t, hours(10), hours(10))
		var errs [2]error
		barrier(func() {
			_, errs[0] = b.s.LogWork(ctx, b.ben, NewWorklog{TaskID: task.ID, Date: "2026-11-02", Seconds: hour})
		}, func() {
			_, errs[1] = b.s.LogWork(ctx, b.cleo, NewWorklog{TaskID: task.ID, Date: "2026-11-02", Seconds: 2 * hour})
		})
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v, %v", round, errs[0], errs[1])
		}
		now := b.task(t, task.ID)
		if now.Logged != 3*hour || now.Version != task.Version+2 {
			t.Fatalf("round %d: logged %d, version %d; want %d, %d", round, now.Logged, now.Version, 3*hour, task.Version+2)
		}
		wantRemaining(t, now, hours(7))
		if wls, err := b.s.Worklogs(ctx, task.ID); err != nil || len(wls) != 2 {
			t.Fatalf("round %d: %d worklogs, %v", round, len(wls), err)
		}
	}
}

// TestWorklogEditRace: two edits of one worklog's time from the same version at the same
// moment: one applies, the other gets a *WorklogConflictError naming the field, and the
// refusal is in the task's history.
func TestWorklogEditRace(t *testing.T) {
	ctx := context.Background()
	b := mustBoard(t)
	for round := range 20 {
		task := b.timeTask(t, hours(8), hours(8))
		wl := b.mustLog(t, b.ben, NewWorklog{TaskID: task.ID, Seconds: 2 * hour}).Worklog
		users := [2]string{b.ben, b.ana} // the author and an admin
		values := [2]int64{3 * hour, 4 * hour}
		var errs [2]error
		barrier(func() {
			_, errs[0] = b.s.EditWorklog(ctx, users[0], WorklogEdit{WorklogID: wl.ID, BaseVersion: 1, Seconds: Some(values[0])})
		}, func() {
			_, errs[1] = b.s.EditWorklog(ctx, users[1], WorklogEdit{WorklogID: wl.ID, BaseVersion: 1, Seconds: Some(values[1])})
		})
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: errors %v, %v; want exactly one refused", round, errs[0], errs[1])
		}
		won, lost := 0, 1
		if errs[0] != nil {
			won, lost = 1, 0
		}
		var we *WorklogConflictError
		if !errors.As(errs[lost], &we) || !reflect.DeepEqual(we.Fields, []string{"seconds"}) || we.By != users[won] || we.Worklog.Seconds != values[won] {
			t.Fatalf("round %d: loser's error %#v", round, errs[lost])
		}
		now := b.task(t, task.ID)
		if now.Logged != values[won] {
			t.Errorf("round %d: logged %d, want %d", round, now.Logged, values[won])
		}
		wantRemaining(t, now, secs(8*hour-values[won]))
		var recorded int
		if err := b.s.read.Get(&recorded, `SELECT COUNT(*) FROM task_history WHERE task_id = ? AND type = ?`, task.ID, TypeWorklogConflicted); err != nil || recorded != 1 {
			t.Errorf("round %d: %d recorded worklog conflicts, %v", round, recorded, err)
		}
	}
}

// TestWorklogMigration: migration 00011 goes down (dropping worklogs and the task
// columns) and up again; a replay with fix then rebuilds the worklogs from the log.
func TestWorklogMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tack.db")
	s, err := OpenWith(ctx, path, OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	ana := mustSeedUser(t, s, "Ana")
	p, err := s.CreateProject(ctx, ana, NewProject{Key: "MIG", Name: "Mig"})
	if err != nil {
		t.Fatal(err)
	}
	task, err := s.CreateTask(ctx, ana, NewTask{ProjectID: p.ID, Title: "x", Estimate: hours(4)})
	if err != nil {
		t.Fatal(err)
	}
	today := s.Now().UTC().Format("2006-01-02")
	if _, err := s.LogWork(ctx, ana, NewWorklog{TaskID: task.ID, Date: today, Seconds: hour}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := fs.Sub(migrations.FS, "sqlite3")
	if err != nil {
		t.Fatal(err)
	}
	gp, err := goose.NewProvider(goose.DialectSQLite3, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gp.DownTo(ctx, 10); err != nil {
		t.Fatalf("down to 10: %v", err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'worklogs'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("after down: worklogs table %d, %v", n, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('tasks') WHERE name IN ('estimate', 'remaining', 'logged')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("after down: %d time columns on tasks, %v", n, err)
	}
	db.Close()

	s, err = OpenWith(ctx, path, OpenOptions{PasswordCost: bcrypt.MinCost}) // migrates up
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Replay(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identical() {
		t.Error("the replay found nothing to rebuild after the columns and table came back empty")
	}
	got, err := s.Task(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !equalValues(got.Estimate, hours(4)) || !equalValues(got.Remaining, hours(3)) || got.Logged != hour {
		t.Errorf("rebuilt task: %s, %s, %d", showSeconds(got.Estimate), showSeconds(got.Remaining), got.Logged)
	}
	if wls, err := s.Worklogs(ctx, task.ID); err != nil || len(wls) != 1 {
		t.Errorf("rebuilt worklogs: %d, %v", len(wls), err)
	}
}

// TestDemoTimeTracking: the demo estimates most tasks and logs the five working days
// before today by all three demo users, with several remaining-estimate choices; the
// viewer is a viewer again afterwards.
func TestDemoTimeTracking(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t) // its clock starts on Monday 2026-11-02
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	var p Project
	if err := s.read.Get(&p.ID, `SELECT id FROM projects WHERE key = 'DEMO'`); err != nil {
		t.Fatal(err)
	}
	tasks, err := s.Tasks(ctx, p.ID, TaskFilter{IncludeArchived: true})
	if err != nil {
		t.Fatal(err)
	}
	estimated, logged := 0, 0
	for _, task := range tasks {
		if task.Estimate != nil {
			estimated++
		}
		logged += int(task.Logged)
	}
	if estimated*4 < len(tasks)*3 || estimated == len(tasks) {
		t.Errorf("%d of %d tasks estimated; want most, not all", estimated, len(tasks))
	}
	var rows []struct {
		Author string `db:"author_id"`
		Date   string `db:"work_date"`
		Sum    int    `db:"seconds"`
	}
	if err := s.read.Select(&rows, `SELECT author_id, work_date, SUM(seconds) AS seconds FROM worklogs WHERE project_id = ? GROUP BY author_id, work_date`, p.ID); err != nil {
		t.Fatal(err)
	}
	authors, dates, sum := map[string]bool{}, map[string]bool{}, 0
	for _, r := range rows {
		authors[r.Author], dates[r.Date] = true, true
		sum += r.Sum
	}
	// The week before today (26–30 October), and the work of the demo's first sprint,
	// logged during it on each of its working days (19–30 October).
	wantDates := map[string]bool{"2026-10-19": true, "2026-10-20": true, "2026-10-21": true, "2026-10-22": true, "2026-10-23": true,
		"2026-10-26": true, "2026-10-27": true, "2026-10-28": true, "2026-10-29": true, "2026-10-30": true}
	if len(authors) != 3 || !reflect.DeepEqual(dates, wantDates) || sum != logged {
		t.Errorf("worklogs by %d users on %v, %d s (tasks say %d s)", len(authors), dates, sum, logged)
	}
	var choices []string
	if err := s.read.Select(&choices, `SELECT DISTINCT `+s.d.jsonText("data", "adjust")+` FROM events WHERE type = ? ORDER BY 1`, TypeWorkLogged); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(choices, []string{"auto", "leave", "reduce", "set"}) {
		t.Errorf("remaining choices used: %v", choices)
	}
	members, err := s.Members(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		for _, du := range DemoUsers {
			if du.Email == m.User.Email && du.Role != m.Role {
				t.Errorf("%s is %s, want %s", du.Email, m.Role, du.Role)
			}
		}
	}
	if got := lastWorkingDays(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), 5); !reflect.DeepEqual(got, []string{"2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"}) {
		t.Errorf("working days before Saturday 28 Nov: %v", got)
	}
}
