package handlers

import (
	"fmt"
	"math"
	"time"
)

// Sign-in throttling: the store counts the attempts (store.BeginSignIn, whose comment
// gives the rules) in the database, so that every Tack instance on one database shares
// one budget; the sign-in handler asks it before checking a password and tells it of
// a success. What is left here is telling the person refused when to try again.

// throttleMessage tells a person refused by the throttle when to try again.
func throttleMessage(wait time.Duration, locked bool, now time.Time) string {
	secs := int(math.Ceil(wait.Seconds()))
	if locked {
		return fmt.Sprintf("Too many failed sign-in attempts: signing in from here is paused until %s UTC (in %d minutes). Try again then.",
			now.Add(wait).UTC().Format("15:04"), (secs+59)/60)
	}
	if secs == 1 {
		return "Too many failed sign-in attempts. Try again in 1 second."
	}
	return fmt.Sprintf("Too many failed sign-in attempts. Try again in %d seconds.", secs)
}
