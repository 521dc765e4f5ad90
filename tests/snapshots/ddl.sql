-- 001_events
CREATE TABLE IF NOT EXISTS somepulse.events
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
TTL toDateTime(ingested_at) + INTERVAL 730 DAY;

-- 002_engagement_1m
CREATE TABLE IF NOT EXISTS somepulse.engagement_1m
(
    page_id    LowCardinality(String),
    platform   LowCardinality(String),
    post_id    String,
    minute     DateTime('UTC'),
    reactions  AggregateFunction(uniqExact, String),
    comments   AggregateFunction(uniqExact, String),
    replies    AggregateFunction(uniqExact, String),
    shares     AggregateFunction(uniqExact, String),
    clicks     AggregateFunction(uniqExact, String),
    views      AggregateFunction(uniqExact, String),
    questions  AggregateFunction(uniqExact, String) COMMENT 'questions in comments and private messages'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (page_id, platform, minute, post_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS somepulse.engagement_1m_mv TO somepulse.engagement_1m AS
SELECT
    page_id,
    platform,
    post_id,
    toStartOfMinute(occurred_at) AS minute,
    uniqExactStateIf(event_id, kind = 'interaction' AND subtype = 'reaction') AS reactions,
    uniqExactStateIf(event_id, kind = 'interaction' AND subtype = 'comment') AS comments,
    uniqExactStateIf(event_id, kind = 'interaction' AND subtype = 'reply') AS replies,
    uniqExactStateIf(event_id, kind = 'interaction' AND subtype = 'share') AS shares,
    uniqExactStateIf(event_id, kind = 'interaction' AND subtype = 'click') AS clicks,
    uniqExactStateIf(event_id, kind = 'interaction' AND subtype = 'view') AS views,
    uniqExactStateIf(event_id, is_question = 1) AS questions
FROM somepulse.events
WHERE kind IN ('interaction', 'private_message')
GROUP BY page_id, platform, post_id, minute;

-- 003_engagement_view
CREATE VIEW IF NOT EXISTS somepulse.v_engagement_1m AS
SELECT
    page_id,
    platform,
    post_id,
    minute,
    uniqExactMerge(reactions) AS reactions,
    uniqExactMerge(comments) AS comments,
    uniqExactMerge(replies) AS replies,
    uniqExactMerge(shares) AS shares,
    uniqExactMerge(clicks) AS clicks,
    uniqExactMerge(views) AS views,
    uniqExactMerge(questions) AS questions,
    reactions + comments + shares + clicks AS engagement
FROM somepulse.engagement_1m
GROUP BY page_id, platform, post_id, minute;

-- 004_page_monthly
CREATE VIEW IF NOT EXISTS somepulse.v_page_monthly AS
WITH
activity AS (
    SELECT
        page_id,
        any(platform) AS platform,
        toStartOfMonth(occurred_at) AS month,
        uniqExactIf(event_id, kind = 'post_published') AS posts,
        uniqExactIf(event_id, kind = 'interaction' AND subtype = 'reaction') AS reactions,
        uniqExactIf(event_id, kind = 'interaction' AND subtype = 'comment') AS comments,
        uniqExactIf(event_id, kind = 'interaction' AND subtype = 'share') AS shares,
        uniqExactIf(event_id, kind = 'interaction' AND subtype = 'click') AS clicks,
        uniqExactIf(event_id, is_question = 1) AS questions,
        uniqExactIf(event_id, kind = 'page_reply') AS page_replies
    FROM somepulse.events
    GROUP BY page_id, month
),
daily_reach AS (
    SELECT page_id, day, argMax(reach, occurred_at) AS reach, argMax(impressions, occurred_at) AS impressions
    FROM somepulse.events
    WHERE kind = 'insights_snapshot' AND subtype = 'page'
    GROUP BY page_id, day
),
reach AS (
    SELECT page_id, toStartOfMonth(day) AS month, sum(reach) AS reach, sum(impressions) AS impressions
    FROM daily_reach
    GROUP BY page_id, month
)
SELECT
    activity.page_id AS page_id,
    activity.platform AS platform,
    activity.month AS month,
    posts, reactions, comments, shares, clicks,
    reactions + comments + shares + clicks AS engagement,
    questions, page_replies,
    reach.reach AS reach,
    reach.impressions AS impressions
FROM activity
LEFT JOIN reach ON activity.page_id = reach.page_id AND activity.month = reach.month;
