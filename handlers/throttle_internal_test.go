package handlers

import (
	"testing"
	"time"
)

// The throttle's rules (delays, lockouts, the window, the table kept bounded) are tested
// in store (TestSignInThrottleRules, TestThrottleBegin and the others in
// store/throttle_test.go), where they now live; here, the messages a refused person reads.
func TestThrottleMessage(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		wait   time.Duration
		locked bool
		want   string
	}{
		{time.Second, false, "Too many failed sign-in attempts. Try again in 1 second."},
		{time.Millisecond, false, "Too many failed sign-in attempts. Try again in 1 second."},
		{1500 * time.Millisecond, false, "Too many failed sign-in attempts. Try again in 2 seconds."},
		{time.Minute, false, "Too many failed sign-in attempts. Try again in 60 seconds."},
		{15 * time.Minute, true, "Too many failed sign-in attempts: signing in from here is paused until 08:15 UTC (in 15 minutes). Try again then."},
		{14*time.Minute + time.Second, true, "Too many failed sign-in attempts: signing in from here is paused until 08:14 UTC (in 15 minutes). Try again then."},
	} {
		if got := throttleMessage(tc.wait, tc.locked, now); got != tc.want {
			t.Errorf("throttleMessage(%v, %v):\n got %q\nwant %q", tc.wait, tc.locked, got, tc.want)
		}
	}
}
