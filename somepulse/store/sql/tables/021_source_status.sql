-- Source health as events (source_status): which collector reads the page's source, its
-- state (up, limited, down, broken) and what failed. v_source_status keeps the latest
-- per page and collector; the worker's source watch alerts on it.
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS collector LowCardinality(String) DEFAULT ''
        COMMENT 'source_status: the collector reading the source (meta-insights, bluesky, …)' AFTER matched,
    ADD COLUMN IF NOT EXISTS state LowCardinality(String) DEFAULT ''
        COMMENT 'source_status: up, limited, down or broken' AFTER collector,
    ADD COLUMN IF NOT EXISTS detail String DEFAULT ''
        COMMENT 'source_status: what failed, in words a person can act on' AFTER state,
    ADD COLUMN IF NOT EXISTS next_within UInt32 DEFAULT 0
        COMMENT 'source_status: seconds within which the collector speaks again (0: no promise)' AFTER detail;
