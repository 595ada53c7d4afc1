-- +goose Up

-- The board as it was (issue 12) folds a project's events: event_projects says which
-- events are a project's without reading the whole log. A project's events are those of
-- its stream, of its tasks' streams and of its sprints' streams; recorded conflicts
-- (streams ending in :conflicts) change no board and are left out. It is kept by a
-- trigger on the append-only log, so every way of appending (the live writer, the bulk
-- paths of tests and tools) fills it, and the writer's Go code does not change. A task's
-- or a sprint's project is in its first event (task.created, sprint.created).
-- at repeats the event's instant so that "the board at 14:00" finds its position by
-- index (event_projects_at_idx).
CREATE TABLE event_projects (
    project_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    at         TEXT    NOT NULL,
    PRIMARY KEY (project_id, seq)
) WITHOUT ROWID;
CREATE INDEX event_projects_at_idx ON event_projects(project_id, at);

INSERT INTO event_projects (project_id, seq, at)
SELECT pid, seq, at FROM (
    SELECT e.seq AS seq, e.at AS at, CASE
        WHEN e.stream GLOB 'project:*' THEN substr(e.stream, 9)
        ELSE json_extract(f.data, '$.project_id')
    END AS pid
    FROM events e
    LEFT JOIN events f ON f.stream = e.stream AND f.version = 1
    WHERE (e.stream GLOB 'project:*' OR e.stream GLOB 'task:*' OR e.stream GLOB 'sprint:*')
      AND NOT e.stream GLOB '*:conflicts'
) WHERE pid IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER events_project AFTER INSERT ON events
WHEN (NEW.stream GLOB 'project:*' OR NEW.stream GLOB 'task:*' OR NEW.stream GLOB 'sprint:*')
    AND NOT NEW.stream GLOB '*:conflicts'
BEGIN
    INSERT INTO event_projects (project_id, seq, at)
    SELECT pid, NEW.seq, NEW.at FROM (SELECT CASE
        WHEN NEW.stream GLOB 'project:*' THEN substr(NEW.stream, 9)
        WHEN NEW.version = 1 THEN json_extract(NEW.data, '$.project_id')
        ELSE (SELECT json_extract(f.data, '$.project_id') FROM events f WHERE f.stream = NEW.stream AND f.version = 1)
    END AS pid) WHERE pid IS NOT NULL;
END;
-- +goose StatementEnd

-- Board checkpoints: a project's board folded up to seq (every 500 of its events, and
-- at each sprint start and completion), written lazily by the as-of reads that pass
-- them. state is the fold (store/asof.go), compressed; a checkpoint whose format
-- version the code does not know is ignored and written again. They are derived from
-- the log alone and may be deleted at any time.
CREATE TABLE board_checkpoints (
    project_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    state      BLOB    NOT NULL,
    PRIMARY KEY (project_id, seq)
);

-- +goose Down
DROP TABLE board_checkpoints;
DROP TRIGGER events_project;
DROP INDEX event_projects_at_idx;
DROP TABLE event_projects;
