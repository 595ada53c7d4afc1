-- +goose Up

-- The twin of sqlite3/00001_init.sql. Types keep the store's code shared: times are the
-- same fixed-width TEXT the store writes, JSON payloads are TEXT (their bytes stay as
-- written, so a replay or a report reads back exactly what was appended), flags are
-- BOOLEAN (Go bools on both sides).

-- The append-only event log: the source of truth for every read model below. seq is
-- given by the store under a transaction-level advisory lock (store/dialect.go), not
-- by a sequence: positions are dense and become visible in order.
CREATE TABLE events (
    seq     BIGINT  PRIMARY KEY CHECK (seq > 0),
    stream  TEXT    NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    type    TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    at      TEXT    NOT NULL,
    data    TEXT    NOT NULL CHECK (data::json IS NOT NULL),
    UNIQUE (stream, version)
);

-- +goose StatementBegin
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
-- TRUNCATE fires no row trigger: refuse it too.
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- Secrets stay out of the immutable log: a password hash lives here, not in an event.
CREATE TABLE credentials (
    user_id       TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);

-- Sessions for alexedwards/scs (postgresstore schema).
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BYTEA NOT NULL,
    expiry TIMESTAMPTZ NOT NULL
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

-- rank orders cards by bytes, as SQLite's BINARY collation does, whatever the
-- database's default collation.
CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    number      INTEGER NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL,
    priority    TEXT NOT NULL,
    column_id   TEXT NOT NULL,
    rank        TEXT COLLATE "C" NOT NULL,
    assignee_id TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT '[]',
    points      DOUBLE PRECISION,
    due_date    TEXT NOT NULL DEFAULT '',
    archived    BOOLEAN NOT NULL DEFAULT false,
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
    seq     BIGINT PRIMARY KEY,
    task_id TEXT NOT NULL,
    type    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    at      TEXT NOT NULL,
    data    TEXT NOT NULL
);
CREATE INDEX task_history_task_idx ON task_history(task_id, seq);

-- One row per event that concerns a project, for its activity page.
CREATE TABLE activity (
    seq        BIGINT PRIMARY KEY,
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
DROP TABLE events;
DROP FUNCTION events_append_only;
