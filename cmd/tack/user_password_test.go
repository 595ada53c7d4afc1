package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"

	"github.com/tack-pm/tack/store"
)

// user password sets the password (from a flag or standard input), under the
// registration rules, and ends the account's sessions but no one else's.
func TestUserPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := seededDB(t)
	// Two sessions of Ben's and one of Ana's, as the web app stores them.
	sessions := sqlite3store.NewWithCleanupInterval(openSQL(t, db), 0)
	st, err := store.OpenWith(ctx, db, testOpen)
	if err != nil {
		t.Fatal(err)
	}
	ben, err := st.UserByEmail(ctx, "ben@demo.tack")
	if err != nil {
		t.Fatal(err)
	}
	ana, err := st.UserByEmail(ctx, "ana@demo.tack")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for token, id := range map[string]string{"ben-laptop": ben.ID, "ben-phone": ben.ID, "ana-laptop": ana.ID} {
		deadline := time.Now().Add(time.Hour)
		b, err := scs.GobCodec{}.Encode(deadline, map[string]any{"user_id": id})
		if err != nil {
			t.Fatal(err)
		}
		if err := sessions.Commit(token, b, deadline); err != nil {
			t.Fatal(err)
		}
	}

	code, out, errOut := runTack(t, nil, "user", "password", "-db", db, "-email", "BEN@demo.tack", "-password", "ben-new-password")
	if code != 0 || errOut != "" || !strings.Contains(out, "Password set for Ben") || !strings.Contains(out, "2 sessions ended") {
		t.Fatalf("user password: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for token, want := range map[string]bool{"ben-laptop": false, "ben-phone": false, "ana-laptop": true} {
		if _, found, err := sessions.Find(token); err != nil || found != want {
			t.Errorf("session %s: found %v (%v), want %v", token, found, err, want)
		}
	}

	code, out, errOut = runTack(t, strings.NewReader("piped-new-password\nnot it\n"), "user", "password", "-db", db, "-email", "ben@demo.tack")
	if code != 0 || errOut != "" || !strings.Contains(out, "0 sessions ended") {
		t.Errorf("user password from stdin: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, tc := range []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"short password", "", []string{"-email", "ben@demo.tack", "-password", "short"}, 2, "at least 8"},
		{"no password", "", []string{"-email", "ben@demo.tack"}, 2, "no password given"},
		{"unknown email", "", []string{"-email", "nobody@demo.tack", "-password", "long-enough"}, 2, "No account uses nobody@demo.tack"},
		{"no email", "", []string{"-password", "long-enough"}, 2, "-email is required"},
	} {
		code, out, errOut := runTack(t, strings.NewReader(tc.stdin), append([]string{"user", "password", "-db", db}, tc.args...)...)
		if code != tc.code || out != "" || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d and %q", tc.name, code, out, errOut, tc.code, tc.stderr)
		}
	}

	st, err = store.OpenWith(ctx, db, testOpen)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(ctx, "ben@demo.tack", "piped-new-password"); err != nil {
		t.Errorf("the new password does not sign in: %v", err)
	}
	for _, old := range []string{"ben-new-password", "short", "tack-demo-ben"} {
		if _, err := st.Authenticate(ctx, "ben@demo.tack", old); err == nil {
			t.Errorf("password %q still signs in", old)
		}
	}
}

// user password never creates a database: a mistyped -db is a usage error.
func TestUserPasswordRefusesAMissingDatabase(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "typo.db")
	code, out, errOut := runTack(t, nil, "user", "password", "-db", db, "-email", "ben@demo.tack", "-password", "long-enough")
	if code != 2 || out != "" || !strings.Contains(errOut, "no database at "+db) {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and no database", code, out, errOut)
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("user password created %s", db)
	}
}
