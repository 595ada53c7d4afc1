package duration

import (
	"math/rand/v2"
	"strings"
	"testing"
)

const (
	m = 60
	h = 60 * m
	d = 8 * h
	w = 5 * d
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1w 2d 3h 30m", w + 2*d + 3*h + 30*m},
		{"1.5h", 90 * m},
		{"90m", 90 * m},
		{"2h30m", 2*h + 30*m},
		{"30m 2h", 2*h + 30*m},
		{"3", 3 * h},     // a bare number is hours
		{"0.25", 15 * m}, // a bare decimal too
		{"1,5h", 90 * m}, // a decimal comma
		{" 2H  15M ", 2*h + 15*m},
		{"1d", d},
		{"1w", w},
		{"0.5d", 4 * h},
		{"45s", 45},
		{"1h 1s", h + 1},
		{"0m", 0},
		{"0", 0},
		{"2 h 5 m", 2*h + 5*m},
		{".5h", 30 * m},
		{"0.001h", 4}, // 3.6 s, rounded to whole seconds
	}
	for _, tt := range tests {
		got, err := Default.Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRefusesWithAReason(t *testing.T) {
	tests := []struct {
		in, says string
	}{
		{"", "Enter a duration, e.g. 2h 30m."},
		{"   ", "Enter a duration"},
		{"3x", `"3x" is not a duration: "3x" is not a unit; use w, d, h, m, e.g. 2h 30m.`},
		{"2h 3x", `"3x" is not a unit`},
		{"h", `"h" needs a number before it`},
		{"2h h", `"h" needs a number before it`},
		{"1h 30", "30 has no unit"},
		{"-1h", "can't be negative"},
		{"-3", "can't be negative"},
		{"1h 1h", `"h" appears twice`},
		{"1.2.3h", `"1.2.3" is not a number`},
		{"1e3", `"1e3" is not a unit`},
		{"inf", `"inf" needs a number before it`},
		{"NaN", `"nan" needs a number before it`},
		{"0x10", `"0x10" is not a unit`},
		{"100001h", "longer than 100,000 hours"},
		{"2 hours", `"2hours" is not a unit`},
	}
	for _, tt := range tests {
		got, err := Default.Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %d, want an error saying %q", tt.in, got, tt.says)
			continue
		}
		if !strings.Contains(err.Error(), tt.says) {
			t.Errorf("Parse(%q): %q, want it to say %q", tt.in, err, tt.says)
		}
	}
}

func TestFormat(t *testing.T) {
	sevenAndAHalf := Calendar{DayMinutes: 450, WeekDays: 5}
	tests := []struct {
		cal  Calendar
		in   int64
		want string
	}{
		{Default, 0, "0m"},
		{Default, w + 2*d + 3*h + 30*m, "1w 2d 3h 30m"},
		{Default, 90 * m, "1h 30m"},
		{Default, d, "1d"},
		{Default, 9 * h, "1d 1h"},
		{Default, 45, "45s"},
		{Default, h + 1, "1h 1s"},
		{Default, -2 * h, "-2h"}, // an overrun
		{Default, 3 * w, "3w"},
		// The calendar changes the words, never the seconds.
		{sevenAndAHalf, 8 * h, "1d 30m"},
		{sevenAndAHalf, 5 * 450 * m, "1w"},
		{Calendar{DayMinutes: 6 * 60, WeekDays: 4}, 24 * h, "1w"},
		{Calendar{}, 9 * h, "1d 1h"}, // an unset calendar is the default
	}
	for _, tt := range tests {
		if got := tt.cal.Format(tt.in); got != tt.want {
			t.Errorf("%+v.Format(%d) = %q, want %q", tt.cal, tt.in, got, tt.want)
		}
	}
}

// Parse(Format(x)) == x for every duration, whatever the calendar.
func TestFormatThenParseIsIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	calendars := []Calendar{Default, {DayMinutes: 450, WeekDays: 5}, {DayMinutes: 1, WeekDays: 1}, {DayMinutes: 24 * 60, WeekDays: 7}, {DayMinutes: 7*60 + 13, WeekDays: 3}}
	check := func(c Calendar, x int64) {
		t.Helper()
		s := c.Format(x)
		got, err := c.Parse(s)
		if err != nil || got != x {
			t.Fatalf("%+v: Parse(Format(%d) = %q) = %d, %v", c, x, s, got, err)
		}
	}
	for _, c := range calendars {
		for _, x := range []int64{0, 1, 59, 60, 61, 3599, 3600, int64(c.DayMinutes) * 60, Max - 1, Max} {
			check(c, x)
		}
		for range 20_000 {
			x := rng.Int64N(Max + 1)
			if rng.IntN(2) == 0 {
				x -= x % 60 // whole minutes, the usual case
			}
			check(c, x)
		}
	}
}

func TestCalendarValidate(t *testing.T) {
	for _, c := range []Calendar{{DayMinutes: 0, WeekDays: 5}, {DayMinutes: 24*60 + 1, WeekDays: 5}, {DayMinutes: 480, WeekDays: 0}, {DayMinutes: 480, WeekDays: 8}} {
		if c.Validate() == nil {
			t.Errorf("%+v: no error", c)
		}
		if _, err := c.Parse("1h"); err == nil {
			t.Errorf("%+v: Parse accepted a bad calendar", c)
		}
	}
	if err := Default.Validate(); err != nil {
		t.Errorf("Default: %v", err)
	}
}
