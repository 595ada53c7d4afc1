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

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

const userUsage = `Usage: tack user add -email E -name N [-password P] [-db FILE] [-create]
       tack user password -email E [-password P] [-db FILE]
`

// user runs "tack user add" and "tack user password".
func user(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, open store.OpenOptions) int {
	if len(args) > 0 {
		switch args[0] {
		case "add":
			return userAdd(ctx, args[1:], stdin, stdout, stderr, open)
		case "password":
			return userPassword(ctx, args[1:], stdin, stdout, stderr, open)
		}
		if isHelp(args[0]) {
			fmt.Fprint(stdout, userUsage+"\nRun \"tack user add -h\" or \"tack user password -h\" for their flags.\n")
			return 0
		}
	}
	fmt.Fprint(stderr, userUsage)
	return 2
}

// userAdd creates an account.
func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, open store.OpenOptions) int {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file, which must exist unless -create is given, or PostgreSQL URL postgres://… (env TACK_DB)")
	create := fs.Bool("create", false, "create the database when there is none at -db")
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (required)")
	password := fs.String("password", "", "password; when empty, it is read from standard input (without echo from a terminal)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tack user add -email E -name N [-password P] [-db FILE] [-create]\n\nCreate an account. Without -password, the password is read from standard input:\nfrom a terminal after a prompt and without echo, otherwise the first line.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
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
		p, code := promptPassword("user add", stdin, stderr)
		if code != 0 {
			return code
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

const userPasswordUsage = "Usage: tack user password -email E [-password P] [-db FILE]\n"

// userPassword sets an account's password and signs it out everywhere.
func userPassword(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, open store.OpenOptions) int {
	fs := flag.NewFlagSet("user password", flag.ContinueOnError)
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file, which must exist, or PostgreSQL URL postgres://… (env TACK_DB)")
	email := fs.String("email", "", "email address of the account (required)")
	password := fs.String("password", "", "new password; when empty, it is read from standard input (without echo from a terminal)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\nSet an account's password and end its sessions, so it is signed out everywhere.\n"+
			"Without -password, the new password is read from standard input: from a terminal\n"+
			"after a prompt and without echo, otherwise the first line.\n\n", userPasswordUsage)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if strings.TrimSpace(*email) == "" {
		fmt.Fprintf(stderr, "tack user password: -email is required\n\n")
		fs.Usage()
		return 2
	}
	st, code := openExisting(ctx, "user password", *dbPath, stderr, open)
	if st == nil {
		return code
	}
	defer st.Close()
	// Look the account up first: a mistyped email is reported before anyone types a password.
	u, err := st.UserByEmail(ctx, *email)
	if err != nil {
		fmt.Fprintf(stderr, "tack user password: %s\n", store.ErrorMessage(err))
		if store.ErrorCode(err) == store.ENOTFOUND {
			return 2
		}
		return 1
	}
	if *password == "" {
		p, code := promptPassword("user password", stdin, stderr)
		if code != 0 {
			return code
		}
		*password = p
	}
	if err := st.SetPassword(ctx, u.ID, *password); err != nil {
		fmt.Fprintf(stderr, "tack user password: %s\n", store.ErrorMessage(err))
		if store.ErrorCode(err) == store.EINVALID {
			return 2
		}
		return 1
	}
	ended, err := handlers.EndSessions(st, u.ID)
	if err != nil {
		fmt.Fprintf(stderr, "tack user password: the password is set, but signing %s out failed: %v\n", u.Email, err)
		return 1
	}
	fmt.Fprintf(stdout, "Password set for %s <%s>; %s ended.\n", u.Name, u.Email, plural(ended, "session", "sessions"))
	return 0
}

// promptPassword reads a password with readPassword for command cmd. On failure it
// reports on stderr and returns the exit code: 2 when no password was given.
func promptPassword(cmd string, stdin io.Reader, stderr io.Writer) (string, int) {
	p, err := readPassword(stdin, stderr)
	if err != nil {
		if errors.Is(err, io.EOF) {
			fmt.Fprintf(stderr, "tack %s: no password given (use -password or standard input)\n", cmd)
			return "", 2
		}
		fmt.Fprintf(stderr, "tack %s: read password: %v\n", cmd, err)
		return "", 1
	}
	return p, 0
}

// plural says n things: "1 session", "2 sessions".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
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
