package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/tack-pm/tack/store"
)

func copyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("copy", flag.ContinueOnError)
	from := fset.String("from", defaultDB, "the SQLite database file to copy, which must exist")
	to := fset.String("to", "", "the URL of an empty PostgreSQL database, postgres://user:password@host/db (required)")
	fset.Usage = func() {
		fmt.Fprint(fset.Output(), `Usage: tack copy [-from FILE] -to postgres://…

Copy a Tack database from SQLite into an empty PostgreSQL database, in one
transaction: the event log exactly as it is, the accounts' password hashes, sessions,
API tokens, idempotency keys, invitations and password resets; the read models are
rebuilt from the events. Then verify: the target's log equals the source's row for
row, and a replay on the target finds its read models identical. The source is only
read (stop tack serve first: it must not change during the copy) and must have this
build's schema (run "tack migrate" on it first). The target is migrated; a target
that holds anything at all is refused and left as it was. Progress goes to stderr.
Exit status: 0 when copied and verified, 1 when refused or on failure,
2 on a usage error or when there is no database at -from.

`)
		fset.PrintDefaults()
	}
	if code, done := parseFlags(fset, args, stdout, stderr); done {
		return code
	}
	switch {
	case *to == "":
		fmt.Fprint(stderr, "tack copy: -to is required: the URL of an empty PostgreSQL database\n\n")
		fset.Usage()
		return 2
	case !isPostgres(*to):
		fmt.Fprintf(stderr, "tack copy: -to must be a PostgreSQL URL (postgres://user:password@host/db), not %q\n", *to)
		return 2
	case isPostgres(*from):
		fmt.Fprint(stderr, "tack copy: -from must be an SQLite database file, not a PostgreSQL URL\n")
		return 2
	}
	rep, err := store.Copy(ctx, *from, *to, store.CopyOptions{Progress: copyProgress(stderr, time.Now)})
	if err != nil {
		fmt.Fprintf(stderr, "tack copy: %v\n", err)
		var se *store.SchemaError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return 2
		case errors.As(err, &se) && se.Have < se.Want:
			fmt.Fprintf(stderr, "Run \"tack migrate -db %s\" to migrate the source first.\n", shellQuote(*from))
		}
		return 1
	}
	fmt.Fprint(stdout, rep)
	return 0
}

// isPostgres reports whether -db, -from or -to names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// copyProgress returns a store.CopyOptions.Progress writing a line to w for each
// report (every store.CopyProgressEvery events of a stage, and its end): events done of
// the total and the stage's rate so far. A stage starts when the one before it ends.
func copyProgress(w io.Writer, now func() time.Time) func(stage string, done, total int) {
	cur, start, last := "", now(), now()
	return func(stage string, done, total int) {
		t := now()
		if stage != cur {
			cur, start = stage, last
		}
		last = t
		rate := ""
		if elapsed := t.Sub(start).Seconds(); elapsed > 0 {
			rate = fmt.Sprintf(", %.0f events/s", float64(done)/elapsed)
		}
		pct := 100
		if total > 0 {
			pct = done * 100 / total
		}
		fmt.Fprintf(w, "tack copy: %s: %d of %d events (%d%%)%s\n", stage, done, total, pct, rate)
	}
}
