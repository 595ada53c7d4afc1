-- +goose Up

-- How many cards (tasks not archived) each column holds, kept by the fold as tasks are
-- created, moved, archived and restored, so that a column's heading never counts its
-- cards. Columns without cards have no row.
CREATE TABLE column_cards (
    project_id TEXT NOT NULL,
    column_id  TEXT NOT NULL,
    cards      INTEGER NOT NULL CHECK (cards > 0),
    PRIMARY KEY (project_id, column_id)
);

INSERT INTO column_cards (project_id, column_id, cards)
    SELECT project_id, column_id, COUNT(*) FROM tasks WHERE NOT archived GROUP BY project_id, column_id;

-- +goose Down
DROP TABLE column_cards;
