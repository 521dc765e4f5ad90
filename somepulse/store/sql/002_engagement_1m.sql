-- Per-minute engagement per page, platform, post and interaction type. uniqExact
-- (event_id) states make the rollup idempotent: a replayed event adds nothing (plain
-- counters would double count; PostHog's lesson). One state per row, keyed by type,
-- costs a third of one state column per type at insert.
CREATE TABLE IF NOT EXISTS {db}.engagement_1m
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
ORDER BY (page_id, platform, minute, post_id, subtype)
COMMENT 'rollup: uniqExact states per minute, page, post and interaction type (read v_engagement_1m)';

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.engagement_1m_mv TO {db}.engagement_1m AS
SELECT
    page_id,
    platform,
    post_id,
    toStartOfMinute(occurred_at) AS minute,
    subtype,
    uniqExactState(event_id) AS events,
    uniqExactStateIf(event_id, is_question) AS questions
FROM {db}.events
WHERE kind = 'interaction' OR (kind = 'private_message' AND direction = 'in')
GROUP BY page_id, platform, post_id, minute, subtype;
