-- What the dashboard reads from PostgreSQL (store/pg/pg-analytics.ts), so every replica's dashboard shows
-- the whole network's log within the SQLite budget (< 300 ms a page on 10 M rows): row ids and a few
-- indexes on the raw log for the query log page, and rollups kept by the shipping statement itself
-- (store/pg/pg-rollups.ts: the batch and its sums in one statement, so they never disagree).

-- Row ids: the order rows reached PostgreSQL, across replicas (the log page's cursor and the live tail).
CREATE SEQUENCE query_log_id_seq AS bigint;
ALTER TABLE query_log ADD COLUMN id bigint NOT NULL DEFAULT nextval('query_log_id_seq');
-- The same indexes as the SQLite log (querylog 0001): what the query log page filters on, append-like.
CREATE INDEX query_log_by_id ON query_log (id);
CREATE INDEX query_log_by_device ON query_log (device_id, id);
CREATE INDEX query_log_by_company ON query_log (company_id, id) WHERE company_id <> 0;
-- The rare statuses (not blocked, forwarded or cached): a filter on them must not walk the whole log.
CREATE INDEX query_log_by_status ON query_log (status, id) WHERE status NOT IN (1, 3, 4);

-- Rollups. Every row carries the replica whose batches add to it, so two replicas never update the same
-- row (no lock waits, no deadlocks between them); readers sum over replicas. device_id -1 is the sum
-- over every device (store/rollup-sums.ts ALL_DEVICES), 0 queries of no known device.
CREATE TABLE log_totals_minute (
  device_id   integer  NOT NULL,
  bucket      bigint   NOT NULL,
  category_id integer  NOT NULL,
  kind        smallint NOT NULL,
  status      smallint NOT NULL,
  replica_id  smallint NOT NULL,
  count       bigint   NOT NULL,
  PRIMARY KEY (device_id, bucket, category_id, kind, status, replica_id)
);
CREATE TABLE log_totals_hour (LIKE log_totals_minute INCLUDING ALL);
CREATE TABLE log_totals_day (LIKE log_totals_minute INCLUDING ALL);

CREATE TABLE log_counts_hour (
  device_id   integer  NOT NULL,
  bucket      bigint   NOT NULL,
  company_id  integer  NOT NULL,
  category_id integer  NOT NULL,
  app_id      integer  NOT NULL,
  kind        smallint NOT NULL,
  status      smallint NOT NULL,
  replica_id  smallint NOT NULL,
  count       bigint   NOT NULL,
  PRIMARY KEY (device_id, bucket, company_id, category_id, app_id, kind, status, replica_id)
);
CREATE INDEX log_counts_hour_by_company ON log_counts_hour (company_id, bucket) WHERE company_id <> 0;
CREATE TABLE log_counts_day (LIKE log_counts_hour INCLUDING ALL);

-- Per name (text: each replica interns names in its own SQLite log). Hidden names ('') are not counted.
-- names_hour: every device together only (top names' edges, the log page's name filter).
CREATE TABLE log_names_hour (
  name       text     NOT NULL,
  bucket     bigint   NOT NULL,
  status     smallint NOT NULL,
  replica_id smallint NOT NULL,
  company_id integer  NOT NULL,
  kind       smallint NOT NULL,
  count      bigint   NOT NULL,
  PRIMARY KEY (name, bucket, status, replica_id)
);
CREATE INDEX log_names_hour_by_bucket ON log_names_hour (bucket);
CREATE TABLE log_names_day (
  device_id  integer  NOT NULL,
  name       text     NOT NULL,
  bucket     bigint   NOT NULL,
  status     smallint NOT NULL,
  replica_id smallint NOT NULL,
  company_id integer  NOT NULL,
  kind       smallint NOT NULL,
  count      bigint   NOT NULL,
  PRIMARY KEY (device_id, name, bucket, status, replica_id)
);
CREATE INDEX log_names_day_by_company ON log_names_day (company_id, bucket) WHERE company_id <> 0;
CREATE INDEX log_names_day_by_bucket ON log_names_day (bucket);
-- Over the whole log (retention subtracts what it removes): exact for a period that holds the whole log,
-- an upper bound for any other (store/top-names.ts).
CREATE TABLE log_names_total (
  device_id  integer  NOT NULL,
  name       text     NOT NULL,
  status     smallint NOT NULL,
  replica_id smallint NOT NULL,
  company_id integer  NOT NULL,
  kind       smallint NOT NULL,
  count      bigint   NOT NULL,
  PRIMARY KEY (device_id, name, status, replica_id)
);

-- The devices (≥ 0) that have rows: a short list to rank, instead of a DISTINCT over the rollups.
CREATE TABLE log_devices (device_id integer PRIMARY KEY);
