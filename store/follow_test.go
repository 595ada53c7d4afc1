package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// requirePostgres fails t outside the PostgreSQL pass: it is about several instances
// on one PostgreSQL database, and listed in postgresOnly so that the SQLite pass leaves
// it out.
func requirePostgres(t testing.TB) {
	t.Helper()
	if current.name != "postgres" {
		t.Fatalf("%s runs on PostgreSQL only: list it in postgresOnly (main_test.go)", t.Name())
	}
}

// heard records what one store's listener is given.
type heard struct {
	mu      sync.Mutex
	seqs    []int64
	batches int
	wrong   []string // batches out of order, repeated or after a hole
}

func listenTo(s *Store, after int64) *heard {
	h := &heard{}
	s.Listen(func(evs []Event) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.batches++
		for _, e := range evs {
			last := after
			if n := len(h.seqs); n > 0 {
				last = h.seqs[n-1]
			}
			if e.Seq != last+1 && len(h.wrong) < 5 {
				h.wrong = append(h.wrong, fmt.Sprintf("position %d after %d", e.Seq, last))
			}
			h.seqs = append(h.seqs, e.Seq)
		}
	})
	return h
}

// wantInOrder fails t unless h heard n positions, each once, in order, without a hole.
func (h *heard) wantInOrder(t testing.TB, n int) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.wrong) > 0 || len(h.seqs) != n {
		t.Errorf("heard %d positions, want %d in order: %v", len(h.seqs), n, h.wrong)
	}
}

// waitFor waits until h has heard position seq and returns the last position heard. It
// gives up after a minute: a liveness guard, not a timing assertion (a store that never
// catches up fails its test rather than hanging the test binary).
func (h *heard) waitFor(seq int64) int64 {
	deadline := time.Now().Add(time.Minute)
	for h.last() < seq && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return h.last()
}

func (h *heard) last() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seqs) == 0 {
		return 0
	}
	return h.seqs[len(h.seqs)-1]
}

// openInstances opens n stores on one fresh database, as n Tack instances would be.
func openInstances(t testing.TB, n int, o OpenOptions) []*Store {
	t.Helper()
	db := freshDatabase(t)
	o.PasswordCost = bcrypt.MinCost
	stores := make([]*Store, n)
	for i := range stores {
		s, err := OpenWith(context.Background(), db, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	return stores
}

// register appends one user in its own write transaction on s, sleeping up to
// maxSleep inside it after the append (as TestPositionsAreDenseAndCommitOrdered does).
func register(ctx context.Context, s *Store, maxSleep time.Duration, name string) ([]Event, error) {
	id := newID()
	return s.writeTx(ctx, func(w *writer) error {
		if _, err := w.append(userStream(id), 0, id, &UserRegistered{Email: id + "@test.tack", Name: name}); err != nil {
			return err
		}
		if maxSleep > 0 {
			time.Sleep(rand.N(maxSleep))
		}
		return nil
	})
}

// TestEveryInstanceHearsEveryPosition is issue 13's ordering test: three stores on one
// database, 50 writers spread over them released together each round, each sleeping a
// random moment inside its transaction; midway, one store's listening connection is
// killed (pg_terminate_backend) while the writers run, and comes back. Every store's
// listener must be given every position exactly once, in order, without a hole, up to
// the final head.
//
// "notify" polls once an hour: only the notifications (and the catch-up after the
// listening connection reconnects) can bring other instances' commits, so a missed
// one hangs the test. "poll" has notifications off and polls every 50 ms.
func TestEveryInstanceHearsEveryPosition(t *testing.T) {
	requirePostgres(t)
	for _, mode := range []struct {
		name string
		o    OpenOptions
	}{
		{"notify", OpenOptions{PollInterval: time.Hour}},
		{"poll", OpenOptions{NoNotify: true, PollInterval: 50 * time.Millisecond}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			stores := openInstances(t, 3, mode.o)
			start := stores[0].follow.last()
			hs := make([]*heard, len(stores))
			for i, s := range stores {
				if got := s.follow.last(); got != start {
					t.Fatalf("store %d starts at position %d, store 0 at %d", i, got, start)
				}
				hs[i] = listenTo(s, start)
			}
			victim := stores[1].follow
			killedPID := victim.listenPID.Load()
			if mode.o.NoNotify != (killedPID == 0) {
				t.Fatalf("listening connection pid %d with NoNotify %v", killedPID, mode.o.NoNotify)
			}

			const rounds, writers = 20, 50
			for round := range rounds {
				release := make(chan struct{})
				var wg sync.WaitGroup
				for i := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-release
						if _, err := register(ctx, stores[i%len(stores)], 1500*time.Microsecond, fmt.Sprint("r", round, "w", i)); err != nil {
							t.Errorf("round %d writer %d: %v", round, i, err)
						}
					}()
				}
				if round == rounds/2 && killedPID != 0 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-release
						time.Sleep(rand.N(2 * time.Millisecond))
						var killed bool
						if err := stores[0].read.GetContext(ctx, &killed, `SELECT pg_terminate_backend(?)`, killedPID); err != nil || !killed {
							t.Errorf("kill the listening connection %d: %v, %v", killedPID, killed, err)
						}
					}()
				}
				close(release)
				wg.Wait()
			}
			var head int64
			if err := stores[2].read.GetContext(ctx, &head, `SELECT MAX(seq) FROM events`); err != nil {
				t.Fatal(err)
			}
			if head != start+rounds*writers {
				t.Fatalf("head %d after %d commits from %d", head, rounds*writers, start)
			}
			for i, h := range hs {
				if got := h.waitFor(head); got < head {
					t.Errorf("store %d heard up to position %d of %d", i, got, head)
				}
			}
			want := make([]int64, 0, head-start)
			for seq := start + 1; seq <= head; seq++ {
				want = append(want, seq)
			}
			for i, h := range hs {
				h.mu.Lock()
				if len(h.wrong) > 0 || !slices.Equal(h.seqs, want) {
					t.Errorf("store %d heard %d positions (want %d, %d..%d): %v", i, len(h.seqs), len(want), start+1, head, h.wrong)
				}
				t.Logf("store %d heard %d positions in %d batches", i, len(h.seqs), h.batches)
				h.mu.Unlock()
			}
			if killedPID != 0 {
				if n := victim.connects.Load(); n < 2 {
					t.Errorf("the killed listening connection connected %d times, want a reconnection", n)
				}
				if pid := victim.listenPID.Load(); pid == killedPID {
					t.Errorf("the listening connection is still backend %d, which was killed", pid)
				}
			}
		})
	}
}

// TestRemoteCommitBeforeLocalOne: another instance commits position n+1 and this one
// n+2 before this one's follower has read n+1 (polling is off for the test's length
// and notifications are not sent): this store's listener must still be given n+1
// before n+2, each once, and before its writeTx returns.
func TestRemoteCommitBeforeLocalOne(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	stores := openInstances(t, 2, OpenOptions{NoNotify: true, PollInterval: time.Hour})
	local, remote := stores[0], stores[1]
	start := local.follow.last()
	h := listenTo(local, start)
	for round := range 20 {
		r, err := register(ctx, remote, 0, fmt.Sprint("remote ", round))
		if err != nil {
			t.Fatal(err)
		}
		l, err := register(ctx, local, 0, fmt.Sprint("local ", round))
		if err != nil {
			t.Fatal(err)
		}
		if r[0].Seq+1 != l[0].Seq {
			t.Fatalf("round %d: remote position %d, local %d", round, r[0].Seq, l[0].Seq)
		}
		if got := h.last(); got != l[0].Seq {
			t.Fatalf("round %d: when the local write returned, its listener had heard up to %d, want %d", round, got, l[0].Seq)
		}
	}
	h.wantInOrder(t, 40)
}

// TestReconnectedListenerCatchesUp: while a store's listening connection is down,
// another store commits (its notification is lost); once the connection is back, the
// store reads what it missed without waiting for another commit or a poll.
func TestReconnectedListenerCatchesUp(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	stores := openInstances(t, 2, OpenOptions{PollInterval: time.Hour})
	victim := stores[1].follow
	h := listenTo(stores[1], victim.last())
	for round := range 20 {
		gate := make(chan struct{})
		victim.reconnectGate.Store(&gate)
		pid := victim.listenPID.Load()
		var killed bool
		if err := stores[0].read.GetContext(ctx, &killed, `SELECT pg_terminate_backend(?)`, pid); err != nil || !killed {
			t.Fatalf("round %d: kill the listening connection %d: %v, %v", round, pid, killed, err)
		}
		for victim.listenPID.Load() == pid { // until the listener has seen its connection fail
			time.Sleep(time.Millisecond)
		}
		evs, err := register(ctx, stores[0], 0, fmt.Sprint("while down ", round))
		if err != nil {
			t.Fatal(err)
		}
		if got := h.last(); got >= evs[0].Seq {
			t.Fatalf("round %d: position %d heard with the listening connection down", round, got)
		}
		close(gate)
		if got := h.waitFor(evs[0].Seq); got != evs[0].Seq {
			t.Fatalf("round %d: heard up to position %d after reconnecting, want %d", round, got, evs[0].Seq)
		}
	}
	h.wantInOrder(t, 20)
}

// TestCloseStopsTheFollower: Close ends the follower's goroutines and its listening
// connection (the database has no other session of this store left).
func TestCloseStopsTheFollower(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	stores := openInstances(t, 2, OpenOptions{})
	pid := stores[1].follow.listenPID.Load()
	if pid == 0 {
		t.Fatal("no listening connection")
	}
	if err := stores[1].Close(); err != nil {
		t.Fatal(err)
	}
	var n int
	// The server ends the backend once it reads the Terminate message; wait for that.
	for range 500 {
		if err := stores[0].read.GetContext(ctx, &n, `SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?`, pid); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n != 0 {
		t.Errorf("the listening connection (backend %d) is still open after Close", pid)
	}
}

// defaultModes are the two ways a store follows the log, at the default poll interval.
var defaultModes = []struct {
	name string
	o    OpenOptions
}{
	{"notify", OpenOptions{}},
	{"poll", OpenOptions{NoNotify: true}},
}

// BenchmarkFollowLatency: commits on store A, at random moments 0–40 ms apart, each
// timed from writeTx's return to its arrival at store B's listener; reports the median
// (and 90th percentile) in ms, with notifications and with polling only (every 1 s, the
// default). Run with -benchtime=60x or more.
func BenchmarkFollowLatency(b *testing.B) {
	requirePostgres(b)
	for _, mode := range defaultModes {
		b.Run(mode.name, func(b *testing.B) {
			ctx := context.Background()
			stores := openInstances(b, 2, mode.o)
			a, bb := stores[0], stores[1]
			var mu sync.Mutex
			arrived := map[int64]time.Time{}
			all := make(chan struct{})
			want := 0
			bb.Listen(func(evs []Event) {
				now := time.Now()
				mu.Lock()
				defer mu.Unlock()
				for _, e := range evs {
					arrived[e.Seq] = now
				}
				if want > 0 && len(arrived) == want {
					close(all)
				}
			})
			committed := map[int64]time.Time{}
			b.ResetTimer()
			for i := range b.N {
				time.Sleep(rand.N(40 * time.Millisecond))
				evs, err := register(ctx, a, 0, fmt.Sprint("u", i))
				if err != nil {
					b.Fatal(err)
				}
				committed[evs[0].Seq] = time.Now()
			}
			mu.Lock()
			want = b.N
			done := len(arrived) == want
			mu.Unlock()
			if !done {
				<-all
			}
			b.StopTimer()
			mu.Lock()
			defer mu.Unlock()
			lat := make([]float64, 0, len(committed))
			for seq, at := range committed {
				lat = append(lat, float64(arrived[seq].Sub(at).Microseconds())/1000)
			}
			slices.Sort(lat)
			b.ReportMetric(lat[len(lat)/2], "median-ms")
			b.ReportMetric(lat[len(lat)*9/10], "p90-ms")
		})
	}
}

// BenchmarkCommitNotify: what the NOTIFY costs a write: one-event write transactions
// one after another on one store, with notifications and with polling only.
func BenchmarkCommitNotify(b *testing.B) {
	requirePostgres(b)
	for _, mode := range defaultModes {
		b.Run(mode.name, func(b *testing.B) {
			ctx := context.Background()
			s := openInstances(b, 1, mode.o)[0]
			b.ResetTimer()
			for i := range b.N {
				if _, err := register(ctx, s, 0, fmt.Sprint("u", i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestInstancesStartingAtOnceMigrateOnce: several stores opened at the same instant on
// one empty PostgreSQL database (instances started together) all open; the first to take
// goose's session lock migrates, the others find the schema done. 10 rounds.
func TestInstancesStartingAtOnceMigrateOnce(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	for round := range 10 {
		db, drop, err := pg.CreateDatabase(ctx, "template0")
		if err != nil {
			t.Fatal(err)
		}
		const n = 3
		errs := make([]error, n)
		stores := make([]*Store, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				stores[i], errs[i] = OpenWith(ctx, db, OpenOptions{PasswordCost: bcrypt.MinCost})
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: instance %d: %v", round, i, err)
			}
		}
		for _, s := range stores {
			if s != nil {
				if _, err := s.RegisterUser(ctx, NewUser{Email: fmt.Sprintf("u%d-%s@test.tack", round, newID()), Name: "U", Password: "password-1"}); err != nil {
					t.Errorf("round %d: a write after opening: %v", round, err)
				}
				s.Close()
			}
		}
		if err := drop(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			return
		}
	}
}
