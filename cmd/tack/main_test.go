package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"golang.org/x/crypto/bcrypt"

	"github.com/tack-pm/tack/store"
)

// testOpen are the store options of commands under test: cheap password hashes.
var testOpen = store.OpenOptions{PasswordCost: bcrypt.MinCost}

// runTack runs one command line and returns its exit code and outputs.
func runTack(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	c := &cli{stdin: stdin, stdout: &out, stderr: &errOut, open: testOpen}
	code = c.run(context.Background(), args)
	return code, out.String(), errOut.String()
}

// seededDB returns the path of a new database file holding the demo workspace.
func seededDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tack.db")
	st, err := store.OpenWith(ctx, path, testOpen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// openSQL opens the database file directly, as the sqlite3 shell would.
func openSQL(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestUserAdd(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "users.db")

	code, out, errOut := runTack(t, nil, "user", "add", "-db", db, "-create", "-email", "Dora@Example.com", "-name", "Dora Explorer", "-password", "dora-password")
	if code != 0 {
		t.Fatalf("user add: exit %d; stderr: %s", code, errOut)
	}
	if !strings.Contains(out, "Created user Dora Explorer <dora@example.com>") {
		t.Errorf("user add printed %q", out)
	}

	code, _, errOut = runTack(t, nil, "user", "add", "-db", db, "-email", "dora@example.com", "-name", "Dora Again", "-password", "another-password")
	if code != 2 || !strings.Contains(errOut, "already exists") {
		t.Errorf("duplicate user add: exit %d, stderr %q; want 2 and \"already exists\"", code, errOut)
	}

	code, _, errOut = runTack(t, strings.NewReader("secret-password\n"), "user", "add", "-db", db, "-email", "stdin@example.com", "-name", "Stdin User")
	if code != 0 {
		t.Fatalf("user add with stdin password: exit %d; stderr: %s", code, errOut)
	}

	code, _, errOut = runTack(t, strings.NewReader("short\n"), "user", "add", "-db", db, "-email", "short@example.com", "-name", "Short")
	if code != 2 || !strings.Contains(errOut, "at least 8") {
		t.Errorf("short password: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runTack(t, strings.NewReader(""), "user", "add", "-db", db, "-email", "none@example.com", "-name", "None")
	if code != 2 || !strings.Contains(errOut, "no password") {
		t.Errorf("no password: exit %d, stderr %q", code, errOut)
	}

	ctx := context.Background()
	st, err := store.OpenWith(ctx, db, testOpen)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for email, password := range map[string]string{"dora@example.com": "dora-password", "stdin@example.com": "secret-password"} {
		if _, err := st.Authenticate(ctx, email, password); err != nil {
			t.Errorf("sign in as %s: %v", email, err)
		}
	}
	if _, err := st.Authenticate(ctx, "stdin@example.com", "secret-password\n"); err == nil {
		t.Errorf("the newline read from stdin became part of the password")
	}
	for _, email := range []string{"short@example.com", "none@example.com"} {
		if _, err := st.UserByEmail(ctx, email); store.ErrorCode(err) != store.ENOTFOUND {
			t.Errorf("refused user %s exists (err %v)", email, err)
		}
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	db := seededDB(t)

	code, out, errOut := runTack(t, nil, "replay", "-db", db)
	if code != 0 || !strings.Contains(out, "result: identical") {
		t.Fatalf("replay of a fresh demo: exit %d\n%s%s", code, out, errOut)
	}

	sqlDB := openSQL(t, db)
	if _, err := sqlDB.Exec(`UPDATE tasks SET title = 'tampered' WHERE number = 1`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runTack(t, nil, "replay", "-db", db)
	if code != 1 {
		t.Errorf("replay of a tampered read model: exit %d, want 1; stderr: %s", code, errOut)
	}
	if !regexp.MustCompile(`(?m)^tasks\s.*differing`).MatchString(out) || !strings.Contains(out, "tampered") ||
		!strings.Contains(out, "result: DIFFERENT") {
		t.Errorf("replay output does not name the tampered tasks row:\n%s", out)
	}

	code, out, errOut = runTack(t, nil, "replay", "-db", db, "--fix")
	if code != 0 || !strings.Contains(out, "live read models replaced") {
		t.Errorf("replay --fix: exit %d\n%s%s", code, out, errOut)
	}
	var title string
	if err := sqlDB.QueryRow(`SELECT title FROM tasks WHERE number = 1`).Scan(&title); err != nil {
		t.Fatal(err)
	}
	if title != "Set up the project's CI pipeline" {
		t.Errorf("after --fix DEMO-1 title = %q", title)
	}

	code, out, errOut = runTack(t, nil, "replay", "-db", db)
	if code != 0 || !strings.Contains(out, "result: identical") {
		t.Errorf("replay after --fix: exit %d\n%s%s", code, out, errOut)
	}

	code, _, errOut = runTack(t, nil, "replay", "-db", filepath.Join(t.TempDir(), "missing.db"))
	if code != 2 || !strings.Contains(errOut, "no database") {
		t.Errorf("replay of a missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	t.Parallel()
	db := openSQL(t, seededDB(t))
	count := func() int {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	for _, stmt := range []string{
		`UPDATE events SET type = 'x'`,
		`DELETE FROM events`,
		`DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)`,
	} {
		_, err := db.Exec(stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only trigger's refusal", stmt, err)
		}
	}
	if after := count(); after != before {
		t.Errorf("events: %d rows, was %d", after, before)
	}
	var types int
	if err := db.QueryRow(`SELECT COUNT(*) FROM events WHERE type = 'x'`).Scan(&types); err != nil || types != 0 {
		t.Errorf("%d events got type x (err %v)", types, err)
	}
}

// lockedBuffer collects a command's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServe(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "serve.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, open: testOpen}
		done <- c.run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-db", db, "-demo"})
	}()
	// A cold build under -race on a busy machine can take long to start serving: wait
	// as long as the test may run, and fail with the output before the test times out.
	wait := waitContext(t)

	serving := regexp.MustCompile(`Tack is serving (http://\S+)`)
	var base string
	for base == "" {
		if m := serving.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before serving\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
		case <-wait.Done():
			cancel()
			t.Fatalf("serve did not print its address before the test's deadline\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if strings.HasSuffix(base, ":0") {
		t.Fatalf("serve printed the requested address %s, not the one it listens on", base)
	}

	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", res.StatusCode, body)
	}

	out := stdout.String()
	if !strings.Contains(out, "Created the demo workspace") {
		t.Errorf("stdout does not say the demo was created:\n%s", out)
	}
	for _, u := range store.DemoUsers {
		if !strings.Contains(out, u.Email) || !strings.Contains(out, u.Password) {
			t.Errorf("stdout does not list demo account %s:\n%s", u.Email, out)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited with %d after cancel, want 0\nstderr: %s", code, stderr.String())
		}
	case <-wait.Done():
		t.Fatal("serve did not shut down before the test's deadline")
	}
	if !strings.Contains(stdout.String(), "Shutting down") {
		t.Errorf("serve did not report shutting down:\n%s", stdout.String())
	}
	if _, err := client.Get(base + "/healthz"); err == nil {
		t.Errorf("server still answers after shutdown")
	}
}

// waitContext is done a little before the test's deadline (go test -timeout), so that a
// test waiting for a process can still report what it saw; without a deadline, when the
// test ends.
func waitContext(t *testing.T) context.Context {
	t.Helper()
	deadline, ok := t.Deadline()
	if !ok {
		return t.Context()
	}
	margin := min(10*time.Second, time.Until(deadline)/10)
	ctx, cancel := context.WithDeadline(t.Context(), deadline.Add(-margin))
	t.Cleanup(cancel)
	return ctx
}
