package views

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/tack-pm/tack/store"
)

// VelocityView is the data of the velocity page.
type VelocityView struct {
	Report *store.VelocityReport
	// SprintsAsked is the ?sprints= the page was asked for: "" (the default), "all" or a
	// number.
	SprintsAsked string
	// Location is the project's time zone, for completion dates.
	Location *time.Location
	// Print renders the print layout (?print=1); Paper is "a4" or "letter".
	Print bool
	Paper string
}

// VelocityURL is the velocity page's path.
func VelocityURL(p *store.Project) string { return ProjectURL(p, "/reports/velocity") }

// Query returns the page's query for a link that changes some of it ("" removes a key).
func (v VelocityView) Query(change ...string) string {
	q := url.Values{}
	if v.Report.Unit != store.UnitPoints {
		q.Set("unit", string(v.Report.Unit))
	}
	if v.SprintsAsked != "" {
		q.Set("sprints", v.SprintsAsked)
	}
	if v.Paper == "letter" {
		q.Set("paper", "letter")
	}
	return changedQuery(q, change...)
}

// SprintsValue is the value of the page's sprints field.
func (v VelocityView) SprintsValue() string {
	if v.SprintsAsked == "" {
		return strconv.Itoa(store.DefaultVelocitySprints)
	}
	return v.SprintsAsked
}

// Scope says which sprints the page shows: "the last 7 completed sprints (of 9)".
func (v VelocityView) Scope() string {
	r := v.Report
	n := len(r.Sprints)
	switch {
	case n == 0:
		return "no completed sprint yet"
	case n == r.Available:
		if n == 1 {
			return "the only completed sprint"
		}
		return fmt.Sprintf("all %d completed sprints", n)
	case n == 1:
		return fmt.Sprintf("the last completed sprint (of %d)", r.Available)
	}
	return fmt.Sprintf("the last %d completed sprints (of %d)", n, r.Available)
}

// Day writes a completion date in the project's zone: "Fri 13 Nov 2026".
func (v VelocityView) Day(t time.Time) string {
	loc := v.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006")
}

// SprintReportURL links a velocity line to its sprint's report.
func SprintReportURL(p *store.Project, l store.VelocitySprint) string {
	return ProjectURL(p, "/sprints/"+strconv.Itoa(l.Number)+"/report")
}

// VelocityRowID is the table row's id a bar links to.
func VelocityRowID(l store.VelocitySprint) string { return "vel-" + strconv.Itoa(l.Number) }

// SignedValue writes a re-estimate's net change with its sign: "+3", "−2", "0".
func SignedValue(p *store.Project, u store.ReportUnit, v float64) string {
	switch {
	case v > 0:
		return "+" + shortValue(p, u, v)
	case v < 0:
		return "−" + shortValue(p, u, -v)
	}
	return shortValue(p, u, 0)
}

// --- The velocity chart -----------------------------------------------------------------

// VelocityChart is the grouped bar chart in SVG user units: per sprint a committed bar
// (hatched) and a completed bar (solid), with the average and median as dashed lines.
type VelocityChart struct {
	W, H                     float64
	Left, Right, Top, Bottom float64
	Groups                   []VelocityGroup
	Ticks                    []ChartTick
	AverageY, MedianY        float64
	AverageLabelY            float64
	MedianLabelY             float64
	AverageLabel             string
	MedianLabel              string
}

// VelocityGroup is one sprint's pair of bars.
type VelocityGroup struct {
	store.VelocitySprint
	Committed, Completed VelocityBar
	LabelX               float64 // the sprint's name under the axis
	Label                string
}

// VelocityBar is one bar with its value label and accessible name.
type VelocityBar struct {
	X, Y, W, H     float64
	LabelX, LabelY float64
	Label          string // the value over the bar
	Name           string // the accessible name
}

// NewVelocityChart lays out the chart of v.
func NewVelocityChart(p *store.Project, r *store.VelocityReport) VelocityChart {
	c := VelocityChart{W: 720, H: 310, Left: 64, Right: 540, Top: 36, Bottom: 266}
	top := 0.0
	for _, l := range r.Sprints {
		top = max(top, l.Committed, l.Completed)
	}
	var y func(float64) float64
	c.Ticks, y = valueAxis(p, r.Unit, top, c.Top, c.Bottom)
	n := len(r.Sprints)
	if n == 0 {
		return c
	}
	gw := (c.Right - c.Left) / float64(n)
	const gap = 6
	bw := math.Min(48, gw*0.36)
	bar := func(x, v float64, what string, l store.VelocitySprint) VelocityBar {
		b := VelocityBar{X: round1(x), W: round1(bw), Y: y(v)}
		b.H = round1(c.Bottom - b.Y)
		b.LabelX, b.LabelY = round1(x+bw/2), b.Y-5
		b.Label = shortValue(p, r.Unit, v)
		b.Name = fmt.Sprintf("%s: %s %s", l.Name, what, FormatReportValue(p, r.Unit, v))
		return b
	}
	for i, l := range r.Sprints {
		mid := c.Left + (float64(i)+0.5)*gw
		g := VelocityGroup{VelocitySprint: l, LabelX: round1(mid), Label: "Sprint " + strconv.Itoa(l.Number)}
		if gw < 70 {
			g.Label = strconv.Itoa(l.Number)
		}
		g.Committed = bar(mid-bw-gap/2, l.Committed, "committed at start", l)
		g.Completed = bar(mid+gap/2, l.Completed, "completed", l)
		// Value labels wider than a bar would run into each other at about the same
		// height: the lower bar's label then goes one line above the other's.
		if (labelWidth(g.Committed.Label)+labelWidth(g.Completed.Label))/2 > bw+gap && math.Abs(g.Committed.LabelY-g.Completed.LabelY) < 13 {
			if l.Committed >= l.Completed {
				g.Completed.LabelY = g.Committed.LabelY - 13
			} else {
				g.Committed.LabelY = g.Completed.LabelY - 13
			}
		}
		c.Groups = append(c.Groups, g)
	}
	c.AverageY, c.MedianY = y(r.Average), y(r.Median)
	c.AverageLabel = "Average " + shortValue(p, r.Unit, r.Average)
	c.MedianLabel = "Median " + shortValue(p, r.Unit, r.Median)
	// Labels sit right of the plot at their lines; when the lines are close, the lower
	// value's label moves down so the two do not overlap.
	c.AverageLabelY, c.MedianLabelY = c.AverageY+4, c.MedianY+4
	if math.Abs(c.AverageY-c.MedianY) < 14 {
		if r.Average >= r.Median {
			c.AverageLabelY, c.MedianLabelY = math.Min(c.AverageY, c.MedianY)-3, math.Min(c.AverageY, c.MedianY)+11
		} else {
			c.MedianLabelY, c.AverageLabelY = math.Min(c.AverageY, c.MedianY)-3, math.Min(c.AverageY, c.MedianY)+11
		}
	}
	return c
}

// VelocityDesc summarises the chart for people who cannot see it.
func VelocityDesc(p *store.Project, r *store.VelocityReport) string {
	if len(r.Sprints) == 0 {
		return "No completed sprint yet."
	}
	return fmt.Sprintf("%d sprints, from %s to %s. Completed on average %s, median %s. The table beside the chart has every number.",
		len(r.Sprints), r.Sprints[0].Name, r.Sprints[len(r.Sprints)-1].Name,
		FormatReportValue(p, r.Unit, r.Average), FormatReportValue(p, r.Unit, r.Median))
}

// VelocityPrintCSSURL is the stylesheet with the printed page's size and running header.
func VelocityPrintCSSURL(p Page, v VelocityView) string {
	u := VelocityURL(p.Project) + "/print.css"
	if v.Paper == "letter" {
		u += "?paper=letter"
	}
	return u
}

// labelWidth estimates a bar value label's width in user units (11px bold text).
func labelWidth(s string) float64 { return 7 * float64(len([]rune(s))) }
