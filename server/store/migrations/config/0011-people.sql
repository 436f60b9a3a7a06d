-- People (issue 17, part 4): a person ("Mum") owns several devices (phone, laptop, work phone) and may have
-- a profile (a device group) that applies to each of their devices that has no profile of its own.
-- A device belongs to at most one person. Re-join suggestions a person said "not the same" to are kept,
-- so the dashboard does not ask again.
CREATE TABLE people (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  group_id   INTEGER REFERENCES groups(id) ON DELETE SET NULL,  -- the person's profile; NULL = none
  created_at INTEGER NOT NULL                                    -- ms since epoch
) STRICT;

CREATE TABLE person_devices (
  device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE
) STRICT;
CREATE INDEX person_devices_by_person ON person_devices(person_id);

CREATE TABLE rejoin_dismissals (
  device_id    INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,  -- the new (private MAC) device
  candidate_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,  -- the device it looked like
  PRIMARY KEY (device_id, candidate_id)
) STRICT, WITHOUT ROWID;
