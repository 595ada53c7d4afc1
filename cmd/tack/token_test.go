package main

import (
	"context"
	"strings"
	"testing"

	"github.com/tack-pm/tack/store"
)

func TestTokenCreate(t *testing.T) {
	db := seededDB(t)
	code, stdout, stderr := runTack(t, nil, "token", "create", "-db", db, "-email", "ana@demo.tack", "-name", "ci")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	secret := strings.TrimSpace(stdout)
	if !strings.HasPrefix(secret, "tack_") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("stdout %q, want the token alone on one line", stdout)
	}
	if strings.Contains(stderr, secret) {
		t.Error("the secret is also printed on stderr")
	}
	if !strings.Contains(stderr, `"ci"`) || !strings.Contains(stderr, "ana@demo.tack") {
		t.Errorf("stderr %q does not say which token was created for whom", stderr)
	}

	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.AuthenticateToken(ctx, secret)
	if err != nil || u.Email != "ana@demo.tack" {
		t.Fatalf("the printed token authenticates as %v (%v), want ana", u, err)
	}
	tokens, err := st.Tokens(ctx, u.ID)
	if err != nil || len(tokens) != 1 || tokens[0].Name != "ci" {
		t.Fatalf("ana's tokens: %+v (%v), want one named ci", tokens, err)
	}
}

func TestTokenCreateRefusals(t *testing.T) {
	db := seededDB(t)
	for _, tt := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown email", []string{"token", "create", "-db", db, "-email", "nobody@demo.tack"}, "nobody@demo.tack"},
		{"missing -email", []string{"token", "create", "-db", db, "-name", "ci"}, "-email is required"},
		{"no database", []string{"token", "create", "-db", db + ".missing", "-email", "ana@demo.tack"}, "no database"},
		{"no subcommand", []string{"token"}, "Usage"},
		{"unknown flag", []string{"token", "create", "-db", db, "-email", "ana@demo.tack", "-scope", "all"}, "-scope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runTack(t, nil, tt.args...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, stderr naming %q", code, stdout, stderr, tt.stderr)
			}
		})
	}
}
