-- The events and their rollups partitioned by year instead of by month. The engine keeps
-- every active part's description in memory while the store is open, and a part per
-- month and table grows that with the months stored, not with the rows: sixteen copies
-- of the bench's history (336 months, a thousand parts) held 33 MB of chDB's tracked
-- memory on opening against 15 MB for one copy (63 parts), and the worker's own memory
-- in the bench rose from 396-457 MB to 429-523 MB; by year (96 parts) the store holds
-- 10 MB on opening and the worker 411-413 MB. A year of a large
-- agency is a few million events: far below the size where a partition's merges hurt,
-- and a backfill of years no longer meets the hundred-partitions-per-insert limit.
-- The views that prune by partition (v_questions_since, v_page_replies_since) compare
-- `_partition_id` with `{db}_events_partition(since)` (functions.sql): a year.
-- A table's partition key cannot be altered: each table is copied into a new one and
-- swapped with it (EXCHANGE is atomic). The rollups' materialized views are dropped
-- first (nothing may fill the old tables during the copy) and re-created after this
-- file. Re-runnable: a start after a crash drops the half-made copy and makes it again.
-- The copies read with one thread and write parts of at most 32 MB: with the defaults
-- (parts of up to 256 MB, a reader per core) upgrading a store of 9.6 million events
-- peaked at 1.85 GB in the worker; so it peaks at 0.62 GB and takes 52-58 s, not 42.
DROP VIEW IF EXISTS {db}.engagement_1h_mv;
DROP VIEW IF EXISTS {db}.engagement_1m_mv;

DROP TABLE IF EXISTS {db}.events_by_year;
CREATE TABLE {db}.events_by_year AS {db}.events
ENGINE = ReplacingMergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (page_id, toDate(occurred_at), kind, event_id)
TTL toDateTime(ingested_at) + INTERVAL {raw_retention_days} DAY;
INSERT INTO {db}.events_by_year SELECT * FROM {db}.events
SETTINGS max_threads = 1, max_insert_threads = 1,
    min_insert_block_size_rows = 262144, min_insert_block_size_bytes = 33554432;
EXCHANGE TABLES {db}.events AND {db}.events_by_year;
DROP TABLE {db}.events_by_year;

DROP TABLE IF EXISTS {db}.engagement_1m_by_year;
CREATE TABLE {db}.engagement_1m_by_year AS {db}.engagement_1m
ENGINE = AggregatingMergeTree
PARTITION BY toYear(minute)
ORDER BY (page_id, platform, minute, post_id, subtype);
INSERT INTO {db}.engagement_1m_by_year SELECT * FROM {db}.engagement_1m
SETTINGS max_threads = 1, max_insert_threads = 1,
    min_insert_block_size_rows = 262144, min_insert_block_size_bytes = 33554432;
EXCHANGE TABLES {db}.engagement_1m AND {db}.engagement_1m_by_year;
DROP TABLE {db}.engagement_1m_by_year;

DROP TABLE IF EXISTS {db}.engagement_1h_by_year;
CREATE TABLE {db}.engagement_1h_by_year AS {db}.engagement_1h
ENGINE = AggregatingMergeTree
PARTITION BY toYear(hour)
ORDER BY (page_id, platform, hour, post_id, subtype);
INSERT INTO {db}.engagement_1h_by_year SELECT * FROM {db}.engagement_1h
SETTINGS max_threads = 1, max_insert_threads = 1,
    min_insert_block_size_rows = 262144, min_insert_block_size_bytes = 33554432;
EXCHANGE TABLES {db}.engagement_1h AND {db}.engagement_1h_by_year;
DROP TABLE {db}.engagement_1h_by_year;
