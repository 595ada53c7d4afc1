package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Every successful RegisterUser and every Authenticate costs a bcrypt hash; the stores
// of tests hash at bcrypt.MinCost (OpenOptions.PasswordCost), and these tests still
// share one store and keep hashing to a minimum.

func TestRegisterUser(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t)
	ana, err := s.RegisterUser(ctx, NewUser{Email: "  Ana.Lima@Example.COM ", Name: " Ana Lima ", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if ana.Email != "ana.lima@example.com" || ana.Name != "Ana Lima" || ana.ID == "" || ana.CreatedAt.IsZero() {
		t.Errorf("registered %+v; want the email lower-cased and both trimmed", ana)
	}

	tests := []struct {
		name      string
		in        NewUser
		wantField string
	}{
		{"empty email", NewUser{Email: " ", Name: "Ben", Password: "12345678"}, "email"},
		{"no at sign", NewUser{Email: "ben.example.com", Name: "Ben", Password: "12345678"}, "email"},
		{"display-name form", NewUser{Email: "Ben <ben@example.com>", Name: "Ben", Password: "12345678"}, "email"},
		{"two addresses", NewUser{Email: "ben@example.com, cleo@example.com", Name: "Ben", Password: "12345678"}, "email"},
		{"too long email", NewUser{Email: strings.Repeat("b", 250) + "@example.com", Name: "Ben", Password: "12345678"}, "email"},
		{"empty name", NewUser{Email: "ben@example.com", Name: "  ", Password: "12345678"}, "name"},
		{"too long name", NewUser{Email: "ben@example.com", Name: strings.Repeat("é", 101), Password: "12345678"}, "name"},
		{"7-character password", NewUser{Email: "ben@example.com", Name: "Ben", Password: "1234567"}, "password"},
		{"7 characters in 14 bytes", NewUser{Email: "ben@example.com", Name: "Ben", Password: "ééééééé"}, "password"},
		{"73-byte password", NewUser{Email: "ben@example.com", Name: "Ben", Password: strings.Repeat("p", MaxPasswordLen+1)}, "password"},
		{"duplicate email, other case", NewUser{Email: "ANA.lima@example.com", Name: "Ana again", Password: "12345678"}, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := eventCount(t, s)

			u, err := s.RegisterUser(ctx, tt.in)

			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || e.Field != tt.wantField {
				t.Fatalf("RegisterUser = %v, %v; want %s on %q", u, err, EINVALID, tt.wantField)
			}
			if got := eventCount(t, s); got != before {
				t.Errorf("log grew by %d events", got-before)
			}
		})
	}
	var credentials int
	if err := s.read.Get(&credentials, `SELECT COUNT(*) FROM credentials`); err != nil || credentials != 1 {
		t.Errorf("%d credentials (%v), want Ana's only", credentials, err)
	}

	t.Run("the password and its hash stay out of the log", func(t *testing.T) {
		var hash string
		if err := s.read.Get(&hash, `SELECT password_hash FROM credentials WHERE user_id = ?`, ana.ID); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$2") || strings.Contains(hash, "correct horse") {
			t.Errorf("stored credential %q is not a bcrypt hash", hash)
		}
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.MinCost {
			t.Errorf("hash cost = %d (%v), want the store's PasswordCost %d", cost, err, bcrypt.MinCost)
		}
		events, err := s.Events(ctx, 0, 100)
		if err != nil || len(events) != 1 {
			t.Fatalf("events = %d, %v; want one user.registered", len(events), err)
		}
		if data := string(events[0].Data); strings.Contains(data, hash) || strings.Contains(data, "correct horse") || strings.Contains(data, "$2") {
			t.Errorf("event data %s holds a secret", data)
		}
		if events[0].Type != TypeUserRegistered || events[0].Stream != userStream(ana.ID) || events[0].Actor != ana.ID {
			t.Errorf("event = %+v", events[0])
		}
	})

	t.Run("authenticate", func(t *testing.T) {
		tests := []struct {
			name, email, password string
			wantErr               bool
		}{
			{"right password, email in another case", " ANA.LIMA@example.com", "correct horse", false},
			{"wrong password", "ana.lima@example.com", "correct horsE", true},
			{"unknown email", "nobody@example.com", "correct horse", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.Authenticate(ctx, tt.email, tt.password)
				if tt.wantErr {
					if ErrorCode(err) != EUNAUTHORIZED || u != nil {
						t.Errorf("Authenticate = %v, %v; want %s", u, err, EUNAUTHORIZED)
					}
					if ErrorMessage(err) != "Email or password is incorrect." {
						t.Errorf("message %q tells which of the two was wrong", ErrorMessage(err))
					}
					return
				}
				if err != nil || u.ID != ana.ID {
					t.Errorf("Authenticate = %v, %v; want Ana", u, err)
				}
			})
		}
	})

	t.Run("lookups", func(t *testing.T) {
		if u, err := s.UserByEmail(ctx, "Ana.Lima@example.com "); err != nil || u.ID != ana.ID {
			t.Errorf("UserByEmail = %v, %v", u, err)
		}
		if _, err := s.UserByEmail(ctx, "nobody@example.com"); ErrorCode(err) != ENOTFOUND {
			t.Errorf("UserByEmail(unknown) = %v; want %s", err, ENOTFOUND)
		}
		if _, err := s.User(ctx, "nobody"); ErrorCode(err) != ENOTFOUND {
			t.Errorf("User(unknown) = %v; want %s", err, ENOTFOUND)
		}
	})
}
