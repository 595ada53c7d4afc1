package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tack-pm/tack/store"
)

func replay(ctx context.Context, args []string, stdout, stderr io.Writer, open store.OpenOptions) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file; it must exist (env TACK_DB)")
	fix := fs.Bool("fix", false, "replace the live read models with the rebuilt ones when they differ")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: tack replay [-db FILE] [--fix]

Rebuild every read model from the event log into fresh tables, compare them with the
live ones and print a summary. The database is opened read-only (a read-only copy
works) and never migrated: an older schema is refused; run "tack migrate" first.
--fix opens it for writing. Exit status: 0 when identical (or fixed with --fix),
1 when they differ or on failure, 2 on a usage error or when there is no database.

`)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	// Replay only reads unless it fixes; either way it leaves the schema alone, so a
	// database it cannot read as this build would write it is refused, not migrated.
	open.NoMigrate = true
	open.ReadOnly = !*fix
	st, code := openExisting(ctx, "replay", *dbPath, stderr, open)
	if st == nil {
		return code
	}
	defer st.Close()
	rep, err := st.Replay(ctx, *fix)
	if err != nil {
		fmt.Fprintf(stderr, "tack replay: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, rep)
	if rep.Identical() || rep.Fixed {
		return 0
	}
	return 1
}
