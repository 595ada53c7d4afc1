// Package store is Tack's domain and its persistence: events, commands with their rules
// (validation, merge, conflict), the event store, projections and queries.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// Store is Tack's event store with its read models, on SQLite (one writer connection
// with immediate transactions and a pool of read-only connections) or PostgreSQL (a
// writer pool whose transactions take one write lock, and a reader pool).
type Store struct {
	write *sqlx.DB
	read  *sqlx.DB
	path  string        // the SQLite file, or the PostgreSQL URL without its password
	d     *dialect      // where the SQL differs
	ckpt  *checkpointer // nil when read-only or on PostgreSQL

	readOnly     bool // opened with OpenOptions.ReadOnly: every write fails
	passwordCost int  // bcrypt cost of new password hashes

	// Now is the clock; tests replace it.
	Now func() time.Time

	// writeMu serialises write transactions so listeners hear of them in commit order.
	writeMu sync.Mutex
	queue   writeQueue // writers waiting for the transaction in progress
	// onBatch, when set (by tests), is told the number of commands of each transaction.
	onBatch   func(commands int)
	mu        sync.RWMutex
	listeners []func([]Event)
	// follow delivers every instance's commits to the listeners (PostgreSQL, not
	// read-only; see follow.go); nil on SQLite, where listeners hear of commits directly.
	follow *follower
}

// Close stops following the log and the checkpointer, and closes the connection pools.
func (s *Store) Close() error {
	if s.follow != nil {
		s.follow.close()
	}
	var err error
	if s.ckpt != nil {
		err = s.ckpt.close()
	}
	return errors.Join(err, s.read.Close(), s.write.Close())
}

// Path returns the SQLite database file's path, or the PostgreSQL URL without its password.
func (s *Store) Path() string { return s.path }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.GetContext(ctx, &one, "SELECT 1")
}

// Listen registers fn to receive every batch of events after it is committed, in
// position order, each event once, without a hole: on PostgreSQL the events committed
// by every Tack instance on the database, on SQLite this process's. fn runs on the
// committing goroutine (or, for other instances' events, the store's follower) and must
// not block.
func (s *Store) Listen(fn func([]Event)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

// notify is told the events of each command writeTx commits, in commit order.
func (s *Store) notify(events []Event) {
	if len(events) == 0 {
		return
	}
	if s.follow != nil {
		s.follow.offer(events)
		return
	}
	s.tell(events)
}

// tell hands events to every listener.
func (s *Store) tell(events []Event) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, fn := range s.listeners {
		fn(events)
	}
}

// writeTx runs fn in an immediate write transaction, appending the events fn records
// and updating read models with them; listeners hear of the events after commit.
//
// Writers that arrive while a transaction is running queue up and the next of them
// runs all that queued in one transaction (group commit), each command inside its own
// savepoint: a command that fails is rolled back alone, and every command still sees
// the ones before it, as if each had its own transaction in queue order. One commit
// for many commands is what lets concurrent writers go faster than one transaction at
// a time; a lone writer runs in a transaction of its own, as before.
//
// A transaction, once begun, runs to its end even if ctx is cancelled meanwhile (a
// client hanging up): database/sql would otherwise roll it back under fn's feet, and fn's
// next statement or the commit would fail with a confusing error after some of the
// command's work was already decided. fn only runs SQL on the local database, so the
// transaction stays short.
func (s *Store) writeTx(ctx context.Context, fn func(tx *writer) error) ([]Event, error) {
	req := &writeReq{ctx: context.WithoutCancel(ctx), fn: fn, wake: make(chan struct{}, 1)}
	s.queue.mu.Lock()
	s.queue.pending = append(s.queue.pending, req)
	lead := !s.queue.leading
	s.queue.leading = true
	s.queue.mu.Unlock()
	if !lead {
		<-req.wake // done, or asked to run the next batch (which holds req)
	}
	if !req.finished {
		s.runQueued()
	}
	if req.panicked != nil {
		panic(req.panicked)
	}
	return req.events, req.err
}

// writeQueue holds the write commands waiting for the transaction in progress.
type writeQueue struct {
	mu      sync.Mutex
	pending []*writeReq
	leading bool // a writer is running (or about to run) a batch
}

// writeReq is one writeTx call.
type writeReq struct {
	ctx  context.Context
	fn   func(*writer) error
	wake chan struct{} // receives once: finished, or run the next batch

	finished bool // set before wake
	events   []Event
	err      error
	panicked any // a panic in fn, raised again on the caller's goroutine
}

// runQueued runs everything queued in one transaction, then hands the next batch to
// the first writer that queued meanwhile.
func (s *Store) runQueued() {
	s.queue.mu.Lock()
	batch := s.queue.pending
	s.queue.pending = nil
	s.queue.mu.Unlock()
	defer func() {
		for _, r := range batch {
			if !r.finished { // only when a listener panicked
				r.finished, r.err = true, errors.New("store: write abandoned")
				r.wake <- struct{}{}
			}
		}
		s.queue.mu.Lock()
		defer s.queue.mu.Unlock()
		if len(s.queue.pending) == 0 {
			s.queue.leading = false
			return
		}
		s.queue.pending[0].wake <- struct{}{}
	}()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.runBatch(batch)
	if s.ckpt != nil {
		s.ckpt.committed()
	}
}

// runBatch runs the commands of batch in one transaction, then tells listeners and each
// command's caller.
func (s *Store) runBatch(batch []*writeReq) {
	finish := func(rs []*writeReq, err error) {
		for _, r := range rs {
			if err != nil && r.err == nil && r.panicked == nil {
				r.err, r.events = err, nil
			}
			if r.err == nil && r.panicked == nil {
				s.notify(r.events)
			}
			r.finished = true
			r.wake <- struct{}{}
		}
	}
	if s.onBatch != nil {
		s.onBatch(len(batch))
	}
	sqltx, err := s.write.BeginTxx(context.Background(), nil)
	if err != nil {
		finish(batch, fmt.Errorf("store: begin: %w", err))
		return
	}
	defer sqltx.Rollback()
	if err := s.d.beginWrite(sqltx); err != nil {
		finish(batch, err)
		return
	}
	if len(batch) == 1 {
		r := batch[0]
		s.runCommand(sqltx, r)
		if r.err == nil && r.panicked == nil {
			if err := s.announce(sqltx, batch); err != nil {
				r.err, r.events = err, nil
			} else if err := sqltx.Commit(); err != nil {
				r.err = fmt.Errorf("store: commit: %w", err)
			}
		}
		finish(batch, nil)
		return
	}
	for i, r := range batch {
		if _, err := sqltx.Exec(`SAVEPOINT command`); err != nil {
			finish(batch, fmt.Errorf("store: savepoint: %w", err))
			return
		}
		s.runCommand(sqltx, r)
		if r.err != nil || r.panicked != nil {
			if _, err := sqltx.Exec(`ROLLBACK TO command`); err != nil {
				// The transaction is no longer usable: the commands before this one
				// cannot be committed either.
				finish(batch[:i], fmt.Errorf("store: roll back a failed command: %w", err))
				finish(batch[i:], fmt.Errorf("store: roll back a failed command: %w", err))
				return
			}
		}
		if _, err := sqltx.Exec(`RELEASE command`); err != nil {
			finish(batch, fmt.Errorf("store: release savepoint: %w", err))
			return
		}
	}
	if err := s.announce(sqltx, batch); err != nil {
		finish(batch, err)
		return
	}
	if err := sqltx.Commit(); err != nil {
		finish(batch, fmt.Errorf("store: commit: %w", err))
		return
	}
	finish(batch, nil)
}

// announce, on PostgreSQL with notifications on, has the transaction tell the other
// instances its head position when it commits (PostgreSQL delivers a NOTIFY at commit,
// in commit order): only a wake-up hint, see follow.go. Nothing when batch appended
// nothing.
func (s *Store) announce(tx *sqlx.Tx, batch []*writeReq) error {
	if s.follow == nil || s.follow.cfg == nil { // SQLite, or NoNotify
		return nil
	}
	var head int64
	for _, r := range batch {
		if r.err == nil && r.panicked == nil && len(r.events) > 0 {
			head = r.events[len(r.events)-1].Seq
		}
	}
	if head == 0 {
		return nil
	}
	if _, err := tx.Exec(`SELECT pg_notify('`+notifyChannel+`', ?)`, s.follow.announcement(head)); err != nil {
		return fmt.Errorf("store: announce the commit: %w", err)
	}
	return nil
}

// runCommand runs one command's fn in tx, recording its events, error or panic in r.
func (s *Store) runCommand(tx *sqlx.Tx, r *writeReq) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked = p
		}
	}()
	w := &writer{ctx: r.ctx, tx: tx, d: s.d, now: s.Now().UTC()}
	if r.err = r.fn(w); r.err == nil {
		r.events = w.appended
	}
}

// writer is an open write transaction that appends events and projects them.
type writer struct {
	ctx      context.Context // not cancelled with the request: a started write finishes
	tx       *sqlx.Tx
	d        *dialect
	now      time.Time
	appended []Event
}

// append adds payloads to stream, which must be at version expected, and applies each
// event to the read models in the same transaction.
func (w *writer) append(stream string, expected int, actor string, payloads ...Payload) ([]Event, error) {
	out := make([]Event, 0, len(payloads))
	for i, p := range payloads {
		data, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("store: encode %s: %w", p.EventType(), err)
		}
		e := Event{
			Stream: stream, Version: expected + i + 1, Type: p.EventType(),
			Actor: actor, At: w.now, Data: data,
		}
		err = w.tx.QueryRow(w.d.appendEvent, e.Stream, e.Version, e.Type, e.Actor, formatTime(e.At), string(e.Data)).Scan(&e.Seq)
		if err != nil {
			if isUniqueViolation(err) {
				return nil, Errorf(ECONFLICT, "%s changed at the same moment; reload and try again", stream)
			}
			return nil, fmt.Errorf("store: append %s to %s: %w", e.Type, stream, err)
		}
		if err := project(w.tx, e, p); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	w.appended = append(w.appended, out...)
	return out, nil
}

// appendLatest appends payloads to the end of stream, whatever its version: for
// streams whose writers do not compete on a version the user saw (membership, recorded
// conflicts and their answers). writeTx serialises writers, so the version read here
// is still the latest when the events are inserted.
func (w *writer) appendLatest(stream, actor string, payloads ...Payload) ([]Event, error) {
	v, err := streamVersion(w.tx, stream)
	if err != nil {
		return nil, err
	}
	return w.append(stream, v, actor, payloads...)
}

// streamVersion returns the current version of stream (0 when it has no events).
func streamVersion(q sqlx.Queryer, stream string) (int, error) {
	var v int
	err := sqlx.Get(q, &v, `SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = ?`, stream)
	if err != nil {
		return 0, fmt.Errorf("store: version of %s: %w", stream, err)
	}
	return v, nil
}

// eventRow is an events row as stored.
type eventRow struct {
	Seq     int64  `db:"seq"`
	Stream  string `db:"stream"`
	Version int    `db:"version"`
	Type    string `db:"type"`
	Actor   string `db:"actor"`
	At      string `db:"at"`
	Data    string `db:"data"`
}

func (r eventRow) event() (Event, error) {
	at, err := parseTime(r.At)
	if err != nil {
		return Event{}, err
	}
	return Event{Seq: r.Seq, Stream: r.Stream, Version: r.Version, Type: r.Type, Actor: r.Actor, At: at, Data: json.RawMessage(r.Data)}, nil
}

// streamEvents returns the decoded events of stream in version order.
func streamEvents(q sqlx.Queryer, stream string) ([]decodedEvent, error) {
	return streamEventsAfter(q, stream, 0)
}

// streamEventsAfter returns the decoded events of stream with a version greater than
// after, in version order.
func streamEventsAfter(q sqlx.Queryer, stream string, after int) ([]decodedEvent, error) {
	var rows []eventRow
	if err := sqlx.Select(q, &rows, `SELECT seq, stream, version, type, actor, at, data FROM events WHERE stream = ? AND version > ? ORDER BY version`, stream, after); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", stream, err)
	}
	return decodeRows(rows)
}

// decoded is the row as an event with its payload decoded.
func (r eventRow) decoded() (decodedEvent, error) {
	e, err := r.event()
	if err != nil {
		return decodedEvent{}, err
	}
	p, err := e.Decode()
	if err != nil {
		return decodedEvent{}, err
	}
	return decodedEvent{Event: e, payload: p}, nil
}

// decodeRows decodes rows in their order.
func decodeRows(rows []eventRow) ([]decodedEvent, error) {
	out := make([]decodedEvent, 0, len(rows))
	for _, r := range rows {
		d, err := r.decoded()
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Events returns up to limit events with seq greater than after, in order.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]Event, error) {
	var rows []eventRow
	if err := s.read.SelectContext(ctx, &rows, `SELECT seq, stream, version, type, actor, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit); err != nil {
		return nil, fmt.Errorf("store: read events: %w", err)
	}
	return toEvents(rows)
}

// toEvents converts stored rows to events.
func toEvents(rows []eventRow) ([]Event, error) {
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		e, err := r.event()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// timeLayout is fixed-width so that stored times sort as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: bad stored time %q: %w", s, err)
	}
	return t, nil
}

// newID returns a random identifier of 16 lower-case base-32 characters.
func newID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	var b [16]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return string(b[:])
}

// DB returns the writer connection pool, for the session library's table.
func (s *Store) DB() *sql.DB { return s.write.DB }
