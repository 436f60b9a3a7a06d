-- The bounded top-names search's candidates, kept instead of grouped on every request
-- (store/pg/pg-name-bounds.ts). Grouping a device's per-name totals (~72,000 rows of log_names_total for
-- every device together on 10 M rows) cost 110-700 ms of every overview that is not the whole log. One row
-- per device: the 3,001 names of largest total and of largest blocked total with those totals, and the
-- device's query and blocked counts (log_totals_day) when they were taken. A reader adds what the device
-- logged since to every bound, so the bounds stay upper bounds of any period's count without being
-- retaken on every batch; retention (which lowers totals) makes a reader take them again.
CREATE TABLE log_name_bounds (
  device_id      integer  PRIMARY KEY,
  taken_at       bigint   NOT NULL,   -- ms since epoch
  oldest_day     bigint,              -- the device's oldest log_totals_day bucket then (retention check)
  total_at       bigint   NOT NULL,   -- the device's queries then (log_totals_day)
  blocked_at     bigint   NOT NULL,   -- of which blocked
  names          text[]   NOT NULL,   -- by total, falling, then name
  totals         bigint[] NOT NULL,
  blocked_names  text[]   NOT NULL,   -- by blocked total, falling, then name
  blocked_totals bigint[] NOT NULL
);
