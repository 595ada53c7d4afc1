package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPasswordResets(t *testing.T) {
	ctx := context.Background()
	type env struct {
		s               *Store
		admin, ben, cat *User // cat is in another project only
		p, other        *Project
		advance         func(time.Duration)
	}
	setup := func(t *testing.T) env {
		s := mustOpenStore(t)
		now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		s.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
		var users []*User
		for _, n := range []string{"ana", "ben", "cat"} {
			u, err := s.RegisterUser(ctx, NewUser{Email: n + "@example.com", Name: n, Password: n + "-password"})
			if err != nil {
				t.Fatal(err)
			}
			users = append(users, u)
		}
		p, err := s.CreateProject(ctx, users[0].ID, NewProject{Key: "RST", Name: "Resets"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddMember(ctx, users[0].ID, p.ID, "ben@example.com", RoleMember); err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateProject(ctx, users[2].ID, NewProject{Key: "OTH", Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		return env{s: s, admin: users[0], ben: users[1], cat: users[2], p: p, other: other, advance: advance}
	}
	signsIn := func(t *testing.T, s *Store, email, password string) bool {
		t.Helper()
		_, err := s.Authenticate(ctx, email, password)
		return err == nil
	}

	for _, tc := range []struct {
		name string
		run  func(t *testing.T, e env)
	}{
		{"a link sets the password once", func(t *testing.T, e env) {
			secret, pr, err := e.s.CreatePasswordReset(ctx, e.admin.ID, e.p.ID, e.ben.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(secret, resetPrefix) || pr.User.ID != e.ben.ID || pr.ExpiresAt.Sub(pr.CreatedAt) != PasswordResetTTL {
				t.Fatalf("secret %q, reset %+v", secret, pr)
			}
			var plain, hashed int
			e.s.read.Get(&plain, `SELECT COUNT(*) FROM password_resets WHERE hash = ?`, secret)
			e.s.read.Get(&hashed, `SELECT COUNT(*) FROM password_resets WHERE hash = ?`, hashToken(secret))
			if plain != 0 || hashed != 1 {
				t.Fatalf("the secret must be stored only as its hash (plain rows %d, hash rows %d)", plain, hashed)
			}
			if got, err := e.s.PasswordResetBySecret(ctx, secret); err != nil || got.User.Email != "ben@example.com" {
				t.Fatalf("PasswordResetBySecret = %+v, %v", got, err)
			}
			u, err := e.s.ResetPassword(ctx, secret, "a-new-password")
			if err != nil || u.ID != e.ben.ID {
				t.Fatalf("ResetPassword = %+v, %v", u, err)
			}
			if !signsIn(t, e.s, "ben@example.com", "a-new-password") || signsIn(t, e.s, "ben@example.com", "ben-password") {
				t.Fatal("only the new password must sign in")
			}
			_, err = e.s.ResetPassword(ctx, secret, "another-password")
			if ErrorCode(err) != ENOTFOUND || !strings.Contains(ErrorMessage(err), "already used or has expired") {
				t.Fatalf("second use: %v; want ENOTFOUND already used or has expired", err)
			}
			if _, err := e.s.PasswordResetBySecret(ctx, secret); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("lookup after use: %v; want ENOTFOUND", err)
			}
			if !signsIn(t, e.s, "ben@example.com", "a-new-password") {
				t.Fatal("the refused second use changed the password")
			}
		}},
		{"an expired link is refused", func(t *testing.T, e env) {
			secret, _, err := e.s.CreatePasswordReset(ctx, e.admin.ID, e.p.ID, e.ben.ID)
			if err != nil {
				t.Fatal(err)
			}
			e.advance(PasswordResetTTL - time.Second)
			if _, err := e.s.PasswordResetBySecret(ctx, secret); err != nil {
				t.Fatalf("a second before expiry: %v", err)
			}
			e.advance(time.Second)
			if _, err := e.s.ResetPassword(ctx, secret, "a-new-password"); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("expired: %v; want ENOTFOUND", err)
			}
			if !signsIn(t, e.s, "ben@example.com", "ben-password") {
				t.Fatal("an expired link changed the password")
			}
		}},
		{"a new link replaces the older unused one", func(t *testing.T, e env) {
			first, _, err := e.s.CreatePasswordReset(ctx, e.admin.ID, e.p.ID, e.ben.ID)
			if err != nil {
				t.Fatal(err)
			}
			second, _, err := e.s.CreatePasswordReset(ctx, e.admin.ID, e.p.ID, e.ben.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.ResetPassword(ctx, first, "a-new-password"); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("replaced link: %v; want ENOTFOUND", err)
			}
			if _, err := e.s.ResetPassword(ctx, second, "a-new-password"); err != nil {
				t.Fatalf("newest link: %v", err)
			}
		}},
		{"a refused password leaves the link usable", func(t *testing.T, e env) {
			secret, _, err := e.s.CreatePasswordReset(ctx, e.admin.ID, e.p.ID, e.ben.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, pw := range []string{"", "short", strings.Repeat("x", MaxPasswordLen+1)} {
				_, err := e.s.ResetPassword(ctx, secret, pw)
				var se *Error
				if !errors.As(err, &se) || se.Code != EINVALID || se.Field != "password" {
					t.Fatalf("password %q: %v; want EINVALID on password", pw, err)
				}
			}
			if _, err := e.s.ResetPassword(ctx, secret, "long-enough"); err != nil {
				t.Fatalf("after refusals: %v", err)
			}
		}},
		{"only admins of a project the user is in", func(t *testing.T, e env) {
			if _, _, err := e.s.CreatePasswordReset(ctx, e.ben.ID, e.p.ID, e.admin.ID); ErrorCode(err) != EFORBIDDEN {
				t.Fatalf("member creating: %v; want EFORBIDDEN", err)
			}
			if _, _, err := e.s.CreatePasswordReset(ctx, e.admin.ID, e.p.ID, e.cat.ID); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("user of another project: %v; want ENOTFOUND", err)
			}
			if _, _, err := e.s.CreatePasswordReset(ctx, e.admin.ID, e.other.ID, e.cat.ID); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("admin of another project: %v; want ENOTFOUND", err)
			}
		}},
		{"a link stops working when its user leaves the project", func(t *testing.T, e env) {
			secret, _, err := e.s.CreatePasswordReset(ctx, e.admin.ID, e.p.ID, e.ben.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.s.RemoveMember(ctx, e.admin.ID, e.p.ID, e.ben.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.ResetPassword(ctx, secret, "a-new-password"); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("after leaving: %v; want ENOTFOUND", err)
			}
		}},
		{"unknown and malformed secrets", func(t *testing.T, e env) {
			for _, secret := range []string{"", "rst_unknown", "inv_x", strings.Repeat("rst_", 100)} {
				if _, err := e.s.PasswordResetBySecret(ctx, secret); ErrorCode(err) != ENOTFOUND {
					t.Fatalf("%q: %v; want ENOTFOUND", secret, err)
				}
			}
		}},
		{"SetPassword follows the registration rules", func(t *testing.T, e env) {
			if err := e.s.SetPassword(ctx, e.ben.ID, "short"); ErrorCode(err) != EINVALID {
				t.Fatalf("short: %v; want EINVALID", err)
			}
			if err := e.s.SetPassword(ctx, "nobody", "long-enough"); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("unknown user: %v; want ENOTFOUND", err)
			}
			if err := e.s.SetPassword(ctx, e.ben.ID, "long-enough"); err != nil {
				t.Fatal(err)
			}
			if !signsIn(t, e.s, "ben@example.com", "long-enough") || signsIn(t, e.s, "ben@example.com", "ben-password") {
				t.Fatal("only the new password must sign in")
			}
		}},
		{"resets leave the log and replay alone", func(t *testing.T, e env) {
			before, err := e.s.Events(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			secret, _, err := e.s.CreatePasswordReset(ctx, e.admin.ID, e.p.ID, e.ben.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.ResetPassword(ctx, secret, "a-new-password"); err != nil {
				t.Fatal(err)
			}
			after, err := e.s.Events(ctx, 0, 1000)
			if err != nil || len(after) != len(before) {
				t.Fatalf("events %d → %d (%v); a reset appends none", len(before), len(after), err)
			}
			rep, err := e.s.Replay(ctx, false)
			if err != nil || !rep.Identical() {
				t.Fatalf("replay: %+v, %v", rep, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, setup(t)) })
	}
}
