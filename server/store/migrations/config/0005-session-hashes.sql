-- Sessions are kept by the SHA-256 of their id (the cookie value), so a copy of tracksink.db (a backup,
-- a stolen disk) cannot be replayed as a login, and they end after an idle time (last_seen_at).
-- Existing sessions were stored in plain text: they are dropped, and everyone logs in once more.
DROP TABLE sessions;
CREATE TABLE sessions (
  id_hash      TEXT PRIMARY KEY,   -- hex SHA-256 of the session id
  csrf         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,   -- absolute end
  last_seen_at INTEGER NOT NULL    -- idle end = last_seen_at + idle time
) STRICT;
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
