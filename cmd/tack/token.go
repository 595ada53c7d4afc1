package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tack-pm/tack/store"
)

const tokenUsage = "Usage: tack token create -email E [-name N] [-db FILE]\n"

func token(ctx context.Context, args []string, stdout, stderr io.Writer, open store.OpenOptions) int {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprint(stdout, tokenUsage)
			return 0
		}
		fmt.Fprint(stderr, tokenUsage)
		return 2
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file, which must exist, or PostgreSQL URL postgres://… (env TACK_DB)")
	email := fs.String("email", "", "email of the account the token acts for (required)")
	name := fs.String("name", "API token", "a name to recognise the token by")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\nCreate a personal access token for the JSON API and print it once; only its hash is stored.\n\n", tokenUsage)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args[1:], stdout, stderr); done {
		return code
	}
	if *email == "" {
		fmt.Fprint(stderr, "tack token create: -email is required\n")
		return 2
	}
	st, code := openExisting(ctx, "token create", *dbPath, stderr, open)
	if st == nil {
		return code
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, *email)
	if err != nil {
		fmt.Fprintf(stderr, "tack token create: %s\n", store.ErrorMessage(err))
		return 2
	}
	secret, t, err := st.CreateToken(ctx, u.ID, *name)
	if err != nil {
		fmt.Fprintf(stderr, "tack token create: %s\n", store.ErrorMessage(err))
		return 1
	}
	fmt.Fprintf(stderr, "Created token %q (id %s) for %s. It is shown once; store it safely.\n", t.Name, t.ID, u.Email)
	fmt.Fprintln(stdout, secret)
	return 0
}
