-- Profiles and schedules (issue 17). A device group is a profile: besides its lists and rules it may set
-- its own company policies, which replace the household's for its devices. A schedule blocks companies,
-- apps or categories (or pauses blocking) for a profile or one device during set hours and days, in the
-- household's time zone (household_settings; NULL = the server's own zone).
CREATE TABLE group_company_policies (
  group_id    INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  company_key TEXT NOT NULL,
  policy      TEXT NOT NULL CHECK (policy IN ('block-tracking', 'block-everything', 'allow')),
  updated_at  INTEGER NOT NULL,               -- ms since epoch
  PRIMARY KEY (group_id, company_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE schedules (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  group_id     INTEGER REFERENCES groups(id) ON DELETE CASCADE,
  device_id    INTEGER REFERENCES devices(id) ON DELETE CASCADE,
  days         INTEGER NOT NULL CHECK (days BETWEEN 1 AND 127),   -- bit d = the window starts on weekday d (0 = Sunday)
  start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
  end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 0 AND 1439),
  action       TEXT NOT NULL CHECK (action IN ('block', 'pause')),
  targets      TEXT NOT NULL DEFAULT '{}',  -- JSON {"companies": [...], "apps": [...], "categories": [...]} (catalog keys)
  enabled      INTEGER NOT NULL DEFAULT 1,
  created_at   INTEGER NOT NULL,
  CHECK ((group_id IS NULL) <> (device_id IS NULL))
) STRICT;
CREATE INDEX schedules_by_group ON schedules(group_id);
CREATE INDEX schedules_by_device ON schedules(device_id);

CREATE TABLE household_settings (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  time_zone TEXT                             -- IANA name; NULL = the server's time zone
) STRICT;
