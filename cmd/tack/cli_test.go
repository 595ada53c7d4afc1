package main

import (
	"bytes"
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/tack-pm/tack/migrations"
	"github.com/tack-pm/tack/store"
)

// Help goes to stdout with exit 0, in every form it is asked for; usage errors go to
// stderr with exit 2 and leave stdout empty.
func TestHelpAndErrorStreams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		out  []string // on stdout when code is 0, on stderr otherwise
	}{
		{[]string{"--help"}, 0, []string{"Usage:", "tack serve", "Exit status"}},
		{[]string{"-h"}, 0, []string{"Usage:"}},
		{[]string{"-help"}, 0, []string{"Usage:"}},
		{[]string{"help"}, 0, []string{"Usage:", "tack token create"}},
		{[]string{"help", "help"}, 0, []string{"Usage:"}},
		{[]string{"help", "serve"}, 0, []string{"Usage: tack serve", "-secure-cookies", "-addr"}},
		{[]string{"serve", "-h"}, 0, []string{"Usage: tack serve", "-demo"}},
		{[]string{"serve", "--help"}, 0, []string{"Usage: tack serve"}},
		{[]string{"help", "migrate"}, 0, []string{"Usage: tack migrate"}},
		{[]string{"help", "replay"}, 0, []string{"Usage: tack replay", "-fix", "read-only"}},
		{[]string{"replay", "-h"}, 0, []string{"Usage: tack replay"}},
		{[]string{"help", "user"}, 0, []string{"tack user add", "tack user password"}},
		{[]string{"user", "password", "-h"}, 0, []string{"Usage: tack user password", "-email", "-password", "end its sessions"}},
		{[]string{"user", "-h"}, 0, []string{"tack user add"}},
		{[]string{"user", "add", "-h"}, 0, []string{"tack user add", "-create", "-password"}},
		{[]string{"help", "token"}, 0, []string{"tack token create"}},
		{[]string{"token", "create", "--help"}, 0, []string{"tack token create", "-email"}},
		{[]string{"help", "version"}, 0, []string{"Usage: tack version"}},
		{[]string{"version", "-h"}, 0, []string{"Usage: tack version"}},

		{nil, 2, []string{"Usage:"}},
		{[]string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`, "Usage:"}},
		{[]string{"help", "frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{[]string{"replay", "-nope"}, 2, []string{"flag provided but not defined: -nope", "Usage: tack replay"}},
		{[]string{"serve", "-addr"}, 2, []string{"flag needs an argument: -addr"}},
		{[]string{"serve", "-signup", "maybe"}, 2, []string{"-signup must be open or closed"}},
		{[]string{"replay", "stray.db"}, 2, []string{`unexpected argument "stray.db"`, "Usage: tack replay"}},
		{[]string{"user"}, 2, []string{"Usage: tack user add", "tack user password"}},
		{[]string{"user", "password", "-nope"}, 2, []string{"flag provided but not defined: -nope", "Usage: tack user password"}},
		{[]string{"token", "revoke"}, 2, []string{"Usage: tack token create"}},
		{[]string{"version", "extra"}, 2, []string{`unexpected argument "extra"`}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runTack(t, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			want, other, wantName, otherName := out, errOut, "stdout", "stderr"
			if tc.code != 0 {
				want, other, wantName, otherName = errOut, out, "stderr", "stdout"
			}
			for _, w := range tc.out {
				if !strings.Contains(want, w) {
					t.Errorf("%s does not contain %q:\n%s", wantName, w, want)
				}
			}
			if other != "" {
				t.Errorf("%s = %q, want nothing", otherName, other)
			}
		})
	}
}

// The top-level usage names every flag of every command.
func TestUsageListsEveryFlag(t *testing.T) {
	t.Parallel()
	_, usageText, _ := runTack(t, nil, "--help")
	flagLine := regexp.MustCompile(`(?m)^  -(\S+)`)
	for _, cmd := range [][]string{{"serve"}, {"migrate"}, {"replay"}, {"user", "add"}, {"user", "password"}, {"token", "create"}} {
		code, help, _ := runTack(t, nil, append(cmd, "-h")...)
		flags := flagLine.FindAllStringSubmatch(help, -1)
		if code != 0 || len(flags) == 0 {
			t.Fatalf("%s -h: exit %d, flags %v", cmd, code, flags)
		}
		synopsis := regexp.MustCompile(`(?m)^  tack ` + strings.Join(cmd, " ") + `\b.*$`).FindString(usageText)
		for _, f := range flags {
			if !strings.Contains(synopsis, "-"+f[1]) {
				t.Errorf("the usage line %q does not list %s's flag -%s", synopsis, strings.Join(cmd, " "), f[1])
			}
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "--version"} {
		code, out, errOut := runTack(t, nil, arg)
		if code != 0 || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q", arg, code, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 3 || lines[0] != "tack "+version || !strings.HasPrefix(lines[1], "commit ") ||
			!strings.HasPrefix(lines[2], runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) {
			t.Errorf("%s printed %q; want the version, the commit and the Go version on three lines", arg, out)
		}
	}
	if version != "dev" {
		t.Errorf("without -ldflags the version is %q, want dev", version)
	}
}

func TestUserAddRefusesAMissingDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, db := range []string{filepath.Join(dir, "typo.db"), filepath.Join(dir, "nodir", "tack.db")} {
		code, out, errOut := runTack(t, nil, "user", "add", "-db", db, "-email", "eve@example.com", "-name", "Eve", "-password", "eve-password")
		if code != 2 || out != "" || !strings.Contains(errOut, "no database at "+db) || !strings.Contains(errOut, "-create") {
			t.Errorf("user add -db %s: exit %d, stdout %q, stderr %q; want 2 and a pointer to -create", db, code, out, errOut)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("user add created %s", db)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nodir")); err == nil {
		t.Errorf("user add created the directory of a missing database")
	}

	db := filepath.Join(dir, "nodir", "tack.db")
	code, out, errOut := runTack(t, nil, "user", "add", "-db", db, "-create", "-email", "eve@example.com", "-name", "Eve", "-password", "eve-password")
	if code != 0 || !strings.Contains(out, "Created user Eve") {
		t.Fatalf("user add -create: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runTack(t, nil, "user", "add", "-db", db, "-email", "fay@example.com", "-name", "Fay", "-password", "fay-password")
	if code != 0 {
		t.Errorf("user add into the created database: exit %d, stderr %q", code, errOut)
	}
}

// Without a terminal on stdin the password is the first line, and nothing is printed
// for it: no prompt in a pipeline, none for /dev/null.
func TestPasswordFromNonTerminalPrintsNoPrompt(t *testing.T) {
	t.Parallel()
	db := seededDB(t)
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	code, out, errOut := runTack(t, devNull, "user", "add", "-db", db, "-email", "gil@example.com", "-name", "Gil")
	if code != 2 || !strings.Contains(errOut, "no password given") || strings.Contains(errOut, "Password") || out != "" {
		t.Errorf("stdin /dev/null: exit %d, stdout %q, stderr %q; want 2, no prompt", code, out, errOut)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.WriteString("piped-password\nnot the password\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	code, out, errOut = runTack(t, r, "user", "add", "-db", db, "-email", "gil@example.com", "-name", "Gil")
	if code != 0 || errOut != "" || !strings.Contains(out, "Created user Gil") {
		t.Errorf("stdin a pipe: exit %d, stdout %q, stderr %q; want 0 and nothing on stderr", code, out, errOut)
	}
	st, err := store.OpenWith(context.Background(), db, testOpen)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(context.Background(), "gil@example.com", "piped-password"); err != nil {
		t.Errorf("the piped first line is not the password: %v", err)
	}
}

// replay opens the database read-only and leaves it as it was: a read-only copy works.
func TestReplayReadOnlyFile(t *testing.T) {
	t.Parallel()
	src := seededDB(t)
	dir := filepath.Join(t.TempDir(), "copy")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "tack.db")
	if err := os.WriteFile(db, data, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	before, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // so that a write would show in the modification time

	code, out, errOut := runTack(t, nil, "replay", "-db", db)
	if code != 0 || !strings.Contains(out, "result: identical") {
		t.Fatalf("replay of a read-only copy: exit %d\n%s%s", code, out, errOut)
	}
	after, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := os.ReadFile(db)
	if !bytes.Equal(now, data) || !after.ModTime().Equal(before.ModTime()) || after.Mode() != before.Mode() {
		t.Errorf("replay changed the read-only database (mtime %v → %v)", before.ModTime(), after.ModTime())
	}
	if fi, err := os.Stat(db + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("replay wrote %d bytes of log beside the read-only database", fi.Size())
	}
}

// An older schema: replay refuses it and names the command to run; migrate runs it.
func TestReplayRefusesAnOlderSchema(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "old #1.db")
	sqlDB, err := sql.Open("sqlite3", "file:"+strings.ReplaceAll(db, "#", "%23")+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := fs.Sub(migrations.FS, "sqlite3")
	p, err := goose.NewProvider(goose.DialectSQLite3, sqlDB, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()

	code, out, errOut := runTack(t, nil, "replay", "-db", db)
	if code != 1 || out != "" || !strings.Contains(errOut, "older than this build") ||
		!strings.Contains(errOut, `tack migrate -db '`+db+`'`) {
		t.Errorf("replay of a version-1 database: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = runTack(t, nil, "migrate", "-db", db)
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = runTack(t, nil, "replay", "-db", db)
	if code != 0 || !strings.Contains(out, "result: identical") {
		t.Errorf("replay after migrate: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runTack(t, nil, "migrate", "-db", db+".typo")
	if code != 2 || !strings.Contains(errOut, "no database at") {
		t.Errorf("migrate of a missing database: exit %d, stderr %q", code, errOut)
	}
}
