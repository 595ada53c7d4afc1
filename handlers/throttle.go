package handlers

import (
	"container/list"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
)

// signInThrottle slows down password guessing. It counts failed sign-ins under three keys
// and refuses an attempt, before the password is even checked, while any of them is
// blocked:
//
//   - the (account, client address) pair: after 5 failures each further attempt waits a
//     delay that doubles (1 s, 2 s, 4 s … at most 60 s); at 20 the pair is locked out for
//     15 minutes. This is the limit an attacker at one address guessing one account meets.
//   - the client address, whatever the account: the same delays after 10 failures and a
//     15-minute lockout at 50, against one address trying many accounts (password
//     spraying). Higher than the pair's limits because people behind one NAT share it.
//   - the account, whatever the address: delays only (after 50 failures, at most 60 s),
//     never a lockout. Guessing from many addresses is slowed to about one try a minute,
//     but an attacker can never lock the real user out: from a clean address the real
//     user waits at most the current delay, and a success ends it.
//
// Failures are forgotten 15 minutes after the last one. A success clears the pair and the
// account, and takes its own attempt back from the address (the address is not cleared,
// or an attacker could reset it by signing in to an account of their own).
//
// Every attempt is counted when it starts (and given back on success), so that many
// parallel guesses cannot all pass the check before the first failure is recorded.
//
// The counts live in memory, bounded to maxEntries keys (the least recently touched are
// forgotten first). With several Tack instances each counts on its own, so an attacker
// spreading guesses over n instances gets n times the budget.
type signInThrottle struct {
	now        func() time.Time
	maxEntries int

	mu      sync.Mutex
	entries map[string]*list.Element // of *attempts
	order   *list.List               // least recently touched first
}

// throttleRule is how one kind of key is limited.
type throttleRule struct {
	delayAfter int // failures before delays start
	lockAfter  int // failures that lock the key out for lockFor; 0 for never
}

const (
	throttleWindow   = 15 * time.Minute // failures are forgotten this long after the last
	throttleLockFor  = 15 * time.Minute
	throttleMaxDelay = 60 * time.Second
)

// attempts is the state of one key.
type attempts struct {
	key         string
	failures    int
	last        time.Time // of the last counted attempt
	lockedUntil time.Time
}

// blockedUntil returns when the key may try again under rule; zero when it may now.
func (a *attempts) blockedUntil(rule throttleRule) time.Time {
	if !a.lockedUntil.IsZero() {
		return a.lockedUntil
	}
	if a.failures < rule.delayAfter {
		return time.Time{}
	}
	delay := time.Duration(math.Pow(2, float64(a.failures-rule.delayAfter))) * time.Second
	return a.last.Add(min(delay, throttleMaxDelay))
}

// newSignInThrottle returns a throttle reading the time from now.
func newSignInThrottle(now func() time.Time, maxEntries int) *signInThrottle {
	return &signInThrottle{now: now, maxEntries: maxEntries, entries: map[string]*list.Element{}, order: list.New()}
}

// throttleKeys are the keys one attempt counts under, with their rules.
func throttleKeys(email, addr string) ([3]string, [3]throttleRule) {
	email = strings.ToLower(strings.TrimSpace(email))
	// No address is longer than 254 bytes; a longer "email" must not make a key (and
	// the bounded map) as large as the request.
	if len(email) > 254 {
		email = email[:254]
	}
	return [3]string{"pair\x00" + email + "\x00" + addr, "addr\x00" + addr, "account\x00" + email},
		[3]throttleRule{{delayAfter: 5, lockAfter: 20}, {delayAfter: 10, lockAfter: 50}, {delayAfter: 50}}
}

// begin counts a sign-in attempt for email from addr. When any of its keys is blocked it
// counts nothing and returns how long to wait and whether that is a lockout.
func (t *signInThrottle) begin(email, addr string) (wait time.Duration, locked bool) {
	now := t.now()
	keys, rules := throttleKeys(email, addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	var states [3]*attempts
	for i, k := range keys {
		a := t.get(k, now)
		states[i] = a
		if until := a.blockedUntil(rules[i]); until.After(now) {
			if d := until.Sub(now); d > wait {
				wait, locked = d, !a.lockedUntil.IsZero()
			}
		}
	}
	if wait > 0 {
		return wait, locked
	}
	for i, a := range states {
		a.failures++
		a.last = now
		if rules[i].lockAfter > 0 && a.failures >= rules[i].lockAfter {
			a.lockedUntil = now.Add(throttleLockFor)
		}
	}
	return 0, false
}

// succeeded records that the attempt begun for email from addr was right.
func (t *signInThrottle) succeeded(email, addr string) {
	keys, _ := throttleKeys(email, addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forget(keys[0])
	t.forget(keys[2])
	if el, ok := t.entries[keys[1]]; ok {
		if a := el.Value.(*attempts); a.failures > 0 {
			a.failures--
		}
	}
}

// get returns the live state of key, creating it and evicting the least recently
// touched key when the map is full. A state whose lockout ended, or whose last failure
// is older than the window, starts afresh.
func (t *signInThrottle) get(key string, now time.Time) *attempts {
	if el, ok := t.entries[key]; ok {
		a := el.Value.(*attempts)
		expired := now.Sub(a.last) > throttleWindow
		if !a.lockedUntil.IsZero() {
			expired = !now.Before(a.lockedUntil)
		}
		if expired {
			*a = attempts{key: key}
		}
		t.order.MoveToBack(el)
		return a
	}
	for len(t.entries) >= t.maxEntries {
		oldest := t.order.Front()
		t.order.Remove(oldest)
		delete(t.entries, oldest.Value.(*attempts).key)
	}
	a := &attempts{key: key}
	t.entries[key] = t.order.PushBack(a)
	return a
}

func (t *signInThrottle) forget(key string) {
	if el, ok := t.entries[key]; ok {
		t.order.Remove(el)
		delete(t.entries, key)
	}
}

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
