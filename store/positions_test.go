package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestPositionsAreDenseAndCommitOrdered: writers on two stores of one database (as two
// instances of Tack would be), released together each round, each sleeping a random
// moment inside its transaction after appending, while a reader on one of them keeps
// asking for the events after the last position it saw. The reader must see every
// position exactly once, in order, without a hole: on PostgreSQL a position handed out
// at insert time but committed after a higher one would be passed over for good.
func TestPositionsAreDenseAndCommitOrdered(t *testing.T) {
	ctx := context.Background()
	db := freshDatabase(t)
	var stores [2]*Store
	for i := range stores {
		s, err := OpenWith(ctx, db, OpenOptions{PasswordCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	const rounds, writers, appends = 20, 6, 2
	var start int64
	if evs, err := stores[0].Events(ctx, 0, 1000); err != nil {
		t.Fatal(err)
	} else if len(evs) > 0 {
		start = evs[len(evs)-1].Seq
	}
	want := start + rounds*int64(len(stores)*writers*appends)

	done := make(chan struct{})
	seen := make(chan []int64, 1)
	go func() {
		var got []int64
		defer func() { seen <- got }()
		last := start
		for {
			finished := false
			select {
			case <-done:
				finished = true
			default:
			}
			evs, err := stores[1].Events(ctx, last, 50)
			if err != nil {
				t.Error(err)
				return
			}
			for _, e := range evs {
				got = append(got, e.Seq)
				last = e.Seq
			}
			if finished && len(evs) == 0 {
				return
			}
		}
	}()

	for round := range rounds {
		release := make(chan struct{})
		var wg sync.WaitGroup
		for i := range len(stores) * writers {
			s := stores[i%len(stores)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-release
				for a := range appends {
					id := newID()
					_, err := s.writeTx(ctx, func(w *writer) error {
						if _, err := w.append(userStream(id), 0, id, &UserRegistered{Email: id + "@test.tack", Name: fmt.Sprint("r", round, "w", i, "a", a)}); err != nil {
							return err
						}
						time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond)
						return nil
					})
					if err != nil {
						t.Errorf("round %d writer %d: %v", round, i, err)
					}
				}
			}()
		}
		close(release)
		wg.Wait()
	}
	close(done)
	got := <-seen
	for i, seq := range got {
		if seq != start+int64(i)+1 {
			t.Fatalf("the reader saw position %d after %d: positions %v…", seq, start+int64(i), got[max(0, i-3):min(len(got), i+3)])
		}
	}
	if int64(len(got)) != want-start {
		t.Fatalf("the reader saw %d positions, %d were appended", len(got), want-start)
	}
}
