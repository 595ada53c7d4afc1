package views

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tack-pm/tack/store"
)

// ReportView is the data of a sprint's report and burndown pages.
type ReportView struct {
	Sprint   *store.Sprint
	Report   *store.SprintReport
	Versions []int64 // completion positions, oldest first
	// Sprints names the sprints unfinished tasks went to.
	Sprints []*store.Sprint
	// Name says who a user id is.
	Name func(id string) string
	// Location is the project's time zone: the report's days are its days.
	Location *time.Location
	// Print renders the print layout (?print=1); Paper is "a4" or "letter".
	Print bool
	Paper string
	// AsOfAsked is the as_of the page was asked for (0: the default position).
	AsOfAsked int64
	// ChartOnly is the burndown page (the chart alone) rather than the whole report.
	ChartOnly bool
}

// Chart reports whether this is the burndown page.
func (v ReportView) Chart() bool { return v.ChartOnly }

// ReportURL is the path of the page v shows: the sprint's report or its burndown.
func ReportURL(p Page, v ReportView) string {
	if v.ChartOnly {
		return SprintURL(p.Project, v.Sprint, "/burndown")
	}
	return SprintURL(p.Project, v.Sprint, "/report")
}

// PrintCSSURL is the stylesheet with the printed page's size and running header (the
// project, sprint and dates), which CSS cannot take from the page itself.
func PrintCSSURL(p Page, v ReportView) string {
	u := SprintURL(p.Project, v.Sprint, "/print.css")
	if v.Paper == "letter" {
		u += "?paper=letter"
	}
	return u
}

// ChangeValue is the value a scope change moved: the task's value for an addition or a
// removal, the difference for a re-estimate.
func ChangeValue(ch store.ReportChange) float64 {
	if ch.Kind == "reestimated" {
		return ch.To - ch.From
	}
	return max(ch.From, ch.To)
}

// VersionURL links the page as of a position (0: the default position).
func (v ReportView) VersionURL(p Page, asOf int64) string {
	if asOf == 0 {
		return ReportURL(p, v) + v.Query("as_of", "")
	}
	return ReportURL(p, v) + v.Query("as_of", strconv.FormatInt(asOf, 10))
}

// ReportVersion is another version of a report, for links.
type ReportVersion struct {
	AsOf  int64
	Label string
}

// OtherVersions lists the sprint's completed versions other than the one shown:
// "Version 1 (completed at event 120)".
func (v ReportView) OtherVersions() []ReportVersion {
	var out []ReportVersion
	for i, seq := range v.Versions {
		if seq == v.Report.AsOf {
			continue
		}
		out = append(out, ReportVersion{AsOf: seq, Label: fmt.Sprintf("version %d (completed at event %d)", i+1, seq)})
	}
	if v.AsOfAsked > 0 && v.Sprint.State == store.SprintActive {
		out = append(out, ReportVersion{AsOf: 0, Label: "now"})
	}
	return out
}

// ReportUnitLabel names a report unit for people: "Story points".
func ReportUnitLabel(u store.ReportUnit) string {
	switch u {
	case store.UnitCount:
		return "Issue count"
	case store.UnitRemaining:
		return "Remaining time"
	case store.UnitOriginal:
		return "Original estimate"
	}
	return "Story points"
}

// RawValue writes a value as CSV, JSON and data-value attributes carry it: points as a
// decimal, counts and seconds as integers.
func RawValue(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// FormatReportValue writes a value in unit u for people: "5 points", "3 tasks",
// "2d 4h"; p gives the working calendar durations are written with.
func FormatReportValue(p *store.Project, u store.ReportUnit, v float64) string {
	switch u {
	case store.UnitCount:
		return plural(int(math.Round(v)), "task")
	case store.UnitRemaining, store.UnitOriginal:
		if v == 0 {
			return "0m"
		}
		return p.Calendar().Format(int64(math.Round(v)))
	}
	s := strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	if s == "1" {
		return "1 point"
	}
	return s + " points"
}

// shortValue is FormatReportValue without the unit word, for table cells and axes.
func shortValue(p *store.Project, u store.ReportUnit, v float64) string {
	switch u {
	case store.UnitRemaining, store.UnitOriginal:
		return FormatReportValue(p, u, v)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// ReportBuckets are the report's buckets in the order the page shows them, with the
// keys of SprintReport.Totals.
var ReportBuckets = []struct{ Key, Label string }{
	{"committed", "Committed at start"},
	{"added", "Added after start"},
	{"removed", "Removed after start"},
	{"completed", "Completed"},
	{"completed_outside", "Completed outside this sprint"},
	{"not_completed", "Not completed"},
}

// BucketCount counts the lines of a bucket.
func (v ReportView) BucketCount(key string) int {
	r := v.Report
	switch key {
	case "committed":
		return len(r.Committed)
	case "added":
		return len(r.Added)
	case "removed":
		return len(r.Removed)
	case "completed":
		return len(r.Completed)
	case "completed_outside":
		return len(r.CompletedOutside)
	case "not_completed":
		return len(r.NotCompleted)
	}
	return 0
}

// Query returns the page's query for a link that changes some of it: unit and as_of
// are kept unless set in change ("" removes a key).
func (v ReportView) Query(change ...string) string {
	q := url.Values{}
	if v.Report.Unit != store.UnitPoints {
		q.Set("unit", string(v.Report.Unit))
	}
	if v.AsOfAsked > 0 {
		q.Set("as_of", strconv.FormatInt(v.AsOfAsked, 10))
	}
	if v.Paper == "letter" {
		q.Set("paper", "letter")
	}
	return changedQuery(q, change...)
}

// EventURL is where the report links an event: the project's activity page, starting at
// that event and anchored on it.
func EventURL(p *store.Project, seq int64) string {
	return ProjectURL(p, fmt.Sprintf("/activity?before=%d#event-%d", seq+1, seq))
}

// WentTo names where an unfinished task went: a sprint's name or "Backlog".
func (v ReportView) WentTo(id string) (string, *store.Sprint) {
	if id == "" {
		return "Backlog", nil
	}
	if s := SprintNamed(v.Sprints, id); s != nil {
		return s.Name, s
	}
	return "Another sprint", nil
}

// When writes an instant in the project's zone: "Mon 16 Nov 2026 14:05".
func (v ReportView) When(t time.Time) string {
	return t.In(v.loc()).Format("Mon 2 Jan 2006 15:04")
}

func (v ReportView) loc() *time.Location {
	if v.Location == nil {
		return time.UTC
	}
	return v.Location
}

// ZoneName names the project's time zone: "UTC", "Europe/Berlin".
func (v ReportView) ZoneName() string { return v.loc().String() }

// DayLabel writes a report day: "Mon 16 Nov".
func DayLabel(date string) string {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return d.Format("Mon 2 Jan")
}

// ChangeKindLabel says what a scope change was.
func ChangeKindLabel(kind string) string {
	switch kind {
	case "added":
		return "Added"
	case "removed":
		return "Removed"
	case "reestimated":
		return "Re-estimated"
	}
	return Title(kind)
}

// changeSymbol is the glyph that marks a change on the chart, distinguishable in greyscale.
func changeSymbol(kind string) string {
	switch kind {
	case "added":
		return "+"
	case "removed":
		return "−"
	}
	return "±"
}

// --- The burndown chart -----------------------------------------------------------------

// Chart is a burndown drawn in SVG user units: bands per day, the remaining line, the
// guideline, the scope-change marks and the y axis ticks.
type Chart struct {
	W, H                     float64
	Left, Right, Top, Bottom float64 // the plot area
	Days                     []ChartDay
	Remaining, Guide         string // polyline points
	StartX, StartY           float64
	Ticks                    []ChartTick
	Marks                    []ChartMark
	LastX, LastY             float64 // the remaining line's end, where its label goes
	GuideLabelX, GuideLabelY float64 // the guideline's label
	HasRemaining             bool
}

// ChartDay is one day's band and point.
type ChartDay struct {
	store.BurndownDay
	X0, X1, X, Y, GuideY float64
	Label                string // the x axis label ("" to skip)
	Weekday              string
}

// ChartTick is a y axis gridline.
type ChartTick struct {
	Y     float64
	Label string
}

// ChartMark marks a scope change in its day's band.
type ChartMark struct {
	X, Y   float64
	Symbol string
	Kind   string
	Count  string // how many changes of this kind that day, when more than one
}

// NewChart lays out a burndown starting at commitment.
func NewChart(p *store.Project, b store.Burndown, commitment float64) Chart {
	c := Chart{W: 720, H: 300, Left: 64, Right: 620, Top: 20, Bottom: 256}
	top := commitment
	for _, d := range b.Days {
		top = max(top, d.Guide)
		if !d.Future {
			top = max(top, d.Remaining)
		}
	}
	var y func(float64) float64
	c.Ticks, y = valueAxis(p, b.Unit, top, c.Top, c.Bottom)
	n := len(b.Days)
	if n == 0 {
		return c
	}
	w := (c.Right - c.Left) / float64(n)
	every := 1 + (n-1)/16 // at most ~16 labels on the axis
	c.StartX, c.StartY = c.Left, y(commitment)
	var rem, guide strings.Builder
	fmt.Fprintf(&rem, "%g,%g", c.StartX, c.StartY)
	fmt.Fprintf(&guide, "%g,%g", c.StartX, c.StartY)
	for i, d := range b.Days {
		cd := ChartDay{BurndownDay: d, X0: round1(c.Left + float64(i)*w), X1: round1(c.Left + float64(i+1)*w)}
		cd.X = cd.X1
		cd.Y, cd.GuideY = y(d.Remaining), y(d.Guide)
		if t, err := time.Parse(time.DateOnly, d.Date); err == nil {
			cd.Weekday = t.Format("Mon")[:2]
			if i%every == 0 {
				cd.Label = strconv.Itoa(t.Day())
			}
		}
		fmt.Fprintf(&guide, " %g,%g", cd.X, cd.GuideY)
		if !d.Future {
			fmt.Fprintf(&rem, " %g,%g", cd.X, cd.Y)
			c.LastX, c.LastY, c.HasRemaining = cd.X, cd.Y, true
		}
		c.Days = append(c.Days, cd)
	}
	c.Remaining, c.Guide = rem.String(), guide.String()
	// The guideline's label sits at its middle day, on the side away from the remaining
	// line, so that neither the other line nor the axis covers it.
	mid := c.Days[(n-1)/2]
	c.GuideLabelX, c.GuideLabelY = mid.X, mid.GuideY+16
	if !mid.Future && mid.Y > mid.GuideY {
		c.GuideLabelY = mid.GuideY - 8
	}
	c.GuideLabelY = math.Min(math.Max(c.GuideLabelY, c.Top+12), c.Bottom-4)
	// One mark per day and kind, with how many changes of that kind the day had; they
	// stack in the band of the day the changes happened in.
	type dayKind struct {
		day  int
		kind string
	}
	counts := map[dayKind]int{}
	var order []dayKind
	for _, ch := range b.Changes {
		i := 0
		for i < n-1 && ch.Task.At.After(b.Days[i].End) {
			i++
		}
		k := dayKind{i, ch.Kind}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	stack := map[int]int{}
	for _, k := range order {
		m := ChartMark{X: round1((c.Days[k.day].X0 + c.Days[k.day].X1) / 2), Y: c.Top + 10 + float64(stack[k.day])*15,
			Symbol: changeSymbol(k.kind), Kind: k.kind}
		if counts[k] > 1 {
			m.Count = strconv.Itoa(counts[k])
		}
		stack[k.day]++
		c.Marks = append(c.Marks, m)
	}
	return c
}

// niceStep picks a y axis step giving about four gridlines: 1, 2 or 5 times a power of
// ten, or for time units a round number of hours, days or weeks (of 8-hour days).
func niceStep(top float64, u store.ReportUnit) float64 {
	if u == store.UnitRemaining || u == store.UnitOriginal {
		raw := top / 3600 / 4
		for _, h := range []float64{1, 2, 4, 8, 16, 24, 40, 80, 120, 200, 400, 800, 2000, 4000} {
			if h >= raw {
				return h * 3600
			}
		}
		return math.Ceil(raw/4000) * 4000 * 3600
	}
	raw := top / 4
	if raw <= 0 {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	if u == store.UnitCount {
		step = math.Max(1, math.Round(step))
	}
	return step
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// PointName is a data point's accessible name: "Tue 17 Nov: 18 points remaining;
// guideline 16.2 points".
func PointName(p *store.Project, u store.ReportUnit, d store.BurndownDay) string {
	day := DayLabel(d.Date)
	if !d.Working {
		day += " (non-working day)"
	}
	return fmt.Sprintf("%s: %s remaining; guideline %s", day, FormatReportValue(p, u, d.Remaining), FormatReportValue(p, u, d.Guide))
}

// ChartDesc describes the burndown in a sentence for the chart's <desc>.
func ChartDesc(p *store.Project, b store.Burndown, commitment float64) string {
	if len(b.Days) == 0 {
		return "No days to show yet."
	}
	first, last := b.Days[0], b.Days[0]
	nonWorking := 0
	for _, d := range b.Days {
		if !d.Future {
			last = d
		}
		if !d.Working {
			nonWorking++
		}
	}
	s := fmt.Sprintf("From %s to %s: remaining work went from %s at the start to %s on %s. The dashed guideline falls from the commitment to zero at the planned end, flat on non-working days.",
		DayLabel(first.Date), DayLabel(b.Days[len(b.Days)-1].Date), FormatReportValue(p, b.Unit, commitment),
		FormatReportValue(p, b.Unit, last.Remaining), DayLabel(last.Date))
	if nonWorking > 0 {
		s += fmt.Sprintf(" %s hatched as non-working.", plural(nonWorking, "day"))
	}
	if len(b.Changes) > 0 {
		s += fmt.Sprintf(" %s marked, one mark per day and kind with its count (+ added, − removed, ± re-estimated).", plural(len(b.Changes), "scope change"))
	}
	return s + " The table that follows gives every value."
}

// changedQuery is query q with change applied as key, value pairs ("" removes a key),
// written for a link: "" when nothing is left, else "?…".
func changedQuery(q url.Values, change ...string) string {
	for i := 0; i+1 < len(change); i += 2 {
		if change[i+1] == "" {
			q.Del(change[i])
		} else {
			q.Set(change[i], change[i+1])
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// valueAxis lays out a chart's vertical axis for values up to max in unit, between the
// pixels top and bottom: max rounded up to a nice step, a tick at each step from zero,
// and the y of a value.
func valueAxis(p *store.Project, unit store.ReportUnit, max, top, bottom float64) ([]ChartTick, func(float64) float64) {
	step := niceStep(max, unit)
	max = math.Max(step, math.Ceil(max/step)*step)
	y := func(v float64) float64 { return round1(bottom - v/max*(bottom-top)) }
	var ticks []ChartTick
	for v := 0.0; v <= max+step/2; v += step {
		ticks = append(ticks, ChartTick{Y: y(v), Label: shortValue(p, unit, v)})
	}
	return ticks, y
}
