-- The dashboard password shared by the replicas (issue 18; store/pg/shared-sessions.ts): set or changed on one
-- replica, it holds on all within 2 s. Only its hash is kept (scrypt, as in tracksink.db's auth_password);
-- http.password / TRACKSINK_PASSWORD, where set, still wins on that replica. The newer change wins.
CREATE TABLE dashboard_password (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  hash       text NOT NULL,
  updated_at bigint NOT NULL   -- ms since epoch
);
