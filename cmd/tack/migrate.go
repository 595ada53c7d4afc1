package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tack-pm/tack/store"
)

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer, open store.OpenOptions) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file, which must exist, or PostgreSQL URL postgres://… (env TACK_DB)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: tack migrate [-db FILE]

Bring an existing database's schema up to this build's, as "tack serve" does when it
starts. Commands that only read (replay) refuse an older schema and point here.

`)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	st, code := openExisting(ctx, "migrate", *dbPath, stderr, open)
	if st == nil {
		return code
	}
	if err := st.Close(); err != nil {
		fmt.Fprintf(stderr, "tack migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Database %s is up to date.\n", *dbPath)
	return 0
}
