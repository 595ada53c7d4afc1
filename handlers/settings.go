package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
	"github.com/tack-pm/tack/views"
)

// settings shows the project's settings (time tracking, the working calendar for
// reports): forms for admins, the values for everyone else.
func (h *Handler) settings(c echo.Context) error {
	p, _ := currentProject(c)
	return render(c, http.StatusOK, views.Settings(h.page(c, p.Key+" settings"), views.NewTimeSettingsForm(p.Calendar()), views.NewWorkCalendarForm(p)))
}

// saveTimeSettings sets the project's working calendar (admins only; the store says no to
// anyone else). Bad input shows the form again (422) with the values as typed.
func (h *Handler) saveTimeSettings(c echo.Context) error {
	p, _ := currentProject(c)
	f := views.TimeSettingsForm{DayHours: c.FormValue("day_hours"), WeekDays: c.FormValue("week_days")}
	cal, errs := readCalendar(f)
	if len(errs) == 0 {
		err := h.store.SetCalendar(ctx(c), currentUser(c).ID, p.ID, cal)
		if err == nil {
			h.flash(c, "Time tracking settings saved: a working day is "+views.HoursMinutes(int64(cal.DayMinutes)*60)+
				", a working week "+strconv.Itoa(cal.WeekDays)+" days.")
			return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/settings"))
		}
		if store.ErrorCode(err) != store.EINVALID {
			return err
		}
		errs = fieldErrors(err)
		if msg, ok := errs["day_minutes"]; ok { // the store names the field by its unit
			errs = map[string]string{"day_hours": msg}
		}
	}
	f.Errors = errs
	return render(c, http.StatusUnprocessableEntity, views.Settings(h.page(c, p.Key+" settings"), f, views.NewWorkCalendarForm(p)))
}

// saveWorkCalendar sets the calendar reports count days by (admins only; the store says
// no to anyone else). Bad input shows the form again (422) with the values as typed.
func (h *Handler) saveWorkCalendar(c echo.Context) error {
	p, _ := currentProject(c)
	if err := c.Request().ParseForm(); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	f := views.WorkCalendarForm{TimeZone: strings.TrimSpace(c.FormValue("time_zone")), Holidays: c.FormValue("holidays")}
	in := store.WorkCalendarInput{TimeZone: f.TimeZone, Holidays: strings.FieldsFunc(f.Holidays, func(r rune) bool {
		return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t'
	})}
	for _, v := range c.Request().PostForm["weekday"] {
		d, err := strconv.Atoi(v)
		if err != nil || d < 0 || d > 6 {
			f.Errors = map[string]string{"weekdays": "Choose working days from the list."}
			return render(c, http.StatusUnprocessableEntity, views.Settings(h.page(c, p.Key+" settings"), views.NewTimeSettingsForm(p.Calendar()), f))
		}
		f.Weekdays[d] = true
		in.Weekdays = append(in.Weekdays, time.Weekday(d))
	}
	err := h.store.SetWorkCalendar(ctx(c), currentUser(c).ID, p.ID, in)
	if err == nil {
		h.flash(c, "Working calendar saved.")
		return c.Redirect(http.StatusSeeOther, views.ProjectURL(p, "/settings"))
	}
	if store.ErrorCode(err) != store.EINVALID {
		return err
	}
	f.Errors = fieldErrors(err)
	return render(c, http.StatusUnprocessableEntity, views.Settings(h.page(c, p.Key+" settings"), views.NewTimeSettingsForm(p.Calendar()), f))
}

// readCalendar reads the form's hours per day ("8", "7.5", "7,5" or "7h 30m") and days
// per week, with a message per field that cannot be read.
func readCalendar(f views.TimeSettingsForm) (duration.Calendar, map[string]string) {
	errs := map[string]string{}
	var cal duration.Calendar
	day := strings.ToLower(strings.TrimSpace(f.DayHours))
	// Days and weeks are what this form defines, so they cannot measure it.
	if strings.ContainsAny(day, "dw") {
		errs["day_hours"] = "Write the working day in hours and minutes, e.g. 8, 7.5 or 7h 30m."
	} else if secs, err := duration.Default.Parse(day); err != nil {
		errs["day_hours"] = "Write the working day in hours, e.g. 8, 7.5 or 7h 30m."
	} else if secs%60 != 0 {
		errs["day_hours"] = "A working day is a whole number of minutes long, e.g. 7.5 or 7h 30m."
	} else if secs < 60 || secs > 24*3600 {
		errs["day_hours"] = "A working day is between 1 minute and 24 hours long."
	} else {
		cal.DayMinutes = int(secs / 60)
	}
	week, err := strconv.Atoi(strings.TrimSpace(f.WeekDays))
	if err != nil || week < 1 || week > 7 {
		errs["week_days"] = "A working week has 1 to 7 days: enter a whole number."
	} else {
		cal.WeekDays = week
	}
	return cal, errs
}
