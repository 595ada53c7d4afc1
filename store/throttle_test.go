package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var throttleStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// TestThrottleBlockedUntil: the delays double from 1 s after delayAfter failures, stop
// growing at 60 s, and a lockout blocks until its end whatever the count.
func TestThrottleBlockedUntil(t *testing.T) {
	t.Parallel()
	last := throttleStart
	for _, tc := range []struct {
		rule     throttleRule
		failures int
		locked   time.Duration // lockedUntil = last + locked when set
		want     time.Duration // blockedUntil - last; -1 for not blocked
	}{
		{pairRule, 0, 0, -1},
		{pairRule, 4, 0, -1},
		{pairRule, 5, 0, time.Second},
		{pairRule, 6, 0, 2 * time.Second},
		{pairRule, 7, 0, 4 * time.Second},
		{pairRule, 10, 0, 32 * time.Second},
		{pairRule, 11, 0, 60 * time.Second}, // 64 s capped
		{pairRule, 19, 0, 60 * time.Second},
		{pairRule, 20, 15 * time.Minute, 15 * time.Minute},
		{pairRule, 3, 15 * time.Minute, 15 * time.Minute}, // a lockout outranks the count
		{addressRule, 9, 0, -1},
		{addressRule, 10, 0, time.Second},
		{addressRule, 13, 0, 8 * time.Second},
		{addressRule, 49, 0, 60 * time.Second},
		{accountRule, 49, 0, -1},
		{accountRule, 50, 0, time.Second},
		{accountRule, 1000, 0, 60 * time.Second}, // no overflow for huge counts
	} {
		a := throttleState{failures: tc.failures, last: last}
		if tc.locked > 0 {
			a.lockedUntil = last.Add(tc.locked)
		}
		got := a.blockedUntil(tc.rule)
		if tc.want < 0 {
			if !got.IsZero() {
				t.Errorf("%+v at %d failures: blocked until +%v, want not blocked", tc.rule, tc.failures, got.Sub(last))
			}
			continue
		}
		if got.Sub(last) != tc.want {
			t.Errorf("%+v at %d failures (locked %v): blocked until +%v, want +%v", tc.rule, tc.failures, tc.locked, got.Sub(last), tc.want)
		}
	}
}

// TestThrottleExpiry: failures are forgotten strictly after the window; a lockout at
// its end; expiresAt is never before the state is expired.
func TestThrottleExpiry(t *testing.T) {
	t.Parallel()
	plain := throttleState{failures: 7, last: throttleStart}
	locked := throttleState{failures: 20, last: throttleStart, lockedUntil: throttleStart.Add(throttleLockFor)}
	for _, tc := range []struct {
		name  string
		a     throttleState
		after time.Duration
		want  bool
	}{
		{"plain, just now", plain, 0, false},
		{"plain, at the window's end", plain, throttleWindow, false},
		{"plain, after the window", plain, throttleWindow + time.Nanosecond, true},
		{"locked, a moment before its end", locked, throttleLockFor - time.Nanosecond, false},
		{"locked, at its end", locked, throttleLockFor, true},
	} {
		now := throttleStart.Add(tc.after)
		if got := tc.a.expired(now); got != tc.want {
			t.Errorf("%s: expired = %v, want %v", tc.name, got, tc.want)
		}
		// The sweep deletes rows with expires_at < now: only expired ones.
		if tc.a.expiresAt().Before(now) && !tc.a.expired(now) {
			t.Errorf("%s: expiresAt %v is before now but the state is not expired", tc.name, tc.a.expiresAt())
		}
	}
}

// TestThrottleBegin: one attempt's decision over the three keys.
func TestThrottleBegin(t *testing.T) {
	t.Parallel()
	now := throttleStart.Add(time.Hour)
	rules := [3]throttleRule{pairRule, addressRule, accountRule}
	st := func(failures int, ago time.Duration) throttleState {
		return throttleState{failures: failures, last: now.Add(-ago)}
	}
	lockedSt := func(failures int, left time.Duration) throttleState {
		return throttleState{failures: failures, last: now.Add(left - throttleLockFor), lockedUntil: now.Add(left)}
	}
	for _, tc := range []struct {
		name       string
		states     [3]throttleState
		wantWait   time.Duration
		wantLocked bool
		wantCounts [3]int // after the attempt
	}{
		{"fresh keys: counted", [3]throttleState{}, 0, false, [3]int{1, 1, 1}},
		{"below every threshold", [3]throttleState{st(4, 0), st(9, 0), st(49, 0)}, 0, false, [3]int{5, 10, 50}},
		{"the pair's first delay", [3]throttleState{st(5, 0), st(5, 0), st(5, 0)}, time.Second, false, [3]int{5, 5, 5}},
		{"the pair's delay waited out", [3]throttleState{st(5, time.Second), st(5, 0), st(5, 0)}, 0, false, [3]int{6, 6, 6}},
		{"the longest wait wins", [3]throttleState{st(6, 0), st(12, 0), st(50, 0)}, 4 * time.Second, false, [3]int{6, 12, 50}},
		{"a lockout says so", [3]throttleState{lockedSt(20, 14*time.Minute), st(20, 0), st(20, 0)}, 14 * time.Minute, true, [3]int{20, 20, 20}},
		{"a delay longer than a lockout's rest", [3]throttleState{lockedSt(20, 30*time.Second), st(20, 0), st(60, 0)}, time.Minute, false, [3]int{20, 20, 60}},
		{"an ended lockout starts afresh", [3]throttleState{lockedSt(20, 0), st(1, 0), st(1, 0)}, 0, false, [3]int{1, 2, 2}},
		{"old failures forgotten", [3]throttleState{st(19, throttleWindow+time.Second), st(3, time.Minute), st(3, time.Minute)}, 0, false, [3]int{1, 4, 4}},
		{"the 20th failure locks the pair", [3]throttleState{st(19, time.Minute), st(19, time.Minute), st(19, time.Minute)}, 0, false, [3]int{20, 20, 20}},
		{"the 50th locks the address, never the account", [3]throttleState{st(0, 0), st(49, time.Minute), st(49, 0)}, 0, false, [3]int{1, 50, 50}},
	} {
		next, wait, locked := throttleBegin(tc.states, rules, now)
		if wait != tc.wantWait || locked != tc.wantLocked {
			t.Errorf("%s: wait %v locked %v, want %v %v", tc.name, wait, locked, tc.wantWait, tc.wantLocked)
		}
		for i, a := range next {
			if a.failures != tc.wantCounts[i] {
				t.Errorf("%s: key %d has %d failures, want %d", tc.name, i, a.failures, tc.wantCounts[i])
			}
			if wait == 0 {
				if !a.last.Equal(now) {
					t.Errorf("%s: key %d last %v, want now", tc.name, i, a.last)
				}
				wantLock := rules[i].lockAfter > 0 && a.failures >= rules[i].lockAfter
				if got := !a.lockedUntil.IsZero(); got != wantLock || (got && !a.lockedUntil.Equal(now.Add(throttleLockFor))) {
					t.Errorf("%s: key %d locked until %v, want locked %v for 15 minutes", tc.name, i, a.lockedUntil, wantLock)
				}
			}
		}
	}
	// A success clears the pair and the account and gives the address its attempt back.
	got := throttleSucceeded([3]throttleState{st(3, 0), st(7, 0), st(9, 0)})
	if got[0] != (throttleState{}) || got[2] != (throttleState{}) || got[1].failures != 6 {
		t.Errorf("after a success: %+v", got)
	}
	if got := throttleSucceeded([3]throttleState{}); got != ([3]throttleState{}) {
		t.Errorf("a success on fresh keys: %+v", got)
	}
}

// throttleClock is a settable clock for a store.
type throttleClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *throttleClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *throttleClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func throttleStore(t *testing.T) (*Store, *throttleClock) {
	s := mustOpenStore(t)
	clock := &throttleClock{now: throttleStart}
	s.Now = clock.Now
	return s, clock
}

func begin(t *testing.T, s *Store, email, addr string) (time.Duration, bool) {
	t.Helper()
	wait, locked, err := s.BeginSignIn(context.Background(), email, addr)
	if err != nil {
		t.Fatalf("BeginSignIn(%q, %q): %v", email, addr, err)
	}
	return wait, locked
}

func succeeded(t *testing.T, s *Store, email, addr string) {
	t.Helper()
	if err := s.SignInSucceeded(context.Background(), email, addr); err != nil {
		t.Fatalf("SignInSucceeded(%q, %q): %v", email, addr, err)
	}
}

func throttleRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.read.Get(&n, `SELECT COUNT(*) FROM signin_throttle`); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSignInThrottleRules: the throttle's rules through the store, on both backends
// (these were handlers' TestSignInThrottleRules when the counts lived in memory).
func TestSignInThrottleRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s *Store, clock *throttleClock)
	}{
		{"many addresses slow one account down but never lock it", func(t *testing.T, s *Store, clock *throttleClock) {
			for i := range 50 {
				if wait, _ := begin(t, s, "ana@demo.tack", fmt.Sprintf("203.0.113.%d", i)); wait != 0 {
					t.Fatalf("attempt %d from a fresh address waits %v", i, wait)
				}
			}
			wait, locked := begin(t, s, "ana@demo.tack", "198.51.100.20")
			if wait != time.Second || locked {
				t.Fatalf("after 50 failures on the account: wait %v locked %v, want 1s and no lockout", wait, locked)
			}
			clock.advance(time.Second)
			if wait, _ := begin(t, s, "ana@demo.tack", "198.51.100.20"); wait != 0 {
				t.Fatalf("after the delay: wait %v", wait)
			}
			succeeded(t, s, "ana@demo.tack", "198.51.100.20")
			if wait, _ := begin(t, s, "ana@demo.tack", "198.51.100.21"); wait != 0 {
				t.Fatalf("after a success the account still waits %v", wait)
			}
		}},
		{"a success clears the pair but not the address", func(t *testing.T, s *Store, clock *throttleClock) {
			for i := range 9 {
				begin(t, s, fmt.Sprintf("u%d@example.com", i), "203.0.113.1")
			}
			begin(t, s, "mine@example.com", "203.0.113.1")
			succeeded(t, s, "mine@example.com", "203.0.113.1") // gives back its own attempt only
			begin(t, s, "u9@example.com", "203.0.113.1")
			if wait, _ := begin(t, s, "u10@example.com", "203.0.113.1"); wait != time.Second {
				t.Fatalf("10 failures from one address: wait %v, want 1s", wait)
			}
		}},
		{"failures are forgotten after the window", func(t *testing.T, s *Store, clock *throttleClock) {
			for range 5 {
				begin(t, s, "ana@demo.tack", "203.0.113.1")
			}
			clock.advance(throttleWindow + time.Second)
			for i := range 5 {
				if wait, _ := begin(t, s, "ana@demo.tack", "203.0.113.1"); wait != 0 {
					t.Fatalf("attempt %d after the window waits %v", i, wait)
				}
			}
		}},
		{"the pair is locked out at 20 for 15 minutes", func(t *testing.T, s *Store, clock *throttleClock) {
			for i := range 20 {
				if wait, _ := begin(t, s, "Ana@Demo.tack ", "203.0.113.1"); wait != 0 {
					t.Fatalf("attempt %d waits %v", i, wait)
				}
				clock.advance(time.Minute) // every delay waited out (and within the window)
			}
			wait, locked := begin(t, s, "ana@demo.tack", "203.0.113.1") // the same account, spelt otherwise
			if !locked || wait != throttleLockFor-time.Minute {
				t.Fatalf("after 20 failures: wait %v locked %v, want 14m locked", wait, locked)
			}
			if wait, _ := begin(t, s, "ana@demo.tack", "203.0.113.2"); wait != 0 {
				t.Fatalf("from another address: wait %v", wait)
			}
			clock.advance(throttleLockFor - time.Minute)
			if wait, _ := begin(t, s, "ana@demo.tack", "203.0.113.1"); wait != 0 {
				t.Fatalf("after the lockout: wait %v", wait)
			}
		}},
		{"any bytes make a key", func(t *testing.T, s *Store, clock *throttleClock) {
			odd := "a\x00b\xff\xfe" + string(make([]byte, 10_000))
			for range 5 {
				begin(t, s, odd, "203.0.113.1")
			}
			if wait, _ := begin(t, s, odd, "203.0.113.1"); wait != time.Second {
				t.Fatalf("after 5 failures: wait %v, want 1s", wait)
			}
			succeeded(t, s, odd, "203.0.113.1")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { // not parallel: freshDatabase's counters are not safe for it
			s, clock := throttleStore(t)
			tc.run(t, s, clock)
		})
	}
}

// TestSignInThrottleTableStaysBounded: rows of forgotten failures are deleted, those of
// a key an attempt touches at once, the others by the attempts' bounded sweep.
func TestSignInThrottleTableStaysBounded(t *testing.T) {
	s, clock := throttleStore(t)
	const keys = 250
	for i := range keys {
		begin(t, s, fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("203.0.%d.%d", i/256, i%256))
	}
	if n := throttleRows(t, s); n != 3*keys {
		t.Fatalf("%d rows after %d attempts on distinct keys, want %d", n, keys, 3*keys)
	}
	clock.advance(throttleWindow + time.Second)
	// One attempt deletes throttleSweep expired rows and adds its three.
	begin(t, s, "late@example.com", "198.51.100.1")
	if n, want := throttleRows(t, s), 3*keys-throttleSweep+3; n != want {
		t.Fatalf("%d rows after one sweep, want %d", n, want)
	}
	for i := range 9 { // 10 attempts from one address: below its first delay
		begin(t, s, fmt.Sprintf("late%d@example.com", i), "198.51.100.1")
	}
	// Left: the late attempts' pairs and accounts, and their one address.
	if n, want := throttleRows(t, s), 10+10+1; n != want {
		t.Fatalf("%d rows after the expired ones were swept, want %d", n, want)
	}
	// A touched expired key is forgotten even when the attempt is refused.
	clock.advance(throttleWindow + time.Second)
	for range 5 {
		begin(t, s, "x@example.com", "192.0.2.1")
	}
	if wait, _ := begin(t, s, "x@example.com", "192.0.2.1"); wait == 0 {
		t.Fatal("the 6th attempt was not delayed")
	}
	if n := throttleRows(t, s); n != 3 {
		t.Fatalf("%d rows, want the 3 live ones", n)
	}
	succeeded(t, s, "x@example.com", "192.0.2.1")
	if n := throttleRows(t, s); n != 1 {
		t.Fatalf("%d rows after a success, want the address's only", n)
	}
}

// TestSignInThrottleAcrossInstances: two stores on one database (two Tack instances;
// on SQLite two processes on one file) count one budget. Each round, 40 attempts for
// one (account, address) pair, half through each store, are released together:
//
//   - "lockout", 30 attempts: the shared clock moves 61 s at each reading (each
//     attempt's transaction reads it once), so no delay (at most 60 s) ever blocks and
//     only the lockout does, and it still lasts past the 30th attempt: exactly 20
//     attempts pass (the pair's lockAfter), the other 10 are refused as locked out, and
//     the stored count is 20 under each key;
//   - "delay", 40 attempts: the clock stands still: exactly 5 pass (delayAfter), the
//     other 35 are told to wait 1 s, and the count is 5.
//
// A lost update (two attempts reading the same count) would let more through.
func TestSignInThrottleAcrossInstances(t *testing.T) {
	const rounds = 25
	for _, tc := range []struct {
		name       string
		perStore   int
		tick       time.Duration
		wantPassed int
		wantLocked bool
	}{
		{"lockout", 15, 61 * time.Second, pairRule.lockAfter, true},
		{"delay", 20, 0, pairRule.delayAfter, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stores := openInstances(t, 2, OpenOptions{})
			var clock atomic.Int64
			clock.Store(throttleStart.UnixNano())
			for _, s := range stores {
				s.Now = func() time.Time { return time.Unix(0, clock.Add(int64(tc.tick))).UTC() }
			}
			for round := range rounds {
				email, addr := fmt.Sprintf("ana%d@demo.tack", round), fmt.Sprintf("203.0.113.%d", round)
				var (
					start  = make(chan struct{})
					wg     sync.WaitGroup
					passed atomic.Int32
					bad    atomic.Int32
					errs   = make(chan error, 2*tc.perStore)
				)
				for _, s := range stores {
					for range tc.perStore {
						wg.Add(1)
						go func() {
							defer wg.Done()
							<-start
							wait, locked, err := s.BeginSignIn(context.Background(), email, addr)
							switch {
							case err != nil:
								errs <- err
							case wait == 0:
								passed.Add(1)
							case locked != tc.wantLocked:
								bad.Add(1)
							}
						}()
					}
				}
				close(start)
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatalf("round %d: %v", round, err)
				}
				if got := int(passed.Load()); got != tc.wantPassed || bad.Load() != 0 {
					t.Fatalf("round %d: %d of %d attempts passed (%d refused with the wrong kind), want exactly %d",
						round, got, 2*tc.perStore, bad.Load(), tc.wantPassed)
				}
				keys, _ := throttleKeys(email, addr)
				var failures []int
				if err := stores[1].read.Select(&failures, `SELECT failures FROM signin_throttle WHERE key IN (?, ?, ?)`,
					keys[0], keys[1], keys[2]); err != nil {
					t.Fatal(err)
				}
				if len(failures) != 3 || failures[0] != tc.wantPassed || failures[1] != tc.wantPassed || failures[2] != tc.wantPassed {
					t.Fatalf("round %d: stored counts %v, want %d under each of the 3 keys", round, failures, tc.wantPassed)
				}
			}
		})
	}
}

// BenchmarkSignInThrottle is the throttle's own cost per sign-in attempt on the current
// backend: "failed" is one BeginSignIn (one write transaction), "succeeded" a
// BeginSignIn and a SignInSucceeded (two). Each attempt is from an address of its own
// and the clock moves 61 s at each reading, so no attempt is refused.
func BenchmarkSignInThrottle(b *testing.B) {
	ctx := context.Background()
	for _, succeed := range []bool{false, true} {
		name := "failed"
		if succeed {
			name = "succeeded"
		}
		b.Run(name, func(b *testing.B) {
			s := mustOpenStore(b)
			var clock atomic.Int64
			clock.Store(throttleStart.UnixNano())
			s.Now = func() time.Time { return time.Unix(0, clock.Add(int64(61*time.Second))).UTC() }
			for i := range b.N {
				addr := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
				if wait, _, err := s.BeginSignIn(ctx, "ana@demo.tack", addr); err != nil || wait != 0 {
					b.Fatalf("attempt %d: wait %v, %v", i, wait, err)
				}
				if succeed {
					if err := s.SignInSucceeded(ctx, "ana@demo.tack", addr); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
