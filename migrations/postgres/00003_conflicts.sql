-- +goose Up

-- Conflicts waiting for their author's answer, at most one per task and author (a newer
-- conflict replaces an older one). A read model of task.conflict_recorded and
-- task.conflict_answered, and of the author's later changes to the same fields; replay
-- rebuilds it like every other projection.
CREATE TABLE pending_conflicts (
    task_id    TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    project_id TEXT    NOT NULL,
    seq        BIGINT  NOT NULL, -- the task.conflict_recorded event
    fields     TEXT    NOT NULL, -- JSON array of the fields in conflict
    at         TEXT    NOT NULL,
    data       TEXT    NOT NULL, -- the task.conflict_recorded payload
    PRIMARY KEY (task_id, user_id)
);
CREATE INDEX pending_conflicts_user_idx ON pending_conflicts(project_id, user_id);

-- +goose Down
DROP TABLE pending_conflicts;
