-- List downloads shared by the replicas (issue 18: "list downloads happen once, not once per replica";
-- store/pg/list-fetch.ts). One row per list source: the replica downloading it now holds a lease it renews
-- while the download runs (a killed holder's lease runs out and another replica takes it over); the result
-- is kept here, and the other replicas take this copy instead of downloading the list themselves.
CREATE TABLE list_fetch (
  source        text PRIMARY KEY,
  holder        text,                 -- replica downloading it now (NULL: nobody)
  lease_until   timestamptz,          -- the holder's lease; after it, any replica may take over
  etag          text,                 -- validators of the stored copy, for conditional downloads
  last_modified text,
  checked_at    timestamptz,          -- last download that succeeded (new copy or "not modified")
  fetched_at    timestamptz,          -- when the stored copy last changed
  content_hash  text,                 -- sha256 of body (hex)
  body          bytea                 -- the list as downloaded (without a BOM)
);
