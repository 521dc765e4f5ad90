-- Raw events: the source of truth. One row per event_id after merges
-- (ReplacingMergeTree); read with FINAL or through idempotent aggregates.
-- Ordered for per-page time-range queries, partitioned by month (PostHog's layout).
CREATE TABLE IF NOT EXISTS {db}.events
(
    event_id        String,
    kind            LowCardinality(String),
    schema_version  UInt8,
    platform        LowCardinality(String),
    page_id         LowCardinality(String),
    post_id         String DEFAULT '',
    occurred_at     DateTime64(3, 'UTC'),
    subtype         LowCardinality(String) DEFAULT '' COMMENT 'interaction type, post format, reply channel, message direction or insights scope',
    reaction_type   LowCardinality(String) DEFAULT '',
    actor_id        String DEFAULT '' COMMENT 'pseudonymised person id (keyed HMAC)',
    item_id         String DEFAULT '' COMMENT 'comment, reply or message id',
    parent_id       String DEFAULT '' COMMENT 'comment or message answered',
    thread_id       String DEFAULT '',
    is_question     UInt8 DEFAULT 0,
    paid            UInt8 DEFAULT 0,
    campaign_id     String DEFAULT '',
    day             Date DEFAULT toDate(occurred_at) COMMENT 'day a snapshot or ad spend reports on',
    followers       UInt64 DEFAULT 0,
    reach           UInt64 DEFAULT 0,
    impressions     UInt64 DEFAULT 0,
    video_views     UInt64 DEFAULT 0,
    clicks          UInt64 DEFAULT 0,
    spend           Decimal(14, 2) DEFAULT 0,
    currency        LowCardinality(String) DEFAULT '',
    text            String DEFAULT '' COMMENT 'page posts; citizens text only if enabled',
    kafka_partition UInt16 DEFAULT 0,
    kafka_offset    UInt64 DEFAULT 0,
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (page_id, toDate(occurred_at), kind, event_id)
TTL toDateTime(ingested_at) + INTERVAL {raw_retention_days} DAY;
