package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// timesheet shows the signed-in user's time in every project (/timesheet) or in one
// (/projects/KEY/timesheet), where admins also see the team's or one person's. Filters
// that cannot be read show the form again (422) with the message at the field.
func (h *Handler) timesheet(c echo.Context) error {
	v, q, err := h.timesheetFilters(c)
	if err == nil {
		v.Sheet, err = h.store.Timesheet(ctx(c), q)
	}
	if store.ErrorCode(err) == store.EINVALID {
		v.Sheet, v.Errors = nil, fieldErrors(err)
		return render(c, http.StatusUnprocessableEntity, views.TimesheetPage(h.page(c, "Timesheet"), v))
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TimesheetPage(h.page(c, v.Heading()), v))
}

// timesheetCSV answers the worklogs behind a timesheet as CSV, one row per worklog.
func (h *Handler) timesheetCSV(c echo.Context) error {
	v, q, err := h.timesheetFilters(c)
	if err != nil {
		return err
	}
	sheet, err := h.store.Timesheet(ctx(c), q)
	if err != nil {
		return err
	}
	name := "timesheet-" + v.From + "-to-" + v.To + ".csv"
	if v.Project != nil {
		name = v.Project.Key + "-" + name
	}
	startCSV(c, name)
	return writeTimesheetCSV(c.Response(), sheet.Entries)
}

// timesheetCSVHeader names the CSV's columns.
var timesheetCSVHeader = []string{"date", "person", "email", "project", "task", "title", "start", "seconds", "hours", "comment"}

// writeTimesheetCSV writes one row per worklog. Text a spreadsheet would read as a
// formula gets a leading apostrophe.
func writeTimesheetCSV(w interface{ Write([]byte) (int, error) }, entries []*store.TimesheetEntry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(timesheetCSVHeader); err != nil {
		return err
	}
	for _, e := range entries {
		row := []string{e.Date, e.AuthorName, e.AuthorEmail, e.ProjectKey, e.TaskKey, e.TaskTitle, e.Start,
			strconv.FormatInt(e.Seconds, 10), strconv.FormatFloat(float64(e.Seconds)/3600, 'f', 2, 64), e.Comment}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// startCSV answers 200 with a CSV attachment named name; the body follows.
func startCSV(c echo.Context, name string) {
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().WriteHeader(http.StatusOK)
}

// startReportCSV starts a report's CSV attachment and returns its writer and a write
// for one row: text cells are guarded against spreadsheet formulas (csvSafe), numbers
// (a negative re-estimate too) stay numbers. Write errors are kept by the writer and
// returned by its Error after Flush.
func startReportCSV(c echo.Context, name string) (*csv.Writer, func(row []string)) {
	startCSV(c, name)
	cw := csv.NewWriter(c.Response())
	return cw, func(row []string) {
		for i := range row {
			if _, err := strconv.ParseFloat(row[i], 64); err != nil {
				row[i] = csvSafe(row[i])
			}
		}
		cw.Write(row)
	}
}

// csvSafe keeps a cell from being run as a formula by a spreadsheet (OWASP's CSV
// injection advice): a cell starting with =, +, -, @, a tab or a carriage return gets a
// leading apostrophe.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// timesheetFilters reads a timesheet's filters from the query: from and to (or week, any
// day of it; the user's current week by default), who ("" for oneself, "team", or a user
// id) and sprint (a number). It returns the view to fill and the store's query.
func (h *Handler) timesheetFilters(c echo.Context) (views.TimesheetView, store.TimesheetQuery, error) {
	p, role := currentProject(c)
	v := views.TimesheetView{Project: p, Today: userToday(c), Query: url.Values{}, Own: true}
	q := store.TimesheetQuery{Viewer: currentUser(c).ID}
	v.From, v.To = timesheetRange(c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("week"), v.Today)
	q.From, q.To = v.From, v.To
	if p != nil {
		q.ProjectID = p.ID
		var err error
		if v.Sprints, err = h.store.Sprints(ctx(c), p.ID); err != nil {
			return v, q, err
		}
		if role.CanAdmin() {
			if v.People, err = h.store.Members(ctx(c), p.ID); err != nil {
				return v, q, err
			}
		}
	}
	switch who := c.QueryParam("who"); who {
	case "", q.Viewer:
	case "team":
		q.Team, v.Own = true, false
		v.Query.Set("who", who)
	default:
		q.Person, v.Own = who, false
		if v.People != nil { // an admin: name the person; others are refused by the store
			var err error
			if v.Person, err = h.personNamed(c, v.People, who); err != nil {
				return v, q, err
			}
		}
		v.Query.Set("who", who)
	}
	if s := c.QueryParam("sprint"); s != "" {
		n, _ := strconv.Atoi(s)
		for _, sp := range v.Sprints {
			if sp.Number == n {
				q.SprintID, v.Sprint = sp.ID, n
			}
		}
		if q.SprintID == "" {
			return v, q, &store.Error{Code: store.EINVALID, Field: "sprint", Message: fmt.Sprintf("There is no sprint %q in this project.", s)}
		}
		v.Query.Set("sprint", s)
	}
	if _, err := store.TimesheetRange(q.From, q.To); err != nil {
		return v, q, err
	}
	return v, q, nil
}

// timesheetRange picks the dates a timesheet shows: from and to as given (one of them
// alone covers a week from or to it), else the Monday-to-Sunday week of week or of today.
func timesheetRange(from, to, week, today string) (string, string) {
	switch {
	case from != "" && to != "":
		return from, to
	case from != "":
		return from, views.AddDays(from, 6)
	case to != "":
		return views.AddDays(to, -6), to
	}
	mon := views.WeekStart(today)
	if week != "" {
		mon = views.WeekStart(week)
	}
	return mon, views.AddDays(mon, 6)
}

// personNamed finds a person an admin asked for among the project's members, or among
// everyone (someone removed from the project may have logged time in it).
func (h *Handler) personNamed(c echo.Context, members []store.Member, id string) (*store.User, error) {
	for _, m := range members {
		if m.User.ID == id {
			return &m.User, nil
		}
	}
	u, err := h.store.User(ctx(c), id)
	if store.ErrorCode(err) == store.ENOTFOUND {
		return nil, &store.Error{Code: store.EINVALID, Field: "who", Message: "There is no such person."}
	}
	return u, err
}
