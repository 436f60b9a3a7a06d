-- Dashboard password (one row). Kept apart from `settings` so a configuration export never carries it.
CREATE TABLE auth_password (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  hash       TEXT NOT NULL,            -- scrypt$N$r$p$salt$hash (base64url)
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
