-- +goose Up

-- Invitation links: a project admin invites someone to join the project with a role.
-- The link's token is a secret, so like API tokens only its SHA-256 hash is kept. An
-- invitation is pending until it is used (used_at), revoked (revoked_at) or expires.
-- Joining is recorded in the event log as project.member_added; this table only holds
-- the secret's state. No REFERENCES to projects or users: those are read models that
-- "tack replay --fix" clears and refills.
CREATE TABLE invitations (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    role       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT NOT NULL DEFAULT '',
    used_by    TEXT NOT NULL DEFAULT '',
    revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invitations_project_idx ON invitations(project_id);

-- +goose Down
DROP TABLE invitations;
