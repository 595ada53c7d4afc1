-- +goose Up

-- One card's place on its board without reading the board: the card before it in its
-- column, its position, its column's card count and a move's neighbours are each a range
-- of this index in board order (rank, then id), covering (no table row is read), whatever
-- the size of the project. It starts with what tasks_column_idx held, which it replaces.
CREATE INDEX tasks_board_idx ON tasks(project_id, column_id, rank, id, archived);
DROP INDEX tasks_column_idx;

-- +goose Down
CREATE INDEX tasks_column_idx ON tasks(project_id, column_id, rank);
DROP INDEX tasks_board_idx;
