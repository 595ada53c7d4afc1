-- +goose Up

-- Password reset links: a project admin issues a one-time link with which a member of
-- that project chooses a new password (there is no email here to send one). Like
-- invitations and API tokens, only the SHA-256 hash of the link's secret is kept. A link
-- is pending until it is used (used_at), replaced by a newer link for the same user
-- (replaced_at) or expires. Rows are kept as the record of who issued a reset and when
-- it was used: passwords live outside the event log, so resets do too. No REFERENCES to
-- users or projects: those are read models that "tack replay --fix" clears and refills.
CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT NOT NULL DEFAULT '',
    replaced_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX password_resets_user_idx ON password_resets(user_id);

-- +goose Down
DROP TABLE password_resets;
