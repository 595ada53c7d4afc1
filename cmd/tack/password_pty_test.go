//go:build linux

package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/tack-pm/tack/store"
)

// From a terminal, the password is asked for and not echoed.
func TestPasswordPromptDoesNotEcho(t *testing.T) {
	t.Parallel()
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	defer master.Close()
	var screen lockedBuffer // what the terminal shows
	copied := make(chan struct{})
	go func() {
		io.Copy(&screen, master)
		close(copied)
	}()

	db := filepath.Join(t.TempDir(), "tty.db")
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		c := &cli{stdin: tty, stdout: &stdout, stderr: &stderr, open: testOpen}
		done <- c.run(context.Background(), []string{"user", "add", "-db", db, "-create", "-email", "tia@example.com", "-name", "Tia"})
	}()

	// Type only once the terminal no longer echoes: typed earlier, it would echo.
	wait := waitContext(t)
	for {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("user add exited with %d before reading a password; stderr %q", code, stderr.String())
		case <-wait.Done():
			t.Fatalf("the terminal still echoes at the test's deadline; stderr %q", stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	const password = "typed-on-a-tty"
	if _, err := master.WriteString(password + "\n"); err != nil {
		t.Fatal(err)
	}
	var code int
	select {
	case code = <-done:
	case <-wait.Done():
		t.Fatal("user add did not finish before the test's deadline")
	}
	tty.Close()
	<-copied

	if code != 0 || !strings.Contains(stdout.String(), "Created user Tia") {
		t.Fatalf("user add from a terminal: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if !strings.HasPrefix(stderr.String(), "Password: ") {
		t.Errorf("stderr %q does not start with the prompt", stderr.String())
	}
	if strings.Contains(screen.String(), password) {
		t.Errorf("the terminal echoed the password: %q", screen.String())
	}
	st, err := store.OpenWith(context.Background(), db, testOpen)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(context.Background(), "tia@example.com", password); err != nil {
		t.Errorf("the typed password does not sign in: %v", err)
	}
}
