-- Hourly and daily rollups, cascaded from the minute rollup by merging its uniqExact
-- states (exact and replay-safe like the minute rollup, and cheap: the cascade sees
-- pre-aggregated minute rows, not raw events). The daily rollup is per local day of
-- the page (whole-hour time zones, like the Nordic ones, map hours to days exactly).
CREATE TABLE IF NOT EXISTS {db}.engagement_1h
(
    page_id    LowCardinality(String),
    platform   LowCardinality(String),
    post_id    String,
    hour       DateTime('UTC'),
    subtype    LowCardinality(String),
    events     AggregateFunction(uniqExact, String),
    questions  AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (page_id, platform, hour, post_id, subtype)
COMMENT 'rollup: uniqExact states per hour, page, post and interaction type (read v_engagement_1h)';

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.engagement_1h_mv TO {db}.engagement_1h AS
SELECT page_id, platform, post_id, toStartOfHour(minute) AS hour, subtype,
       uniqExactMergeState(events) AS events, uniqExactMergeState(questions) AS questions
FROM {db}.engagement_1m
GROUP BY page_id, platform, post_id, hour, subtype;

CREATE TABLE IF NOT EXISTS {db}.engagement_1d
(
    page_id    LowCardinality(String),
    platform   LowCardinality(String),
    post_id    String,
    day        Date COMMENT 'local day of the page',
    subtype    LowCardinality(String),
    events     AggregateFunction(uniqExact, String),
    questions  AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (page_id, platform, day, post_id, subtype)
COMMENT 'rollup: uniqExact states per local day, page, post and interaction type (read v_engagement_1d)';

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.engagement_1d_mv TO {db}.engagement_1d AS
SELECT page_id, platform, post_id, LOCAL_DATE(hour) AS day, subtype,
       uniqExactMergeState(events) AS events, uniqExactMergeState(questions) AS questions
FROM {db}.engagement_1h
GROUP BY page_id, platform, post_id, day, subtype;

CREATE OR REPLACE VIEW {db}.v_engagement_1h AS
SELECT page_id, platform, post_id, hour,
       uniqExactMergeIf(events, subtype = 'reaction') AS reactions,
       uniqExactMergeIf(events, subtype = 'comment') AS comments,
       uniqExactMergeIf(events, subtype = 'reply') AS replies,
       uniqExactMergeIf(events, subtype = 'share') AS shares,
       uniqExactMergeIf(events, subtype = 'click') AS clicks,
       uniqExactMergeIf(events, subtype = 'view') AS views,
       uniqExactMerge(questions) AS questions,
       reactions + comments + shares + clicks AS engagement
FROM {db}.engagement_1h
GROUP BY page_id, platform, post_id, hour
COMMENT 'per hour, page, platform and post: reactions, comments, replies, shares, clicks, views, questions, engagement';

CREATE OR REPLACE VIEW {db}.v_engagement_1d AS
SELECT page_id, platform, post_id, day,
       uniqExactMergeIf(events, subtype = 'reaction') AS reactions,
       uniqExactMergeIf(events, subtype = 'comment') AS comments,
       uniqExactMergeIf(events, subtype = 'reply') AS replies,
       uniqExactMergeIf(events, subtype = 'share') AS shares,
       uniqExactMergeIf(events, subtype = 'click') AS clicks,
       uniqExactMergeIf(events, subtype = 'view') AS views,
       uniqExactMerge(questions) AS questions,
       reactions + comments + shares + clicks AS engagement
FROM {db}.engagement_1d
GROUP BY page_id, platform, post_id, day
COMMENT 'per local day, page, platform and post: reactions, comments, replies, shares, clicks, views, questions, engagement';
