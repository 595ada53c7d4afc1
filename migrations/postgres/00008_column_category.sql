-- +goose Up

-- A workflow column's status category: 'todo', 'in_progress' or 'done', or '' for the
-- default of its place (first column to do, last done, the others in progress), which
-- is what every column of a workflow saved before categories existed has.
ALTER TABLE columns ADD COLUMN category TEXT NOT NULL DEFAULT ''
    CHECK (category IN ('', 'todo', 'in_progress', 'done'));

-- +goose Down
ALTER TABLE columns DROP COLUMN category;
