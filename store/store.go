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
	"github.com/mattn/go-sqlite3"
)

// Store is Tack's event store with its read models, on SQLite: one writer connection with
// immediate transactions and a pool of read-only connections.
type Store struct {
	write *sqlx.DB
	read  *sqlx.DB
	path  string

	readOnly     bool // opened with OpenOptions.ReadOnly: every write fails
	passwordCost int  // bcrypt cost of new password hashes

	// Now is the clock; tests replace it.
	Now func() time.Time

	// writeMu serialises write transactions so listeners hear of them in commit order.
	writeMu   sync.Mutex
	mu        sync.RWMutex
	listeners []func([]Event)
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.GetContext(ctx, &one, "SELECT 1")
}

// Listen registers fn to receive every batch of events after it is committed, in
// commit order. fn runs on the committing goroutine and must not block.
func (s *Store) Listen(fn func([]Event)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

func (s *Store) notify(events []Event) {
	if len(events) == 0 {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, fn := range s.listeners {
		fn(events)
	}
}

// writeTx runs fn in one immediate write transaction, appending the events fn records
// and updating read models with them; listeners hear of the events after commit.
//
// A transaction, once begun, runs to its end even if ctx is cancelled meanwhile (a
// client hanging up): database/sql would otherwise roll it back under fn's feet, and fn's
// next statement or the commit would fail with a confusing error after some of the
// command's work was already decided. fn only runs SQL on the local database, so the
// transaction stays short.
func (s *Store) writeTx(ctx context.Context, fn func(tx *writer) error) ([]Event, error) {
	ctx = context.WithoutCancel(ctx)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	sqltx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	defer sqltx.Rollback()
	w := &writer{ctx: ctx, tx: sqltx, now: s.Now().UTC()}
	if err := fn(w); err != nil {
		return nil, err
	}
	if err := sqltx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit: %w", err)
	}
	s.notify(w.appended)
	return w.appended, nil
}

// writer is an open write transaction that appends events and projects them.
type writer struct {
	ctx      context.Context // not cancelled with the request: a started write finishes
	tx       *sqlx.Tx
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
		res, err := w.tx.Exec(`INSERT INTO events (stream, version, type, actor, at, data) VALUES (?, ?, ?, ?, ?, ?)`,
			e.Stream, e.Version, e.Type, e.Actor, formatTime(e.At), string(e.Data))
		if err != nil {
			var se sqlite3.Error
			if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique {
				return nil, Errorf(ECONFLICT, "%s changed at the same moment; reload and try again", stream)
			}
			return nil, fmt.Errorf("store: append %s to %s: %w", e.Type, stream, err)
		}
		if e.Seq, err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("store: append: %w", err)
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
	out := make([]decodedEvent, 0, len(rows))
	for _, r := range rows {
		e, err := r.event()
		if err != nil {
			return nil, err
		}
		p, err := e.Decode()
		if err != nil {
			return nil, err
		}
		out = append(out, decodedEvent{Event: e, payload: p})
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
