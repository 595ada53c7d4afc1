package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Sign-in throttling slows down password guessing. It counts failed sign-ins under three
// keys and refuses an attempt, before the password is even checked, while any of them is
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
// Every attempt is counted when it starts (BeginSignIn) and given back on success
// (SignInSucceeded), so that many parallel guesses cannot all pass the check before the
// first failure is recorded; a failure therefore needs no call of its own.
//
// The counts live in table signin_throttle of the store's database, so that all Tack
// instances on one PostgreSQL database share one budget: each BeginSignIn reads and
// updates the three keys in one write transaction of the store (writeTx: on SQLite the
// immediate transaction, on PostgreSQL the write lock every instance's write
// transactions take), so two attempts, in one process or two, never both see the same
// count. The rules themselves are the pure functions below (throttleBegin and the
// methods of throttleState); the SQL only loads and saves their state.
//
// The table cannot grow without bound: a row whose failures are forgotten (or whose
// lockout ended) is deleted when an attempt touches its key, and every BeginSignIn also
// deletes up to throttleSweep expired rows of other keys (by expires_at's index). An
// attempt adds at most three rows and removes up to throttleSweep expired ones, so the
// expired rows are gone after a few attempts and the table holds about the keys that
// failed in the last 15 minutes (or are locked out): at most three rows per attempt
// made in that window, each under 200 bytes.

// throttleRule is how one kind of key is limited.
type throttleRule struct {
	delayAfter int // failures before delays start
	lockAfter  int // failures that lock the key out for throttleLockFor; 0 for never
}

// The three kinds of key, in the order of throttleKeys.
var (
	pairRule    = throttleRule{delayAfter: 5, lockAfter: 20}
	addressRule = throttleRule{delayAfter: 10, lockAfter: 50}
	accountRule = throttleRule{delayAfter: 50}
)

const (
	throttleWindow   = 15 * time.Minute // failures are forgotten this long after the last
	throttleLockFor  = 15 * time.Minute
	throttleMaxDelay = 60 * time.Second
	// throttleSweep is how many expired rows of other keys each attempt deletes.
	throttleSweep = 100
)

// throttleState is the state of one key: the zero value is a key without failures.
type throttleState struct {
	failures    int
	last        time.Time // of the last counted attempt
	lockedUntil time.Time // zero when not locked out
}

// blockedUntil returns when the key may try again under rule; zero when it may now.
func (a throttleState) blockedUntil(rule throttleRule) time.Time {
	if !a.lockedUntil.IsZero() {
		return a.lockedUntil
	}
	if a.failures < rule.delayAfter {
		return time.Time{}
	}
	delay := throttleMaxDelay
	if n := a.failures - rule.delayAfter; n < 6 { // 2^6 s > 60 s
		delay = min(time.Duration(1<<n)*time.Second, throttleMaxDelay)
	}
	return a.last.Add(delay)
}

// expired reports whether the key's failures are forgotten at now: its lockout has
// ended, or (without one) its last failure is older than the window.
func (a throttleState) expired(now time.Time) bool {
	if !a.lockedUntil.IsZero() {
		return !now.Before(a.lockedUntil)
	}
	return now.Sub(a.last) > throttleWindow
}

// expiresAt is when the key's state may be deleted: it is expired at any later instant.
func (a throttleState) expiresAt() time.Time {
	if !a.lockedUntil.IsZero() {
		return a.lockedUntil
	}
	return a.last.Add(throttleWindow)
}

// throttleBegin decides an attempt at now on keys whose states and rules are given.
// Expired states count as fresh. When any key is blocked it counts nothing and returns
// the longest wait, and whether that key is locked out; otherwise it returns the
// states with the attempt counted (a key reaching its rule's lockAfter is locked out
// for throttleLockFor).
func throttleBegin(states [3]throttleState, rules [3]throttleRule, now time.Time) (next [3]throttleState, wait time.Duration, locked bool) {
	for i, a := range states {
		if a.expired(now) {
			a = throttleState{}
		}
		next[i] = a
		if until := a.blockedUntil(rules[i]); until.After(now) {
			if d := until.Sub(now); d > wait {
				wait, locked = d, !a.lockedUntil.IsZero()
			}
		}
	}
	if wait > 0 {
		return next, wait, locked
	}
	for i := range next {
		a := &next[i]
		a.failures++
		a.last = now
		if rules[i].lockAfter > 0 && a.failures >= rules[i].lockAfter {
			a.lockedUntil = now.Add(throttleLockFor)
		}
	}
	return next, 0, false
}

// throttleSucceeded returns the states after a success: the pair and the account are
// cleared, the address gives back the attempt counted for it.
func throttleSucceeded(states [3]throttleState) [3]throttleState {
	addr := states[1]
	if addr.failures > 0 {
		addr.failures--
	}
	return [3]throttleState{{}, addr, {}}
}

// throttleKeys are the keys (as stored: see keyHash) one attempt for email from addr
// counts under, with their rules: the pair, the address, the account.
func throttleKeys(email, addr string) ([3]string, [3]throttleRule) {
	email = strings.ToLower(strings.TrimSpace(email))
	// No address is longer than 254 bytes.
	if len(email) > 254 {
		email = email[:254]
	}
	return [3]string{keyHash("pair", email, addr), keyHash("address", addr), keyHash("account", email)},
		[3]throttleRule{pairRule, addressRule, accountRule}
}

// keyHash is the stored key of kind with subject parts: a SHA-256, so that any bytes
// the request sent (a NUL, invalid UTF-8, which PostgreSQL's text refuses) make a key
// of fixed width, and no address is stored. Each part is length-prefixed.
func keyHash(kind string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(kind))
	for _, p := range parts {
		fmt.Fprintf(h, "\x00%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// throttleRow is a row of signin_throttle.
type throttleRow struct {
	Key         string `db:"key"`
	Failures    int    `db:"failures"`
	LastAt      string `db:"last_at"`
	LockedUntil string `db:"locked_until"`
}

// loadThrottle reads the states of keys (the zero state for a key without a row).
func (w *writer) loadThrottle(keys [3]string) ([3]throttleState, error) {
	var states [3]throttleState
	var rows []throttleRow
	if err := w.tx.Select(&rows, `SELECT key, failures, last_at, locked_until FROM signin_throttle WHERE key IN (?, ?, ?)`,
		keys[0], keys[1], keys[2]); err != nil {
		return states, fmt.Errorf("store: read sign-in attempts: %w", err)
	}
	for _, r := range rows {
		for i, k := range keys {
			if r.Key != k {
				continue
			}
			last, err := parseTime(r.LastAt)
			if err != nil {
				return states, err
			}
			var until time.Time
			if r.LockedUntil != "" {
				if until, err = parseTime(r.LockedUntil); err != nil {
					return states, err
				}
			}
			states[i] = throttleState{failures: r.Failures, last: last, lockedUntil: until}
		}
	}
	return states, nil
}

// saveThrottle writes the state of key, deleting its row when the state is the zero
// one (no failures to remember).
func (w *writer) saveThrottle(key string, a throttleState) error {
	if a == (throttleState{}) {
		if _, err := w.tx.Exec(`DELETE FROM signin_throttle WHERE key = ?`, key); err != nil {
			return fmt.Errorf("store: forget sign-in attempts: %w", err)
		}
		return nil
	}
	locked := ""
	if !a.lockedUntil.IsZero() {
		locked = formatTime(a.lockedUntil)
	}
	_, err := w.tx.Exec(`INSERT INTO signin_throttle (key, failures, last_at, locked_until, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at,
			locked_until = excluded.locked_until, expires_at = excluded.expires_at`,
		key, a.failures, formatTime(a.last), locked, formatTime(a.expiresAt()))
	if err != nil {
		return fmt.Errorf("store: count a sign-in attempt: %w", err)
	}
	return nil
}

// BeginSignIn counts a sign-in attempt for email from the client address addr, before
// its password is checked. When any of its keys is blocked it counts nothing and
// returns how long to wait and whether that is a lockout; the caller must then refuse
// the attempt without checking the password. Otherwise call SignInSucceeded if the
// password is right (a wrong one needs nothing: it was counted here).
func (s *Store) BeginSignIn(ctx context.Context, email, addr string) (wait time.Duration, locked bool, err error) {
	keys, rules := throttleKeys(email, addr)
	_, err = s.writeTx(ctx, func(w *writer) error {
		// A bounded sweep of other keys' expired rows (see the top of this file).
		if _, err := w.tx.Exec(`DELETE FROM signin_throttle WHERE key IN
			(SELECT key FROM signin_throttle WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`,
			formatTime(w.now), throttleSweep); err != nil {
			return fmt.Errorf("store: forget old sign-in attempts: %w", err)
		}
		states, err := w.loadThrottle(keys)
		if err != nil {
			return err
		}
		var next [3]throttleState
		next, wait, locked = throttleBegin(states, rules, w.now)
		for i, a := range next {
			if a != states[i] { // counted, or expired and forgotten
				if err := w.saveThrottle(keys[i], a); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return wait, locked, nil
}

// SignInSucceeded records that the attempt begun by BeginSignIn for email from addr
// had the right password.
func (s *Store) SignInSucceeded(ctx context.Context, email, addr string) error {
	keys, _ := throttleKeys(email, addr)
	_, err := s.writeTx(ctx, func(w *writer) error {
		states, err := w.loadThrottle(keys)
		if err != nil {
			return err
		}
		for i, a := range throttleSucceeded(states) {
			if a != states[i] {
				if err := w.saveThrottle(keys[i], a); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return err
}
