package store

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Invitation lifetimes: the default, and the bounds an admin may choose between.
const (
	InvitationTTL    = 7 * 24 * time.Hour
	MinInvitationTTL = time.Hour
	MaxInvitationTTL = 30 * 24 * time.Hour
)

// invitationPrefix marks invitation secrets, so people and secret scanners recognise them.
const invitationPrefix = "inv_"

// Invitation is an invitation link to join a project with a role, without its secret.
// It can be used once, until it expires or an admin revokes it.
type Invitation struct {
	ID          string
	ProjectID   string
	ProjectKey  string
	ProjectName string
	Role        Role
	CreatedBy   User
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

type invitationRow struct {
	ID          string `db:"id"`
	ProjectID   string `db:"project_id"`
	ProjectKey  string `db:"project_key"`
	ProjectName string `db:"project_name"`
	Role        Role   `db:"role"`
	CreatedBy   string `db:"created_by"`
	CreatorName string `db:"creator_name"`
	CreatedAt   string `db:"created_at"`
	ExpiresAt   string `db:"expires_at"`
}

const invitationSelect = `SELECT i.id, i.project_id, p.key AS project_key, p.name AS project_name, i.role,
	i.created_by, COALESCE(u.name, '') AS creator_name, i.created_at, i.expires_at
	FROM invitations i JOIN projects p ON p.id = i.project_id LEFT JOIN users u ON u.id = i.created_by`

func (r invitationRow) invitation() (*Invitation, error) {
	inv := &Invitation{ID: r.ID, ProjectID: r.ProjectID, ProjectKey: r.ProjectKey, ProjectName: r.ProjectName,
		Role: r.Role, CreatedBy: User{ID: r.CreatedBy, Name: r.CreatorName}}
	var err error
	if inv.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return nil, err
	}
	if inv.ExpiresAt, err = parseTime(r.ExpiresAt); err != nil {
		return nil, err
	}
	return inv, nil
}

// errInvitationGone is the one answer for an invitation that is unknown, used, revoked
// or expired: telling these apart would help someone guessing links.
func errInvitationGone() error {
	return Errorf(ENOTFOUND, "This invitation was already used or has expired. Ask a project admin for a new link.")
}

// CreateInvitation creates an invitation to join the project with role, valid for ttl,
// and returns its secret, which is shown once and stored only as a hash; admins only.
func (s *Store) CreateInvitation(ctx context.Context, actor, projectID string, role Role, ttl time.Duration) (string, *Invitation, error) {
	if !validRole(role) {
		return "", nil, invalidField("role", "Choose a role: admin, member or viewer.")
	}
	if ttl < MinInvitationTTL || ttl > MaxInvitationTTL {
		return "", nil, invalidField("expires", "An invitation is valid for 1 hour to 30 days.")
	}
	secret := newSecret(invitationPrefix)
	id := newID()
	_, err := s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "invite members"); err != nil {
			return err
		}
		_, err := w.tx.Exec(`INSERT INTO invitations (id, project_id, role, hash, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, projectID, role, hashToken(secret), actor, formatTime(w.now), formatTime(w.now.Add(ttl)))
		if err != nil {
			return fmt.Errorf("store: create invitation: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	var r invitationRow
	if err := s.read.GetContext(ctx, &r, invitationSelect+` WHERE i.id = ?`, id); err != nil {
		return "", nil, notFound(err, "invitation %s", id)
	}
	inv, err := r.invitation()
	return secret, inv, err
}

// PendingInvitations lists the project's invitations that can still be used, newest first.
func (s *Store) PendingInvitations(ctx context.Context, projectID string) ([]*Invitation, error) {
	var rows []invitationRow
	err := s.read.SelectContext(ctx, &rows, invitationSelect+` WHERE i.project_id = ? AND i.used_at = '' AND i.revoked_at = ''
		AND i.expires_at > ? ORDER BY i.created_at DESC, i.id`, projectID, formatTime(s.Now()))
	if err != nil {
		return nil, fmt.Errorf("store: invitations: %w", err)
	}
	out := make([]*Invitation, 0, len(rows))
	for _, r := range rows {
		inv, err := r.invitation()
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

// RevokeInvitation makes a pending invitation of the project unusable; admins only.
func (s *Store) RevokeInvitation(ctx context.Context, actor, projectID, id string) error {
	_, err := s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "manage invitations"); err != nil {
			return err
		}
		res, err := w.tx.Exec(`UPDATE invitations SET revoked_at = ? WHERE id = ? AND project_id = ? AND used_at = '' AND revoked_at = ''`,
			formatTime(w.now), id, projectID)
		if err != nil {
			return fmt.Errorf("store: revoke invitation: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ENOTFOUND, "This invitation was already used or revoked.")
		}
		return nil
	})
	return err
}

// InvitationBySecret returns the pending invitation with this secret, or ENOTFOUND when
// it is unknown, used, revoked or expired.
func (s *Store) InvitationBySecret(ctx context.Context, secret string) (*Invitation, error) {
	if !plausibleSecret(secret, invitationPrefix) {
		return nil, errInvitationGone()
	}
	var r invitationRow
	err := s.read.GetContext(ctx, &r, invitationSelect+` WHERE i.hash = ? AND i.used_at = '' AND i.revoked_at = '' AND i.expires_at > ?`,
		hashToken(secret), formatTime(s.Now()))
	if err != nil {
		if ErrorCode(notFound(err, "invitation")) == ENOTFOUND {
			return nil, errInvitationGone()
		}
		return nil, fmt.Errorf("store: invitation: %w", err)
	}
	return r.invitation()
}

// AcceptInvitation makes an existing user a member of the invitation's project with its
// role, and uses the invitation up.
func (s *Store) AcceptInvitation(ctx context.Context, secret, userID string) (*Invitation, error) {
	var inv *Invitation
	_, err := s.writeTx(ctx, func(w *writer) error {
		var err error
		inv, err = useInvitation(w, secret, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// RegisterInvited creates an account and makes it a member of the invitation's project,
// in one transaction: an invitation that cannot be used creates no account.
func (s *Store) RegisterInvited(ctx context.Context, secret string, in NewUser) (*User, *Invitation, error) {
	if err := in.normalize(); err != nil {
		return nil, nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.passwordCost)
	if err != nil {
		return nil, nil, fmt.Errorf("store: hash password: %w", err)
	}
	id := newID()
	var inv *Invitation
	_, err = s.writeTx(ctx, func(w *writer) error {
		if err := insertUser(w, id, in, hash); err != nil {
			return err
		}
		inv, err = useInvitation(w, secret, id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	u, err := s.User(ctx, id)
	return u, inv, err
}

// useInvitation adds userID to the project of the pending invitation with this secret
// and marks it used, inside w. The member is added by the admin who created the
// invitation (the event's actor): joining is that admin's decision, taken in advance,
// and the history says so ("Ana added Dora as member"). An invitation whose creator is
// no longer an admin of the project is no longer valid.
func useInvitation(w *writer, secret, userID string) (*Invitation, error) {
	if !plausibleSecret(secret, invitationPrefix) {
		return nil, errInvitationGone()
	}
	var r invitationRow
	err := w.tx.Get(&r, invitationSelect+` WHERE i.hash = ? AND i.used_at = '' AND i.revoked_at = '' AND i.expires_at > ?`,
		hashToken(secret), formatTime(w.now))
	if err != nil {
		if ErrorCode(notFound(err, "invitation")) == ENOTFOUND {
			return nil, errInvitationGone()
		}
		return nil, fmt.Errorf("store: use invitation: %w", err)
	}
	inv, err := r.invitation()
	if err != nil {
		return nil, err
	}
	if role, err := roleIn(w.tx, inv.ProjectID, inv.CreatedBy.ID); err != nil || !role.CanAdmin() {
		return nil, Errorf(ENOTFOUND, "This invitation is no longer valid: the admin who created it no longer manages %s. Ask a project admin for a new link.", inv.ProjectKey)
	}
	if _, err := roleIn(w.tx, inv.ProjectID, userID); err == nil {
		return nil, Errorf(EINVALID, "You are already a member of %s; the invitation was left for someone else.", inv.ProjectKey)
	}
	res, err := w.tx.Exec(`UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ? AND used_at = '' AND revoked_at = ''`,
		formatTime(w.now), userID, inv.ID)
	if err != nil {
		return nil, fmt.Errorf("store: use invitation: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errInvitationGone()
	}
	if _, err := w.appendLatest(projectStream(inv.ProjectID), inv.CreatedBy.ID, &MemberAdded{UserID: userID, Role: inv.Role}); err != nil {
		return nil, err
	}
	return inv, nil
}
