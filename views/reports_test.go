package views

import (
	"testing"
	"time"

	"github.com/tack-pm/tack/store"
)

// TestNewChart: one band per day, a point per known day only, the remaining line
// starting at the commitment, and scope changes folded into one mark per day and kind.
func TestNewChart(t *testing.T) {
	p := &store.Project{Key: "DEMO"}
	day := func(d int) time.Time { return time.Date(2026, 11, 16+d, 23, 59, 59, 0, time.UTC) }
	b := store.Burndown{Unit: store.UnitPoints, Days: []store.BurndownDay{
		{Date: "2026-11-16", End: day(0), Working: true, Remaining: 10, Guide: 8},
		{Date: "2026-11-17", End: day(1), Working: true, Remaining: 12, Guide: 6},
		{Date: "2026-11-18", End: day(2), Working: false, Remaining: 12, Guide: 6},
		{Date: "2026-11-19", End: day(3), Working: true, Guide: 0, Future: true},
	}}
	at := func(d, h int) store.ReportChange {
		return store.ReportChange{Kind: store.ChangeReestimated, Task: store.ReportTask{At: time.Date(2026, 11, 16+d, h, 0, 0, 0, time.UTC)}}
	}
	b.Changes = []store.ReportChange{at(1, 9), at(1, 15), {Kind: store.ChangeAdded, Task: store.ReportTask{At: day(1).Add(-time.Hour)}}, at(2, 10)}
	c := NewChart(p, b, 10)
	if len(c.Days) != 4 {
		t.Fatalf("%d days, want 4", len(c.Days))
	}
	if c.StartY != c.Days[0].Y || c.StartX != c.Left {
		t.Errorf("the remaining line starts at (%g,%g), want the commitment (%g,%g)", c.StartX, c.StartY, c.Left, c.Days[0].Y)
	}
	if c.LastX != c.Days[2].X {
		t.Errorf("the remaining line ends at x=%g, want the last known day's %g", c.LastX, c.Days[2].X)
	}
	if got := len(c.Marks); got != 3 {
		t.Fatalf("%d marks, want 3 (day 2: re-estimated ×2 and added; day 3: re-estimated)", got)
	}
	if m := c.Marks[0]; m.Kind != store.ChangeReestimated || m.Count != "2" || m.X != (c.Days[1].X0+c.Days[1].X1)/2 {
		t.Errorf("first mark %+v, want 2 re-estimates in day 2's band", m)
	}
	if m := c.Marks[2]; m.Count != "" || m.X != (c.Days[2].X0+c.Days[2].X1)/2 {
		t.Errorf("last mark %+v, want one re-estimate in day 3's band", m)
	}
	if c.Ticks[len(c.Ticks)-1].Label != "15" || c.Ticks[0].Label != "0" {
		t.Errorf("ticks %+v, want 0 to 15 in steps of 5", c.Ticks)
	}
	if c.GuideLabelY < c.Top || c.GuideLabelY > c.Bottom {
		t.Errorf("guideline label at y=%g, outside the plot %g–%g", c.GuideLabelY, c.Top, c.Bottom)
	}
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct {
		top  float64
		unit store.ReportUnit
		want float64
	}{
		{118, store.UnitPoints, 50},
		{12, store.UnitPoints, 5},
		{3, store.UnitCount, 1},
		{0, store.UnitCount, 1},
		{280 * 3600, store.UnitRemaining, 80 * 3600},
		{6 * 3600, store.UnitOriginal, 2 * 3600},
	} {
		if got := niceStep(tc.top, tc.unit); got != tc.want {
			t.Errorf("niceStep(%g, %s) = %g, want %g", tc.top, tc.unit, got, tc.want)
		}
	}
}
