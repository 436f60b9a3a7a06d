-- Local list files must now sit in lists.fileDir (a list source chosen in the dashboard must not make
-- tracksink a reader of the server's files). Lists subscribed before that rule keep working after the
-- upgrade: their file sources, as they are at this migration, are remembered here and trusted like the
-- sources the owner names in the config file. Lists added later are checked.
CREATE TABLE list_sources_before_file_dir (
  source TEXT PRIMARY KEY
) STRICT;
INSERT INTO list_sources_before_file_dir (source)
  SELECT source FROM lists
  WHERE source NOT LIKE 'http://%' AND source NOT LIKE 'https://%' AND source NOT LIKE 'builtin:%';
