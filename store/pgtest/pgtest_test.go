package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mustStart starts a server for the test, stopped at its end.
func mustStart(t *testing.T) *Server {
	t.Helper()
	s, err := Start()
	if errors.Is(err, ErrNoBinaries) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func TestServer(t *testing.T) {
	s := mustStart(t)
	ctx := context.Background()
	err := s.CreateTemplate(ctx, "tmpl", func(url string) error {
		db, err := sql.Open("pgx", url)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec(`CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		url, drop, err := s.CreateDatabase(ctx, "tmpl")
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		var x int
		if err := db.QueryRow(`SELECT x FROM t`).Scan(&x); err != nil || x != 7 {
			t.Fatalf("copy of the template: x = %d, %v; want 7", x, err)
		}
		if _, err := db.Exec(`INSERT INTO t VALUES (8)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := drop(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestServerDiesWithTheBinary: a test binary that panics with its server running
// leaves no PostgreSQL process behind.
func TestServerDiesWithTheBinary(t *testing.T) {
	if os.Getenv("PGTEST_PANIC") == "1" {
		s, err := Start()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("postmaster %d %s\n", s.cmd.Process.Pid, s.dir)
		panic("a test panics with its server running")
	}
	if _, err := findBinaries(); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithTheBinary$", "-test.v")
	cmd.Env = append(os.Environ(), "PGTEST_PANIC=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the panicking binary exited 0:\n%s", out)
	}
	var pid int
	var dir string
	for _, line := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(line, "postmaster %d %s", &pid, &dir); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("the binary did not start its server:\n%s", out)
	}
	defer os.RemoveAll(dir)
	for i := 0; syscall.Kill(pid, 0) == nil; i++ {
		if i == 1000 {
			t.Fatalf("postmaster %d still runs 10 s after its test binary died", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSupply(t *testing.T) {
	s := mustStart(t)
	ctx := context.Background()
	if err := s.CreateTemplate(ctx, "tmpl", func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	p := s.Supply("tmpl", 2)
	seen := map[string]bool{}
	for range 5 {
		url, done, err := p.Take()
		if err != nil {
			t.Fatal(err)
		}
		if seen[url] {
			t.Fatalf("%s handed out twice", url)
		}
		seen[url] = true
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`CREATE TABLE mine (x INTEGER)`); err != nil {
			t.Fatalf("a copy is not fresh: %v", err)
		}
		done() // with the connection still open: dropped anyway
		defer db.Close()
	}
	p.Close()
	var left int
	if err := s.admin.QueryRow(`SELECT COUNT(*) FROM pg_database WHERE datname ~ '^t[0-9]+$'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d copies left after Close, %v", left, err)
	}
}
