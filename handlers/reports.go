package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/views"
)

// reportQuery is what a report page's query asks for.
type reportQuery struct {
	Unit   store.ReportUnit
	AsOf   int64  // 0: now, or a completed sprint's latest completion
	Format string // "", "csv" or "json"
	Print  bool
	Paper  string // "a4" or "letter"
}

// parseReportQuery reads ?unit=, ?as_of=, ?format=, ?print= and ?paper=, refusing what
// it cannot read with a message that says what would do.
func parseReportQuery(c echo.Context) (reportQuery, error) {
	q := reportQuery{Unit: store.UnitPoints, Paper: "a4"}
	var err error
	if q.Unit, err = parseReportUnit(c); err != nil {
		return q, err
	}
	if q.AsOf, err = parseReportPosition(c); err != nil {
		return q, err
	}
	q.Format, q.Print, q.Paper, err = parseReportOutput(c)
	return q, err
}

// parseReportUnit reads ?unit= (points when absent), as every report and the API take it.
func parseReportUnit(c echo.Context) (store.ReportUnit, error) {
	u := c.QueryParam("unit")
	if u == "" {
		return store.UnitPoints, nil
	}
	if !slices.Contains(store.ReportUnits, store.ReportUnit(u)) {
		return "", invalidParam("unit", "There is no report unit %q: choose points, count, remaining or original.", clipInput(u))
	}
	return store.ReportUnit(u), nil
}

// parseReportPosition reads ?as_of= (0, the latest, when absent).
func parseReportPosition(c echo.Context) (int64, error) {
	a := c.QueryParam("as_of")
	if a == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil || n < 0 {
		return 0, invalidParam("as_of", "as_of=%q is not an event position: give a whole number such as as_of=120, or leave it out for the latest.", clipInput(a))
	}
	return n, nil
}

// invalidParam refuses the query parameter field; the API's problem names it.
func invalidParam(field, format string, args ...any) error {
	return &store.Error{Code: store.EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// sprintReport shows a sprint's report (/sprints/:n/report).
func (h *Handler) sprintReport(c echo.Context) error { return h.report(c, false) }

// sprintBurndown shows a sprint's burndown alone (/sprints/:n/burndown).
func (h *Handler) sprintBurndown(c echo.Context) error { return h.report(c, true) }

// report answers a report page, its print layout, or its CSV or JSON: all from one
// store.SprintReport, so the page, the table and the exports cannot disagree.
func (h *Handler) report(c echo.Context, chartOnly bool) error {
	p, s, err := h.sprintOf(c)
	if err != nil {
		return err
	}
	q, err := parseReportQuery(c)
	if err != nil {
		return err
	}
	v, err := h.reportView(c, p, s, q, chartOnly)
	if store.ErrorCode(err) == store.EINVALID && s.State == store.SprintPlanned {
		return render(c, http.StatusUnprocessableEntity, views.ReportUnavailablePage(h.page(c, s.Name+" report"), s, store.ErrorMessage(err)))
	}
	if err != nil {
		return err
	}
	if q.Format != "" {
		return writeReportExport(c, p, v, q.Format)
	}
	if v.Versions, err = h.store.SprintReportVersions(ctx(c), s.ID); err != nil {
		return err
	}
	if chartOnly {
		return render(c, http.StatusOK, views.BurndownPage(h.page(c, "Burndown: "+s.Name), v))
	}
	return render(c, http.StatusOK, views.SprintReportPage(h.page(c, "Sprint report: "+s.Name), v))
}

// reportView computes sprint s's report as q asks (unit, position) with what its page
// and its exports show besides the numbers: the sprints unfinished tasks went to, the
// names of the people. The page and the API both start here.
func (h *Handler) reportView(c echo.Context, p *store.Project, s *store.Sprint, q reportQuery, chartOnly bool) (views.ReportView, error) {
	r, err := h.store.SprintReport(ctx(c), s.ID, q.Unit, q.AsOf)
	if err != nil {
		return views.ReportView{}, err
	}
	v := views.ReportView{Sprint: s, Report: r, Name: h.userName(c), Location: reportLocation(r.TimeZone),
		Print: q.Print, Paper: q.Paper, AsOfAsked: q.AsOf, ChartOnly: chartOnly}
	v.Sprints, err = h.store.Sprints(ctx(c), p.ID)
	return v, err
}

// writeReportExport answers a sprint report's (or with v.ChartOnly its burndown's) CSV
// or JSON, format "csv" or "json": the report pages and the API answer these bytes.
func writeReportExport(c echo.Context, p *store.Project, v views.ReportView, format string) error {
	switch {
	case format == "csv":
		return writeReportCSV(c, p, v)
	case v.ChartOnly:
		return c.JSON(http.StatusOK, v.Report.Burndown)
	}
	return c.JSON(http.StatusOK, v.Report)
}

// reportLocation is the report's time zone (UTC when it cannot be loaded).
func reportLocation(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

// reportPrintCSS is the stylesheet of a report's printed pages: the paper size and the
// running header (project, sprint, dates, print date), which a static sheet cannot
// know. Margins, the "Page X of Y" footer and the rest are in tack.css.
func (h *Handler) reportPrintCSS(c echo.Context) error {
	p, s, err := h.sprintOf(c)
	if err != nil {
		return err
	}
	size := "A4"
	if strings.ToLower(c.QueryParam("paper")) == "letter" {
		size = "letter"
	}
	printed := h.store.Now().In(userLocation(c)).Format("2 Jan 2006")
	css := fmt.Sprintf("@page {\n  size: %s;\n  @top-left { content: %s; }\n  @top-right { content: %s; }\n}\n",
		size, cssString(p.Key+" · "+s.Name), cssString(views.SprintDates(s)+" · printed "+printed))
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(css))
}

// cssString quotes s as a CSS string: quotes and backslashes escaped, control
// characters written as code points, so a sprint's name cannot end the rule.
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%x ", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// reportCSVHeader names the report CSV's columns.
var reportCSVHeader = []string{"line", "bucket", "key", "title", "unit", "value", "from", "to", "by", "at", "event", "went_to"}

// burndownCSVHeader names the burndown CSV's columns.
var burndownCSVHeader = []string{"date", "working", "remaining", "guideline", "future", "end"}

// writeReportCSV answers the report's tables as CSV: for the report, one line per task
// line of each bucket, then the totals; for the burndown, one line per day. Values are
// raw (points, counts, seconds), as the tables' data-value attributes carry them.
func writeReportCSV(c echo.Context, p *store.Project, v views.ReportView) error {
	r := v.Report
	kind := "report"
	if v.ChartOnly {
		kind = "burndown"
	}
	name := fmt.Sprintf("%s-sprint-%d-%s-%s-at-%d.csv", p.Key, r.Number, kind, r.Unit, r.AsOf)
	cw, write := startReportCSV(c, name)
	if v.ChartOnly {
		write(append([]string(nil), burndownCSVHeader...))
		for _, d := range r.Burndown.Days {
			rem := views.RawValue(d.Remaining)
			if d.Future {
				rem = ""
			}
			write([]string{d.Date, strconv.FormatBool(d.Working), rem, views.RawValue(d.Guide), strconv.FormatBool(d.Future), d.End.UTC().Format("2006-01-02T15:04:05Z")})
		}
		cw.Flush()
		return cw.Error()
	}
	write(append([]string(nil), reportCSVHeader...))
	unit := string(r.Unit)
	task := func(bucket string, t store.ReportTask, value, from, to float64, withTo bool) {
		went := ""
		if withTo {
			went, _ = v.WentTo(t.To)
		}
		fromS, toS := "", ""
		if bucket == "reestimated" {
			fromS, toS = views.RawValue(from), views.RawValue(to)
		}
		write([]string{"task", bucket, t.Key, t.Title, unit, views.RawValue(value), fromS, toS, v.Name(t.By),
			t.At.UTC().Format("2006-01-02T15:04:05Z"), strconv.FormatInt(t.Seq, 10), went})
	}
	tasks := func(bucket string, list []store.ReportTask, withTo bool) {
		for _, t := range list {
			task(bucket, t, t.Value, 0, 0, withTo)
		}
	}
	changes := func(bucket string, list []store.ReportChange) {
		for _, ch := range list {
			task(bucket, ch.Task, views.ChangeValue(ch), ch.From, ch.To, false)
		}
	}
	tasks("committed", r.Committed, false)
	changes("added", r.Added)
	changes("removed", r.Removed)
	changes("reestimated", r.Reestimated)
	tasks("completed", r.Completed, false)
	tasks("completed_outside", r.CompletedOutside, false)
	tasks("not_completed", r.NotCompleted, true)
	for _, b := range views.ReportBuckets {
		write([]string{"total", b.Key, "", "", unit, views.RawValue(r.Totals[b.Key]), "", "", "", "", "", ""})
	}
	write([]string{"total", "time_logged", "", "", "seconds", strconv.FormatInt(r.TimeLogged, 10), "", "", "", "", "", ""})
	cw.Flush()
	return cw.Error()
}

// parseReportFormat reads a report page's ?format=: "" (the page, also "html"), "csv"
// or "json".
func parseReportFormat(c echo.Context) (string, error) {
	switch f := c.QueryParam("format"); f {
	case "", "html":
		return "", nil
	case "csv", "json":
		return f, nil
	default:
		return "", store.Errorf(store.EINVALID, "There is no report format %q: choose csv or json, or leave it out for the page.", clipInput(f))
	}
}

// parseReportOutput reads how a report is answered: format "" (the page), "csv" or
// "json"; printLayout for ?print=1; paper "" (A4) or "letter".
func parseReportOutput(c echo.Context) (format string, printLayout bool, paper string, err error) {
	if format, err = parseReportFormat(c); err != nil {
		return "", false, "", err
	}
	switch pr := c.QueryParam("print"); pr {
	case "", "0":
	case "1", "true":
		printLayout = true
	default:
		return "", false, "", store.Errorf(store.EINVALID, "print=%q is not understood: use print=1.", pr)
	}
	switch p := strings.ToLower(c.QueryParam("paper")); p {
	case "", "a4":
	case "letter":
		paper = p
	default:
		return "", false, "", store.Errorf(store.EINVALID, "There is no paper size %q: choose a4 or letter.", c.QueryParam("paper"))
	}
	return format, printLayout, paper, nil
}
