package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/duration"
)

func TestTimeSettings(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ana := a.browser()
	ana.signIn(anaEmail, anaPass)
	calendar := func() duration.Calendar {
		t.Helper()
		p, _, err := a.st.ProjectFor(a.ctx, a.ana.ID, "DEMO")
		if err != nil {
			t.Fatal(err)
		}
		return p.Calendar()
	}

	page := ana.get("/projects/DEMO/settings")
	expectStatus(t, page, http.StatusOK)
	form := `form#time-settings`
	for field, want := range map[string]string{"day_hours": "8", "week_days": "5"} {
		if got := page.Doc.Find(form+` input[name="`+field+`"]`).AttrOr("value", "?"); got != want {
			t.Errorf("the form's %s is %q, want %q", field, got, want)
		}
	}
	if got := page.Doc.Find(`nav.project-nav a[aria-current="page"]`).Text(); got != "Settings" {
		t.Errorf("the project nav marks %q as the current page, want Settings", got)
	}

	// Bad input: 422, a message next to the field, the values as typed, nothing stored.
	before := a.eventCount()
	for _, tc := range []struct {
		name, day, week, field, message string
	}{
		{"letters", "lots", "5", "day_hours", "Write the working day in hours"},
		{"days as the unit of a day", "1d", "5", "day_hours", "in hours and minutes"},
		{"more than 24 hours", "25", "5", "day_hours", "between 1 minute and 24 hours"},
		{"no time at all", "0", "5", "day_hours", "between 1 minute and 24 hours"},
		{"part of a minute", "7.501", "5", "day_hours", "whole number of minutes"},
		{"empty", "", "5", "day_hours", "Write the working day in hours"},
		{"an 8-day week", "8", "8", "week_days", "1 to 7 days"},
		{"a 0-day week", "8", "0", "week_days", "1 to 7 days"},
		{"half a day in a week", "8", "4.5", "week_days", "whole number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ana.submit(page, form, map[string]string{"day_hours": tc.day, "week_days": tc.week})
			expectStatus(t, r, http.StatusUnprocessableEntity)
			expectText(t, r, "#err-"+tc.field, tc.message)
			input := r.Doc.Find(form + ` input[name="` + tc.field + `"]`)
			if input.AttrOr("aria-invalid", "") != "true" {
				t.Errorf("the wrong field is not marked aria-invalid")
			}
			if got := input.AttrOr("aria-describedby", ""); got == "" || !containsWord(got, "err-"+tc.field) {
				t.Errorf("the wrong field is described by %q, not by its message", got)
			}
			if got := r.Doc.Find(form+` input[name="day_hours"]`).AttrOr("value", "?"); got != tc.day {
				t.Errorf("after the refusal the day field holds %q, want %q as typed", got, tc.day)
			}
		})
	}
	if a.eventCount() != before || calendar() != duration.Default {
		t.Fatalf("refused settings changed something: calendar %+v", calendar())
	}

	// An estimate written 1d with 8-hour days: 8 hours, stored as seconds.
	task, err := a.st.CreateTask(a.ctx, a.ana.ID, store.NewTask{ProjectID: a.demo.ID, Title: "Estimate me"})
	if err != nil {
		t.Fatal(err)
	}
	eight := int64(8 * 3600)
	if _, err := a.st.UpdateTask(a.ctx, a.ana.ID, store.TaskUpdate{TaskID: task.ID, BaseVersion: task.Version, Estimate: store.Some(&eight)}); err != nil {
		t.Fatal(err)
	}
	taskPage := "/projects/DEMO/tasks/" + task.Key
	history := ana.get(taskPage)
	expectText(t, history, "ol.history", "set the original estimate of "+task.Key+" to 1d")
	if strings.Contains(history.Text("ol.history"), "to 1d 1h") {
		t.Errorf("with 8-hour days 8h reads 1d 1h")
	}

	// A good change: stored, said, and shown in the form again.
	r := ana.submit(page, form, map[string]string{"day_hours": "7,5", "week_days": "4"})
	expectRedirect(t, r, "/projects/DEMO/settings")
	if got, want := calendar(), (duration.Calendar{DayMinutes: 450, WeekDays: 4}); got != want {
		t.Fatalf("calendar %+v, want %+v", got, want)
	}
	page = ana.follow(r)
	expectText(t, page, ".flash", "a working day is 7h 30m, a working week 4 days")
	if got := page.Doc.Find(form+` input[name="day_hours"]`).AttrOr("value", "?"); got != "7.5" {
		t.Errorf("the form shows the day as %q, want 7.5", got)
	}
	r = ana.submit(page, form, map[string]string{"day_hours": "7h 20m", "week_days": "5"})
	expectRedirect(t, r, "/projects/DEMO/settings")
	if got := ana.follow(r).Doc.Find(form+` input[name="day_hours"]`).AttrOr("value", "?"); got != "7h 20m" {
		t.Errorf("a 440-minute day shows as %q, want 7h 20m", got)
	}
	expectText(t, ana.get("/projects/DEMO/activity"), "ol.history", "changed the working calendar")

	// With 7-hour days the same 8 hours read 1d 1h; the stored seconds did not change.
	r = ana.submit(page, form, map[string]string{"day_hours": "7", "week_days": "5"})
	expectRedirect(t, r, "/projects/DEMO/settings")
	history = ana.get(taskPage)
	expectText(t, history, "ol.history", "set the original estimate of "+task.Key+" to 1d 1h")
	if got := a.task(task.Key).Estimate; got == nil || *got != eight {
		t.Errorf("the stored estimate became %v, want %d seconds", got, eight)
	}
	r = ana.submit(page, form, map[string]string{"day_hours": "7h 20m", "week_days": "5"})
	expectRedirect(t, r, "/projects/DEMO/settings")

	// Members and viewers read the values; they cannot change them.
	for _, who := range []struct{ email, pass string }{{benEmail, benPass}, {chloeEmail, chloePass}} {
		b := a.browser()
		b.signIn(who.email, who.pass)
		r := b.get("/projects/DEMO/settings")
		expectStatus(t, r, http.StatusOK)
		if n := r.Doc.Find(`main form[method="post"]`).Length(); n != 0 {
			t.Errorf("%s sees %d settings form(s)", who.email, n)
		}
		if got := r.Text(".time-settings-facts dd"); got != "7h 20m5 days" {
			t.Errorf("%s reads the calendar as %q, want 7h 20m and 5 days", who.email, got)
		}
		expectText(t, r, ".time-settings", "Only project admins")
		before := a.eventCount()
		expectStatus(t, b.post("/projects/DEMO/settings/time", url.Values{"day_hours": {"6"}, "week_days": {"3"}}), http.StatusForbidden)
		if a.eventCount() != before {
			t.Errorf("%s changed the calendar", who.email)
		}
	}

	// Non-members: 404 for the page and the form, whether the project exists or not.
	dana := a.browser()
	dana.signUp("dana@example.com", "Dana Outsider", "dana-password")
	for _, key := range []string{"DEMO", "NOPE"} {
		expectStatus(t, dana.get("/projects/"+key+"/settings"), http.StatusNotFound)
		expectStatus(t, dana.post("/projects/"+key+"/settings/time", url.Values{"day_hours": {"6"}, "week_days": {"3"}}), http.StatusNotFound)
	}

	// CSRF: without the form's token nothing changes.
	before = a.eventCount()
	for _, token := range []string{"", "forged"} {
		r := ana.do(http.MethodPost, "/projects/DEMO/settings/time", url.Values{"_csrf": {token}, "day_hours": {"6"}, "week_days": {"3"}}, nil)
		expectStatus(t, r, http.StatusForbidden)
	}
	if a.eventCount() != before {
		t.Errorf("a request without the CSRF token changed the calendar")
	}
}

// containsWord reports whether the space-separated list s holds w.
func containsWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// TestWorkCalendarSettings: the calendar reports count days by is set on the settings
// page by admins; bad input is refused next to its field and changes nothing.
func TestWorkCalendarSettings(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ana := a.browser()
	ana.signIn(anaEmail, anaPass)
	project := func() *store.Project {
		t.Helper()
		p, _, err := a.st.ProjectFor(a.ctx, a.ana.ID, "DEMO")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const form = `form#work-calendar`
	page := ana.get("/projects/DEMO/settings")
	expectStatus(t, page, http.StatusOK)
	if got := page.Doc.Find(form+` input[name="time_zone"]`).AttrOr("value", "?"); got != "UTC" {
		t.Errorf("the time zone field holds %q, want UTC", got)
	}
	if got := formValues(page.Doc.Find(form))["weekday"]; strings.Join(got, ",") != "1,2,3,4,5" {
		t.Errorf("the checked weekdays are %v, want Monday to Friday (1–5)", got)
	}

	before := a.eventCount()
	for _, tc := range []struct {
		name   string
		values url.Values
		field  string
		want   string
	}{
		{"unknown zone", url.Values{"time_zone": {"Mars/Olympus"}, "weekday": {"1"}}, "time_zone", "Unknown time zone"},
		{"no working day", url.Values{"time_zone": {"UTC"}}, "weekdays", "at least one working day"},
		{"a weekday that is not one", url.Values{"time_zone": {"UTC"}, "weekday": {"9"}}, "weekdays", "from the list"},
		{"a date that is not one", url.Values{"time_zone": {"UTC"}, "weekday": {"1"}, "holidays": {"2026-12-24, Christmas"}}, "holidays", "is not a date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ana.post("/projects/DEMO/settings/calendar", tc.values)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			expectText(t, r, "#err-"+tc.field, tc.want)
			if got := r.Doc.Find(form + ` [name="holidays"]`).Text(); got != tc.values.Get("holidays") {
				t.Errorf("after the refusal the dates field holds %q, want %q as typed", got, tc.values.Get("holidays"))
			}
		})
	}
	if a.eventCount() != before {
		t.Fatalf("refused calendars changed something")
	}

	r := ana.submit(page, form, map[string]string{"time_zone": "Europe/Berlin", "holidays": "2026-12-24\n2026-12-25, 2026-12-31"})
	expectRedirect(t, r, "/projects/DEMO/settings")
	p := project()
	cal := p.WorkCalendar()
	if cal.Location.String() != "Europe/Berlin" || store.WeekdaysText(p.WorkWeekdays) != "Mon–Fri" ||
		strings.Join(p.Holidays, ",") != "2026-12-24,2026-12-25,2026-12-31" {
		t.Fatalf("stored calendar: zone %s, days %s, dates %v", cal.Location, store.WeekdaysText(p.WorkWeekdays), p.Holidays)
	}
	if cal.Working("2026-12-24") || !cal.Working("2026-12-23") {
		t.Errorf("24 Dec should be a non-working date and 23 Dec a working day")
	}
	page = ana.follow(r)
	expectText(t, page, ".flash", "Working calendar saved")
	if got := page.Doc.Find(form+` input[name="time_zone"]`).AttrOr("value", "?"); got != "Europe/Berlin" {
		t.Errorf("the form shows the zone as %q", got)
	}
	expectText(t, ana.get("/projects/DEMO/activity"), "ol.history", "Europe/Berlin")

	// Members read it; they cannot change it. Non-members get 404.
	ben := a.browser()
	ben.signIn(benEmail, benPass)
	expectText(t, ben.get("/projects/DEMO/settings"), ".work-calendar-facts", "Europe/Berlin")
	dana := a.browser()
	dana.signUp("dana@example.com", "Dana Outsider", "dana-password")
	before = a.eventCount()
	expectStatus(t, ben.post("/projects/DEMO/settings/calendar", url.Values{"time_zone": {"UTC"}, "weekday": {"1"}}), http.StatusForbidden)
	expectStatus(t, dana.post("/projects/DEMO/settings/calendar", url.Values{"time_zone": {"UTC"}, "weekday": {"1"}}), http.StatusNotFound)
	if a.eventCount() != before {
		t.Errorf("a member or a non-member changed the calendar")
	}
}
