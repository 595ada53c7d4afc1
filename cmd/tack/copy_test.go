package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tack-pm/tack/store"
	"github.com/tack-pm/tack/store/pgtest"
)

// TestCopy runs tack copy through the command line into a PostgreSQL database fresh
// from createdb: it copies and verifies, tack replay on the result exits 0, tack serve
// would find the demo's users, and a second copy into it is refused with exit 1 and a
// message saying why. Without PostgreSQL installed it is skipped, except under CI=true.
func TestCopy(t *testing.T) {
	srv, err := pgtest.Start()
	if err != nil {
		if errors.Is(err, pgtest.ErrNoBinaries) && os.Getenv("CI") != "true" {
			t.Skipf("no PostgreSQL: %v", err)
		}
		t.Fatal(err)
	}
	defer srv.Stop()
	ctx := context.Background()
	emptyDB := func(t *testing.T) string {
		url, drop, err := srv.CreateDatabase(ctx, "template0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { drop() })
		return url
	}
	src := seededDB(t)

	t.Run("copy, replay, refuse again", func(t *testing.T) {
		target := emptyDB(t)
		code, out, errOut := runTack(t, nil, "copy", "-from", src, "-to", target)
		if code != 0 {
			t.Fatalf("tack copy: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
		t.Logf("tack copy:\n%s%s", errOut, out)
		for _, want := range []string{"events ", "credentials", "sessions", "api_tokens", "rebuilt from the events",
			"verified: the target's log equals the source's", "verified: replay on the target", "read models identical"} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
		for _, want := range []string{"tack copy: copy events: ", "tack copy: rebuild read models: "} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks progress %q:\n%s", want, errOut)
			}
		}

		code, out, errOut = runTack(t, nil, "replay", "-db", target)
		if code != 0 || !strings.Contains(out, "result: identical") {
			t.Fatalf("tack replay -db target: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
		st, err := store.OpenWith(ctx, target, testOpen)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Authenticate(ctx, store.DemoUsers[0].Email, store.DemoUsers[0].Password); err != nil {
			t.Errorf("sign in on the target: %v", err)
		}
		st.Close()

		before, _ := runTackReplay(t, target)
		code, out, errOut = runTack(t, nil, "copy", "-from", src, "-to", target)
		if code != 1 || out != "" {
			t.Errorf("second copy: exit %d, stdout %q; want 1 and nothing", code, out)
		}
		t.Logf("second copy: exit %d, stderr: %s", code, errOut)
		for _, want := range []string{"is not empty", "holds rows in", "events", "nothing was changed"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("refusal %q lacks %q", errOut, want)
			}
		}
		if after, _ := runTackReplay(t, target); after != before {
			t.Errorf("the refused target changed: replay before\n%s\nafter\n%s", before, after)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		target := emptyDB(t)
		for _, tc := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"-from", src}, 2, "-to is required"},
			{[]string{"-from", src, "-to", filepath.Join(t.TempDir(), "x.db")}, 2, "-to must be a PostgreSQL URL"},
			{[]string{"-from", target, "-to", target}, 2, "-from must be an SQLite database file"},
			{[]string{"-from", filepath.Join(t.TempDir(), "missing.db"), "-to", target}, 2, "missing.db"},
			{[]string{"-from", src, "-to", target, "extra"}, 2, `unexpected argument "extra"`},
		} {
			code, out, errOut := runTack(t, nil, append([]string{"copy"}, tc.args...)...)
			if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("tack copy %q: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out, errOut, tc.code, tc.want)
			}
		}
		// None of them touched the target: a copy into it still works.
		if code, out, errOut := runTack(t, nil, "copy", "-from", src, "-to", target); code != 0 {
			t.Errorf("copy after the usage errors: exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("help", func(t *testing.T) {
		code, out, errOut := runTack(t, nil, "help", "copy")
		if code != 0 || errOut != "" || !strings.Contains(out, "Usage: tack copy") || !strings.Contains(out, "-to") {
			t.Errorf("tack help copy: exit %d\n%s%s", code, out, errOut)
		}
		_, usageText, _ := runTack(t, nil, "--help")
		if !strings.Contains(usageText, "tack copy    [-from ./data/tack.db] -to postgres://") {
			t.Errorf("the usage lacks tack copy:\n%s", usageText)
		}
	})
}

// runTackReplay runs tack replay on db and returns its report and exit code.
func runTackReplay(t *testing.T, db string) (string, int) {
	t.Helper()
	code, out, _ := runTack(t, nil, "replay", "-db", db)
	return out, code
}

// The progress lines: one per report, the rate of each stage counted from the end of
// the one before.
func TestCopyProgress(t *testing.T) {
	clock := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	progress := copyProgress(&out, func() time.Time { return clock })
	clock = clock.Add(time.Second)
	progress("copy events", 10_000, 25_000)
	clock = clock.Add(time.Second)
	progress("copy events", 20_000, 25_000)
	clock = clock.Add(500 * time.Millisecond)
	progress("copy events", 25_000, 25_000)
	clock = clock.Add(2 * time.Second)
	progress("rebuild read models", 10_000, 25_000)
	want := `tack copy: copy events: 10000 of 25000 events (40%), 10000 events/s
tack copy: copy events: 20000 of 25000 events (80%), 10000 events/s
tack copy: copy events: 25000 of 25000 events (100%), 10000 events/s
tack copy: rebuild read models: 10000 of 25000 events (40%), 5000 events/s
`
	if out.String() != want {
		t.Errorf("progress:\n%s\nwant:\n%s", out.String(), want)
	}
}
