package handlers

import (
	"fmt"
	"testing"
	"time"
)

func TestSignInThrottleRules(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, th *signInThrottle, now *time.Time)
	}{
		{"many addresses slow one account down but never lock it", func(t *testing.T, th *signInThrottle, now *time.Time) {
			for i := range 50 {
				if wait, _ := th.begin("ana@demo.tack", fmt.Sprintf("203.0.113.%d", i)); wait != 0 {
					t.Fatalf("attempt %d from a fresh address waits %v", i, wait)
				}
			}
			wait, locked := th.begin("ana@demo.tack", "198.51.100.20")
			if wait != time.Second || locked {
				t.Fatalf("after 50 failures on the account: wait %v locked %v, want 1s and no lockout", wait, locked)
			}
			*now = now.Add(time.Second)
			if wait, _ := th.begin("ana@demo.tack", "198.51.100.20"); wait != 0 {
				t.Fatalf("after the delay: wait %v", wait)
			}
			th.succeeded("ana@demo.tack", "198.51.100.20")
			if wait, _ := th.begin("ana@demo.tack", "198.51.100.21"); wait != 0 {
				t.Fatalf("after a success the account still waits %v", wait)
			}
		}},
		{"a success clears the pair but not the address", func(t *testing.T, th *signInThrottle, now *time.Time) {
			for i := range 9 {
				th.begin(fmt.Sprintf("u%d@example.com", i), "203.0.113.1")
			}
			th.begin("mine@example.com", "203.0.113.1")
			th.succeeded("mine@example.com", "203.0.113.1") // gives back its own attempt only
			th.begin("u9@example.com", "203.0.113.1")
			if wait, _ := th.begin("u10@example.com", "203.0.113.1"); wait != time.Second {
				t.Fatalf("10 failures from one address: wait %v, want 1s", wait)
			}
		}},
		{"failures are forgotten after the window", func(t *testing.T, th *signInThrottle, now *time.Time) {
			for range 5 {
				th.begin("ana@demo.tack", "203.0.113.1")
			}
			*now = now.Add(throttleWindow + time.Second)
			for i := range 5 {
				if wait, _ := th.begin("ana@demo.tack", "203.0.113.1"); wait != 0 {
					t.Fatalf("attempt %d after the window waits %v", i, wait)
				}
			}
		}},
		{"the map stays bounded", func(t *testing.T, th *signInThrottle, now *time.Time) {
			for i := range 1000 {
				th.begin(fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("203.0.%d.%d", i/256, i%256))
			}
			if n := len(th.entries); n > th.maxEntries || th.order.Len() != n {
				t.Fatalf("%d entries (%d in order), cap %d", n, th.order.Len(), th.maxEntries)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := start
			th := newSignInThrottle(func() time.Time { return now }, 100)
			tc.run(t, th, &now)
		})
	}
}
