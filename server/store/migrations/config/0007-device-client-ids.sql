-- ClientIDs (encrypted DNS): the first label of the DoT server name (<clientid>.<domain>) or the last
-- segment of the DoH path (/dns-query/<clientid>) names one device whatever its MAC or address. Stored
-- lower case (host-name labels compare without case); a device may have several (phone and its work
-- profile), a ClientID names exactly one device.
CREATE TABLE device_client_ids (
  client_id  TEXT PRIMARY KEY,
  device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL                -- ms since epoch
) STRICT, WITHOUT ROWID;
CREATE INDEX device_client_ids_by_device ON device_client_ids(device_id);
