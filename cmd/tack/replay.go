package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

func replay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file (env TACK_DB)")
	fix := fs.Bool("fix", false, "replace the live read models with the rebuilt ones when they differ")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: tack replay [-db FILE] [--fix]

Rebuild every read model from the event log into fresh tables, compare them with the
live ones and print a summary. Exit status: 0 when identical (or fixed with --fix),
1 when they differ, 2 on a usage error.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	st, code := openExisting(ctx, "replay", *dbPath, stderr)
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
