-- A device's names per hour over the last 48 h (store/pg/pg-rollups.ts keeps it like the other rollups;
-- retention deletes what is older): a device page's top names over a short period read its whole hours
-- here and only the partial hours at the edges from the raw log, instead of every row of the device
-- grouped by text name (~47,000 rows for a busy device's day).
CREATE TABLE log_device_names_hour (
  device_id  integer  NOT NULL,
  bucket     bigint   NOT NULL,
  name       text     NOT NULL,
  status     smallint NOT NULL,
  replica_id smallint NOT NULL,
  company_id integer  NOT NULL,
  kind       smallint NOT NULL,
  count      bigint   NOT NULL,
  PRIMARY KEY (device_id, bucket, name, status, replica_id)
);
