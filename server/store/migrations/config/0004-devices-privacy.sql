-- Devices: per-device query log privacy (NULL = the global log.queries setting) and where the automatic
-- name came from (leases, reverse-dns), so a better source can replace a worse one.
ALTER TABLE devices ADD COLUMN log_queries TEXT CHECK (log_queries IN ('all', 'hide-names', 'none'));
ALTER TABLE devices ADD COLUMN name_source TEXT;
