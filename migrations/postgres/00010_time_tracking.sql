-- +goose Up

-- A project's working calendar for time tracking: how long a working day is (minutes)
-- and how many days a working week has. Durations are stored as seconds; these only
-- change how they are written ("1w 2d 3h"). Kept by project.settings_changed.
ALTER TABLE projects ADD COLUMN day_minutes INTEGER NOT NULL DEFAULT 480 CHECK (day_minutes BETWEEN 1 AND 1440);
ALTER TABLE projects ADD COLUMN week_days INTEGER NOT NULL DEFAULT 5 CHECK (week_days BETWEEN 1 AND 7);

-- +goose Down
ALTER TABLE projects DROP COLUMN week_days;
ALTER TABLE projects DROP COLUMN day_minutes;
