// Command tack runs Tack, a project-management tool where no change is ever lost.
//
//	tack serve   run the web server
//	tack replay  rebuild read models from the event log and compare
//	tack user    manage accounts
//	tack token   create API tokens
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"tack/store"
)

const usage = `Tack: boards, backlogs and sprints where no one's change is lost.

Usage:
  tack serve  [-addr 127.0.0.1:8080] [-db ./data/tack.db] [-demo]
  tack replay [-db ./data/tack.db] [--fix]
  tack user add -email E -name N [-password P | password on stdin] [-db ./data/tack.db]
  tack token create -email E [-name N] [-db ./data/tack.db]

Run "tack COMMAND -h" for the flags of a command.
Environment: TACK_ADDR and TACK_DB give defaults for -addr and -db.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "replay":
		return replay(ctx, args[1:], stdout, stderr)
	case "user":
		return user(ctx, args[1:], stdin, stdout, stderr)
	case "token":
		return token(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "tack: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// envOr returns the environment variable's value, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

const defaultDB = "./data/tack.db"

// openExisting opens the database at path for command cmd; it refuses to create one,
// because a typo in -db would otherwise silently start an empty database. It returns
// the exit code to use when it fails.
func openExisting(ctx context.Context, cmd, path string, stderr io.Writer) (*store.Store, int) {
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "tack %s: no database at %s\n", cmd, path)
		return nil, 2
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		fmt.Fprintf(stderr, "tack %s: %v\n", cmd, err)
		return nil, 1
	}
	return st, 0
}
