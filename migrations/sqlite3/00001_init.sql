-- +goose Up

-- The append-only event log: the source of truth for every read model below.
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    stream  TEXT    NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    type    TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    at      TEXT    NOT NULL,
    data    TEXT    NOT NULL CHECK (json_valid(data)),
    UNIQUE (stream, version)
);

-- +goose StatementBegin
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed');
END;
-- +goose StatementEnd

-- Secrets stay out of the immutable log: a password hash lives here, not in an event.
CREATE TABLE credentials (
    user_id       TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);

-- Sessions for alexedwards/scs (sqlite3store schema).
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry REAL NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions(expiry);

-- Read models: every table below is a projection of events and can be rebuilt by replay.

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE projects (
    id         TEXT PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version    INTEGER NOT NULL
);

CREATE TABLE columns (
    id         TEXT NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects(id),
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    wip_limit  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, id)
);

CREATE TABLE members (
    project_id TEXT NOT NULL REFERENCES projects(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user_idx ON members(user_id);

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    number      INTEGER NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL,
    priority    TEXT NOT NULL,
    column_id   TEXT NOT NULL,
    rank        TEXT NOT NULL,
    assignee_id TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT '[]',
    points      REAL,
    due_date    TEXT NOT NULL DEFAULT '',
    archived    INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (project_id, number)
);
CREATE INDEX tasks_column_idx ON tasks(project_id, column_id, rank);

-- One row per event that concerns a task, conflicts included, for the task's history.
CREATE TABLE task_history (
    seq     INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL,
    type    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    at      TEXT NOT NULL,
    data    TEXT NOT NULL
);
CREATE INDEX task_history_task_idx ON task_history(task_id, seq);

-- One row per event that concerns a project, for its activity page.
CREATE TABLE activity (
    seq        INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    task_id    TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX activity_project_idx ON activity(project_id, seq);

-- +goose Down
DROP TABLE activity;
DROP TABLE task_history;
DROP TABLE tasks;
DROP TABLE members;
DROP TABLE columns;
DROP TABLE projects;
DROP TABLE users;
DROP TABLE sessions;
DROP TABLE credentials;
DROP TRIGGER events_no_delete;
DROP TRIGGER events_no_update;
DROP TABLE events;
