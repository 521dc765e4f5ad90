-- Per-minute engagement per page, platform and post. uniqExact(event_id) states
-- make the rollup idempotent: a replayed event adds nothing (plain counters would
-- double count; PostHog's lesson).
CREATE TABLE IF NOT EXISTS {db}.engagement_1m
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

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.engagement_1m_mv TO {db}.engagement_1m AS
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
FROM {db}.events
WHERE kind IN ('interaction', 'private_message')
GROUP BY page_id, platform, post_id, minute;
