package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/tack-pm/tack/store"
)

func replay(ctx context.Context, args []string, stdout, stderr io.Writer, open store.OpenOptions) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file, which must exist, or PostgreSQL URL postgres://… (env TACK_DB)")
	fix := fs.Bool("fix", false, "replace the live read models with the rebuilt ones when they differ")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: tack replay [-db FILE] [--fix]

Rebuild every read model from the event log into fresh tables, compare them with the
live ones and print a summary. The database is opened read-only (a read-only copy
works) and never migrated: an older schema is refused; run "tack migrate" first.
--fix opens it for writing. A rebuild that takes more than a second reports its
progress on stderr. Exit status: 0 when identical (or fixed with --fix),
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
	rep, err := st.ReplayWith(ctx, store.ReplayOptions{Fix: *fix,
		Progress: progressPrinter(stderr, replayProgressInterval, time.Now)})
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

// replayProgressInterval is how often tack replay reports the rebuild's progress.
const replayProgressInterval = time.Second

// progressPrinter returns a store.ReplayOptions.Progress that writes a line to w at
// most once per interval (events done of the log's total and the rate so far), and a
// last line when the rebuild ends if it wrote any before: a quick replay prints nothing.
func progressPrinter(w io.Writer, every time.Duration, now func() time.Time) func(done, total int) {
	start := now()
	last, printed := start, false
	return func(done, total int) {
		t := now()
		end := done >= total
		if t.Sub(last) < every && !(end && printed) {
			return
		}
		last, printed = t, true
		elapsed := t.Sub(start)
		rate := 0.0
		if elapsed > 0 {
			rate = float64(done) / elapsed.Seconds()
		}
		if end {
			fmt.Fprintf(w, "tack replay: rebuilt %d events in %.1f s (%.0f events/s); comparing\n", done, elapsed.Seconds(), rate)
			return
		}
		pct := 0
		if total > 0 {
			pct = done * 100 / total
		}
		fmt.Fprintf(w, "tack replay: %d of %d events (%d%%), %.0f events/s\n", done, total, pct, rate)
	}
}
