-- What each name is for the insight (trackers/attribution.ts NameKind): 0 unknown, 1 tracker endpoint,
-- 2 service of a company. Only kind 1 counts as a tracking attempt; before this, every attributed name
-- did, so ordinary use of Instagram or Pinterest read as tracking.
--
-- The raw log gets the column (old rows stay 0: rewriting millions of rows would hold start-up). The
-- rollups get it in their keys, so "tracking attempts" and "uses" are sums over the small tables. Old
-- rollup rows are classified as well as they can be: what was blocked was blocked as a tracker (lists
-- and the catalog's tracking endpoints), what was attributed and not blocked was a company's service.
ALTER TABLE queries ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;

CREATE TABLE totals_minute_new (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  kind        INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, category_id, kind, status)
) STRICT, WITHOUT ROWID;
INSERT INTO totals_minute_new SELECT device_id, bucket, category_id,
  CASE WHEN status = 1 THEN 1 WHEN category_id <> 0 THEN 2 ELSE 0 END, status, count FROM totals_minute;
DROP TABLE totals_minute;
ALTER TABLE totals_minute_new RENAME TO totals_minute;

CREATE TABLE totals_hour_new (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  kind        INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, category_id, kind, status)
) STRICT, WITHOUT ROWID;
INSERT INTO totals_hour_new SELECT device_id, bucket, category_id,
  CASE WHEN status = 1 THEN 1 WHEN category_id <> 0 THEN 2 ELSE 0 END, status, count FROM totals_hour;
DROP TABLE totals_hour;
ALTER TABLE totals_hour_new RENAME TO totals_hour;

CREATE TABLE totals_day_new (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  kind        INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, category_id, kind, status)
) STRICT, WITHOUT ROWID;
INSERT INTO totals_day_new SELECT device_id, bucket, category_id,
  CASE WHEN status = 1 THEN 1 WHEN category_id <> 0 THEN 2 ELSE 0 END, status, count FROM totals_day;
DROP TABLE totals_day;
ALTER TABLE totals_day_new RENAME TO totals_day;

CREATE TABLE counts_minute_new (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  company_id  INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  app_id      INTEGER NOT NULL,
  kind        INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, company_id, category_id, app_id, kind, status)
) STRICT, WITHOUT ROWID;
INSERT INTO counts_minute_new SELECT device_id, bucket, company_id, category_id, app_id,
  CASE WHEN status = 1 THEN 1 WHEN category_id <> 0 THEN 2 ELSE 0 END, status, count FROM counts_minute;
DROP TABLE counts_minute;
ALTER TABLE counts_minute_new RENAME TO counts_minute;

CREATE TABLE counts_hour_new (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  company_id  INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  app_id      INTEGER NOT NULL,
  kind        INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, company_id, category_id, app_id, kind, status)
) STRICT, WITHOUT ROWID;
INSERT INTO counts_hour_new SELECT device_id, bucket, company_id, category_id, app_id,
  CASE WHEN status = 1 THEN 1 WHEN category_id <> 0 THEN 2 ELSE 0 END, status, count FROM counts_hour;
DROP TABLE counts_hour;
ALTER TABLE counts_hour_new RENAME TO counts_hour;
CREATE INDEX counts_hour_by_company ON counts_hour(company_id, bucket) WHERE company_id <> 0;

CREATE TABLE counts_day_new (
  device_id   INTEGER NOT NULL,
  bucket      INTEGER NOT NULL,
  company_id  INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  app_id      INTEGER NOT NULL,
  kind        INTEGER NOT NULL,
  status      INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket, company_id, category_id, app_id, kind, status)
) STRICT, WITHOUT ROWID;
INSERT INTO counts_day_new SELECT device_id, bucket, company_id, category_id, app_id,
  CASE WHEN status = 1 THEN 1 WHEN category_id <> 0 THEN 2 ELSE 0 END, status, count FROM counts_day;
DROP TABLE counts_day;
ALTER TABLE counts_day_new RENAME TO counts_day;
CREATE INDEX counts_day_by_company ON counts_day(company_id, bucket) WHERE company_id <> 0;

-- Name rollups keep the kind beside the company (both are what attribution said of the name).
ALTER TABLE names_hour ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
ALTER TABLE names_day ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
ALTER TABLE names_total ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
UPDATE names_day SET kind = CASE WHEN status = 1 THEN 1 WHEN company_id <> 0 THEN 2 ELSE 0 END;
UPDATE names_total SET kind = CASE WHEN status = 1 THEN 1 WHEN company_id <> 0 THEN 2 ELSE 0 END;
UPDATE names_hour SET kind = CASE WHEN status = 1 THEN 1 WHEN company_id <> 0 THEN 2 ELSE 0 END;
