-- +goose Up

-- Sprints: a project's time-boxes, numbered 1, 2, 3… per project. A projection of the
-- sprint:ID streams, rebuilt by replay like every read model. A deleted sprint keeps its
-- row (deleted = true) so that its number is never given to another sprint.
CREATE TABLE sprints (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL REFERENCES projects(id),
    number       INTEGER NOT NULL,
    name         TEXT NOT NULL,
    goal         TEXT NOT NULL DEFAULT '',
    start_date   TEXT NOT NULL DEFAULT '',
    end_date     TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'active', 'completed')),
    started_at   TEXT NOT NULL DEFAULT '',
    completed_at TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT false,
    UNIQUE (project_id, number)
);

-- The task's sprint ('' = the backlog) and, for a task a completion carried over, the
-- sprint it came from (cleared when a person changes its sprint).
ALTER TABLE tasks ADD COLUMN sprint_id TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN carried_from TEXT NOT NULL DEFAULT '';

-- The backlog and each sprint list in rank order, and the placement of a task in one.
CREATE INDEX tasks_plan_idx ON tasks(project_id, sprint_id, rank, id);

ALTER TABLE projects ADD COLUMN parallel_sprints BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE projects DROP COLUMN parallel_sprints;
DROP INDEX tasks_plan_idx;
ALTER TABLE tasks DROP COLUMN carried_from;
ALTER TABLE tasks DROP COLUMN sprint_id;
DROP TABLE sprints;
