package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
	"github.com/tack-pm/tack/views"
)

// settings shows the project's time-tracking settings: a form for admins, the values
// for everyone else.
func (h *Handler) settings(c echo.Context) error {
	p, _ := currentProject(c)
	return render(c, http.StatusOK, views.TimeSettings(h.page(c, p.Key+" settings"), views.NewTimeSettingsForm(p.Calendar())))
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
	return render(c, http.StatusUnprocessableEntity, views.TimeSettings(h.page(c, p.Key+" settings"), f))
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
