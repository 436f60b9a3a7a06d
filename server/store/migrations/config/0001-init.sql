-- tracksink.db: the user's data (lists, rules, devices, groups, settings). Precious: never truncated.
-- Numbered migrations, each applied in one transaction, tracked by PRAGMA user_version.

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL            -- JSON
) STRICT;

CREATE TABLE groups (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  description TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE devices (
  id           INTEGER PRIMARY KEY,
  mac          TEXT UNIQUE,                 -- aa:bb:cc:dd:ee:ff, NULL when not on our segment
  mac_random   INTEGER NOT NULL DEFAULT 0,  -- locally administered (randomised) MAC
  name         TEXT,                        -- user-given name (wins over every other source)
  auto_name    TEXT,                        -- from DHCP leases / reverse DNS / mDNS
  vendor       TEXT,                        -- from the OUI
  type         TEXT NOT NULL DEFAULT 'unknown', -- phone, tv, laptop, tablet, speaker, console, iot …
  first_seen   INTEGER NOT NULL,            -- ms since epoch
  last_seen    INTEGER NOT NULL,
  paused_until INTEGER                      -- blocking paused for this device until (ms), NULL = not paused
) STRICT;

CREATE TABLE device_addresses (
  device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  address    TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  PRIMARY KEY (device_id, address)
) STRICT;
CREATE INDEX device_addresses_by_address ON device_addresses(address, last_seen);

CREATE TABLE device_groups (
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  group_id  INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  PRIMARY KEY (device_id, group_id)
) STRICT;

-- Blocklist subscriptions. source is a URL or a file path; the last good copy lives in the list cache.
CREATE TABLE lists (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,
  source          TEXT NOT NULL UNIQUE,
  format          TEXT NOT NULL DEFAULT 'auto', -- auto, hosts, domains, wildcard, dnsmasq, unbound, rpz, adblock
  kind            TEXT NOT NULL DEFAULT 'block', -- block or allow (an allow list's names are exceptions)
  enabled         INTEGER NOT NULL DEFAULT 1,
  builtin         INTEGER NOT NULL DEFAULT 0,    -- the project's own catalog list
  etag            TEXT,
  last_modified   TEXT,
  last_refresh    INTEGER,                       -- ms of the last attempt
  last_success    INTEGER,                       -- ms of the last good download
  entries         INTEGER NOT NULL DEFAULT 0,
  invalid_lines   INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  created_at      INTEGER NOT NULL
) STRICT;

-- A list applies to everyone unless it is assigned to groups or devices (then only to those).
CREATE TABLE list_assignments (
  list_id   INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  group_id  INTEGER REFERENCES groups(id) ON DELETE CASCADE,
  device_id INTEGER REFERENCES devices(id) ON DELETE CASCADE,
  CHECK ((group_id IS NULL) <> (device_id IS NULL))
) STRICT;
CREATE UNIQUE INDEX list_assignments_unique ON list_assignments(list_id, IFNULL(group_id, 0), IFNULL(device_id, 0));

-- User allow/deny rules. Scope: global (both NULL), a device, or a group. Optionally timed.
CREATE TABLE rules (
  id         INTEGER PRIMARY KEY,
  action     TEXT NOT NULL CHECK (action IN ('allow', 'deny')),
  match      TEXT NOT NULL CHECK (match IN ('exact', 'subdomain', 'regex')),
  pattern    TEXT NOT NULL,
  device_id  INTEGER REFERENCES devices(id) ON DELETE CASCADE,
  group_id   INTEGER REFERENCES groups(id) ON DELETE CASCADE,
  expires_at INTEGER,            -- ms since epoch, NULL = forever
  comment    TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  CHECK (device_id IS NULL OR group_id IS NULL)
) STRICT;

-- Per-company policy preset; companies without a row use 'block-tracking'.
CREATE TABLE company_policies (
  company_key TEXT PRIMARY KEY,  -- stable key from the catalog (e.g. 'meta')
  policy      TEXT NOT NULL CHECK (policy IN ('block-tracking', 'block-everything', 'allow')),
  updated_at  INTEGER NOT NULL
) STRICT;

-- Dashboard auth.
CREATE TABLE sessions (
  id         TEXT PRIMARY KEY,   -- random, hashed is unnecessary: only ever compared server-side
  csrf       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
