-- PostgreSQL schema of tracksink (TRACKSINK_DATABASE_URL): what replicas of one installation share.
-- Numbered like the SQLite migrations; applied by store/pg/pg-migrate.ts, recorded in tracksink_migrations.

-- Each tracksink process sharing the database: its rows in the query log carry its id.
CREATE TABLE replicas (
  id         smallserial PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen  timestamptz NOT NULL DEFAULT now()
);

-- The query log of every replica, one partition per UTC day (query_log_pYYYYMMDD, made by the writer as
-- days arrive): retention drops whole partitions instead of deleting rows. Rows arrive in batches from
-- each replica's log writer (store/pg/log-shipper.ts). Names and client addresses are stored as text:
-- each replica interns names in its own SQLite log, and ids would differ between replicas.
CREATE TABLE query_log (
  time        bigint   NOT NULL,             -- ms since epoch, arrival at the replica
  replica_id  smallint NOT NULL,             -- replicas.id
  device_id   integer  NOT NULL,             -- devices.id of the shared configuration, 0 unknown
  client      text     NOT NULL,             -- client address ('' when not logged)
  name        text     NOT NULL,             -- '' when names are hidden
  qtype       integer  NOT NULL,
  protocol    smallint NOT NULL,
  status      smallint NOT NULL,
  reason      smallint NOT NULL,
  list_id     integer  NOT NULL,
  rule_id     integer  NOT NULL,
  company_id  integer  NOT NULL,
  category_id integer  NOT NULL,
  app_id      integer  NOT NULL,
  kind        smallint NOT NULL,
  rcode       smallint NOT NULL,
  duration_us integer  NOT NULL,
  upstream_id integer  NOT NULL,
  cname       text     NOT NULL              -- blocked CNAME target, '' none
) PARTITION BY RANGE (time);
-- Rows arrive in time order, so a BRIN index finds a time window for almost nothing at write time.
CREATE INDEX query_log_time ON query_log USING brin (time) WITH (pages_per_range = 32);

-- The shared configuration (rules, lists, devices, groups, policies, settings), as the backup document
-- of store/repos/backup-repo.ts: the source of truth. Each replica keeps a working copy in its own
-- tracksink.db (so DNS keeps its last good state while PostgreSQL is away); `version` grows with every
-- change and a NOTIFY on channel tracksink_config tells the other replicas to read it again.
CREATE TABLE config_snapshot (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  version    bigint NOT NULL,
  replica    text NOT NULL,
  data       jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
