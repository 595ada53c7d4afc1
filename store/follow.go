package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Following the log on PostgreSQL. Several Tack instances may write to one database;
// Listen promises each of them every committed event — its own and the others' —
// exactly once, in position order, with no holes. A follower keeps that promise:
//
//   - It holds the last position delivered to the listeners (delivered) and, under one
//     mutex (mu), hands them only events after it, raising it as it goes: nothing at or
//     below delivered is delivered again, and a batch whose first position is not
//     delivered+1 is never handed over as is.
//   - Where events come from does not matter. A local commit of [a..b] (offer, called
//     by writeTx after commit, under writeMu) is delivered at once when delivered is a-1
//     (the usual case: low latency, no read); when some of it was already delivered,
//     only the rest is; when delivered is below a-1 (another instance committed in
//     between, not yet read), the log is read from delivered on, which brings
//     [a..b] too. Everything else (catchUp) reads the log after delivered.
//   - Positions are dense and commit in order (see postgresDialect), so a read of the
//     events after delivered returns exactly the positions delivered+1, delivered+2, …
//     up to some committed head: a prefix with no hole. A read started from an older
//     delivered (another goroutine delivered meanwhile) is trimmed to what is after the
//     current one, which is again a prefix.
//
// catchUp runs on the follower's own goroutine when the listening connection hears
// another store's NOTIFY with a head beyond delivered (each write transaction sends
// one, see Store.announce), after the listening connection (re)connects, and every
// poll interval in case a notification was missed or NOTIFY is off. A failed read
// changes nothing: the next one starts again from delivered.
type follower struct {
	s      *Store
	cfg    *pgx.ConnConfig // of the listening connection; nil with NoNotify
	self   string          // this store's name in its notifications
	poll   time.Duration
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{} // the catch-up goroutine's doorbell (one pending ring)

	mu        sync.Mutex // the one delivery path
	delivered int64      // last position handed to the listeners

	listenPID atomic.Uint32 // backend pid of the listening connection, 0 when down (tests)
	connects  atomic.Int64  // successful (re)connections of the listening connection
	// reconnectGate, when a test sets it, is waited on before each reconnection.
	reconnectGate atomic.Pointer[chan struct{}]
}

// followBatch is how many events one read of the log returns at most.
const followBatch = 500

// DefaultPollInterval is how often a store on PostgreSQL reads the log when no
// notification came.
const DefaultPollInterval = time.Second

// notifyChannel is the channel of the head notifications.
const notifyChannel = "tack_log"

// Reconnection backoff of the listening connection.
const (
	minReconnectWait = 50 * time.Millisecond
	maxReconnectWait = 5 * time.Second
)

// startFollower starts following the log for s from its current head. With cfg nil
// (NoNotify) it only polls; otherwise it first opens the listening connection, and
// fails when it cannot.
func startFollower(ctx context.Context, s *Store, cfg *pgx.ConnConfig, poll time.Duration) (*follower, error) {
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	f := &follower{s: s, cfg: cfg, self: newID()[:8], poll: poll, wake: make(chan struct{}, 1)}
	var conn *pgx.Conn
	if cfg != nil {
		var err error
		// LISTEN before reading the head: a commit in between is then either under
		// the head or announced.
		if conn, err = f.connect(ctx); err != nil {
			return nil, fmt.Errorf("store: listen for other instances' commits: %w", err)
		}
	}
	if err := s.read.GetContext(ctx, &f.delivered, `SELECT COALESCE(MAX(seq), 0) FROM events`); err != nil {
		if conn != nil {
			closeConn(conn)
		}
		return nil, fmt.Errorf("store: read the log's head: %w", err)
	}
	run, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.wg.Add(1)
	go f.follow(run)
	if conn != nil {
		f.wg.Add(1)
		go f.listen(run, conn)
	}
	return f, nil
}

// close stops both goroutines and closes the listening connection; it returns once
// they have ended.
func (f *follower) close() {
	f.cancel()
	f.wg.Wait()
}

// ring asks the catch-up goroutine to read the log.
func (f *follower) ring() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// follow reads the log when rung and every poll interval, until ctx ends.
func (f *follower) follow(ctx context.Context) {
	defer f.wg.Done()
	t := time.NewTicker(f.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-f.wake:
		}
		f.catchUp(ctx) // an error is retried at the next ring or tick
	}
}

// connect opens a connection that listens on notifyChannel.
func (f *follower) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, f.cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
		closeConn(conn)
		return nil, err
	}
	f.listenPID.Store(conn.PgConn().PID())
	f.connects.Add(1)
	return conn, nil
}

// closeConn closes conn, waiting a moment at most for the server to hear of it.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}

// listen waits for notifications on conn and rings for those announcing a head past
// delivered. When the connection fails it connects again, waiting longer after each
// failure (up to maxReconnectWait), and rings once connected: what was committed
// while it was down is read then.
func (f *follower) listen(ctx context.Context, conn *pgx.Conn) {
	defer f.wg.Done()
	defer func() {
		if conn != nil {
			closeConn(conn)
		}
	}()
	wait := minReconnectWait
	for {
		if conn == nil {
			if gate := f.reconnectGate.Load(); gate != nil {
				select {
				case <-ctx.Done():
					return
				case <-*gate:
				}
			}
			var err error
			if conn, err = f.connect(ctx); err != nil {
				conn = nil
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
				wait = min(2*wait, maxReconnectWait)
				continue
			}
			wait = minReconnectWait
			f.ring()
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			f.listenPID.Store(0)
			closeConn(conn)
			conn = nil
			if ctx.Err() != nil {
				return
			}
			continue
		}
		if head, from, ok := parseAnnouncement(n.Payload); ok && (from == f.self || head <= f.last()) {
			continue // this store's own commit (offer delivers it), or one already read
		}
		f.ring()
	}
}

// announcement is the payload of the notification a write transaction of this store
// sends: the head position it commits, then the store's name. The name lets the store
// skip its own notifications, which often arrive before writeTx has offered the
// commit's events (measured: 44% of one-event commits), and would each cost a read.
func (f *follower) announcement(head int64) string {
	return strconv.FormatInt(head, 10) + " " + f.self
}

// parseAnnouncement reads a notification's payload (see announcement).
func parseAnnouncement(payload string) (head int64, from string, ok bool) {
	h, from, _ := strings.Cut(payload, " ")
	head, err := strconv.ParseInt(h, 10, 64)
	return head, from, err == nil
}

// last returns the last delivered position.
func (f *follower) last() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.delivered
}

// catchUp delivers every event committed after delivered, reading the log in batches.
func (f *follower) catchUp(ctx context.Context) error {
	for {
		from := f.last()
		evs, err := f.s.Events(ctx, from, followBatch)
		if err != nil {
			return err
		}
		f.deliver(evs)
		if len(evs) < followBatch {
			return nil
		}
	}
}

// deliver is deliverLocked under f.mu.
func (f *follower) deliver(evs []Event) {
	f.mu.Lock()
	defer f.mu.Unlock() // also when a listener panics
	f.deliverLocked(evs)
}

// deliverLocked hands the listeners the events of evs after delivered, which must be a
// run of consecutive positions read from the log (or just committed) whose first
// position is at most delivered+1. f.mu is held.
func (f *follower) deliverLocked(evs []Event) {
	i := 0
	for i < len(evs) && evs[i].Seq <= f.delivered {
		i++
	}
	if i == len(evs) {
		return
	}
	evs = evs[i:]
	f.delivered = evs[len(evs)-1].Seq
	f.s.tell(evs)
}

// offer delivers events this process has just committed: consecutive positions
// [a..b]. When delivered is a-1 they go to the listeners at once; when delivered is
// below a-1, the log is read from delivered on first (which brings [a..b] too). Called
// under writeMu, in commit order.
func (f *follower) offer(events []Event) {
	if f.last() >= events[0].Seq-1 {
		// delivered only grows: still true under the lock, where deliver checks again
		// what is left to hand over.
		f.deliver(events)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if f.catchUp(ctx) != nil {
		// The follower's next read delivers them: nothing is skipped, only later.
		f.ring()
	}
}
