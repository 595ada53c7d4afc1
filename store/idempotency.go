package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Idempotency keys are kept for 48 hours (the promise is at least 24), and a first
// request that never finished (a crash) gives its key up after 5 minutes.
const (
	idempotencyKeep    = 48 * time.Hour
	idempotencyAbandon = 5 * time.Minute
)

// SavedResponse is the first answer to a request sent with an Idempotency-Key.
type SavedResponse struct {
	Status      int
	ContentType string
	Headers     map[string]string
	Body        []byte
}

func validIdempotencyKey(key string) bool {
	if key == "" || len(key) > 255 {
		return false
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// BeginIdempotent reserves key for the user's request identified by fingerprint (a hash
// of its method, path and body). When the key was used before for the same request it
// returns the saved response, to be sent again without doing anything; for another
// request it returns EINVALID; while the first request is still being handled, ECONFLICT.
// A nil response means: handle the request, then call FinishIdempotent or AbandonIdempotent.
func (s *Store) BeginIdempotent(ctx context.Context, userID, key, fingerprint string) (*SavedResponse, error) {
	if !validIdempotencyKey(key) {
		return nil, invalidField("Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters.")
	}
	var saved *SavedResponse
	_, err := s.writeTx(ctx, func(w *writer) error {
		if _, err := w.tx.Exec(`DELETE FROM idempotency_keys WHERE created_at < ?`, formatTime(w.now.Add(-idempotencyKeep))); err != nil {
			return fmt.Errorf("store: purge idempotency keys: %w", err)
		}
		var row struct {
			Fingerprint string `db:"fingerprint"`
			Status      int    `db:"status"`
			ContentType string `db:"content_type"`
			Headers     string `db:"headers"`
			Body        []byte `db:"body"`
			CreatedAt   string `db:"created_at"`
		}
		err := w.tx.Get(&row, `SELECT fingerprint, status, content_type, headers, body, created_at FROM idempotency_keys
			WHERE user_id = ? AND key = ?`, userID, key)
		if ErrorCode(notFound(err, "key")) == ENOTFOUND {
			_, err := w.tx.Exec(`INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) VALUES (?, ?, ?, ?)`,
				userID, key, fingerprint, formatTime(w.now))
			return err
		}
		if err != nil {
			return fmt.Errorf("store: idempotency key: %w", err)
		}
		if row.Fingerprint != fingerprint {
			return invalidField("Idempotency-Key", "This Idempotency-Key was already used for a different request.")
		}
		if row.Status == 0 {
			created, err := parseTime(row.CreatedAt)
			if err != nil {
				return err
			}
			if w.now.Sub(created) < idempotencyAbandon {
				return Errorf(ECONFLICT, "A request with this Idempotency-Key is still being handled; retry in a moment.")
			}
			_, err = w.tx.Exec(`UPDATE idempotency_keys SET created_at = ? WHERE user_id = ? AND key = ?`, formatTime(w.now), userID, key)
			return err
		}
		saved = &SavedResponse{Status: row.Status, ContentType: row.ContentType, Body: row.Body}
		return json.Unmarshal([]byte(row.Headers), &saved.Headers)
	})
	if err != nil {
		return nil, err
	}
	return saved, nil
}

// FinishIdempotent saves the response to the request that reserved key.
func (s *Store) FinishIdempotent(ctx context.Context, userID, key string, res SavedResponse) error {
	headers, err := json.Marshal(res.Headers)
	if err != nil {
		return err
	}
	_, err = s.write.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, content_type = ?, headers = ?, body = ?
		WHERE user_id = ? AND key = ?`, res.Status, res.ContentType, string(headers), res.Body, userID, key)
	if err != nil {
		return fmt.Errorf("store: save idempotent response: %w", err)
	}
	return nil
}

// AbandonIdempotent releases key after a request that failed without changing anything,
// so that a retry is handled afresh.
func (s *Store) AbandonIdempotent(ctx context.Context, userID, key string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND status = 0`, userID, key)
	if err != nil {
		return fmt.Errorf("store: release idempotency key: %w", err)
	}
	return nil
}
