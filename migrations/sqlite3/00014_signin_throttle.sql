-- +goose Up

-- Sign-in throttling (store/throttle.go): the failed sign-in attempts counted under
-- each key, so that every Tack instance on one database counts them together. It is
-- plain state, like sessions, not events. key is the SHA-256 (hex) of the key's kind
-- and subject (the (account, address) pair, the address, or the account): a fixed
-- width whatever the request sent, and no e-mail address or client address stored.
-- last_at is the last counted attempt, locked_until the end of a lockout ('' when
-- none), expires_at when the row is forgotten (the lockout's end, else last_at plus
-- the 15-minute window): expired rows are deleted when touched and, a bounded number
-- at a time, by every attempt (expires_at's index finds them).
CREATE TABLE signin_throttle (
    key          TEXT    NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL CHECK (failures >= 0),
    last_at      TEXT    NOT NULL,
    locked_until TEXT    NOT NULL DEFAULT '',
    expires_at   TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX signin_throttle_expires_idx ON signin_throttle(expires_at);

-- +goose Down
DROP INDEX signin_throttle_expires_idx;
DROP TABLE signin_throttle;
