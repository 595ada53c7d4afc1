// Command tack runs Tack, a team task board where no change is ever lost.
//
//	tack serve    run the web server
//	tack migrate  bring a database's schema up to this build's
//	tack replay   rebuild read models from the event log and compare
//	tack copy     copy an SQLite database into an empty PostgreSQL one
//	tack user     manage accounts: add one, set a password
//	tack token    create API tokens
//	tack bench    drive a running server with load and report latencies
//	tack version  print the version, commit and Go version
//
// Exit status: 0 on success, 1 on failure, 2 on a usage error.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // users' time zones (worklog dates) on machines without a zoneinfo database

	"github.com/tack-pm/tack/store"
)

// version and commit are set when building with the Makefile:
// -ldflags "-X main.version=$(git describe --always --dirty) -X main.commit=...".
var (
	version = "dev"
	commit  = ""
)

const usage = `Tack: a team task board where no one's change is ever lost or silently overwritten.

Usage:
  tack serve   [-addr 127.0.0.1:8080] [-db ./data/tack.db] [-demo] [-secure-cookies] [-signup open|closed]
  tack migrate [-db ./data/tack.db]
  tack replay  [-db ./data/tack.db] [--fix]
  tack copy    [-from ./data/tack.db] -to postgres://user:password@host/db
  tack user add -email E -name N [-password P | password on stdin] [-db ./data/tack.db] [-create]
  tack user password -email E [-password P | password on stdin] [-db ./data/tack.db]
  tack token create -email E [-name N] [-db ./data/tack.db]
  tack bench   -scenario api-move|browser-move|board-page|viewers [-url http://127.0.0.1:8080] [-pid PID]
  tack version
  tack help [COMMAND]

Run "tack help COMMAND" (or "tack COMMAND -h") for the flags of a command.
Environment: TACK_ADDR and TACK_DB give defaults for -addr and -db.
-db is an SQLite file's path, or a PostgreSQL database's URL (postgres://user:password@host/db).

Exit status: 0 on success; 1 when the command failed (replay: the read models differ);
2 on a usage error (unknown command or flag, a missing or invalid argument, no database
at -db).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	code := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// cli is one run of the command: its standard streams and how it opens databases.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// open is the base of the options every command opens its database with; tests
	// lower the password hashing cost.
	open store.OpenOptions
}

// run executes one command line and returns the process exit code.
func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], c.stdout, c.stderr, c.open)
	case "migrate":
		return migrate(ctx, args[1:], c.stdout, c.stderr, c.open)
	case "replay":
		return replay(ctx, args[1:], c.stdout, c.stderr, c.open)
	case "copy":
		return copyCmd(ctx, args[1:], c.stdout, c.stderr)
	case "user":
		return user(ctx, args[1:], c.stdin, c.stdout, c.stderr, c.open)
	case "token":
		return token(ctx, args[1:], c.stdout, c.stderr, c.open)
	case "bench":
		return bench(ctx, args[1:], c.stdout, c.stderr)
	case "version", "-version", "--version":
		return printVersion(args[1:], c.stdout, c.stderr)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" && !isHelp(args[1]) {
			if !isCommand(args[1]) {
				fmt.Fprintf(c.stderr, "tack help: unknown command %q\n\n%s", args[1], usage)
				return 2
			}
			return c.run(ctx, []string{args[1], "-h"})
		}
		fmt.Fprint(c.stdout, usage)
		return 0
	}
	fmt.Fprintf(c.stderr, "tack: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// isCommand reports whether name is one of tack's commands.
func isCommand(name string) bool {
	switch name {
	case "serve", "migrate", "replay", "copy", "user", "token", "bench", "version", "help":
		return true
	}
	return false
}

// parseFlags parses args into fs. Help (-h, -help, --help) goes to stdout; a wrong flag
// or a stray argument is reported on stderr with the usage. When done is set, the
// command returns code at once.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	var out bytes.Buffer
	fs.SetOutput(&out)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		stdout.Write(out.Bytes())
		return 0, true
	case err != nil:
		stderr.Write(out.Bytes())
		return 2, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "tack %s: unexpected argument %q\n\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return 2, true
	}
	return 0, false
}

// printVersion prints the version, the commit it was built from and the Go version.
func printVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if isHelp(args[0]) {
			fmt.Fprint(stdout, "Usage: tack version\n\nPrint Tack's version, the commit it was built from and the Go version.\n")
			return 0
		}
		fmt.Fprintf(stderr, "tack version: unexpected argument %q\n", args[0])
		return 2
	}
	rev, modified := commit, false
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && rev == "":
				rev = s.Value
			case s.Key == "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	} else if modified && !strings.HasSuffix(version, "-dirty") {
		rev += " (modified)"
	}
	fmt.Fprintf(stdout, "tack %s\ncommit %s\n%s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

// envOr returns the environment variable's value, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

const defaultDB = "./data/tack.db"

// openExisting opens the database at path for command cmd as o says; it refuses to
// create one, because a typo in -db would otherwise silently start an empty database.
// It returns the exit code to use when it fails: 2 when there is no database at path,
// 1 otherwise.
func openExisting(ctx context.Context, cmd, path string, stderr io.Writer, o store.OpenOptions) (*store.Store, int) {
	o.MustExist = true
	st, err := store.OpenWith(ctx, path, o)
	if err == nil {
		return st, 0
	}
	fmt.Fprintf(stderr, "tack %s: %v\n", cmd, err)
	var se *store.SchemaError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, 2
	case errors.As(err, &se) && se.Have < se.Want:
		fmt.Fprintf(stderr, "Run \"tack migrate -db %s\" (or \"tack serve\" once) to migrate it.\n", shellQuote(path))
	}
	return nil, 1
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
