package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Password length limits; bcrypt reads at most 72 bytes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// NewUser is the input for registering an account.
type NewUser struct {
	Email    string
	Name     string
	Password string
}

func (in *NewUser) normalize() error {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Name = strings.TrimSpace(in.Name)
	if in.Email == "" {
		return invalidField("email", "Enter an email address.")
	}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
		return invalidField("email", "Enter an email address like name@example.com.")
	}
	if in.Name == "" {
		return invalidField("name", "Enter your name.")
	}
	if utf8.RuneCountInString(in.Name) > 100 {
		return invalidField("name", "Name is too long (100 characters at most).")
	}
	return validPassword(in.Password)
}

// validPassword checks a new password against the rules every account follows.
func validPassword(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return invalidField("password", "Password must be at least %d characters.", MinPasswordLen)
	}
	if len(password) > MaxPasswordLen {
		return invalidField("password", "Password is too long (%d bytes at most).", MaxPasswordLen)
	}
	return nil
}

// RegisterUser creates an account. The password is stored as a bcrypt hash outside the log.
func (s *Store) RegisterUser(ctx context.Context, in NewUser) (*User, error) {
	if err := in.normalize(); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.passwordCost)
	if err != nil {
		return nil, fmt.Errorf("store: hash password: %w", err)
	}
	id := newID()
	_, err = s.writeTx(ctx, func(w *writer) error { return insertUser(w, id, in, hash) })
	if err != nil {
		return nil, err
	}
	return s.User(ctx, id)
}

// SetPassword replaces the user's password, under the same rules as at registration.
// Like the password itself, the change is kept out of the event log.
func (s *Store) SetPassword(ctx context.Context, userID, password string) error {
	if err := validPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.passwordCost)
	if err != nil {
		return fmt.Errorf("store: hash password: %w", err)
	}
	_, err = s.writeTx(ctx, func(w *writer) error { return setPassword(w, userID, hash) })
	return err
}

// setPassword stores a new password hash for the user inside w.
func setPassword(w *writer, userID string, hash []byte) error {
	res, err := w.tx.Exec(`UPDATE credentials SET password_hash = ? WHERE user_id = ?`, string(hash), userID)
	if err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Errorf(ENOTFOUND, "No such user.")
	}
	return nil
}

// insertUser records a new account with a normalized input and a password hash inside w.
func insertUser(w *writer, id string, in NewUser, hash []byte) error {
	var n int
	if err := w.tx.Get(&n, `SELECT COUNT(*) FROM users WHERE email = ?`, in.Email); err != nil {
		return fmt.Errorf("store: register: %w", err)
	}
	if n > 0 {
		return invalidField("email", "An account with this email already exists.")
	}
	if _, err := w.tx.Exec(`INSERT INTO credentials (user_id, password_hash) VALUES (?, ?)`, id, string(hash)); err != nil {
		return fmt.Errorf("store: register: %w", err)
	}
	_, err := w.append(userStream(id), 0, id, &UserRegistered{Email: in.Email, Name: in.Name})
	return err
}

// Authenticate returns the user with this email and password, or EUNAUTHORIZED.
func (s *Store) Authenticate(ctx context.Context, email, password string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var row struct {
		ID   string `db:"user_id"`
		Hash string `db:"password_hash"`
	}
	err := s.read.GetContext(ctx, &row, `SELECT c.user_id, c.password_hash FROM credentials c JOIN users u ON u.id = c.user_id WHERE u.email = ?`, email)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend as long as a real check, so timing does not tell which emails exist.
		bcrypt.GenerateFromPassword([]byte(password[:min(len(password), MaxPasswordLen)]), s.passwordCost)
		return nil, Errorf(EUNAUTHORIZED, "Email or password is incorrect.")
	}
	if err != nil {
		return nil, fmt.Errorf("store: authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(row.Hash), []byte(password)) != nil {
		return nil, Errorf(EUNAUTHORIZED, "Email or password is incorrect.")
	}
	return s.User(ctx, row.ID)
}

type userRow struct {
	ID        string `db:"id"`
	Email     string `db:"email"`
	Name      string `db:"name"`
	CreatedAt string `db:"created_at"`
}

func (r userRow) user() (*User, error) {
	at, err := parseTime(r.CreatedAt)
	if err != nil {
		return nil, err
	}
	return &User{ID: r.ID, Email: r.Email, Name: r.Name, CreatedAt: at}, nil
}

// User returns the user with the given id.
func (s *Store) User(ctx context.Context, id string) (*User, error) {
	var r userRow
	if err := s.read.GetContext(ctx, &r, `SELECT id, email, name, created_at FROM users WHERE id = ?`, id); err != nil {
		return nil, notFound(err, "user %s", id)
	}
	return r.user()
}

// UserByEmail returns the user with the given email address.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var r userRow
	email = strings.ToLower(strings.TrimSpace(email))
	if err := s.read.GetContext(ctx, &r, `SELECT id, email, name, created_at FROM users WHERE email = ?`, email); err != nil {
		return nil, notFound(err, "No account uses %s.", email)
	}
	return r.user()
}

// notFound turns sql.ErrNoRows into ENOTFOUND with a message, and wraps other errors.
func notFound(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		msg := fmt.Sprintf(format, args...)
		if !strings.HasSuffix(msg, ".") {
			msg = "Not found: " + msg + "."
		}
		return &Error{Code: ENOTFOUND, Message: msg}
	}
	return fmt.Errorf("store: %s: %w", fmt.Sprintf(format, args...), err)
}
