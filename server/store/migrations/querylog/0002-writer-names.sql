-- The writer keeps the name → id index in memory (store/name-index.ts) and only appends new names, so
-- the UNIQUE index on names.name (one random page write per new name) has no reader left: readers look
-- names up by id, or scan them with LIKE. SQLite cannot drop a constraint, so the table is rebuilt.
CREATE TABLE names_new (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL
) STRICT;
INSERT INTO names_new (id, name) SELECT id, name FROM names;
DROP TABLE names;
ALTER TABLE names_new RENAME TO names;

-- The name rollups (names_hour, names_day, names_total) are summed by SQLite from the raw rows in passes
-- of a few seconds (store/log-writer.ts rollNames); this row says up to which raw row they are done.
-- Rows written before this migration were rolled up as they were written.
CREATE TABLE rollup_state (
  name    TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
) STRICT;
INSERT INTO rollup_state (name, last_id) SELECT 'names', coalesce(max(id), 0) FROM queries;
