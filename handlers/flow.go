package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// flowRange reads ?range=week|month|quarter or ?from=&to= (to defaults to today) into
// the first and last day, today being today in the project's zone. Default: month.
func flowRange(c echo.Context, today time.Time) (from, to, rng string, err error) {
	qFrom, qTo, qRange := strings.TrimSpace(c.QueryParam("from")), strings.TrimSpace(c.QueryParam("to")), c.QueryParam("range")
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	if qFrom == "" && qTo == "" {
		switch qRange {
		case "week":
			return day(today.AddDate(0, 0, -6)), day(today), qRange, nil
		case "", "month":
			return day(today.AddDate(0, -1, 1)), day(today), "month", nil
		case "quarter":
			return day(today.AddDate(0, -3, 1)), day(today), qRange, nil
		}
		return "", "", "", invalidParam("range", "There is no range %q: choose week, month or quarter, or give from= and to= dates.", clipInput(qRange))
	}
	if qRange != "" {
		return "", "", "", invalidParam("range", "Give either range= or from= and to=, not both.")
	}
	if qFrom == "" {
		return "", "", "", invalidParam("from", "Say where the range begins: from=2026-11-02.")
	}
	if qTo == "" {
		qTo = day(today)
	}
	return qFrom, qTo, "", nil
}

// flowReport shows the project's cumulative flow and cycle times (/reports/flow), or
// their CSV (?format=csv, the cycle table with &table=cycle) or JSON (?format=json).
func (h *Handler) flowReport(c echo.Context) error {
	p, _ := currentProject(c)
	format, err := parseReportFormat(c)
	if err != nil {
		return err
	}
	table, err := parseFlowTable(c)
	if err != nil {
		return err
	}
	v, err := h.flowView(c, p)
	if err != nil {
		return err
	}
	if format != "" {
		return writeFlowExport(c, p, v, format, table)
	}
	return render(c, http.StatusOK, views.FlowPage(h.page(c, p.Key+" cumulative flow"), v))
}

// parseFlowTable reads ?table=, which of the flow report's tables a CSV holds: "flow"
// (also when absent) or "cycle".
func parseFlowTable(c echo.Context) (string, error) {
	table := c.QueryParam("table")
	if table != "" && table != "flow" && table != "cycle" {
		return "", invalidParam("table", "There is no table %q: choose flow or cycle.", clipInput(table))
	}
	return table, nil
}

// flowView computes the cumulative flow and cycle times over the range the query asks
// for (flowRange). The page and the API both start here.
func (h *Handler) flowView(c echo.Context, p *store.Project) (views.FlowView, error) {
	loc := p.WorkCalendar().Location
	today := h.store.Now().In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	from, to, rng, err := flowRange(c, today)
	if err != nil {
		return views.FlowView{}, err
	}
	flow, cycle, err := h.store.FlowAndCycle(ctx(c), p.ID, from, to)
	if err != nil {
		return views.FlowView{}, err
	}
	return views.FlowView{Flow: flow, Cycle: cycle, Range: rng, Location: reportLocation(flow.TimeZone)}, nil
}

// writeFlowExport answers the flow report's CSV (one table: table "cycle" or the flow)
// or JSON (format "csv" or "json"): the page and the API answer these bytes.
func writeFlowExport(c echo.Context, p *store.Project, v views.FlowView, format, table string) error {
	if format == "csv" {
		return writeFlowCSV(c, p, v, table == "cycle")
	}
	return c.JSON(http.StatusOK, struct {
		Flow  *store.FlowReport  `json:"flow"`
		Cycle *store.CycleReport `json:"cycle"`
	}{v.Flow, v.Cycle})
}

// writeFlowCSV answers one of the page's tables as CSV, cell for cell: the flow (a
// day per row, a column per series, empty where the column was not in the workflow)
// or the cycle times (with seconds besides the days and hours the page shows).
func writeFlowCSV(c echo.Context, p *store.Project, v views.FlowView, cycle bool) error {
	kind := "flow"
	if cycle {
		kind = "cycle-time"
	}
	name := fmt.Sprintf("%s-%s-%s-to-%s.csv", p.Key, kind, v.Flow.From, v.Flow.To)
	cw, write := startReportCSV(c, name)
	if cycle {
		write([]string{"key", "title", "started", "done", "seconds", "days", "hours"})
		for _, t := range v.Cycle.Tasks {
			started, sec, days, hours := "", "", "", ""
			if t.Started != nil {
				started = views.ISO(*t.Started)
			}
			if t.Seconds != nil {
				sec, days, hours = strconv.FormatInt(*t.Seconds, 10), views.Days(*t.Seconds), views.Hours(*t.Seconds)
			}
			write([]string{t.Key, t.Title, started, views.ISO(t.Done), sec, days, hours})
		}
		cw.Flush()
		return cw.Error()
	}
	head := []string{"date"}
	for _, s := range v.Flow.Series {
		head = append(head, s.Label())
	}
	write(append(head, "total"))
	for _, d := range v.Flow.Days {
		row := []string{d.Date}
		for _, s := range v.Flow.Series {
			n, _ := views.FlowCell(d, s.ColumnID)
			row = append(row, n)
		}
		write(append(row, strconv.Itoa(views.FlowTotal(d))))
	}
	cw.Flush()
	return cw.Error()
}
