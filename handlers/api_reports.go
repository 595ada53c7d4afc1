package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// The reports in the API (issue 12) answer the very bytes the report pages give for
// ?format=json and ?format=csv: the handlers compute them with the pages' functions
// (reportView, Velocity, flowView) and write them with the pages' writers
// (writeReportExport, writeVelocityExport, writeFlowExport). The API asks for CSV with
// ?format=csv, as the pages do; JSON is the default.
//
// Every report answer carries an ETag and honours If-None-Match. A report whose bytes
// are fixed by the log (a completed sprint's frozen report, any report ?as_of= a
// position, velocity, flow) is tagged with the digest of its bytes: strong. A running
// sprint's report at now states when it was computed (as_of_time, and the last day's
// end), so its bytes differ on every request while its numbers change only with the
// log or the day: it is tagged weakly, by the log position it was computed at and the
// day in the project's zone.

// apiReportFormat reads ?format=: "json" (also when absent) or "csv".
func apiReportFormat(c echo.Context) (string, error) {
	switch f := c.QueryParam("format"); f {
	case "", "json":
		return "json", nil
	case "csv":
		return "csv", nil
	default:
		return "", invalidParam("format", "There is no format %q: choose json or csv, or leave it out for JSON.", clipInput(f))
	}
}

// apiSprintReport answers GET .../sprints/{sprint}/report, or with chartOnly
// .../burndown: ?unit=, ?as_of= and ?format= as on the report page.
func (h *Handler) apiSprintReport(chartOnly bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, s, err := h.apiSprintOf(c)
		if err != nil {
			return err
		}
		format, err := apiReportFormat(c)
		if err != nil {
			return err
		}
		var q reportQuery
		if q.Unit, err = parseReportUnit(c); err != nil {
			return err
		}
		if q.AsOf, err = parseReportPosition(c); err != nil {
			return err
		}
		v, err := h.reportView(c, p, s, q, chartOnly)
		if err != nil {
			return err // a planned sprint has no report yet: 422
		}
		weak := ""
		if r := v.Report; q.AsOf == 0 && r.CompletedAt == nil {
			today := h.store.Now().In(reportLocation(r.TimeZone)).Format(time.DateOnly)
			weak = `W/"` + strconv.FormatInt(r.AsOf, 10) + "-" +
				digest(buildStamp, r.SprintID, strconv.FormatBool(chartOnly), string(r.Unit), format, today) + `"`
		}
		return writeTagged(c, weak, func(c echo.Context) error { return writeReportExport(c, p, v, format) })
	}
}

// apiVelocity answers GET .../reports/velocity: ?unit=, ?sprints= and ?format= as on
// the velocity page.
func (h *Handler) apiVelocity(c echo.Context) error {
	p, _ := currentProject(c)
	format, err := apiReportFormat(c)
	if err != nil {
		return err
	}
	unit, err := parseReportUnit(c)
	if err != nil {
		return err
	}
	n, _, err := parseVelocitySprints(c)
	if err != nil {
		return err
	}
	r, err := h.store.Velocity(ctx(c), p.ID, unit, n)
	if err != nil {
		return err
	}
	return writeTagged(c, "", func(c echo.Context) error { return writeVelocityExport(c, p, r, format) })
}

// apiFlow answers GET .../reports/flow: ?range= or ?from=&to=, ?format= and, for CSV,
// ?table= as on the flow page.
func (h *Handler) apiFlow(c echo.Context) error {
	p, _ := currentProject(c)
	format, err := apiReportFormat(c)
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
	return writeTagged(c, "", func(c echo.Context) error { return writeFlowExport(c, p, v, format, table) })
}

// writeTagged answers with what write writes, tagged: by weak when given, else by the
// digest of the bytes (strong). A request whose If-None-Match names the tag gets 304.
// write is given a context of its own whose response is kept in memory, so the tag can
// be known before anything is sent.
func writeTagged(c echo.Context, weak string, write func(echo.Context) error) error {
	kept := &keptResponse{header: http.Header{}}
	if err := write(c.Echo().NewContext(c.Request(), kept)); err != nil {
		return err
	}
	tag := weak
	if tag == "" {
		tag = `"` + digest(kept.body.String()) + `"`
	}
	if notModified(c, tag) {
		return nil
	}
	for k, vs := range kept.header {
		c.Response().Header()[k] = vs
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
	c.Response().Header().Set("ETag", tag)
	status := kept.status
	if status == 0 {
		status = http.StatusOK
	}
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(kept.body.Bytes())
	return err
}

// digest is a short hex digest of parts (24 hex digits: a tag, not a signature).
func digest(parts ...string) string {
	sum := sha256.New()
	for _, p := range parts {
		sum.Write([]byte(p))
		sum.Write([]byte{0})
	}
	return hex.EncodeToString(sum.Sum(nil)[:12])
}

// keptResponse is a ResponseWriter that keeps the status, headers and body in memory.
type keptResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (k *keptResponse) Header() http.Header { return k.header }

func (k *keptResponse) WriteHeader(status int) {
	if k.status == 0 {
		k.status = status
	}
}

func (k *keptResponse) Write(b []byte) (int, error) {
	if k.status == 0 {
		k.status = http.StatusOK
	}
	return k.body.Write(b)
}
