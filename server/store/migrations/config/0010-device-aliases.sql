-- Ids of devices that were merged into another (an IP-only device whose MAC turned out to belong to a
-- known device). The query log keeps the old id on its rows, and links made before the merge carry it:
-- they follow this table to the device it became. A merged id is never handed to a new device.
CREATE TABLE device_aliases (
  old_id    INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  merged_at INTEGER NOT NULL                 -- ms since epoch
) STRICT;
CREATE INDEX device_aliases_by_device ON device_aliases(device_id);
