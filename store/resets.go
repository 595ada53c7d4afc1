package store

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// PasswordResetTTL is how long a password reset link works.
const PasswordResetTTL = 24 * time.Hour

// resetPrefix marks password reset secrets, so people and secret scanners recognise them.
const resetPrefix = "rst_"

// PasswordReset is a one-time link with which a user chooses a new password, without
// its secret. A project admin issues it for a member of that project.
type PasswordReset struct {
	ID         string
	User       User // ID, Email and Name
	ProjectID  string
	ProjectKey string
	CreatedBy  User // ID and Name
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

type passwordResetRow struct {
	ID          string `db:"id"`
	UserID      string `db:"user_id"`
	UserEmail   string `db:"user_email"`
	UserName    string `db:"user_name"`
	ProjectID   string `db:"project_id"`
	ProjectKey  string `db:"project_key"`
	CreatedBy   string `db:"created_by"`
	CreatorName string `db:"creator_name"`
	CreatedAt   string `db:"created_at"`
	ExpiresAt   string `db:"expires_at"`
}

const passwordResetSelect = `SELECT r.id, r.user_id, u.email AS user_email, u.name AS user_name, r.project_id,
	p.key AS project_key, r.created_by, COALESCE(c.name, '') AS creator_name, r.created_at, r.expires_at
	FROM password_resets r JOIN users u ON u.id = r.user_id JOIN projects p ON p.id = r.project_id
	LEFT JOIN users c ON c.id = r.created_by`

// passwordResetPending selects, after passwordResetSelect, the pending link with a hash
// at a time.
const passwordResetPending = ` WHERE r.hash = ? AND r.used_at = '' AND r.replaced_at = '' AND r.expires_at > ?`

func (r passwordResetRow) reset() (*PasswordReset, error) {
	pr := &PasswordReset{ID: r.ID, User: User{ID: r.UserID, Email: r.UserEmail, Name: r.UserName},
		ProjectID: r.ProjectID, ProjectKey: r.ProjectKey, CreatedBy: User{ID: r.CreatedBy, Name: r.CreatorName}}
	var err error
	if pr.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return nil, err
	}
	if pr.ExpiresAt, err = parseTime(r.ExpiresAt); err != nil {
		return nil, err
	}
	return pr, nil
}

// errResetGone is the one answer for a reset link that is unknown, used, replaced or
// expired: telling these apart would help someone guessing links.
func errResetGone() error {
	return Errorf(ENOTFOUND, "This reset link was already used or has expired. Ask a project admin for a new one.")
}

// CreatePasswordReset issues a password reset link for a member of the project, valid
// for PasswordResetTTL, and returns its secret, which is shown once and stored only as a
// hash; admins only. Older unused links for the same user stop working.
func (s *Store) CreatePasswordReset(ctx context.Context, actor, projectID, userID string) (string, *PasswordReset, error) {
	secret := newSecret(resetPrefix)
	id := newID()
	_, err := s.writeTx(ctx, func(w *writer) error {
		if _, err := requireRole(w.tx, projectID, actor, Role.CanAdmin, "reset passwords"); err != nil {
			return err
		}
		if _, err := roleIn(w.tx, projectID, userID); err != nil {
			return Errorf(ENOTFOUND, "No such member in this project.")
		}
		now := formatTime(w.now)
		if _, err := w.tx.Exec(`UPDATE password_resets SET replaced_at = ? WHERE user_id = ? AND used_at = '' AND replaced_at = ''`,
			now, userID); err != nil {
			return fmt.Errorf("store: create password reset: %w", err)
		}
		_, err := w.tx.Exec(`INSERT INTO password_resets (id, user_id, project_id, hash, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, userID, projectID, hashToken(secret), actor, now, formatTime(w.now.Add(PasswordResetTTL)))
		if err != nil {
			return fmt.Errorf("store: create password reset: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	var r passwordResetRow
	if err := s.read.GetContext(ctx, &r, passwordResetSelect+` WHERE r.id = ?`, id); err != nil {
		return "", nil, notFound(err, "password reset %s", id)
	}
	pr, err := r.reset()
	return secret, pr, err
}

// PasswordResetBySecret returns the pending reset link with this secret, or ENOTFOUND
// when it is unknown, used, replaced or expired.
func (s *Store) PasswordResetBySecret(ctx context.Context, secret string) (*PasswordReset, error) {
	if !plausibleSecret(secret, resetPrefix) {
		return nil, errResetGone()
	}
	var r passwordResetRow
	err := s.read.GetContext(ctx, &r, passwordResetSelect+passwordResetPending, hashToken(secret), formatTime(s.Now()))
	if err != nil {
		if ErrorCode(notFound(err, "password reset")) == ENOTFOUND {
			return nil, errResetGone()
		}
		return nil, fmt.Errorf("store: password reset: %w", err)
	}
	return r.reset()
}

// ResetPassword sets a new password with a pending reset link and uses the link up, in
// one transaction: a link works once, and a refused password leaves it usable. It returns
// the user whose password it set.
//
// A link stops working when its user is no longer a member of its project, or its
// creator no longer an admin there: the admin's authority over the account came from
// that project.
func (s *Store) ResetPassword(ctx context.Context, secret, password string) (*User, error) {
	if !plausibleSecret(secret, resetPrefix) {
		return nil, errResetGone()
	}
	if err := validPassword(password); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.passwordCost)
	if err != nil {
		return nil, fmt.Errorf("store: hash password: %w", err)
	}
	var userID string
	_, err = s.writeTx(ctx, func(w *writer) error {
		var r passwordResetRow
		err := w.tx.Get(&r, passwordResetSelect+passwordResetPending, hashToken(secret), formatTime(w.now))
		if err != nil {
			if ErrorCode(notFound(err, "password reset")) == ENOTFOUND {
				return errResetGone()
			}
			return fmt.Errorf("store: use password reset: %w", err)
		}
		if role, err := roleIn(w.tx, r.ProjectID, r.CreatedBy); err != nil || !role.CanAdmin() {
			return errResetGone()
		}
		if _, err := roleIn(w.tx, r.ProjectID, r.UserID); err != nil {
			return errResetGone()
		}
		res, err := w.tx.Exec(`UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at = '' AND replaced_at = ''`,
			formatTime(w.now), r.ID)
		if err != nil {
			return fmt.Errorf("store: use password reset: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errResetGone()
		}
		userID = r.UserID
		return setPassword(w, r.UserID, hash)
	})
	if err != nil {
		return nil, err
	}
	return s.User(ctx, userID)
}
