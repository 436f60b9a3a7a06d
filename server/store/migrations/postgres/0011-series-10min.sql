-- The 24-hour time series (one point per 10 minutes, per status; store/pg/pg-analytics.ts timeSeries) per
-- device and for every device together (-1), kept by the shipping statement from the same minute sums as
-- log_totals_minute (store/pg/pg-rollups.ts) and pruned with it after 48 h. The series read the minute
-- totals before: for the busiest device of the 10 M-row bench 14,836 rows on 1,551 heap pages (every
-- device's minutes interleave) grouped to 843 points, 208 ms cold / 62 warm; here the same 843 rows,
-- count included in the key's index for an index-only scan, ~13 pages (bench/GAP.md "Issue 18, pgtime pass").
CREATE TABLE log_series_10min (
  device_id  integer  NOT NULL,
  bucket     bigint   NOT NULL,   -- ms since epoch, a multiple of 10 minutes
  status     smallint NOT NULL,
  replica_id smallint NOT NULL,
  count      bigint   NOT NULL,
  PRIMARY KEY (device_id, bucket, status, replica_id) INCLUDE (count)
);
-- What was shipped before this table existed (the minute totals are kept 48 h, the series reads 24 h).
INSERT INTO log_series_10min (device_id, bucket, status, replica_id, count)
  SELECT device_id, bucket - bucket % 600000, status, replica_id, sum(count)
  FROM log_totals_minute GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
