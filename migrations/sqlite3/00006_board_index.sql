-- +goose Up

-- One card's place on its board without reading the board: the card before it in its
-- column, its position and its column's card count are each a range of this index
-- (covering: no table row is read), whatever the size of the project.
CREATE INDEX tasks_board_idx ON tasks(project_id, column_id, archived, rank, id);

-- +goose Down
DROP INDEX tasks_board_idx;
