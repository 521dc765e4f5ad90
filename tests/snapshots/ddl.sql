-- 001_events
CREATE TABLE IF NOT EXISTS somepulse.events
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
TTL toDateTime(ingested_at) + INTERVAL 730 DAY;

-- 002_engagement_1m
CREATE TABLE IF NOT EXISTS somepulse.engagement_1m
(
    page_id    LowCardinality(String),
    platform   LowCardinality(String),
    post_id    String,
    minute     DateTime('UTC'),
    subtype    LowCardinality(String) COMMENT 'interaction type, or "in" for private messages',
    events     AggregateFunction(uniqExact, String),
    questions  AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (page_id, platform, minute, post_id, subtype);

CREATE MATERIALIZED VIEW IF NOT EXISTS somepulse.engagement_1m_mv TO somepulse.engagement_1m AS
SELECT
    page_id,
    platform,
    post_id,
    toStartOfMinute(occurred_at) AS minute,
    subtype,
    uniqExactState(event_id) AS events,
    uniqExactStateIf(event_id, is_question) AS questions
FROM somepulse.events
WHERE kind = 'interaction' OR (kind = 'private_message' AND direction = 'in')
GROUP BY page_id, platform, post_id, minute, subtype;

-- 003_engagement_view
CREATE VIEW IF NOT EXISTS somepulse.v_engagement_1m AS
SELECT
    page_id,
    platform,
    post_id,
    minute,
    uniqExactMergeIf(events, subtype = 'reaction') AS reactions,
    uniqExactMergeIf(events, subtype = 'comment') AS comments,
    uniqExactMergeIf(events, subtype = 'reply') AS replies,
    uniqExactMergeIf(events, subtype = 'share') AS shares,
    uniqExactMergeIf(events, subtype = 'click') AS clicks,
    uniqExactMergeIf(events, subtype = 'view') AS views,
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
        uniqExactIf(event_id, is_question) AS questions,
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
