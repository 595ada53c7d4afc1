package store

import (
	"context"
	"fmt"

	"github.com/tack-pm/tack/store/duration"
)

// Calendar is the project's working calendar, which time tracking writes durations by.
func (p *Project) Calendar() duration.Calendar {
	c := duration.Calendar{DayMinutes: p.DayMinutes, WeekDays: p.WeekDays}
	if c.Validate() != nil {
		return duration.Default
	}
	return c
}

// SetCalendar sets the project's working calendar for time tracking (admins only): how
// long a working day is and how many days a week has. Stored durations do not change;
// they are written anew with it.
func (s *Store) SetCalendar(ctx context.Context, actor, projectID string, c duration.Calendar) error {
	if err := c.Validate(); err != nil {
		field := "day_minutes"
		if c.DayMinutes >= 1 && c.DayMinutes <= 24*60 {
			field = "week_days"
		}
		return invalidField(field, "%s", err.Error())
	}
	_, err := s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "change the project's settings"); err != nil {
			return err
		}
		var now struct {
			Day  int `db:"day_minutes"`
			Week int `db:"week_days"`
		}
		if err := w.tx.Get(&now, `SELECT day_minutes, week_days FROM projects WHERE id = ?`, projectID); err != nil {
			return notFound(err, "No such project.")
		}
		var e SettingsChanged
		if now.Day != c.DayMinutes {
			e.DayMinutes = &IntChange{From: now.Day, To: c.DayMinutes}
		}
		if now.Week != c.WeekDays {
			e.WeekDays = &IntChange{From: now.Week, To: c.WeekDays}
		}
		if e.DayMinutes == nil && e.WeekDays == nil {
			return nil
		}
		_, err := w.appendLatest(projectStream(projectID), actor, &e)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: project calendar: %w", err)
	}
	return nil
}
