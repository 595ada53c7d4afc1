package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestInvitations(t *testing.T) {
	ctx := context.Background()
	type env struct {
		s            *Store
		admin, other *User
		p            *Project
		now          *time.Time
	}
	setup := func(t *testing.T) env {
		s := mustOpenStore(t)
		now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		s.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		admin, err := s.RegisterUser(ctx, NewUser{Email: "ana@example.com", Name: "Ana", Password: "ana-password"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.RegisterUser(ctx, NewUser{Email: "ben@example.com", Name: "Ben", Password: "ben-password"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.CreateProject(ctx, admin.ID, NewProject{Key: "INV", Name: "Invitations"})
		if err != nil {
			t.Fatal(err)
		}
		return env{s: s, admin: admin, other: other, p: p, now: &now}
	}
	newUser := NewUser{Email: "dora@example.com", Name: "Dora", Password: "dora-password"}

	for _, tc := range []struct {
		name string
		run  func(t *testing.T, e env)
	}{
		{"register through a link joins with the role, once", func(t *testing.T, e env) {
			secret, inv, err := e.s.CreateInvitation(ctx, e.admin.ID, e.p.ID, RoleViewer, InvitationTTL)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(secret, invitationPrefix) || inv.ExpiresAt.Sub(inv.CreatedAt) != InvitationTTL {
				t.Fatalf("secret %q, invitation %+v", secret, inv)
			}
			var stored int
			e.s.read.Get(&stored, `SELECT COUNT(*) FROM invitations WHERE hash = ? OR hash = ?`, secret, hashToken(secret))
			var plain int
			e.s.read.Get(&plain, `SELECT COUNT(*) FROM invitations WHERE hash = ?`, secret)
			if stored != 1 || plain != 0 {
				t.Fatalf("the secret must be stored only as its hash (hash rows %d, plain rows %d)", stored, plain)
			}
			u, got, err := e.s.RegisterInvited(ctx, secret, newUser)
			if err != nil {
				t.Fatal(err)
			}
			if got.ProjectKey != "INV" || got.Role != RoleViewer {
				t.Fatalf("joined %+v", got)
			}
			if _, role, err := e.s.ProjectFor(ctx, u.ID, "INV"); err != nil || role != RoleViewer {
				t.Fatalf("Dora's role = %q, %v; want viewer", role, err)
			}
			events, _ := e.s.ProjectEvents(ctx, e.p.ID, 0, 100)
			last := events[len(events)-1]
			if last.Type != TypeMemberAdded || last.Actor != e.admin.ID {
				t.Fatalf("last project event %s by %s, want member_added by the inviting admin", last.Type, last.Actor)
			}
			_, _, err = e.s.RegisterInvited(ctx, secret, NewUser{Email: "eve@example.com", Name: "Eve", Password: "eve-password"})
			if ErrorCode(err) != ENOTFOUND || !strings.Contains(ErrorMessage(err), "already used or has expired") {
				t.Fatalf("second use: %v", err)
			}
			if _, err := e.s.UserByEmail(ctx, "eve@example.com"); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("a refused invitation created an account: %v", err)
			}
			if _, err := e.s.AcceptInvitation(ctx, secret, e.other.ID); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("second use by an existing user: %v", err)
			}
		}},
		{"an existing user accepts", func(t *testing.T, e env) {
			secret, _, err := e.s.CreateInvitation(ctx, e.admin.ID, e.p.ID, RoleMember, InvitationTTL)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.AcceptInvitation(ctx, secret, e.admin.ID); ErrorCode(err) != EINVALID {
				t.Fatalf("a member accepting: %v, want EINVALID", err)
			}
			if _, err := e.s.AcceptInvitation(ctx, secret, e.other.ID); err != nil {
				t.Fatal(err)
			}
			if _, role, err := e.s.ProjectFor(ctx, e.other.ID, "INV"); err != nil || role != RoleMember {
				t.Fatalf("Ben's role = %q, %v; want member", role, err)
			}
		}},
		{"expired", func(t *testing.T, e env) {
			secret, _, err := e.s.CreateInvitation(ctx, e.admin.ID, e.p.ID, RoleMember, 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			*e.now = e.now.Add(24*time.Hour + time.Second)
			if _, err := e.s.InvitationBySecret(ctx, secret); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("lookup of an expired invitation: %v", err)
			}
			if _, _, err := e.s.RegisterInvited(ctx, secret, newUser); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("use of an expired invitation: %v", err)
			}
			if list, _ := e.s.PendingInvitations(ctx, e.p.ID); len(list) != 0 {
				t.Fatalf("expired invitation still pending: %+v", list)
			}
		}},
		{"revoked", func(t *testing.T, e env) {
			secret, inv, err := e.s.CreateInvitation(ctx, e.admin.ID, e.p.ID, RoleMember, InvitationTTL)
			if err != nil {
				t.Fatal(err)
			}
			if list, _ := e.s.PendingInvitations(ctx, e.p.ID); len(list) != 1 || list[0].ID != inv.ID || list[0].CreatedBy.Name != "Ana" {
				t.Fatalf("pending = %+v", list)
			}
			if err := e.s.RevokeInvitation(ctx, e.admin.ID, e.p.ID, inv.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.s.RegisterInvited(ctx, secret, newUser); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("use of a revoked invitation: %v", err)
			}
			if err := e.s.RevokeInvitation(ctx, e.admin.ID, e.p.ID, inv.ID); ErrorCode(err) != ENOTFOUND {
				t.Fatalf("revoking twice: %v", err)
			}
		}},
		{"only admins invite and revoke", func(t *testing.T, e env) {
			if err := e.s.AddMember(ctx, e.admin.ID, e.p.ID, e.other.Email, RoleMember); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.s.CreateInvitation(ctx, e.other.ID, e.p.ID, RoleAdmin, InvitationTTL); ErrorCode(err) != EFORBIDDEN {
				t.Fatalf("a member inviting: %v", err)
			}
			_, inv, err := e.s.CreateInvitation(ctx, e.admin.ID, e.p.ID, RoleMember, InvitationTTL)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.s.RevokeInvitation(ctx, e.other.ID, e.p.ID, inv.ID); ErrorCode(err) != EFORBIDDEN {
				t.Fatalf("a member revoking: %v", err)
			}
		}},
		{"bad input", func(t *testing.T, e env) {
			for _, bad := range []struct {
				role Role
				ttl  time.Duration
			}{{"owner", InvitationTTL}, {RoleMember, 0}, {RoleMember, 31 * 24 * time.Hour}} {
				if _, _, err := e.s.CreateInvitation(ctx, e.admin.ID, e.p.ID, bad.role, bad.ttl); ErrorCode(err) != EINVALID {
					t.Errorf("CreateInvitation(%q, %v) = %v, want EINVALID", bad.role, bad.ttl, err)
				}
			}
			for _, secret := range []string{"", "inv_nope", "tack_abc", strings.Repeat("x", 300)} {
				if _, err := e.s.InvitationBySecret(ctx, secret); ErrorCode(err) != ENOTFOUND {
					t.Errorf("InvitationBySecret(%q) = %v, want ENOTFOUND", secret, err)
				}
			}
		}},
		{"an invitation ends with its creator's admin role", func(t *testing.T, e env) {
			if err := e.s.AddMember(ctx, e.admin.ID, e.p.ID, e.other.Email, RoleAdmin); err != nil {
				t.Fatal(err)
			}
			secret, _, err := e.s.CreateInvitation(ctx, e.other.ID, e.p.ID, RoleMember, InvitationTTL)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.s.ChangeMemberRole(ctx, e.admin.ID, e.p.ID, e.other.ID, RoleMember); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.s.RegisterInvited(ctx, secret, newUser); ErrorCode(err) != ENOTFOUND || !strings.Contains(ErrorMessage(err), "no longer") {
				t.Fatalf("use after the creator lost admin: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, setup(t))
		})
	}
}
