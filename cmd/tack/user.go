package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"

	"tack/store"
)

const userUsage = "Usage: tack user add -email E -name N [-password P] [-db FILE] [-create]\n"

func user(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, open store.OpenOptions) int {
	if len(args) == 0 || args[0] != "add" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprint(stdout, userUsage+"\nRun \"tack user add -h\" for its flags.\n")
			return 0
		}
		fmt.Fprint(stderr, userUsage)
		return 2
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file; it must exist unless -create is given (env TACK_DB)")
	create := fs.Bool("create", false, "create the database when there is none at -db")
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (required)")
	password := fs.String("password", "", "password; when empty, it is read from standard input (without echo from a terminal)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\nCreate an account. Without -password, the password is read from standard input:\nfrom a terminal after a prompt and without echo, otherwise the first line.\n\n", userUsage)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args[1:], stdout, stderr); done {
		return code
	}
	// Open first: a mistyped -db is reported before anyone types a password.
	var st *store.Store
	if *create {
		var err error
		if st, err = store.OpenWith(ctx, *dbPath, open); err != nil {
			fmt.Fprintf(stderr, "tack user add: %v\n", err)
			return 1
		}
	} else {
		var code int
		if st, code = openExisting(ctx, "user add", *dbPath, stderr, open); st == nil {
			if code == 2 {
				fmt.Fprintln(stderr, "Give -create to create a new database there.")
			}
			return code
		}
	}
	defer st.Close()
	if *password == "" {
		p, err := readPassword(stdin, stderr)
		if err != nil {
			if errors.Is(err, io.EOF) {
				fmt.Fprintln(stderr, "tack user add: no password given (use -password or standard input)")
				return 2
			}
			fmt.Fprintf(stderr, "tack user add: read password: %v\n", err)
			return 1
		}
		*password = p
	}
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

// readPassword reads a password from stdin. From a terminal it prompts on stderr and
// reads without echo; otherwise (a pipe, a file, /dev/null) it reads the first line and
// prints nothing. It returns io.EOF when there is no password at all.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}
