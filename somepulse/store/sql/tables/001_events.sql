-- Raw events: the source of truth. Columns are the wire fields of every event family
-- (sparse: a row fills those of its kind), so the worker inserts pydantic's JSON as is.
-- One row per event_id after merges (ReplacingMergeTree); read with FINAL or through
-- idempotent aggregates. Ordered for per-page time-range queries, partitioned by
-- month (PostHog's layout; by year since migration 24).
CREATE TABLE IF NOT EXISTS {db}.events
(
    event_id          String,
    kind              LowCardinality(String),
    schema_version    UInt8,
    platform          LowCardinality(String),
    page_id           LowCardinality(String),
    post_id           String DEFAULT '',
    occurred_at       DateTime64(3, 'UTC'),
    format            LowCardinality(String) DEFAULT '' COMMENT 'post_published',
    paid              Bool DEFAULT false COMMENT 'post_published',
    campaign_id       String DEFAULT '' COMMENT 'post_published, ad_spend',
    text              String DEFAULT '' COMMENT 'page posts; citizens text only if enabled',
    interaction_type  LowCardinality(String) DEFAULT '' COMMENT 'interaction',
    reaction_type     LowCardinality(String) DEFAULT '' COMMENT 'interaction',
    actor_id          String DEFAULT '' COMMENT 'pseudonymised person id (keyed HMAC)',
    comment_id        String DEFAULT '' COMMENT 'interaction (comment, reply)',
    parent_comment_id String DEFAULT '' COMMENT 'interaction (reply)',
    is_question       Bool DEFAULT false COMMENT 'interaction, private_message',
    channel           LowCardinality(String) DEFAULT '' COMMENT 'page_reply: comment or message',
    reply_id          String DEFAULT '' COMMENT 'page_reply',
    in_reply_to       String DEFAULT '' COMMENT 'page_reply: comment or message answered',
    thread_id         String DEFAULT '' COMMENT 'page_reply, private_message',
    author_id         String DEFAULT '' COMMENT 'page_reply: pseudonymised staff id',
    direction         LowCardinality(String) DEFAULT '' COMMENT 'private_message: in or out',
    message_id        String DEFAULT '' COMMENT 'private_message',
    followers         UInt64 DEFAULT 0 COMMENT 'follower_snapshot',
    scope             LowCardinality(String) DEFAULT '' COMMENT 'insights_snapshot: page or post',
    day               Date DEFAULT toDate(occurred_at) COMMENT 'day a snapshot or ad spend reports on',
    reach             UInt64 DEFAULT 0 COMMENT 'insights_snapshot, ad_spend',
    impressions       UInt64 DEFAULT 0 COMMENT 'insights_snapshot, ad_spend',
    video_views       UInt64 DEFAULT 0 COMMENT 'insights_snapshot',
    clicks            UInt64 DEFAULT 0 COMMENT 'ad_spend',
    spend             Decimal(14, 2) DEFAULT 0 COMMENT 'ad_spend',
    currency          LowCardinality(String) DEFAULT '' COMMENT 'ad_spend',
    kafka_partition   UInt16 DEFAULT 0,
    kafka_offset      UInt64 DEFAULT 0,
    ingested_at       DateTime64(3, 'UTC') DEFAULT now64(3),
    -- one name across families, computed in ClickHouse at insert (not in Python)
    subtype           LowCardinality(String) MATERIALIZED multiIf(
                          kind = 'interaction', interaction_type, kind = 'post_published', format,
                          kind = 'page_reply', channel, kind = 'private_message', direction,
                          kind = 'insights_snapshot', scope, '')
                      COMMENT 'interaction type, post format, reply channel, message direction or insights scope',
    item_id           String MATERIALIZED multiIf(kind = 'interaction', comment_id,
                          kind = 'page_reply', reply_id, kind = 'private_message', message_id, '')
                      COMMENT 'comment, reply or message id',
    parent_id         String MATERIALIZED multiIf(kind = 'interaction', parent_comment_id,
                          kind = 'page_reply', in_reply_to, '')
                      COMMENT 'comment or message answered'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (page_id, toDate(occurred_at), kind, event_id)
TTL toDateTime(ingested_at) + INTERVAL {raw_retention_days} DAY
COMMENT 'every valid event (source of truth; deduplicate with FINAL or uniqExact(event_id))';
