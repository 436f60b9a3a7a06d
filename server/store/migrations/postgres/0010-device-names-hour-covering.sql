-- The device page's top names over a short period read one device's whole hours from log_device_names_hour
-- (store/pg/pg-top-names.ts, deviceNames): for the busiest device of the 10 M-row bench that is ~28,000 rows
-- on ~3,400 table pages scattered by the upserts. With every column that read needs in the index, it is an
-- index-only scan over one contiguous range: the busiest device's page 363/301 → 206-258/86-129 ms cold/warm
-- (bench:pg-pages, quiet machine; bench/GAP.md "Issue 18, end of session 7").
CREATE INDEX log_device_names_hour_covering
  ON log_device_names_hour (device_id, bucket) INCLUDE (name, status, count, company_id, kind);
