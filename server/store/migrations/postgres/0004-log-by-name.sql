-- The query log page's name filter (store/pg/pg-log-page.ts): the rows of the matching names are found
-- through this index instead of by reading every row of the hours in which a name was asked (a rare
-- name asked in ~50 hours of 30 days made PostgreSQL read whole day partitions: 2-3 s on 10 M rows).
-- C collation: byte-wise comparisons whatever the database's collation (names are compared for equality
-- only), and the same index on every partition, made as days arrive.
CREATE INDEX query_log_by_name ON query_log ((name COLLATE "C"));
