-- Dashboard logins shared by the replicas (issue 18: sessions live in PostgreSQL; store/pg/shared-sessions.ts):
-- a login on one replica is valid on the others, a logout or a password change ends it on all. Kept, like
-- tracksink.db's sessions, by the SHA-256 of the session id only, never the cookie value.
CREATE TABLE dashboard_sessions (
  id_hash      text PRIMARY KEY,
  csrf         text NOT NULL,
  created_at   bigint NOT NULL,   -- ms since epoch
  expires_at   bigint NOT NULL,   -- absolute end
  last_seen_at bigint NOT NULL    -- idle end = last_seen_at + idle time
);
