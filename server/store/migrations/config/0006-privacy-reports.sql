-- iOS App Privacy Reports imported per device (store/repos/privacy-report-repo.ts): which app contacted
-- which host, as the phone itself recorded it. Records are keyed by what they say, so importing the same
-- or an overlapping report (each covers the last 7 days) adds only what is new. Not part of a backup:
-- the phone keeps the source, and a report can be imported again.
CREATE TABLE privacy_reports (
  id              INTEGER PRIMARY KEY,
  device_id       INTEGER NOT NULL,
  imported_at     INTEGER NOT NULL,          -- ms since epoch
  file_name       TEXT,
  network_records INTEGER NOT NULL,          -- records in the file
  access_records  INTEGER NOT NULL,
  new_records     INTEGER NOT NULL,          -- records not already known from an earlier import
  first_time      INTEGER,                   -- the period the file covers
  last_time       INTEGER
) STRICT;
CREATE INDEX privacy_reports_by_device ON privacy_reports(device_id, id);

CREATE TABLE privacy_report_network (
  device_id      INTEGER NOT NULL,
  bundle_id      TEXT NOT NULL,
  domain         TEXT NOT NULL,
  context        TEXT NOT NULL,              -- the website, for in-app browsing; '' for the app's own
  time           INTEGER NOT NULL,
  first_time     INTEGER NOT NULL,
  hits           INTEGER NOT NULL,
  domain_owner   TEXT NOT NULL,
  initiated_type TEXT NOT NULL,              -- AppInitiated / NonAppInitiated
  report_id      INTEGER NOT NULL,
  PRIMARY KEY (device_id, bundle_id, domain, context, time)
) STRICT, WITHOUT ROWID;

CREATE TABLE privacy_report_access (
  device_id INTEGER NOT NULL,
  bundle_id TEXT NOT NULL,
  category  TEXT NOT NULL,                   -- camera, microphone, location, contacts, photos …
  kind      TEXT NOT NULL,                   -- intervalBegin / intervalEnd
  time      INTEGER NOT NULL,
  report_id INTEGER NOT NULL,
  PRIMARY KEY (device_id, bundle_id, category, kind, time)
) STRICT, WITHOUT ROWID;
