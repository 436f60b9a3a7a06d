-- Apps seen per device and the app each tracker contact came with (store/app-rollups.ts). Summed from the
-- raw log in passes of a few seconds, off the DNS path; rollup_state row 'apps' says up to which raw row.
-- App keys are the app catalog's (blocklists/apps/*.yaml): stable text keys, and few per device.
CREATE TABLE device_apps (
  device_id  INTEGER NOT NULL,
  app_key    TEXT NOT NULL,
  first_seen INTEGER NOT NULL,            -- ms since epoch
  last_seen  INTEGER NOT NULL,
  queries    INTEGER NOT NULL,            -- queries for the app's own hosts
  PRIMARY KEY (device_id, app_key)
) STRICT, WITHOUT ROWID;

-- Every tracker contact of a device, per name: the denominator of "38 of 40 times".
CREATE TABLE device_trackers (
  device_id  INTEGER NOT NULL,
  name_id    INTEGER NOT NULL,            -- names.id of the tracker host
  company_id INTEGER NOT NULL,            -- catalog company at query time (0 unknown)
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  total      INTEGER NOT NULL,
  PRIMARY KEY (device_id, name_id)
) STRICT, WITHOUT ROWID;

-- Contacts of a tracker that had a query of an app on the same device within the window (2 s).
CREATE TABLE tracker_app_links (
  device_id INTEGER NOT NULL,
  app_key   TEXT NOT NULL,
  name_id   INTEGER NOT NULL,
  together  INTEGER NOT NULL,
  PRIMARY KEY (device_id, app_key, name_id)
) STRICT, WITHOUT ROWID;

-- Start from the oldest row the log still has: the apps of the days already logged show at once.
INSERT INTO rollup_state (name, last_id) VALUES ('apps', 0);
