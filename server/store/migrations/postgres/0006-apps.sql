-- The Apps page over the whole network (store/pg/pg-apps.ts): each replica's app inference
-- (store/app-rollups.ts, on its own log) sums the apps seen per device, every tracker contact per name
-- and the contacts that came with an app query; the log shipper adds those sums here in the transaction
-- of a batch of rows (store/pg/log-shipper.ts), keyed by replica like the other rollups. Names are text
-- (each replica interns its own ids); app keys are the app catalog's.
CREATE TABLE log_device_apps (
  device_id  integer  NOT NULL,
  app_key    text     NOT NULL,
  replica_id smallint NOT NULL,
  first_seen bigint   NOT NULL,
  last_seen  bigint   NOT NULL,
  queries    bigint   NOT NULL,
  PRIMARY KEY (device_id, app_key, replica_id)
);
CREATE TABLE log_device_trackers (
  device_id  integer  NOT NULL,
  name       text     NOT NULL,
  replica_id smallint NOT NULL,
  company_id integer  NOT NULL,
  first_seen bigint   NOT NULL,
  last_seen  bigint   NOT NULL,
  total      bigint   NOT NULL,
  PRIMARY KEY (device_id, name, replica_id)
);
CREATE TABLE log_tracker_app_links (
  device_id  integer  NOT NULL,
  app_key    text     NOT NULL,
  name       text     NOT NULL,
  replica_id smallint NOT NULL,
  together   bigint   NOT NULL,
  PRIMARY KEY (device_id, app_key, name, replica_id)
);
