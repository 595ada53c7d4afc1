package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// velocityQuery is what the velocity page's query asks for.
type velocityQuery struct {
	Unit    store.ReportUnit
	N       int    // sprints, 0 = all
	Sprints string // as asked: "", "all" or a number
	Format  string // "", "csv" or "json"
	Print   bool
	Paper   string
}

// parseVelocityQuery reads ?unit=, ?sprints=, ?format=, ?print= and ?paper=.
func parseVelocityQuery(c echo.Context) (velocityQuery, error) {
	q := velocityQuery{Paper: "a4"}
	var err error
	if q.Unit, err = parseReportUnit(c); err != nil {
		return q, err
	}
	if q.N, q.Sprints, err = parseVelocitySprints(c); err != nil {
		return q, err
	}
	q.Format, q.Print, q.Paper, err = parseReportOutput(c)
	return q, err
}

// parseVelocitySprints reads ?sprints=: how many of the last completed sprints (0: all;
// DefaultVelocitySprints when absent) and the value as asked ("", "all" or a number).
func parseVelocitySprints(c echo.Context) (n int, asked string, err error) {
	switch s := strings.TrimSpace(c.QueryParam("sprints")); strings.ToLower(s) {
	case "":
		return store.DefaultVelocitySprints, "", nil
	case "all":
		return 0, "all", nil
	default:
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			return 0, "", invalidParam("sprints", "sprints=%q is not a number of sprints: give a whole number from 1, such as sprints=7, or sprints=all.", clipInput(c.QueryParam("sprints")))
		}
		return n, strconv.Itoa(n), nil
	}
}

// velocity answers the velocity page, its print layout, or its CSV or JSON: all from one
// store.Velocity, so the page, the table and the exports cannot disagree.
func (h *Handler) velocity(c echo.Context) error {
	p, _ := currentProject(c)
	q, err := parseVelocityQuery(c)
	if err != nil {
		return err
	}
	r, err := h.store.Velocity(ctx(c), p.ID, q.Unit, q.N)
	if err != nil {
		return err
	}
	if q.Format != "" {
		return writeVelocityExport(c, p, r, q.Format)
	}
	v := views.VelocityView{Report: r, SprintsAsked: q.Sprints, Location: p.WorkCalendar().Location,
		Print: q.Print, Paper: q.Paper}
	return render(c, http.StatusOK, views.VelocityPage(h.page(c, "Velocity: "+p.Key), v))
}

// writeVelocityExport answers the velocity report's CSV or JSON (format "csv" or
// "json"): the page and the API answer these bytes.
func writeVelocityExport(c echo.Context, p *store.Project, r *store.VelocityReport, format string) error {
	if format == "csv" {
		return writeVelocityCSV(c, p, r)
	}
	return c.JSON(http.StatusOK, r)
}

// velocityPrintCSS is the velocity report's printed page size and running header.
func (h *Handler) velocityPrintCSS(c echo.Context) error {
	p, _ := currentProject(c)
	size := "A4"
	if strings.ToLower(c.QueryParam("paper")) == "letter" {
		size = "letter"
	}
	printed := h.store.Now().In(userLocation(c)).Format("2 Jan 2006")
	css := fmt.Sprintf("@page {\n  size: %s;\n  @top-left { content: %s; }\n  @top-right { content: %s; }\n}\n",
		size, cssString(p.Key+" · Velocity"), cssString("printed "+printed))
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(css))
}

// velocityCSVHeader names the velocity CSV's columns.
var velocityCSVHeader = []string{"line", "number", "sprint", "completed_at", "unit", "committed", "added", "removed", "reestimated", "final", "completed", "report_as_of"}

// writeVelocityCSV answers the velocity table as CSV: one line per sprint, then the
// average and the median of completed. Values are raw (points, counts, seconds).
func writeVelocityCSV(c echo.Context, p *store.Project, r *store.VelocityReport) error {
	name := fmt.Sprintf("%s-velocity-%s-%d-sprints.csv", p.Key, r.Unit, len(r.Sprints))
	cw, write := startReportCSV(c, name)
	unit := string(r.Unit)
	write(append([]string(nil), velocityCSVHeader...))
	for _, l := range r.Sprints {
		write([]string{"sprint", strconv.Itoa(l.Number), l.Name, l.CompletedAt.UTC().Format("2006-01-02T15:04:05Z"), unit,
			views.RawValue(l.Committed), views.RawValue(l.Added), views.RawValue(l.Removed), views.RawValue(l.Reestimated),
			views.RawValue(l.Final), views.RawValue(l.Completed), strconv.FormatInt(l.AsOf, 10)})
	}
	write([]string{"average", "", "", "", unit, "", "", "", "", "", views.RawValue(r.Average), ""})
	write([]string{"median", "", "", "", unit, "", "", "", "", "", views.RawValue(r.Median), ""})
	cw.Flush()
	return cw.Error()
}
