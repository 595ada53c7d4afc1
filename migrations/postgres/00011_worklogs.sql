-- +goose Up

-- Time tracking on tasks, kept by the task:ID streams: the original estimate and the
-- remaining estimate (seconds, NULL = none) and the time logged (seconds, the sum of the
-- task's worklogs).
ALTER TABLE tasks ADD COLUMN estimate BIGINT NULL;
ALTER TABLE tasks ADD COLUMN remaining BIGINT NULL;
ALTER TABLE tasks ADD COLUMN logged BIGINT NOT NULL DEFAULT 0;

-- Worklogs: time someone spent on a task on a work date. A projection of the task's
-- task.work_logged / task.worklog_edited / task.worklog_deleted events, rebuilt by
-- replay. A deleted worklog's row is deleted; the log keeps it.
CREATE TABLE worklogs (
    id         TEXT PRIMARY KEY,
    task_id    TEXT NOT NULL REFERENCES tasks(id),
    project_id TEXT NOT NULL REFERENCES projects(id),
    author_id  TEXT NOT NULL,
    work_date  TEXT NOT NULL, -- YYYY-MM-DD
    start_time TEXT NOT NULL DEFAULT '', -- HH:MM or ''
    seconds    BIGINT  NOT NULL CHECK (seconds > 0),
    comment    TEXT NOT NULL DEFAULT '',
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX worklogs_task_idx ON worklogs(task_id, work_date);
CREATE INDEX worklogs_project_idx ON worklogs(project_id, work_date);
CREATE INDEX worklogs_author_idx ON worklogs(author_id, work_date);

-- +goose Down
DROP INDEX worklogs_author_idx;
DROP INDEX worklogs_project_idx;
DROP INDEX worklogs_task_idx;
DROP TABLE worklogs;
ALTER TABLE tasks DROP COLUMN logged;
ALTER TABLE tasks DROP COLUMN remaining;
ALTER TABLE tasks DROP COLUMN estimate;
