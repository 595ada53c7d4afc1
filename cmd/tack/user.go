package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"tack/store"
)

func user(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "add" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(stdout, "Usage: tack user add -email E -name N [-password P] [-db FILE]\n")
			return 0
		}
		fmt.Fprint(stderr, "Usage: tack user add -email E -name N [-password P] [-db FILE]\n")
		return 2
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file, created if missing (env TACK_DB)")
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (required)")
	password := fs.String("password", "", "password; when empty, the first line of standard input is used")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tack user add -email E -name N [-password P] [-db FILE]\n\nCreate an account. Without -password, the password is read from standard input.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return flagExit(err)
	}
	if *password == "" {
		if f, ok := stdin.(*os.File); ok && isTerminal(f) {
			fmt.Fprint(stderr, "Password: ")
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(stderr, "tack user add: no password given (use -password or standard input)")
			return 2
		}
		*password = strings.TrimRight(line, "\r\n")
	}
	st, err := store.Open(ctx, *dbPath)
	if err != nil {
		fmt.Fprintf(stderr, "tack user add: %v\n", err)
		return 1
	}
	defer st.Close()
	u, err := st.RegisterUser(ctx, store.NewUser{Email: *email, Name: *name, Password: *password})
	if err != nil {
		fmt.Fprintf(stderr, "tack user add: %s\n", store.ErrorMessage(err))
		if store.ErrorCode(err) == store.EINVALID {
			return 2
		}
		return 1
	}
	fmt.Fprintf(stdout, "Created user %s <%s> (id %s)\n", u.Name, u.Email, u.ID)
	return 0
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
