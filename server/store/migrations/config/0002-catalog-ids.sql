-- Stable numeric ids for the tracker catalog's companies, categories and apps. The query log stores these
-- ids, so a key keeps its id forever (rows are never deleted, even when the catalog drops an entry) and
-- a new key always gets a new id.
CREATE TABLE catalog_ids (
  kind TEXT NOT NULL CHECK (kind IN ('company', 'category', 'app')),
  key  TEXT NOT NULL,
  id   INTEGER NOT NULL,
  PRIMARY KEY (kind, key),
  UNIQUE (kind, id)
) STRICT;
