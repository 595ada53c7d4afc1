-- +goose Up

-- The board as it was (issue 12) folds a project's events: event_projects says which
-- events are a project's without reading the whole log. A project's events are those of
-- its stream, of its tasks' streams and of its sprints' streams; recorded conflicts
-- (streams ending in :conflicts) change no board and are left out. at repeats the
-- event's instant, so that "the board at 14:00" finds its position by index.
--
-- It is filled lazily, by the as-of reads (store/asof.go, indexProjectEvents), up to
-- event_projects_head.seq: the append path does not change. (A trigger on events
-- filling it at append time cost a move about 15% more CPU, measured.)
CREATE TABLE event_projects (
    project_id TEXT    NOT NULL,
    seq        BIGINT  NOT NULL,
    at         TEXT    NOT NULL,
    PRIMARY KEY (project_id, seq)
);
CREATE INDEX event_projects_at_idx ON event_projects(project_id, at);

-- The log's position up to which event_projects is filled: one row.
CREATE TABLE event_projects_head (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO event_projects_head (id, seq) VALUES (1, 0);

-- Board checkpoints: a project's board folded up to seq (every 500 of its events, and
-- at each sprint start and completion), written lazily by the as-of reads that pass
-- them. state is the fold (store/asof.go), compressed; a checkpoint whose format
-- version the code does not know is ignored and written again. They are derived from
-- the log alone and may be deleted at any time.
CREATE TABLE board_checkpoints (
    project_id TEXT    NOT NULL,
    seq        BIGINT  NOT NULL,
    state      BYTEA   NOT NULL,
    PRIMARY KEY (project_id, seq)
);

-- +goose Down
DROP TABLE board_checkpoints;
DROP TABLE event_projects_head;
DROP INDEX event_projects_at_idx;
DROP TABLE event_projects;
