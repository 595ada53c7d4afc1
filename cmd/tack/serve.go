package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tack-pm/tack/handlers"
	"github.com/tack-pm/tack/store"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, open store.OpenOptions) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("TACK_ADDR", "127.0.0.1:8080"), "address to listen on (env TACK_ADDR)")
	dbPath := fs.String("db", envOr("TACK_DB", defaultDB), "SQLite database file, created if missing, or PostgreSQL URL postgres://… (env TACK_DB)")
	demo := fs.Bool("demo", false, "create the demo workspace (project DEMO, 3 users) if it is missing")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure and send Strict-Transport-Security (set when served over HTTPS)")
	signup := fs.String("signup", envOr("TACK_SIGNUP", "open"), "public sign-up: open, or closed (accounts from invitation links or \"tack user add\") (env TACK_SIGNUP)")
	trustProxy := fs.Bool("trust-proxy", envOr("TACK_TRUST_PROXY", "") == "true", "behind a reverse proxy: take the client's address from X-Forwarded-For when the request comes from a loopback or private address (env TACK_TRUST_PROXY=true)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tack serve [flags]\n\nServe Tack's web app, applying migrations first. Stops cleanly on SIGINT or SIGTERM.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *signup != "open" && *signup != "closed" {
		fmt.Fprintf(stderr, "tack serve: -signup must be open or closed, not %q\n", *signup)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	st, err := store.OpenWith(ctx, *dbPath, open)
	if err != nil {
		fmt.Fprintf(stderr, "tack: %v\n", err)
		return 1
	}
	defer st.Close()
	if *demo {
		created, err := st.SeedDemo(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "tack: demo workspace: %v\n", err)
			return 1
		}
		printDemo(stdout, created)
	}

	e, h := handlers.New(st, handlers.Config{SecureCookies: *secure, ClosedSignUp: *signup == "closed", TrustProxy: *trustProxy, Logger: log})
	defer h.Close()
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// ReadTimeout and WriteTimeout stay 0: live update streams are long-lived
		// responses, and a read deadline would cancel their request context. Each
		// stream write has its own deadline instead.
	}
	srv.RegisterOnShutdown(h.Close)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "tack: listen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Tack is serving http://%s (database %s)\n", ln.Addr(), st.Path())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "tack: serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "Shutting down...")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "tack: shutdown: %v\n", err)
		return 1
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "tack: serve: %v\n", err)
		return 1
	}
	return 0
}

func printDemo(w io.Writer, created bool) {
	if created {
		fmt.Fprintln(w, "Created the demo workspace: project DEMO.")
	} else {
		fmt.Fprintln(w, "Demo workspace already present: project DEMO.")
	}
	fmt.Fprintln(w, "Demo accounts (email / password / role):")
	for _, u := range store.DemoUsers {
		fmt.Fprintf(w, "  %-18s %-16s %s\n", u.Email, u.Password, u.Role)
	}
}
