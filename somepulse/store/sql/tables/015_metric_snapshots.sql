-- Totals platforms report (metric_snapshot events) in the platform's own terms, and the
-- catalogue that maps them to SoMe Pulse's measures (config/metrics.toml, loaded by
-- store/reference.py like the page directory).
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS metric LowCardinality(String) DEFAULT ''
        COMMENT 'metric_snapshot: the platform''s metric name' AFTER day,
    ADD COLUMN IF NOT EXISTS period LowCardinality(String) DEFAULT ''
        COMMENT 'metric_snapshot: day, week, days_28, month, lifetime, total' AFTER metric,
    ADD COLUMN IF NOT EXISTS value Int64 DEFAULT 0
        COMMENT 'metric_snapshot: the value (LinkedIn daily values can be negative)' AFTER period,
    ADD COLUMN IF NOT EXISTS breakdown String DEFAULT ''
        COMMENT 'metric_snapshot: breakdown value, e.g. is_from_ads:true' AFTER value,
    ADD COLUMN IF NOT EXISTS source LowCardinality(String) DEFAULT ''
        COMMENT 'metric_snapshot: webhook, poll, export or generator' AFTER breakdown,
    ADD COLUMN IF NOT EXISTS api_version LowCardinality(String) DEFAULT ''
        COMMENT 'metric_snapshot: the platform API version, e.g. v25.0' AFTER source,
    ADD COLUMN IF NOT EXISTS fetched_at DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC')
        COMMENT 'metric_snapshot: when the value was fetched (the latest fetch wins)' AFTER api_version;
CREATE TABLE IF NOT EXISTS {db}.metric_catalogue
(
    platform     LowCardinality(String),
    scope        LowCardinality(String),
    metric       String,
    measure      LowCardinality(String),
    period       LowCardinality(String),
    series       String,
    valid_from   Date,
    valid_until  Date COMMENT '2149-06-06 when still current',
    definition   String,
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (platform, scope, metric)
COMMENT 'platform metric -> SoMe Pulse measure, validity and series (config/metrics.toml)';
