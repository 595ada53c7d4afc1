// Package duration reads and writes the durations of time tracking: estimates and
// worklogs, stored as whole seconds and written by people as "1w 2d 3h 30m".
//
// Weeks and days are working ones, so their length is the project's: a Calendar says
// how many hours a day and days a week hold (8 and 5 unless the project says
// otherwise). Changing a calendar changes how stored seconds are written, never the
// seconds. Format and Parse are inverses for every duration: Parse(Format(x)) == x.
package duration

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Calendar is how long a working day and a working week are.
type Calendar struct {
	DayMinutes int // minutes in a working day (8h = 480)
	WeekDays   int // working days in a week
}

// Default is 8-hour days and 5-day weeks.
var Default = Calendar{DayMinutes: 8 * 60, WeekDays: 5}

// Max is the longest duration Parse accepts: 100,000 hours, far beyond any estimate,
// well inside every integer type a store or client uses.
const Max = 100_000 * 3600

// Validate says what is wrong with a calendar, in words for the admin who set it.
func (c Calendar) Validate() error {
	if c.DayMinutes < 1 || c.DayMinutes > 24*60 {
		return errors.New("A working day is between 1 minute and 24 hours long.")
	}
	if c.WeekDays < 1 || c.WeekDays > 7 {
		return errors.New("A working week has 1 to 7 days.")
	}
	return nil
}

// units are the units of a duration, longest first, with their length in seconds.
func (c Calendar) units() [5]unit {
	day := int64(c.DayMinutes) * 60
	return [5]unit{{"w", day * int64(c.WeekDays)}, {"d", day}, {"h", 3600}, {"m", 60}, {"s", 1}}
}

type unit struct {
	name    string
	seconds int64
}

// Format writes seconds as people read them: "1w 2d 3h 30m", the largest units first,
// units of zero left out; "0m" for nothing. Seconds appear only when the duration is
// not whole minutes. A negative duration (an overrun, say) is written with a minus.
func (c Calendar) Format(seconds int64) string {
	if c.Validate() != nil {
		c = Default
	}
	if seconds == 0 {
		return "0m"
	}
	var b strings.Builder
	if seconds < 0 {
		b.WriteByte('-')
		seconds = -seconds
	}
	first := true
	for _, u := range c.units() {
		n := seconds / u.seconds
		if n == 0 {
			continue
		}
		seconds -= n * u.seconds
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(strconv.FormatInt(n, 10))
		b.WriteString(u.name)
	}
	return b.String()
}

// Error is a duration that cannot be read; its message says why and how to write one.
type Error struct {
	Input  string
	Reason string
}

func (e *Error) Error() string {
	if e.Input == "" {
		return e.Reason
	}
	return fmt.Sprintf("%q is not a duration: %s", e.Input, e.Reason)
}

const howTo = "use w, d, h, m, e.g. 2h 30m"

// Parse reads a duration written by a person: units w, d, h, m and s in any order, each
// at most once, with whole or decimal numbers ("1w 2d 3h 30m", "1.5h", "90m", "2h30m"),
// or a bare number, which is hours. Upper-case units and a decimal comma are read too.
// The result is rounded to whole seconds.
func (c Calendar) Parse(s string) (int64, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, &Error{Reason: "Enter a duration, e.g. 2h 30m."}
	}
	text := strings.ReplaceAll(strings.ToLower(in), ",", ".")
	if strings.HasPrefix(text, "-") {
		return 0, &Error{Input: in, Reason: "a duration can't be negative."}
	}
	if isNumber(text) {
		n, _ := strconv.ParseFloat(text, 64)
		return total(in, n*3600) // a bare number: hours
	}
	units := c.units()
	seen := map[string]bool{}
	var sum float64
	rest := text
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		number := rest[:i]
		if number == "" {
			return 0, &Error{Input: in, Reason: fmt.Sprintf("%q needs a number before it; %s.", token(rest), howTo)}
		}
		if !isNumber(number) {
			return 0, &Error{Input: in, Reason: fmt.Sprintf("%q is not a number; %s.", number, howTo)}
		}
		n, _ := strconv.ParseFloat(number, 64)
		after := strings.TrimLeft(rest[i:], " \t")
		j := 0
		for j < len(after) && after[j] >= 'a' && after[j] <= 'z' {
			j++
		}
		name := after[:j]
		var u *unit
		for k := range units {
			if units[k].name == name {
				u = &units[k]
			}
		}
		switch {
		case name == "" && strings.TrimSpace(after) == "":
			return 0, &Error{Input: in, Reason: fmt.Sprintf("%s has no unit; %s.", number, howTo)}
		case u == nil:
			return 0, &Error{Input: in, Reason: fmt.Sprintf("%q is not a unit; %s.", number+token(after), howTo)}
		case seen[name]:
			return 0, &Error{Input: in, Reason: fmt.Sprintf("%q appears twice; write each unit once, e.g. 2h 30m.", name)}
		}
		seen[name] = true
		sum += n * float64(u.seconds)
		rest = after[j:]
	}
	return total(in, sum)
}

// isNumber reports whether s is a plain decimal number: digits with at most one point.
func isNumber(s string) bool {
	digits, points := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			points++
		default:
			return false
		}
	}
	return digits > 0 && points <= 1
}

// token is the first word of s, for an error message.
func token(s string) string {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

// total rounds seconds to a whole number and checks its range.
func total(in string, seconds float64) (int64, error) {
	if math.IsNaN(seconds) || seconds < 0 {
		return 0, &Error{Input: in, Reason: "a duration can't be negative."}
	}
	if seconds > Max {
		return 0, &Error{Input: in, Reason: "that is longer than 100,000 hours."}
	}
	return int64(math.Round(seconds)), nil
}
