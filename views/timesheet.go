package views

import (
	"fmt"
	"strings"
)

// HoursMinutes writes seconds as hours and minutes, never days or weeks: "7h 30m", "45m",
// "40h". A timesheet's cell is one day, so a day unit would say nothing there; seconds
// are rounded to the nearest minute. Zero is "0m".
func HoursMinutes(seconds int64) string {
	neg := seconds < 0
	if neg {
		seconds = -seconds
	}
	minutes := (seconds + 30) / 60
	h, m := minutes/60, minutes%60
	var b strings.Builder
	if neg && minutes > 0 {
		b.WriteByte('-')
	}
	switch {
	case h > 0 && m > 0:
		fmt.Fprintf(&b, "%dh %dm", h, m)
	case h > 0:
		fmt.Fprintf(&b, "%dh", h)
	default:
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}
