package views

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tack-pm/tack/store"
)

// FlowView is the data of the cumulative flow and cycle time page.
type FlowView struct {
	Flow  *store.FlowReport
	Cycle *store.CycleReport
	// Range is the ?range= asked for ("week", "month", "quarter"), "" for a custom one.
	Range string
	// Location is the project's time zone: the report's days are its days.
	Location *time.Location
}

// FlowURL is the flow page's path with its range and extra query pairs.
func (v FlowView) FlowURL(p Page, pairs ...string) string {
	q := url.Values{}
	if v.Range != "" {
		q.Set("range", v.Range)
	} else {
		q.Set("from", v.Flow.From)
		q.Set("to", v.Flow.To)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		q.Set(pairs[i], pairs[i+1])
	}
	return ProjectURL(p.Project, "/reports/flow") + "?" + q.Encode()
}

// FlowRanges are the ranges the page offers.
var FlowRanges = []struct{ Key, Label string }{{"week", "Last week"}, {"month", "Last month"}, {"quarter", "Last quarter"}}

// When writes an instant in the project's zone: "Tue 3 Nov 14:05".
func (v FlowView) When(t time.Time) string {
	loc := v.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04")
}

// FlowTotal is a day's count of tasks on the board.
func FlowTotal(d store.FlowDay) int {
	n := 0
	for _, c := range d.Columns {
		n += c.Count
	}
	return n
}

// FlowDayName is a day's accessible name: "Tue 3 Nov: To Do 2, In Progress 1, Done 0
// (3 tasks)", with the columns as they were named that day.
func FlowDayName(d store.FlowDay) string {
	if len(d.Columns) == 0 {
		return DayLabel(d.Date) + ": the project did not exist yet"
	}
	parts := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		parts[i] = fmt.Sprintf("%s %d", c.Name, c.Count)
	}
	return fmt.Sprintf("%s: %s (%s)", DayLabel(d.Date), strings.Join(parts, ", "), plural(FlowTotal(d), "task"))
}

// FlowCell is a table cell's text: the count, or "–" when the column was not part of
// the workflow that day.
func FlowCell(d store.FlowDay, columnID string) (string, bool) {
	if n, ok := d.Count(columnID); ok {
		return strconv.Itoa(n), true
	}
	return "", false
}

// Days writes a duration in seconds as days with two decimals: "1.56".
func Days(sec int64) string { return strconv.FormatFloat(float64(sec)/86400, 'f', 2, 64) }

// Hours writes a duration in seconds as hours with one decimal: "37.5".
func Hours(sec int64) string { return strconv.FormatFloat(float64(sec)/3600, 'f', 1, 64) }

// --- The stacked area chart ------------------------------------------------------------

// FlowPatterns is how many fill patterns the bands cycle through.
const FlowPatterns = 6

// FlowChart is a cumulative flow drawn in SVG user units.
type FlowChart struct {
	W, H                     float64
	Left, Right, Top, Bottom float64
	Bands                    []FlowBand
	Days                     []FlowChartDay
	Ticks                    []ChartTick
	Max                      int
}

// FlowBand is one column's band (Bands go bottom up).
type FlowBand struct {
	store.FlowSeries
	Index   int    // its series' place in workflow order
	Pattern string // the id of its fill pattern
	Points  string // polygon points
	LabelY  float64
	LabelX  float64
}

// FlowChartDay is one day's position and focus target.
type FlowChartDay struct {
	store.FlowDay
	X, X0, X1 float64
	TopY      float64 // the top of the stack
	Label     string  // x axis label ("" to skip)
}

// NewFlowChart lays out the flow: one band per series, the last column at the bottom.
func NewFlowChart(r *store.FlowReport) FlowChart {
	c := FlowChart{W: 760, H: 320, Left: 48, Right: 600, Top: 16, Bottom: 280}
	n := len(r.Days)
	for _, d := range r.Days {
		c.Max = max(c.Max, FlowTotal(d))
	}
	top := float64(max(c.Max, 1))
	step := niceStep(top, store.UnitCount)
	top = math.Max(step, math.Ceil(top/step)*step)
	y := func(v float64) float64 { return round1(c.Bottom - v/top*(c.Bottom-c.Top)) }
	for v := 0.0; v <= top+step/2; v += step {
		c.Ticks = append(c.Ticks, ChartTick{Y: y(v), Label: strconv.Itoa(int(v))})
	}
	if n == 0 {
		return c
	}
	w := (c.Right - c.Left) / float64(n)
	every := 1 + (n-1)/12
	for i, d := range r.Days {
		cd := FlowChartDay{FlowDay: d, X0: round1(c.Left + float64(i)*w), X1: round1(c.Left + float64(i+1)*w)}
		cd.X = round1((cd.X0 + cd.X1) / 2)
		cd.TopY = y(float64(FlowTotal(d)))
		if t, err := time.Parse(time.DateOnly, d.Date); err == nil && i%every == 0 {
			cd.Label = t.Format("2 Jan")
		}
		c.Days = append(c.Days, cd)
	}
	// Each band's lower and upper edge per day: a band is flat across the whole width
	// of a day, so the steps fall between days and a day's numbers are read off it.
	lower := make([]float64, n)
	// Bands stack in reverse workflow order, the last column (done) at the bottom, as
	// cumulative flow diagrams are read: finished work accumulates under the rest.
	for k := len(r.Series) - 1; k >= 0; k-- {
		s := r.Series[k]
		b := FlowBand{FlowSeries: s, Index: k, Pattern: fmt.Sprintf("flow-pattern-%d", k%FlowPatterns)}
		upper := make([]float64, n)
		var pts strings.Builder
		best, bestN := -1, -1
		for i, d := range r.Days {
			cnt, _ := d.Count(s.ColumnID)
			upper[i] = lower[i] + float64(cnt)
			fmt.Fprintf(&pts, "%g,%g %g,%g ", c.Days[i].X0, y(upper[i]), c.Days[i].X1, y(upper[i]))
			if cnt >= bestN {
				best, bestN = i, cnt
			}
		}
		for i := n - 1; i >= 0; i-- {
			fmt.Fprintf(&pts, "%g,%g %g,%g ", c.Days[i].X1, y(lower[i]), c.Days[i].X0, y(lower[i]))
		}
		b.Points = strings.TrimSpace(pts.String())
		// The direct label sits at the right, level with the band's middle on the last
		// day (or where it was thickest when it is empty then).
		last := n - 1
		if upper[last] == lower[last] && bestN > 0 {
			last = best
		}
		b.LabelX = c.Right + 10
		b.LabelY = (y(lower[last]) + y(upper[last])) / 2
		copy(lower, upper)
		c.Bands = append(c.Bands, b)
	}
	// Labels keep at least 15 units apart: moved up from the bottom one, then down
	// from the top if that pushed any above the plot.
	idx := make([]int, len(c.Bands))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return c.Bands[idx[a]].LabelY > c.Bands[idx[b]].LabelY })
	for i := 1; i < len(idx); i++ {
		prev, cur := &c.Bands[idx[i-1]], &c.Bands[idx[i]]
		if cur.LabelY > prev.LabelY-15 {
			cur.LabelY = prev.LabelY - 15
		}
	}
	if len(idx) > 0 && c.Bands[idx[len(idx)-1]].LabelY < c.Top+6 {
		c.Bands[idx[len(idx)-1]].LabelY = c.Top + 6
		for i := len(idx) - 2; i >= 0; i-- {
			above, cur := &c.Bands[idx[i+1]], &c.Bands[idx[i]]
			if cur.LabelY < above.LabelY+15 {
				cur.LabelY = above.LabelY + 15
			}
		}
	}
	for i := range c.Bands {
		c.Bands[i].LabelY = round1(c.Bands[i].LabelY)
	}
	return c
}

// FlowDesc describes the flow in a sentence for the chart's <desc>.
func FlowDesc(r *store.FlowReport) string {
	if len(r.Days) == 0 {
		return "No days to show."
	}
	first, last := r.Days[0], r.Days[len(r.Days)-1]
	s := fmt.Sprintf("Tasks per workflow column at the end of each day from %s to %s (days in %s), stacked with the last column of the workflow at the bottom and the first at the top. On %s the board had %s.",
		DayLabel(first.Date), DayLabel(last.Date), r.TimeZone, DayLabel(last.Date), plural(FlowTotal(last), "task"))
	return s + " Each band has its own pattern and is labelled at the right; the table that follows gives every value."
}
