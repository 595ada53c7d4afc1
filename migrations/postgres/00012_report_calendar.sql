-- +goose Up

-- A project's working calendar for reports (burndown, sprint report): the time zone its
-- days are counted in, its working weekdays (bit i set = time.Weekday i works; Mon–Fri =
-- 62) and its non-working dates (a JSON array of 'YYYY-MM-DD', sorted). Kept by
-- project.settings_changed.
ALTER TABLE projects ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE projects ADD COLUMN work_weekdays INTEGER NOT NULL DEFAULT 62 CHECK (work_weekdays BETWEEN 1 AND 127);
ALTER TABLE projects ADD COLUMN holidays TEXT NOT NULL DEFAULT '[]' CHECK (holidays::json IS NOT NULL);

-- +goose Down
ALTER TABLE projects DROP COLUMN holidays;
ALTER TABLE projects DROP COLUMN work_weekdays;
ALTER TABLE projects DROP COLUMN time_zone;
