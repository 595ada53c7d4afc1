package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// mustOpenStore opens a store on a fresh SQLite file with a controllable clock.
func mustOpenStore(t testing.TB) *Store {
	t.Helper()
	s, err := OpenWith(context.Background(), filepath.Join(t.TempDir(), "tack.db"), OpenOptions{PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	clock := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	}
	return s
}

func TestSeedDemoReplaysIdentically(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	created, err := s.SeedDemo(ctx)
	if err != nil || !created {
		t.Fatalf("SeedDemo = %v, %v; want true, nil", created, err)
	}
	again, err := s.SeedDemo(ctx)
	if err != nil || again {
		t.Fatalf("second SeedDemo = %v, %v; want false, nil", again, err)
	}
	rep, err := s.Replay(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Identical() {
		t.Fatalf("replay differs:\n%s", rep)
	}
	if min := len(DemoUsers) + len(demoTasks); rep.Events < min {
		t.Errorf("replay read %d events, want at least %d", rep.Events, min)
	}
	t.Log(rep)
}
