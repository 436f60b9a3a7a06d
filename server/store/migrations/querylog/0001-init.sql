-- querylog.db: the query log and its rollups. Disposable: may be truncated, pruned or recreated at any
-- time without losing a rule. Numbered migrations, each in one transaction, tracked by PRAGMA user_version.

-- Interned strings: the raw log stores integer ids only (as Pi-hole FTL does).
CREATE TABLE names (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE clients (
  id      INTEGER PRIMARY KEY,
  address TEXT NOT NULL UNIQUE
) STRICT;

-- The raw log. The rowid is the arrival order, so it also carries time order: a time window is found
-- by binary search on id instead of a time index (a time index cut write speed from 1.8 M to 187 k
-- rows/s in the design's measurements). Only append-like indexes on what the API filters on.
CREATE TABLE queries (
  id          INTEGER PRIMARY KEY,
  time        INTEGER NOT NULL,            -- ms since epoch, arrival at the server
  device_id   INTEGER NOT NULL,            -- tracksink.db devices.id, 0 unknown
  client_id   INTEGER NOT NULL,            -- clients.id (0 when the client is not logged)
  name_id     INTEGER NOT NULL,            -- names.id (0 when names are hidden)
  qtype       INTEGER NOT NULL,
  protocol    INTEGER NOT NULL,            -- Protocol enum
  status      INTEGER NOT NULL,            -- QueryStatus enum
  reason      INTEGER NOT NULL,            -- Reason enum
  list_id     INTEGER NOT NULL,
  rule_id     INTEGER NOT NULL,
  company_id  INTEGER NOT NULL,            -- catalog ids from attribution at query time (0 unknown)
  category_id INTEGER NOT NULL,
  app_id      INTEGER NOT NULL,
  rcode       INTEGER NOT NULL,
  duration_us INTEGER NOT NULL,
  upstream_id INTEGER NOT NULL,
  cname_id    INTEGER NOT NULL             -- names.id of the blocked CNAME target, 0 none
) STRICT;
-- (device_id, id) stays append-like per device; the design measured 840 k rows/s with it.
CREATE INDEX queries_by_device ON queries(device_id, id);
-- No index on name_id: a random-order index halved the write speed here. A name filter resolves the
-- substring to name ids, finds the hours holding them in names_hour, and scans only those id ranges.
-- Partial indexes: only attributed rows and only the uncommon statuses are indexed, so the common
-- blocked/forwarded/cached rows cost nothing extra (a newest-first scan finds them quickly anyway) and a
-- filter on a rare company or status stays fast.
CREATE INDEX queries_by_company ON queries(company_id, id) WHERE company_id <> 0;
CREATE INDEX queries_by_status ON queries(status, id) WHERE status NOT IN (1, 3, 4);

-- Rollups, maintained by the writer as it writes (sums kept in memory for about a second, then upserted).
-- totals_*: per device × category × status only, small enough that summaries, charts and device
-- rankings read a few thousand rows; counts_*: the full device × company × category × app × status key
-- for company, category and app tops.
-- device_id -1 holds the total over all devices, so overall charts read few rows.
-- bucket = start of the minute / hour / day in ms since epoch (UTC).
CREATE TABLE totals_minute (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, category_id, status)
) STRICT, WITHOUT ROWID;

CREATE TABLE totals_hour (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, category_id, status)
) STRICT, WITHOUT ROWID;

CREATE TABLE totals_day (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, category_id, status)
) STRICT, WITHOUT ROWID;

CREATE TABLE counts_minute (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  company_id  INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  app_id      INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, company_id, category_id, app_id, status)
) STRICT, WITHOUT ROWID;

CREATE TABLE counts_hour (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  company_id  INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  app_id      INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, company_id, category_id, app_id, status)
) STRICT, WITHOUT ROWID;

-- A company's page sums its rows across devices: the partial index finds them without a device loop.
CREATE INDEX counts_hour_by_company ON counts_hour(company_id, bucket) WHERE company_id <> 0;

CREATE TABLE counts_day (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  company_id  INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  app_id      INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, company_id, category_id, app_id, status)
) STRICT, WITHOUT ROWID;
CREATE INDEX counts_day_by_company ON counts_day(company_id, bucket) WHERE company_id <> 0;

-- Per-name counters for top lists and for narrowing name searches: per hour over all devices only
-- (device_id -1, kept as long as the raw log) and per day per device and overall.
CREATE TABLE names_hour (
  device_id  INTEGER NOT NULL,
  bucket     INTEGER NOT NULL,
  name_id    INTEGER NOT NULL,
  status     INTEGER NOT NULL,
  company_id INTEGER NOT NULL,
  count      INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, name_id, status)
) STRICT, WITHOUT ROWID;

CREATE INDEX names_hour_by_name ON names_hour(name_id, bucket);

-- Keyed name first: a top list over days streams through one device's rows in name order and sums
-- without sorting them (a bucket-first key made "top names over 30 days" sort ~450 k rows).
CREATE TABLE names_day (
  device_id  INTEGER NOT NULL,
  name_id    INTEGER NOT NULL,
  bucket     INTEGER NOT NULL,
  status     INTEGER NOT NULL,
  company_id INTEGER NOT NULL,
  count      INTEGER NOT NULL,
  PRIMARY KEY (device_id, name_id, bucket, status)
) STRICT, WITHOUT ROWID;
CREATE INDEX names_day_by_company ON names_day(company_id, bucket) WHERE company_id <> 0;

-- Per-name totals over everything the raw log holds: added to as rows are written and subtracted from as
-- retention prunes them, so "top names over the whole log" (the usual 30-day view) reads one small
-- row per name instead of summing a month of daily counters.
CREATE TABLE names_total (
  device_id  INTEGER NOT NULL,
  name_id    INTEGER NOT NULL,
  status     INTEGER NOT NULL,
  company_id INTEGER NOT NULL,
  count      INTEGER NOT NULL,
  PRIMARY KEY (device_id, name_id, status)
) STRICT, WITHOUT ROWID;
