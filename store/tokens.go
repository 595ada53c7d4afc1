package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// tokenPrefix marks Tack tokens, so secret scanners and people recognise them.
const tokenPrefix = "tack_"

// Token is a personal access token for the JSON API, without its secret.
type Token struct {
	ID         string    `json:"id" db:"id"`
	Name       string    `json:"name" db:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	Revoked    bool      `json:"revoked"`
}

type tokenRow struct {
	ID         string `db:"id"`
	UserID     string `db:"user_id"`
	Name       string `db:"name"`
	CreatedAt  string `db:"created_at"`
	LastUsedAt string `db:"last_used_at"`
	RevokedAt  string `db:"revoked_at"`
}

func (r tokenRow) token() (*Token, error) {
	t := &Token{ID: r.ID, Name: r.Name, Revoked: r.RevokedAt != ""}
	var err error
	if t.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return nil, err
	}
	if r.LastUsedAt != "" {
		if t.LastUsedAt, err = parseTime(r.LastUsedAt); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// newSecret returns a fresh random secret with prefix: 256 bits in lower-case base 32.
// Tack shows a secret once and stores only its hashToken.
func newSecret(prefix string) string {
	var raw [32]byte
	rand.Read(raw[:])
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
}

// plausibleSecret reports whether secret could be one newSecret made with prefix, so
// that junk is refused before it is hashed and looked up.
func plausibleSecret(secret, prefix string) bool {
	return strings.HasPrefix(secret, prefix) && len(secret) <= 200
}

// hashToken is the SHA-256 of a secret, as stored.
func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken creates a personal access token for user and returns its secret, which
// is shown once and stored only as a hash.
func (s *Store) CreateToken(ctx context.Context, userID, name string) (string, *Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "API token"
	}
	if utf8.RuneCountInString(name) > 80 {
		return "", nil, invalidField("name", "Token name is too long (80 characters at most).")
	}
	secret := newSecret(tokenPrefix)
	id := newID()
	_, err := s.writeTx(ctx, func(w *writer) error {
		var n int
		if err := w.tx.Get(&n, `SELECT COUNT(*) FROM users WHERE id = ?`, userID); err != nil || n == 0 {
			return Errorf(ENOTFOUND, "No such user.")
		}
		_, err := w.tx.Exec(`INSERT INTO api_tokens (id, user_id, name, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, userID, name, hashToken(secret), formatTime(w.now))
		if err != nil {
			return fmt.Errorf("store: create token: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	t, err := s.token(ctx, userID, id)
	return secret, t, err
}

func (s *Store) token(ctx context.Context, userID, id string) (*Token, error) {
	var r tokenRow
	if err := s.read.GetContext(ctx, &r, `SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE id = ? AND user_id = ?`, id, userID); err != nil {
		return nil, notFound(err, "No such token.")
	}
	return r.token()
}

// Tokens lists a user's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, userID string) ([]*Token, error) {
	var rows []tokenRow
	if err := s.read.SelectContext(ctx, &rows, `SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens
		WHERE user_id = ? ORDER BY created_at DESC, id`, userID); err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	out := make([]*Token, 0, len(rows))
	for _, r := range rows {
		t, err := r.token()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// RevokeToken makes one of user's tokens unusable from now on.
func (s *Store) RevokeToken(ctx context.Context, userID, tokenID string) error {
	_, err := s.writeTx(ctx, func(w *writer) error {
		res, err := w.tx.Exec(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at = ''`,
			formatTime(w.now), tokenID, userID)
		if err != nil {
			return fmt.Errorf("store: revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ENOTFOUND, "No such active token.")
		}
		return nil
	})
	return err
}

// AuthenticateToken returns the user a token belongs to, or EUNAUTHORIZED for a token
// that is unknown or revoked.
func (s *Store) AuthenticateToken(ctx context.Context, secret string) (*User, error) {
	if !plausibleSecret(secret, tokenPrefix) {
		return nil, Errorf(EUNAUTHORIZED, "The token is not valid.")
	}
	// One statement for the token and its user: this runs on every API request.
	var r struct {
		ID, LastUsedAt, RevokedAt string
		User                      userRow
	}
	err := s.read.QueryRowContext(ctx, `SELECT t.id, t.last_used_at, t.revoked_at, u.id, u.email, u.name, u.created_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`, hashToken(secret)).
		Scan(&r.ID, &r.LastUsedAt, &r.RevokedAt, &r.User.ID, &r.User.Email, &r.User.Name, &r.User.CreatedAt)
	if err != nil {
		if ErrorCode(notFound(err, "token")) == ENOTFOUND {
			return nil, Errorf(EUNAUTHORIZED, "The token is not valid.")
		}
		return nil, fmt.Errorf("store: authenticate token: %w", err)
	}
	if r.RevokedAt != "" {
		return nil, Errorf(EUNAUTHORIZED, "The token has been revoked.")
	}
	s.touchToken(ctx, r.ID, r.LastUsedAt)
	return r.User.user()
}

// touchToken records that a token was used, at most once a minute per token, so reads
// through the API do not turn into a write each.
func (s *Store) touchToken(ctx context.Context, id, lastUsedAt string) {
	now := s.Now().UTC()
	if lastUsedAt != "" {
		if last, err := parseTime(lastUsedAt); err == nil && now.Sub(last) < time.Minute {
			return
		}
	}
	s.write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, formatTime(now), id)
}
