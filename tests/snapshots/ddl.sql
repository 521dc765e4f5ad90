-- migration 001_events
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
TTL toDateTime(ingested_at) + INTERVAL 730 DAY
COMMENT 'every valid event (source of truth; deduplicate with FINAL or uniqExact(event_id))';

-- migration 002_engagement_1m
CREATE TABLE IF NOT EXISTS somepulse.engagement_1m
(
    page_id    LowCardinality(String),
    platform   LowCardinality(String),
    post_id    String,
    minute     DateTime('UTC'),
    subtype    LowCardinality(String) COMMENT 'interaction type, or "in" for private messages',
    events     AggregateFunction(uniqExact, String),
    questions  AggregateFunction(uniqExact, String),
    removed    AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (page_id, platform, minute, post_id, subtype)
COMMENT 'rollup: uniqExact states per minute, page, post and interaction type (read v_engagement_1m)';

-- migration 004_pages
CREATE TABLE IF NOT EXISTS somepulse.pages
(
    page_id          String,
    name             String,
    platform         LowCardinality(String),
    country          LowCardinality(String),
    tz               LowCardinality(String),
    opens            String,
    closes           String,
    promise_minutes  UInt32,
    peer_group       LowCardinality(String),
    loaded_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY page_id
COMMENT 'page directory from deploy/pages.toml: time zone, hours, reply promise, peer group';

CREATE TABLE IF NOT EXISTS somepulse.office_hours
(
    page_id    String,
    day        Date COMMENT 'local day',
    opens_at   DateTime('UTC'),
    closes_at  DateTime('UTC')
)
ENGINE = MergeTree
ORDER BY (page_id, day)
COMMENT 'open office hours per page and local day, as UTC instants';

-- migration 009_engagement_1h
CREATE TABLE IF NOT EXISTS somepulse.engagement_1h
(
    page_id    LowCardinality(String),
    platform   LowCardinality(String),
    post_id    String,
    hour       DateTime('UTC'),
    subtype    LowCardinality(String) COMMENT 'interaction type, or "in" for private messages',
    events     AggregateFunction(uniqExact, String),
    questions  AggregateFunction(uniqExact, String),
    removed    AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (page_id, platform, hour, post_id, subtype)
COMMENT 'rollup: uniqExact states per hour, page, post and interaction type (read v_engagement_1h)';

-- migration 010_alerts
CREATE TABLE IF NOT EXISTS somepulse.alerts
(
    alert_id     String COMMENT 'page/platform/rule/first firing bucket',
    state        LowCardinality(String) COMMENT 'firing or resolved',
    at           DateTime64(3, 'UTC') COMMENT 'event time of the decision',
    decided_at   DateTime64(3, 'UTC') COMMENT 'wall time of the decision',
    page_id      LowCardinality(String),
    platform     LowCardinality(String),
    rule         LowCardinality(String),
    metric       LowCardinality(String),
    severity     LowCardinality(String),
    observed     Float64,
    baseline     Float64,
    ratio        Float64,
    p_value      Float64,
    summary      String
)
ENGINE = ReplacingMergeTree
ORDER BY (alert_id, state)
COMMENT 'surge alerts: every firing and resolution with value, baseline and ratio';

-- migration 011_drop_daily_rollup
DROP TABLE IF EXISTS somepulse.engagement_1d_mv;

DROP TABLE IF EXISTS somepulse.engagement_1d;

DROP VIEW IF EXISTS somepulse.v_engagement_1d;

-- migration 012_reference_data
ALTER TABLE somepulse.office_hours ADD COLUMN IF NOT EXISTS version UInt64 DEFAULT 0;

CREATE TABLE IF NOT EXISTS somepulse.score_settings
(
    w_response_rate           Float64,
    w_response_time           Float64,
    w_engagement_rate         Float64,
    w_dialogue_participation  Float64,
    w_activity                Float64,
    w_growth                  Float64,
    t_engagement_rate_7d      Float64,
    t_posts_per_day           Float64,
    t_growth_pct              Float64,
    t_response_time_zero_at   Float64,
    loaded_at                 DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY tuple()
COMMENT 'the 0-100 score: weights (w_) and targets (t_) from score.toml; one row';

CREATE TABLE IF NOT EXISTS somepulse.stop_words
(
    word String
)
ENGINE = ReplacingMergeTree
ORDER BY word
COMMENT 'words left out of v_top_words (nb, nn, sv, da, en)';

CREATE TABLE IF NOT EXISTS somepulse.reference_digests
(
    name    String,
    digest  String,
    version UInt64,
    at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(at)
ORDER BY name
COMMENT 'digest of each loaded reference set (pages, score, stop words)';

-- migration 013_erasure_log
CREATE TABLE IF NOT EXISTS somepulse.erasure_log
(
    request_id      UUID,
    action          LowCardinality(String) COMMENT 'erase or export',
    at              DateTime64(3, 'UTC'),
    operator        String COMMENT 'the OS user who ran the command',
    reference       String COMMENT 'the case number the data-protection officer gave',
    platform        LowCardinality(String),
    key_ids         Array(String) COMMENT 'pseudonym keys the person was looked up with',
    events          UInt64 COMMENT 'rows of the person deleted or exported',
    page_replies    UInt64 COMMENT 'page replies to the person deleted',
    rollup_hours    UInt64 COMMENT 'page-post-hours of the rollups recomputed',
    not_reached     String COMMENT 'what the command could not erase'
)
ENGINE = MergeTree
ORDER BY at
COMMENT 'audit of erasure and access requests, without the person''s identity';

-- migration 014_accounts
ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS account_id String DEFAULT ''
    COMMENT 'the page''s own platform account the event named, if any' AFTER page_id;

ALTER TABLE somepulse.pages
    ADD COLUMN IF NOT EXISTS accounts Map(LowCardinality(String), String)
    COMMENT 'platform -> the page''s account id on it' AFTER platform;

-- migration 015_metric_snapshots
ALTER TABLE somepulse.events
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

CREATE TABLE IF NOT EXISTS somepulse.metric_catalogue
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

-- migration 016_score_min_questions
ALTER TABLE somepulse.score_settings
    ADD COLUMN IF NOT EXISTS t_min_questions Float64 DEFAULT 10 AFTER t_response_time_zero_at;

-- migration 017_automated_replies
ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS automated Bool DEFAULT false
        COMMENT 'page_reply: sent by software (instant reply, away message, chatbot)' AFTER author_id,
    ADD COLUMN IF NOT EXISTS app_id String DEFAULT ''
        COMMENT 'page_reply: the app that sent it, as the platform says' AFTER automated;

ALTER TABLE somepulse.pages
    ADD COLUMN IF NOT EXISTS human_reply_apps Array(String)
        COMMENT 'apps through which people answer (others are automation)' AFTER peer_group,
    ADD COLUMN IF NOT EXISTS automated_reply_apps Array(String)
        COMMENT 'apps whose replies are automation' AFTER human_reply_apps,
    ADD COLUMN IF NOT EXISTS automated_replies_answer Bool DEFAULT false
        COMMENT 'count automated replies as answers after all' AFTER automated_reply_apps;

-- migration 018_mentions
ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS mention_id String DEFAULT ''
        COMMENT 'mention: the mentioning post or comment on the platform' AFTER message_id,
    ADD COLUMN IF NOT EXISTS via LowCardinality(String) DEFAULT ''
        COMMENT 'mention: tag, mention, quote, hashtag or keyword' AFTER mention_id,
    ADD COLUMN IF NOT EXISTS matched String DEFAULT ''
        COMMENT 'mention: the handle, hashtag or keyword that matched' AFTER via;

-- migration 019_item_changes
ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS verb LowCardinality(String) DEFAULT 'add'
    COMMENT 'post_published, interaction, private_message, page_reply: add, edit, remove, hide, unhide'
    AFTER kind;

ALTER TABLE somepulse.engagement_1m ADD COLUMN IF NOT EXISTS removed AggregateFunction(uniqExact, String);

DROP VIEW IF EXISTS somepulse.engagement_1m_mv;

CREATE MATERIALIZED VIEW somepulse.engagement_1m_mv TO somepulse.engagement_1m AS
SELECT
    page_id, platform, post_id, toStartOfMinute(occurred_at) AS minute, subtype,
    uniqExactStateIf(event_id, verb = 'add') AS events,
    uniqExactStateIf(event_id, is_question AND verb = 'add') AS questions,
    uniqExactStateIf(event_id, verb = 'remove') AS removed
FROM somepulse.events
WHERE (kind = 'interaction' OR (kind = 'private_message' AND direction = 'in')) AND (verb IN ('add', 'remove'))
GROUP BY page_id, platform, post_id, minute, subtype;

ALTER TABLE somepulse.engagement_1h ADD COLUMN IF NOT EXISTS removed AggregateFunction(uniqExact, String);

DROP VIEW IF EXISTS somepulse.engagement_1h_mv;

CREATE MATERIALIZED VIEW somepulse.engagement_1h_mv TO somepulse.engagement_1h AS
SELECT
    page_id, platform, post_id, toStartOfHour(minute) AS hour, subtype,
    uniqExactMergeState(events) AS events,
    uniqExactMergeState(questions) AS questions,
    uniqExactMergeState(removed) AS removed
FROM somepulse.engagement_1m
GROUP BY page_id, platform, post_id, hour, subtype;

-- migration 020_needs_reply
ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS question_reason LowCardinality(String) DEFAULT ''
    COMMENT 'interaction, private_message: why the question detector decided' AFTER is_question;

ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS target_event_id String DEFAULT ''
    COMMENT 'needs_reply_mark: the comment or message event marked' AFTER question_reason;

ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS target_id String DEFAULT ''
    COMMENT 'needs_reply_mark: the comment id or message id marked' AFTER target_event_id;

ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS target_at DateTime64(3, 'UTC') DEFAULT occurred_at
    COMMENT 'needs_reply_mark: when the marked comment or message was written' AFTER target_id;

ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS needs_reply Bool DEFAULT false
    COMMENT 'needs_reply_mark: the verdict of the person on duty' AFTER target_at;

-- migration 021_source_status
ALTER TABLE somepulse.events
    ADD COLUMN IF NOT EXISTS collector LowCardinality(String) DEFAULT ''
        COMMENT 'source_status: the collector reading the source (meta-insights, bluesky, …)' AFTER matched,
    ADD COLUMN IF NOT EXISTS state LowCardinality(String) DEFAULT ''
        COMMENT 'source_status: up, limited, down or broken' AFTER collector,
    ADD COLUMN IF NOT EXISTS detail String DEFAULT ''
        COMMENT 'source_status: what failed, in words a person can act on' AFTER state,
    ADD COLUMN IF NOT EXISTS next_within UInt32 DEFAULT 0
        COMMENT 'source_status: seconds within which the collector speaks again (0: no promise)' AFTER detail;

-- migration 022_surge_verdicts
CREATE TABLE IF NOT EXISTS somepulse.surge_verdicts
(
    page_id     LowCardinality(String),
    platform    LowCardinality(String),
    rule        LowCardinality(String),
    bucket      DateTime('UTC') COMMENT 'start of the last bucket of the window (event time)',
    decided_at  DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'wall time of the decision',
    observed    Float64 COMMENT 'the window''s count (known hours only) or reported value',
    expected    Nullable(Float64) COMMENT 'what the page''s usual predicts; NULL: no baseline yet',
    ratio       Nullable(Float64),
    p_value     Nullable(Float64) COMMENT 'quasi-Poisson tail of so many; NULL for reported values',
    dispersion  Float64 COMMENT 'variance over mean of the page''s windows (at least 1)',
    condition   Bool COMMENT 'this bucket passes ratio, tail and volume',
    firing      Bool COMMENT 'the rule fires after this bucket (hold and hysteresis applied)'
)
ENGINE = ReplacingMergeTree(decided_at)
ORDER BY (page_id, platform, rule, bucket)
TTL toDateTime(decided_at) + INTERVAL 30 DAY
COMMENT 'the surge detector''s decisions per page, rule and bucket (kept 30 days after they were made)';

-- migration 023_alert_posts
ALTER TABLE somepulse.alerts
    ADD COLUMN IF NOT EXISTS post_ids Array(String) COMMENT 'posts with the most of the window''s count, most first',
    ADD COLUMN IF NOT EXISTS post_counts Array(Float64) COMMENT 'their counts in the window (share = count / observed)';

-- migration 024_yearly_partitions
DROP VIEW IF EXISTS somepulse.engagement_1h_mv;

DROP VIEW IF EXISTS somepulse.engagement_1m_mv;

DROP TABLE IF EXISTS somepulse.events_by_year;

CREATE TABLE somepulse.events_by_year AS somepulse.events
ENGINE = ReplacingMergeTree
PARTITION BY toYear(occurred_at)
ORDER BY (page_id, toDate(occurred_at), kind, event_id)
TTL toDateTime(ingested_at) + INTERVAL 730 DAY;

INSERT INTO somepulse.events_by_year SELECT * FROM somepulse.events
SETTINGS max_threads = 1, max_insert_threads = 1,
    min_insert_block_size_rows = 262144, min_insert_block_size_bytes = 33554432;

EXCHANGE TABLES somepulse.events AND somepulse.events_by_year;

DROP TABLE somepulse.events_by_year;

DROP TABLE IF EXISTS somepulse.engagement_1m_by_year;

CREATE TABLE somepulse.engagement_1m_by_year AS somepulse.engagement_1m
ENGINE = AggregatingMergeTree
PARTITION BY toYear(minute)
ORDER BY (page_id, platform, minute, post_id, subtype);

INSERT INTO somepulse.engagement_1m_by_year SELECT * FROM somepulse.engagement_1m
SETTINGS max_threads = 1, max_insert_threads = 1,
    min_insert_block_size_rows = 262144, min_insert_block_size_bytes = 33554432;

EXCHANGE TABLES somepulse.engagement_1m AND somepulse.engagement_1m_by_year;

DROP TABLE somepulse.engagement_1m_by_year;

DROP TABLE IF EXISTS somepulse.engagement_1h_by_year;

CREATE TABLE somepulse.engagement_1h_by_year AS somepulse.engagement_1h
ENGINE = AggregatingMergeTree
PARTITION BY toYear(hour)
ORDER BY (page_id, platform, hour, post_id, subtype);

INSERT INTO somepulse.engagement_1h_by_year SELECT * FROM somepulse.engagement_1h
SETTINGS max_threads = 1, max_insert_threads = 1,
    min_insert_block_size_rows = 262144, min_insert_block_size_bytes = 33554432;

EXCHANGE TABLES somepulse.engagement_1h AND somepulse.engagement_1h_by_year;

DROP TABLE somepulse.engagement_1h_by_year;

DROP VIEW IF EXISTS somepulse.engagement_1m_mv;

CREATE MATERIALIZED VIEW somepulse.engagement_1m_mv TO somepulse.engagement_1m AS
SELECT
    page_id, platform, post_id, toStartOfMinute(occurred_at) AS minute, subtype,
    uniqExactStateIf(event_id, verb = 'add') AS events,
    uniqExactStateIf(event_id, is_question AND verb = 'add') AS questions,
    uniqExactStateIf(event_id, verb = 'remove') AS removed
FROM somepulse.events
WHERE (kind = 'interaction' OR (kind = 'private_message' AND direction = 'in')) AND (verb IN ('add', 'remove'))
GROUP BY page_id, platform, post_id, minute, subtype;

DROP VIEW IF EXISTS somepulse.engagement_1h_mv;

CREATE MATERIALIZED VIEW somepulse.engagement_1h_mv TO somepulse.engagement_1h AS
SELECT
    page_id, platform, post_id, toStartOfHour(minute) AS hour, subtype,
    uniqExactMergeState(events) AS events,
    uniqExactMergeState(questions) AS questions,
    uniqExactMergeState(removed) AS removed
FROM somepulse.engagement_1m
GROUP BY page_id, platform, post_id, hour, subtype;

-- functions (every start)
CREATE OR REPLACE FUNCTION somepulse_is_question AS (kind, direction, is_question, verb) ->
    is_question AND verb = 'add'
    AND (kind = 'interaction' OR (kind = 'private_message' AND direction = 'in'));

CREATE OR REPLACE FUNCTION somepulse_net AS (event_id, condition, verb) ->
    toInt64(uniqExactIf(event_id, condition AND verb = 'add'))
    - toInt64(uniqExactIf(event_id, condition AND verb = 'remove'));

CREATE OR REPLACE FUNCTION somepulse_is_engagement AS (kind, interaction_type) ->
    kind = 'interaction' AND interaction_type IN ('reaction', 'comment', 'share', 'click');

CREATE OR REPLACE FUNCTION somepulse_counts_as_answer AS
    (automated, app_id, human_apps, automated_apps, automated_answers) ->
    automated_answers OR NOT (automated OR has(automated_apps, app_id)
        OR (notEmpty(human_apps) AND app_id != '' AND NOT has(human_apps, app_id)));

CREATE OR REPLACE FUNCTION somepulse_virality AS (shares, reach) -> round(shares / nullIf(reach, 0), 5);

CREATE OR REPLACE FUNCTION somepulse_grade AS (score) -> multiIf(
    score >= 100, 'perfect', score >= 95, 'world class', score >= 90, 'very good',
    score >= 80, 'really good', score >= 65, 'good', score >= 45, 'OK',
    score >= 30, 'not passed', 'failed');

CREATE OR REPLACE FUNCTION somepulse_limited_basis AS (questions, t) -> ifNull(questions, 0) < t.5;

CREATE OR REPLACE FUNCTION somepulse_score AS (questions, response_rate, median_office_minutes,
    promise_minutes, engagement_rate_7d, dialogues, dialogues_with_page, posts_per_day,
    follower_growth_pct, w, t) -> round(100 * (
        if(somepulse_limited_basis(questions, t), 0, w.1 * ifNull(response_rate, 0))
      + if(somepulse_limited_basis(questions, t) OR median_office_minutes IS NULL, 0,
           w.2 * least(1, greatest(0,
                 1 - (median_office_minutes - promise_minutes) / ((t.4 - 1) * promise_minutes))))
      + w.3 * least(1, ifNull(engagement_rate_7d, 0) / t.1)
      + if(dialogues = 0, 0, w.4 * dialogues_with_page / dialogues)
      + w.5 * least(1, posts_per_day / t.2)
      + w.6 * least(1, greatest(0, ifNull(follower_growth_pct, 0) / t.3))
    ) / greatest(toFloat64(
        if(somepulse_limited_basis(questions, t), 0, w.1)
      + if(somepulse_limited_basis(questions, t) OR median_office_minutes IS NULL, 0, w.2)
      + w.3 + if(dialogues = 0, 0, w.4) + w.5 + w.6), 1e-9), 1);

CREATE OR REPLACE FUNCTION somepulse_events_partition AS (t) -> toString(toYear(t, 'UTC'));

-- views (every start)
CREATE OR REPLACE VIEW somepulse.v_posts AS
SELECT page_id, post_id, any(platform) AS platform,
       minIf(occurred_at, verb = 'add') AS published_at,
       anyIf(format, verb = 'add') AS format, anyIf(paid, verb = 'add') AS paid,
       anyIf(campaign_id, verb = 'add') AS campaign_id,
       argMaxIf(text, occurred_at, verb IN ('add', 'edit') AND text != '') AS text,
       countIf(verb = 'edit') > 0 AS edited
FROM somepulse.events
WHERE kind = 'post_published'
GROUP BY page_id, post_id
HAVING countIf(verb = 'add') > 0
   AND argMaxIf(verb, occurred_at, verb IN ('add', 'remove')) != 'remove'
COMMENT 'one row per post still published: published_at, format, paid, campaign, latest text, edited';

CREATE OR REPLACE VIEW somepulse.v_questions_since AS
SELECT question_id, page_id, platform, post_id, source, asked_at, item_id, thread_id,
       withdrawn, withdrawn_at, marked
FROM (
    SELECT page_id, item_id, any(source) AS source,
           any(platform) AS platform,
           countIf(asked) > 0 AS detected,
           countIf(is_mark) > 0 AS marked,
           if(detected, argMinIf(event_id, occurred_at, asked),
              anyIf(target_event_id, is_mark)) AS question_id,
           if(detected, anyIf(post_id, asked), anyIf(post_id, is_mark)) AS post_id,
           if(detected, minIf(occurred_at, asked), minIf(target_at, is_mark)) AS asked_at,
           if(detected, anyIf(thread_id, asked), anyIf(thread_id, is_mark)) AS thread_id,
           if(marked, argMaxIf(needs_reply, occurred_at, is_mark),
              argMaxIf(is_question, occurred_at, verb IN ('add', 'edit'))) AS still_a_question,
           argMaxIf(verb, occurred_at, verb IN ('add', 'remove', 'hide', 'unhide'))
               IN ('remove', 'hide') AS withdrawn,
           if(withdrawn, maxIf(occurred_at, verb IN ('remove', 'hide')), NULL) AS withdrawn_at
    FROM (
        SELECT event_id, page_id, item_id, kind AS source, platform, post_id, occurred_at,
               thread_id, is_question, verb, is_question AND verb IN ('add', 'edit') AS asked,
               false AS is_mark, false AS needs_reply, '' AS target_event_id,
               occurred_at AS target_at
        FROM somepulse.events FINAL
        WHERE (kind = 'interaction' OR (kind = 'private_message' AND direction = 'in'))
          AND item_id != '' AND occurred_at >= {since:DateTime64(3, 'UTC')}
          AND _partition_id >= somepulse_events_partition({since:DateTime64(3, 'UTC')})
          AND ((page_id, item_id) IN (
                  SELECT page_id, item_id FROM somepulse.events
                  WHERE is_question AND verb IN ('add', 'edit') AND occurred_at >= {since:DateTime64(3, 'UTC')}
                    AND (kind = 'interaction'
                         OR (kind = 'private_message' AND direction = 'in')))
               OR (page_id, item_id) IN (
                  SELECT page_id, target_id FROM somepulse.events
                  WHERE kind = 'needs_reply_mark' AND occurred_at >= {since:DateTime64(3, 'UTC')}))
        UNION ALL
        SELECT event_id, page_id, target_id AS item_id,
               if(channel = 'message', 'private_message', 'interaction') AS source,
               platform, post_id, occurred_at, thread_id, false AS is_question, '' AS verb,
               false AS asked, true AS is_mark, needs_reply, target_event_id, target_at
        FROM somepulse.events FINAL
        WHERE kind = 'needs_reply_mark' AND occurred_at >= {since:DateTime64(3, 'UTC')} AND _partition_id >= somepulse_events_partition({since:DateTime64(3, 'UTC')})
    )
    GROUP BY page_id, item_id
    HAVING still_a_question
)
COMMENT 'v_questions over the events at or after since (a parameterised view: v_questions_since(since = ...))';

CREATE OR REPLACE VIEW somepulse.v_questions AS
SELECT * FROM somepulse.v_questions_since(since = '1900-01-01 00:00:00')
COMMENT 'one row per question (comment/reply or incoming message): asked_at, withdrawn (removed or hidden) by its latest change, marked by the person on duty';

CREATE OR REPLACE VIEW somepulse.v_page_replies_since AS
SELECT r.event_id AS event_id, r.page_id AS page_id, r.platform AS platform,
       r.post_id AS post_id, r.occurred_at AS replied_at, r.channel AS channel,
       r.reply_id AS reply_id, r.in_reply_to AS in_reply_to, r.thread_id AS thread_id,
       r.automated AS automated, r.app_id AS app_id,
       somepulse_counts_as_answer(r.automated, r.app_id, p.human_reply_apps,
                             p.automated_reply_apps, p.automated_replies_answer) AS answers
FROM somepulse.events AS r FINAL
LEFT JOIN (SELECT page_id, human_reply_apps, automated_reply_apps, automated_replies_answer
           FROM somepulse.pages FINAL) AS p ON p.page_id = r.page_id
WHERE r.kind = 'page_reply' AND r.occurred_at >= {since:DateTime64(3, 'UTC')} AND r._partition_id >= somepulse_events_partition({since:DateTime64(3, 'UTC')})
COMMENT 'v_page_replies at or after since (a parameterised view: v_page_replies_since(since = ...))';

CREATE OR REPLACE VIEW somepulse.v_page_replies AS
SELECT * FROM somepulse.v_page_replies_since(since = '1900-01-01 00:00:00')
COMMENT 'one row per reply of the page (under a post or in a message thread); answers: it stops the response clock (not automated)';

CREATE OR REPLACE VIEW somepulse.v_metric_snapshots AS
SELECT page_id, platform, scope, post_id, metric, period, day, breakdown,
       argMax(events.value, events.fetched_at) AS value,
       argMax(events.source, events.fetched_at) AS source,
       argMax(events.api_version, events.fetched_at) AS api_version,
       max(events.fetched_at) AS latest_fetch
FROM somepulse.events
WHERE kind = 'metric_snapshot'
GROUP BY page_id, platform, scope, post_id, metric, period, day, breakdown
COMMENT 'per page, metric, period, day and breakdown: the latest fetched value and its provenance';

CREATE OR REPLACE VIEW somepulse.v_measures AS
SELECT s.page_id AS page_id, s.platform AS platform, s.scope AS scope, s.post_id AS post_id,
       c.measure AS measure, s.day AS day, s.period AS period, s.value AS value,
       s.metric AS metric, c.series AS series, c.valid_from AS valid_from,
       s.day >= c.valid_from AND s.day < c.valid_until AS within_validity,
       s.source AS source, s.api_version AS api_version, s.latest_fetch AS fetched_at
FROM somepulse.v_metric_snapshots AS s
INNER JOIN (SELECT * FROM somepulse.metric_catalogue FINAL) AS c
    ON c.platform = s.platform AND c.scope = s.scope AND c.metric = s.metric
WHERE s.breakdown = ''
COMMENT 'metric snapshots as SoMe Pulse measures (reach, views, follows, clicks, shares, video_views, platform_engagement) with their series';

CREATE OR REPLACE VIEW somepulse.v_measures_daily AS
SELECT page_id, platform, measure, day,
       argMax(value, valid_from) AS value,
       argMax(metric, valid_from) AS metric,
       argMax(series, valid_from) AS series,
       max(fetched_at) AS fetched_at
FROM somepulse.v_measures
WHERE scope = 'page' AND period IN ('day', 'total')
GROUP BY page_id, platform, measure, day
COMMENT 'per page, measure and day: the newest metric delivered that day (the successor wins in an overlap)';

CREATE OR REPLACE VIEW somepulse.v_reported_daily AS
SELECT page_id, day, any(platform) AS platform,
       toInt64(sumIf(value, measure = 'shares')) AS shares,
       countIf(measure = 'shares') > 0 AS shares_reported,
       toInt64(sumIf(value, measure = 'clicks')) AS clicks,
       countIf(measure = 'clicks') > 0 AS clicks_reported
FROM (
    SELECT page_id, day, platform, measure, argMax(value, valid_from) AS value
    FROM somepulse.v_measures
    WHERE scope = 'page' AND period = 'day' AND measure IN ('shares', 'clicks')
    GROUP BY page_id, day, platform, measure
    UNION ALL
    SELECT page_id, day, platform, measure, sum(gain) AS value
    FROM (
        SELECT page_id, day, platform, measure,
               value - lagInFrame(value, 1, 0) OVER (
                   PARTITION BY page_id, post_id, measure ORDER BY day
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS gain
        FROM (SELECT page_id, post_id, day, toString(any(platform)) AS platform, measure,
                     argMax(value, valid_from) AS value
              FROM somepulse.v_measures
              WHERE scope = 'post' AND period = 'lifetime' AND measure IN ('shares', 'clicks')
              GROUP BY page_id, post_id, day, measure)
    )
    GROUP BY page_id, day, platform, measure
)
GROUP BY page_id, day
COMMENT 'per page and day: shares and clicks as reported (a page figure, or the growth of its posts lifetime totals)';

CREATE OR REPLACE VIEW somepulse.v_page_reach_daily AS
SELECT page_id, day, any(platform) AS platform,
       argMax(reach, (priority, at)) AS reach,
       argMax(impressions, (priority, at)) AS impressions,
       argMax(video_views, (priority, at)) AS video_views,
       max(at) AS reported_at,
       argMax(reach_metric, (priority, at)) AS reach_metric,
       argMax(reach_series, (priority, at)) AS reach_series
FROM (
    SELECT page_id, day, toString(platform) AS platform, reach, impressions, video_views,
           occurred_at AS at, toUInt8(0) AS priority,
           'insights_snapshot.reach' AS reach_metric, 'insights_snapshot.reach' AS reach_series
    FROM somepulse.events
    WHERE kind = 'insights_snapshot' AND scope = 'page'
    UNION ALL
    SELECT page_id, day, toString(any(platform)) AS platform,
           toUInt64(greatest(0, maxIf(value, measure = 'reach'))) AS reach,
           toUInt64(greatest(0, maxIf(value, measure = 'views'))) AS impressions,
           toUInt64(0) AS video_views,
           max(fetched_at) AS at, toUInt8(1) AS priority,
           anyIf(metric, measure = 'reach') AS reach_metric,
           anyIf(series, measure = 'reach') AS reach_series
    FROM somepulse.v_measures_daily
    WHERE measure IN ('reach', 'views')
    GROUP BY page_id, day
)
GROUP BY page_id, day
COMMENT 'per page and day: the latest reported reach, impressions (views), video views, and the metric (and series) behind reach';

CREATE OR REPLACE VIEW somepulse.v_post_reach AS
SELECT page_id, post_id, any(platform) AS platform,
       argMax(reach, (priority, at)) AS reach,
       argMax(impressions, (priority, at)) AS impressions,
       max(at) AS reported_at,
       argMax(reach_metric, (priority, at)) AS reach_metric
FROM (
    SELECT page_id, post_id, toString(platform) AS platform, reach, impressions,
           occurred_at AS at, toUInt8(0) AS priority,
           'insights_snapshot.reach' AS reach_metric
    FROM somepulse.events
    WHERE kind = 'insights_snapshot' AND scope = 'post'
    UNION ALL
    SELECT page_id, post_id, toString(any(platform)) AS platform,
           toUInt64(greatest(0, argMaxIf(value, (day, valid_from), measure = 'reach'))) AS reach,
           toUInt64(greatest(0, argMaxIf(value, (day, valid_from), measure = 'views')))
               AS impressions,
           max(fetched_at) AS at, toUInt8(1) AS priority,
           argMaxIf(metric, (day, valid_from), measure = 'reach') AS reach_metric
    FROM somepulse.v_measures
    WHERE scope = 'post' AND period = 'lifetime' AND measure IN ('reach', 'views')
    GROUP BY page_id, post_id
)
GROUP BY page_id, post_id
COMMENT 'per post: the latest reported reach and impressions (views), and the metric behind reach';

CREATE OR REPLACE VIEW somepulse.v_office_hours AS
SELECT page_id, day, opens_at, closes_at
FROM somepulse.office_hours
WHERE (page_id, version) IN (SELECT page_id, max(version) FROM somepulse.office_hours GROUP BY page_id)
COMMENT 'open office hours per page and local day (UTC instants), latest directory';

CREATE OR REPLACE VIEW somepulse.v_engagement_1m AS
SELECT
    page_id, platform, post_id, minute AS minute,
    toInt64(uniqExactMergeIf(events, subtype = 'reaction')) - toInt64(uniqExactMergeIf(removed, subtype = 'reaction')) AS reactions,
    toInt64(uniqExactMergeIf(events, subtype = 'comment')) - toInt64(uniqExactMergeIf(removed, subtype = 'comment')) AS comments,
    toInt64(uniqExactMergeIf(events, subtype = 'reply')) - toInt64(uniqExactMergeIf(removed, subtype = 'reply')) AS replies,
    toInt64(uniqExactMergeIf(events, subtype = 'share')) - toInt64(uniqExactMergeIf(removed, subtype = 'share')) AS shares,
    toInt64(uniqExactMergeIf(events, subtype = 'click')) - toInt64(uniqExactMergeIf(removed, subtype = 'click')) AS clicks,
    toInt64(uniqExactMergeIf(events, subtype = 'view')) - toInt64(uniqExactMergeIf(removed, subtype = 'view')) AS views,
    uniqExactMerge(questions) AS questions,
    reactions + comments + shares + clicks AS engagement
FROM somepulse.engagement_1m
GROUP BY page_id, platform, post_id, minute
COMMENT 'per minute, page, platform and post: reactions, comments, replies, shares, clicks, views, questions, engagement (added − removed: a removal counts −1 when it happens)';

CREATE OR REPLACE VIEW somepulse.v_engagement_1h AS
SELECT
    page_id, platform, post_id, hour AS hour,
    toInt64(uniqExactMergeIf(events, subtype = 'reaction')) - toInt64(uniqExactMergeIf(removed, subtype = 'reaction')) AS reactions,
    toInt64(uniqExactMergeIf(events, subtype = 'comment')) - toInt64(uniqExactMergeIf(removed, subtype = 'comment')) AS comments,
    toInt64(uniqExactMergeIf(events, subtype = 'reply')) - toInt64(uniqExactMergeIf(removed, subtype = 'reply')) AS replies,
    toInt64(uniqExactMergeIf(events, subtype = 'share')) - toInt64(uniqExactMergeIf(removed, subtype = 'share')) AS shares,
    toInt64(uniqExactMergeIf(events, subtype = 'click')) - toInt64(uniqExactMergeIf(removed, subtype = 'click')) AS clicks,
    toInt64(uniqExactMergeIf(events, subtype = 'view')) - toInt64(uniqExactMergeIf(removed, subtype = 'view')) AS views,
    uniqExactMerge(questions) AS questions,
    reactions + comments + shares + clicks AS engagement
FROM somepulse.engagement_1h
GROUP BY page_id, platform, post_id, hour
COMMENT 'per hour, page, platform and post: reactions, comments, replies, shares, clicks, views, questions, engagement (added − removed: a removal counts −1 when it happens)';

CREATE OR REPLACE VIEW somepulse.v_engagement_1d AS
SELECT
    page_id, platform, post_id, somepulse_local_date(page_id, hour) AS day,
    toInt64(uniqExactMergeIf(events, subtype = 'reaction')) - toInt64(uniqExactMergeIf(removed, subtype = 'reaction')) AS reactions,
    toInt64(uniqExactMergeIf(events, subtype = 'comment')) - toInt64(uniqExactMergeIf(removed, subtype = 'comment')) AS comments,
    toInt64(uniqExactMergeIf(events, subtype = 'reply')) - toInt64(uniqExactMergeIf(removed, subtype = 'reply')) AS replies,
    toInt64(uniqExactMergeIf(events, subtype = 'share')) - toInt64(uniqExactMergeIf(removed, subtype = 'share')) AS shares,
    toInt64(uniqExactMergeIf(events, subtype = 'click')) - toInt64(uniqExactMergeIf(removed, subtype = 'click')) AS clicks,
    toInt64(uniqExactMergeIf(events, subtype = 'view')) - toInt64(uniqExactMergeIf(removed, subtype = 'view')) AS views,
    uniqExactMerge(questions) AS questions,
    reactions + comments + shares + clicks AS engagement
FROM somepulse.engagement_1h
GROUP BY page_id, platform, post_id, day
COMMENT 'per local day, page, platform and post: reactions, comments, replies, shares, clicks, views, questions, engagement (added − removed: a removal counts −1 when it happens)';

CREATE OR REPLACE VIEW somepulse.v_page_daily AS
WITH
activity AS (
    SELECT
        page_id,
        somepulse_local_date(page_id, occurred_at) AS local_day,
        any(platform) AS platform,
        somepulse_net(event_id, kind = 'post_published', verb) AS posts,
        somepulse_net(event_id, kind = 'interaction' AND interaction_type = 'reaction', verb) AS reactions,
        somepulse_net(event_id, kind = 'interaction' AND interaction_type = 'comment', verb) AS comments,
        somepulse_net(event_id, kind = 'interaction' AND interaction_type = 'reply', verb) AS replies,
        somepulse_net(event_id, kind = 'interaction' AND interaction_type = 'share', verb) AS shares,
        somepulse_net(event_id, kind = 'interaction' AND interaction_type = 'click', verb) AS clicks,
        somepulse_net(event_id, kind = 'interaction' AND interaction_type = 'view', verb) AS views,
        uniqExactIf(event_id, somepulse_is_question(kind, direction, is_question, verb)) AS questions,
        somepulse_net(event_id, kind = 'private_message' AND direction = 'in', verb) AS messages_in,
        uniqExactIf(event_id, kind = 'page_reply' AND verb = 'add') AS page_replies,
        uniqExactIf(actor_id, somepulse_is_engagement(kind, interaction_type) AND verb = 'add')
            AS engaged_people
    FROM somepulse.events
    WHERE kind IN ('post_published', 'interaction', 'private_message', 'page_reply')
    GROUP BY page_id, local_day
),
page_reach AS (
    SELECT page_id, day AS local_day, platform, reach, impressions, video_views, reach_metric,
           reach_series
    FROM somepulse.v_page_reach_daily
),
reported AS (
    SELECT page_id, day AS local_day, platform, shares, shares_reported, clicks, clicks_reported
    FROM somepulse.v_reported_daily
),
page_followers AS (
    SELECT page_id, local_day, any(platform) AS platform,
           argMax(followers, (priority, at)) AS followers
    FROM (
        SELECT page_id, somepulse_local_date(page_id, occurred_at) AS local_day,
               toString(platform) AS platform, followers, occurred_at AS at,
               toUInt8(0) AS priority
        FROM somepulse.events
        WHERE kind = 'follower_snapshot'
        UNION ALL
        SELECT page_id, day AS local_day, toString(platform) AS platform,
               toUInt64(greatest(0, value)) AS followers, fetched_at AS at, toUInt8(1) AS priority
        FROM somepulse.v_measures_daily
        WHERE measure = 'follows'
    )
    GROUP BY page_id, local_day
)
SELECT
    page_id,
    local_day AS day,
    if(activity.platform != '', activity.platform,
       if(page_reach.platform != '', page_reach.platform,
          if(page_followers.platform != '', page_followers.platform, reported.platform)))
        AS platform,
    posts, reactions, comments, replies,
    if(reported.shares_reported, reported.shares, activity.shares) AS shares,
    if(reported.clicks_reported, reported.clicks, activity.clicks) AS clicks,
    views,
    reactions + comments + shares + clicks AS engagement,
    somepulse_virality(shares, reach) AS virality,
    engaged_people, questions, messages_in, page_replies,
    reach, impressions, video_views, reach_metric, reach_series,
    followers
FROM activity
FULL OUTER JOIN page_reach USING (page_id, local_day)
FULL OUTER JOIN page_followers USING (page_id, local_day)
FULL OUTER JOIN reported USING (page_id, local_day)
COMMENT 'per page and local day: posts, engagement, questions, replies, reach (and the metric behind it), impressions, followers';

CREATE OR REPLACE VIEW somepulse.v_page_periods AS
SELECT
    *,
    followers - lagInFrame(toNullable(followers)) OVER w AS follower_growth,
    round(100 * (followers - lagInFrame(toNullable(followers)) OVER w)
          / nullIf(lagInFrame(toNullable(followers)) OVER w, 0), 2) AS follower_growth_pct
FROM (
    SELECT
        page_id,
        any(platform) AS platform,
        grain,
        if(grain = 'month', toStartOfMonth(day), toStartOfQuarter(day)) AS period_start,
        sum(posts) AS posts,
        round(posts / dateDiff('day', period_start, if(grain = 'month',
              period_start + INTERVAL 1 MONTH, period_start + INTERVAL 3 MONTH)), 2) AS posts_per_day,
        sum(reactions) AS reactions, sum(comments) AS comments, sum(shares) AS shares,
        sum(clicks) AS clicks, sum(engagement) AS engagement,
        sum(questions) AS questions, sum(page_replies) AS page_replies,
        sum(reach) AS reach, sum(impressions) AS impressions,
        arraySort(arrayFilter(m -> m != '', groupUniqArray(reach_metric))) AS reach_metrics,
        arraySort(arrayFilter(m -> m != '', groupUniqArray(reach_series))) AS reach_series_set,
        argMaxIf(followers, day, followers > 0) AS followers
    FROM somepulse.v_page_daily
    ARRAY JOIN ['month', 'quarter'] AS grain
    GROUP BY page_id, grain, period_start
)
WINDOW w AS (PARTITION BY page_id, grain ORDER BY period_start
             ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
COMMENT 'per page and period (grain: month, quarter): activity, engagement, questions, reach, followers, growth';

CREATE OR REPLACE VIEW somepulse.v_page_monthly AS
SELECT page_id, platform, period_start AS month, * EXCEPT (page_id, platform, grain, period_start)
FROM somepulse.v_page_periods WHERE grain = 'month'
COMMENT 'per page and month: activity, engagement, questions, reach, followers and growth';

CREATE OR REPLACE VIEW somepulse.v_page_quarterly AS
SELECT page_id, platform, period_start AS quarter,
       concat(toString(toYear(quarter)), 'Q', toString(toQuarter(quarter))) AS period,
       * EXCEPT (page_id, platform, grain, period_start)
FROM somepulse.v_page_periods WHERE grain = 'quarter'
COMMENT 'per page and quarter: activity, engagement, questions, reach, followers and growth';

CREATE OR REPLACE VIEW somepulse.responses_since AS
WITH
questions AS (
    SELECT * FROM somepulse.v_questions_since(since = {since:DateTime64(3, 'UTC')})
),
direct AS (
    SELECT page_id, in_reply_to, toNullable(min(replied_at)) AS replied_at
    FROM somepulse.v_page_replies_since(since = {since:DateTime64(3, 'UTC')})
    WHERE answers
    GROUP BY page_id, in_reply_to
),
in_thread AS (
    SELECT page_id, thread_id, replied_at, toNullable(replied_at) AS reply_or_null
    FROM somepulse.v_page_replies_since(since = {since:DateTime64(3, 'UTC')})
    WHERE channel = 'message' AND thread_id != '' AND answers
),
matched AS (
    SELECT q.question_id AS question_id, q.page_id AS page_id, q.platform AS platform,
           q.post_id AS post_id, q.source AS source, q.asked_at AS asked_at,
           q.item_id AS item_id, q.thread_id AS thread_id,
           q.withdrawn AS withdrawn, q.withdrawn_at AS withdrawn_at,
           d.replied_at AS direct_at, t.reply_or_null AS thread_at
    FROM questions AS q
    LEFT JOIN direct AS d ON d.page_id = q.page_id AND d.in_reply_to = q.item_id
    ASOF LEFT JOIN in_thread AS t
        ON t.page_id = q.page_id AND t.thread_id = q.thread_id AND t.replied_at >= q.asked_at
),
answered AS (
    SELECT * EXCEPT (direct_at, thread_at),
           if(direct_at IS NULL, thread_at,
              if(thread_at IS NULL, direct_at, least(direct_at, thread_at))) AS replied_at
    FROM matched
),
office AS (
    SELECT a.question_id AS question_id,
           sum(greatest(0, dateDiff('millisecond', greatest(a.asked_at, o.opens_at),
                                     least(a.replied_at, o.closes_at)))) / 60000 AS office_minutes
    FROM (SELECT question_id, page_id, asked_at, replied_at,
                 arrayJoin(range(toInt64(toUInt16(toDate(asked_at))) - 1,
                                 toInt64(toUInt16(toDate(assumeNotNull(replied_at)))) + 2))
                     AS day_number
          FROM answered WHERE replied_at IS NOT NULL AND replied_at > asked_at
            AND dateDiff('day', asked_at, replied_at) < 400) AS a
    INNER JOIN somepulse.v_office_hours AS o ON o.page_id = a.page_id AND o.day = toDate(toUInt16(a.day_number))
    GROUP BY a.question_id
)
SELECT
    answered.* EXCEPT (withdrawn, withdrawn_at),
    somepulse_local_date(page_id, asked_at) AS day,
    replied_at IS NOT NULL AS is_answered,
    if(replied_at IS NULL, NULL,
       greatest(0, dateDiff('millisecond', asked_at, replied_at)) / 60000) AS calendar_minutes,
    if(replied_at IS NULL, NULL, ifNull(office.office_minutes, 0)) AS office_minutes,
    ifNull(dateDiff('second', asked_at, replied_at) <= 86400, false) AS answered_within_24h
FROM answered
LEFT JOIN office ON office.question_id = answered.question_id
WHERE NOT (answered.withdrawn AND answered.replied_at IS NULL)
COMMENT 'responses over the questions and replies at or after since (a parameterised view: responses_since(since = ...))';

CREATE OR REPLACE VIEW somepulse.responses AS
SELECT * FROM somepulse.responses_since(since = '1900-01-01 00:00:00')
COMMENT 'per question: asked_at, first replied_at, calendar and office-hours minutes';

CREATE OR REPLACE VIEW somepulse.v_open_questions_since AS
SELECT r.question_id, r.page_id, r.platform, r.post_id, r.source, r.asked_at,
       dateDiff('millisecond', r.asked_at, now64(3)) / 60000 AS age_minutes,
       sum(greatest(0, dateDiff('millisecond', greatest(r.asked_at, o.opens_at),
                                             least(now64(3), o.closes_at)))) / 60000 AS age_office_minutes
FROM somepulse.responses_since(since = {since:DateTime64(3, 'UTC')}) AS r
LEFT JOIN somepulse.v_office_hours AS o
    ON o.page_id = r.page_id AND o.day >= toDate(r.asked_at) AND o.day <= today()
WHERE NOT r.is_answered
GROUP BY r.question_id, r.page_id, r.platform, r.post_id, r.source, r.asked_at
COMMENT 'v_open_questions over the questions at or after since (a parameterised view: v_open_questions_since(since = ...))';

CREATE OR REPLACE VIEW somepulse.v_open_questions AS
SELECT * FROM somepulse.v_open_questions_since(since = '1900-01-01 00:00:00')
COMMENT 'unanswered questions and their age now (calendar and office minutes)';

CREATE OR REPLACE VIEW somepulse.v_response_periods_since AS
SELECT
    page_id,
    grain,
    multiIf(grain = 'day', day, grain = 'week', toStartOfWeek(day, 1),
            grain = 'month', toStartOfMonth(day), toStartOfQuarter(day)) AS period_start,
    count() AS questions,
    countIf(is_answered) AS answered,
    countIf(answered_within_24h) AS answered_24h,
    round(answered / questions, 4) AS response_rate,
    round(answered_24h / questions, 4) AS response_rate_24h,
    quantileExactIf(0.5)(office_minutes, is_answered) AS median_office_minutes,
    quantileExactIf(0.9)(office_minutes, is_answered) AS p90_office_minutes,
    avgIf(office_minutes, is_answered) AS mean_office_minutes,
    quantileExactIf(0.5)(calendar_minutes, is_answered) AS median_calendar_minutes,
    quantileExactIf(0.9)(calendar_minutes, is_answered) AS p90_calendar_minutes,
    avgIf(calendar_minutes, is_answered) AS mean_calendar_minutes,
    arrayAvg(arraySlice(arraySort(groupArrayIf(calendar_minutes, is_answered)), 1,
                        toUInt32(ceil(0.9 * answered)))) AS meta_fastest90_calendar_minutes
FROM somepulse.responses_since(since = {since:DateTime64(3, 'UTC')})
ARRAY JOIN ['day', 'week', 'month', 'quarter'] AS grain
GROUP BY page_id, grain, period_start
COMMENT 'v_response_periods over the questions at or after since (a parameterised view: v_response_periods_since(since = ...))';

CREATE OR REPLACE VIEW somepulse.v_response_periods AS
SELECT * FROM somepulse.v_response_periods_since(since = '1900-01-01 00:00:00')
COMMENT 'per page and period (grain: day, week, month, quarter): response rate, median/p90/mean response time';

CREATE OR REPLACE VIEW somepulse.v_response_times AS
SELECT page_id, period_start AS day, * EXCEPT (page_id, grain, period_start)
FROM somepulse.v_response_periods WHERE grain = 'day'
COMMENT 'per page and local day: response rate, median/p90/mean response time (office and calendar)';

CREATE OR REPLACE VIEW somepulse.v_response_times_weekly AS
SELECT page_id, period_start AS week, * EXCEPT (page_id, grain, period_start)
FROM somepulse.v_response_periods WHERE grain = 'week'
COMMENT 'per page and week: response rate and median/p90/mean response time';

CREATE OR REPLACE VIEW somepulse.v_response_times_monthly AS
SELECT page_id, period_start AS month, * EXCEPT (page_id, grain, period_start)
FROM somepulse.v_response_periods WHERE grain = 'month'
COMMENT 'per page and month: response rate and median/p90/mean response time';

CREATE OR REPLACE VIEW somepulse.v_dialogues AS
SELECT
    posts.page_id AS page_id,
    posts.post_id AS post_id,
    posts.published_at AS published_at,
    somepulse_local_date(posts.page_id, posts.published_at) AS day,
    ifNull(c.comments, 0) AS comments,
    ifNull(c.comments, 0) >= 3 AS is_dialogue,
    ifNull(r.page_replies, 0) > 0 AS page_took_part
FROM somepulse.v_posts AS posts
LEFT JOIN (SELECT page_id, post_id,
                  somepulse_net(event_id, interaction_type IN ('comment', 'reply'), verb) AS comments
           FROM somepulse.events WHERE kind = 'interaction' GROUP BY page_id, post_id) AS c
    ON c.page_id = posts.page_id AND c.post_id = posts.post_id
LEFT JOIN (SELECT page_id, post_id, uniqExact(event_id) AS page_replies FROM somepulse.events
           WHERE kind = 'page_reply' AND channel = 'comment' AND verb = 'add'
           GROUP BY page_id, post_id) AS r
    ON r.page_id = posts.page_id AND r.post_id = posts.post_id
COMMENT 'per post: comments, is_dialogue (>= 3 comments), page_took_part';

CREATE OR REPLACE VIEW somepulse.v_top_posts AS
SELECT
    posts.page_id AS page_id, posts.post_id AS post_id, posts.platform AS platform,
    posts.published_at AS published_at,
    somepulse_local_date(posts.page_id, posts.published_at) AS day,
    posts.format AS format, posts.paid AS paid, posts.campaign_id AS campaign_id,
    posts.text AS text,
    ifNull(e.reactions, 0) AS reactions, ifNull(e.comments, 0) AS comments,
    if(m.share_reports > 0, m.shares, ifNull(e.shares, 0)) AS shares,
    if(m.click_reports > 0, m.clicks, ifNull(e.clicks, 0)) AS clicks,
    toUInt64(greatest(0, toInt64(ifNull(e.engagement, 0))
        + (toInt64(shares) - toInt64(ifNull(e.shares, 0)))
        + (toInt64(clicks) - toInt64(ifNull(e.clicks, 0))))) AS engagement,
    ifNull(e.engaged_people, 0) AS engaged_people,
    ifNull(i.reach, 0) AS reach, ifNull(i.impressions, 0) AS impressions,
    round(engagement / nullIf(reach, 0), 4) AS engagement_rate,
    somepulse_virality(shares, reach) AS virality,
    round(engaged_people / nullIf(reach, 0), 4) AS virality_people,
    ifNull(f.followers, 0) AS followers_that_day,
    round(engagement / nullIf(followers_that_day, 0), 5) AS engagement_rate_followers
FROM somepulse.v_posts AS posts
LEFT JOIN (SELECT page_id, post_id,
                  somepulse_net(event_id, interaction_type = 'reaction', verb) AS reactions,
                  somepulse_net(event_id, interaction_type = 'comment', verb) AS comments,
                  somepulse_net(event_id, interaction_type = 'share', verb) AS shares,
                  somepulse_net(event_id, interaction_type = 'click', verb) AS clicks,
                  somepulse_net(event_id, somepulse_is_engagement(kind, interaction_type), verb)
                      AS engagement,
                  uniqExactIf(actor_id, somepulse_is_engagement(kind, interaction_type)
                                        AND verb = 'add') AS engaged_people
           FROM somepulse.events WHERE kind = 'interaction' GROUP BY page_id, post_id) AS e
    ON e.page_id = posts.page_id AND e.post_id = posts.post_id
LEFT JOIN (SELECT page_id, post_id, reach, impressions FROM somepulse.v_post_reach) AS i
    ON i.page_id = posts.page_id AND i.post_id = posts.post_id
LEFT JOIN (SELECT page_id, post_id,
                  countIf(measure = 'shares') AS share_reports,
                  toUInt64(greatest(0, argMaxIf(value, (day, valid_from), measure = 'shares')))
                      AS shares,
                  countIf(measure = 'clicks') AS click_reports,
                  toUInt64(greatest(0, argMaxIf(value, (day, valid_from), measure = 'clicks')))
                      AS clicks
           FROM somepulse.v_measures
           WHERE scope = 'post' AND period = 'lifetime' AND measure IN ('shares', 'clicks')
           GROUP BY page_id, post_id) AS m
    ON m.page_id = posts.page_id AND m.post_id = posts.post_id
LEFT JOIN (SELECT page_id, day, followers FROM somepulse.v_page_daily WHERE followers > 0) AS f
    ON f.page_id = posts.page_id AND f.day = somepulse_local_date(posts.page_id, posts.published_at)
COMMENT 'per post: engagement, reach, engagement rate by reach and by followers, virality';

CREATE OR REPLACE VIEW somepulse.v_top_words AS
SELECT page_id, toStartOfMonth(day) AS month, word, count() AS uses
FROM (
    SELECT page_id, somepulse_local_date(page_id, published_at) AS day,
           arrayJoin(extractAll(lowerUTF8(text), '\\p{L}+')) AS word
    FROM somepulse.v_posts
    WHERE text != ''
)
WHERE lengthUTF8(word) >= 3 AND word NOT IN (SELECT word FROM somepulse.stop_words)
GROUP BY page_id, month, word
COMMENT 'per page and month: words of the page posts and how often they were used';

CREATE OR REPLACE VIEW somepulse.v_campaigns AS
SELECT
    spend.page_id AS page_id, spend.campaign_id AS campaign_id,
    first_day, last_day, currency, spend_total AS spend, impressions, clicks, reach,
    round(spend_total / nullIf(reach, 0), 4) AS cost_per_contact,
    round(1000 * spend_total / nullIf(impressions, 0), 2) AS cpm,
    round(clicks / nullIf(impressions, 0), 5) AS ctr,
    ifNull(posts.engagement, 0) AS engagement,
    round(spend_total / nullIf(posts.engagement, 0), 4) AS cost_per_engagement
FROM (
    SELECT page_id, campaign_id, min(day) AS first_day, max(day) AS last_day,
           any(currency) AS currency, sum(day_spend) AS spend_total,
           sum(day_impressions) AS impressions, sum(day_clicks) AS clicks,
           sum(day_reach) AS reach
    FROM (SELECT page_id, campaign_id, day, any(currency) AS currency,
                 argMax(spend, occurred_at) AS day_spend,
                 argMax(impressions, occurred_at) AS day_impressions,
                 argMax(clicks, occurred_at) AS day_clicks,
                 argMax(reach, occurred_at) AS day_reach
          FROM somepulse.events WHERE kind = 'ad_spend' GROUP BY page_id, campaign_id, day)
    GROUP BY page_id, campaign_id
) AS spend
LEFT JOIN (SELECT page_id, campaign_id, sum(engagement) AS engagement
           FROM somepulse.v_top_posts WHERE campaign_id != '' GROUP BY page_id, campaign_id) AS posts
    ON posts.page_id = spend.page_id AND posts.campaign_id = spend.campaign_id
COMMENT 'per campaign: spend, reach, cost_per_contact, cpm, ctr, cost_per_engagement';

CREATE OR REPLACE VIEW somepulse.v_engagement_rate_7d AS
SELECT page_id, day, engagement_7d, followers,
       round(engagement_7d / nullIf(followers, 0), 5) AS engagement_rate_7d
FROM (
    SELECT page_id, day, followers,
           sum(engagement) OVER (PARTITION BY page_id ORDER BY day
                                 RANGE BETWEEN 6 PRECEDING AND CURRENT ROW) AS engagement_7d
    FROM somepulse.v_page_daily
)
COMMENT 'per page and day: engagement of the last 7 days / followers';

CREATE OR REPLACE VIEW somepulse.v_league_table_since AS
SELECT
    * EXCEPT (weights, targets),
    somepulse_score(questions, response_rate, median_office_minutes, promise_minutes,
               engagement_rate_7d, dialogues, dialogues_with_page, posts_per_day,
               follower_growth_pct, weights, targets) AS score,
    somepulse_limited_basis(questions, targets) AS limited_basis,
    if(limited_basis, concat(somepulse_grade(score), ' (limited basis)'), somepulse_grade(score)) AS grade,
    rank() OVER (PARTITION BY quarter ORDER BY limited_basis, score DESC) AS rank_score,
    rank() OVER (PARTITION BY quarter ORDER BY followers DESC) AS rank_followers,
    rank() OVER (PARTITION BY quarter ORDER BY ifNull(follower_growth_pct, 0) DESC) AS rank_growth,
    rank() OVER (PARTITION BY quarter ORDER BY posts_per_day DESC) AS rank_activity,
    rank() OVER (PARTITION BY quarter ORDER BY ifNull(engagement_rate_7d, 0) DESC) AS rank_engagement,
    rank() OVER (PARTITION BY quarter ORDER BY ifNull(response_rate, 0) DESC) AS rank_response_rate,
    rank() OVER (PARTITION BY quarter ORDER BY ifNull(median_office_minutes, 1e9)) AS rank_response_time,
    rank() OVER (PARTITION BY quarter ORDER BY dialogues DESC) AS rank_dialogues
FROM (
    SELECT
        q.period AS period, q.quarter AS quarter, q.page_id AS page_id,
        pages.name AS name, pages.peer_group AS peer_group, q.platform AS platform,
        pages.promise_minutes AS promise_minutes,
        q.followers AS followers, q.follower_growth AS follower_growth,
        q.follower_growth_pct AS follower_growth_pct,
        q.posts AS posts, q.posts_per_day AS posts_per_day,
        q.engagement AS engagement, q.reach AS reach,
        round(q.engagement / nullIf(q.reach, 0), 4) AS engagement_rate_reach,
        round(q.engagement * 7 / dateDiff('day', q.quarter, q.quarter + INTERVAL 3 MONTH)
              / nullIf(q.followers, 0), 5) AS engagement_rate_7d,
        round(q.engagement / sum(q.engagement) OVER (PARTITION BY q.quarter, pages.peer_group), 4)
            AS share_of_influence,
        r.questions AS questions, r.response_rate AS response_rate,
        r.response_rate_24h AS response_rate_24h,
        r.median_office_minutes AS median_office_minutes,
        r.median_calendar_minutes AS median_calendar_minutes,
        ifNull(d.dialogues, 0) AS dialogues, ifNull(d.dialogues_with_page, 0) AS dialogues_with_page,
        s.weights AS weights, s.targets AS targets
    FROM somepulse.v_page_quarterly AS q
    LEFT JOIN (SELECT page_id, name, peer_group, promise_minutes FROM somepulse.pages FINAL) AS pages
        ON pages.page_id = q.page_id
    LEFT JOIN (SELECT page_id, period_start AS quarter, toNullable(questions) AS questions,
                      toNullable(response_rate) AS response_rate,
                      toNullable(response_rate_24h) AS response_rate_24h,
                      toNullable(median_office_minutes) AS median_office_minutes,
                      toNullable(median_calendar_minutes) AS median_calendar_minutes
               FROM somepulse.v_response_periods_since(since = {since:DateTime64(3, 'UTC')})
               WHERE grain = 'quarter') AS r
        ON r.page_id = q.page_id AND r.quarter = q.quarter
    LEFT JOIN (SELECT page_id, toStartOfQuarter(day) AS quarter, countIf(is_dialogue) AS dialogues,
                      countIf(is_dialogue AND page_took_part) AS dialogues_with_page
               FROM somepulse.v_dialogues GROUP BY page_id, quarter) AS d
        ON d.page_id = q.page_id AND d.quarter = q.quarter
    CROSS JOIN (SELECT (w_response_rate, w_response_time, w_engagement_rate,
                        w_dialogue_participation, w_activity, w_growth) AS weights,
                       (t_engagement_rate_7d, t_posts_per_day, t_growth_pct,
                        t_response_time_zero_at, t_min_questions) AS targets
                FROM somepulse.score_settings ORDER BY loaded_at DESC LIMIT 1) AS s
)
COMMENT 'v_league_table with the response figures of the questions at or after since (a parameterised view: v_league_table_since(since = ...))';

CREATE OR REPLACE VIEW somepulse.v_league_table AS
SELECT * FROM somepulse.v_league_table_since(since = '1900-01-01 00:00:00')
COMMENT 'per quarter and page: every measurement point, its rank, score 0-100 and grade';

CREATE OR REPLACE VIEW somepulse.v_alerts_firing AS
SELECT alert_id, page_id, platform, rule, metric, severity, at AS fired_at, observed, baseline,
       ratio, summary, post_ids, post_counts
FROM somepulse.alerts FINAL
WHERE state = 'firing' AND alert_id NOT IN (SELECT alert_id FROM somepulse.alerts WHERE state = 'resolved')
COMMENT 'alerts firing now';

CREATE OR REPLACE VIEW somepulse.v_unknown_metrics AS
SELECT s.platform AS platform, s.scope AS scope, s.metric AS metric,
       count() AS snapshots, min(s.day) AS first_day, max(s.day) AS last_day
FROM somepulse.v_metric_snapshots AS s
LEFT ANTI JOIN (SELECT * FROM somepulse.metric_catalogue FINAL) AS c
    ON c.platform = s.platform AND c.scope = s.scope AND c.metric = s.metric
GROUP BY platform, scope, metric
COMMENT 'metrics collectors delivered that the catalogue does not know (add them to metrics.toml)';

CREATE OR REPLACE VIEW somepulse.v_measure_yoy AS
WITH pairs AS (
    SELECT c.page_id AS page_id, c.measure AS measure, c.day AS day,
           argMax(c.value, c.valid_from) AS value_now,
           argMax(p.value, c.valid_from) AS value_year_before,
           argMax(c.series, c.valid_from) AS series
    FROM somepulse.v_measures AS c
    INNER JOIN somepulse.v_measures AS p
        ON p.page_id = c.page_id AND p.measure = c.measure AND p.series = c.series
       AND p.period = c.period AND p.scope = c.scope AND p.day = c.day - 364
    WHERE c.scope = 'page' AND c.period IN ('day', 'total')
    GROUP BY page_id, measure, day
)
SELECT d.page_id AS page_id, d.platform AS platform, d.measure AS measure, d.day AS day,
       d.value AS value, d.metric AS metric,
       pr.series != '' AS comparable,
       if(pr.series != '', pr.value_now, d.value) AS compared_value,
       pr.value_year_before AS value_year_before,
       pr.series AS compared_series,
       if(pr.series != '', round(pr.value_now / nullIf(pr.value_year_before, 0), 4), NULL) AS ratio,
       multiIf(pr.series != '', '',
               prev.metric = '', 'no value a year before',
               concat('series break: ', prev.metric, ' a year before, ', d.metric, ' now')) AS break
FROM somepulse.v_measures_daily AS d
LEFT JOIN pairs AS pr ON pr.page_id = d.page_id AND pr.measure = d.measure AND pr.day = d.day
LEFT JOIN somepulse.v_measures_daily AS prev
    ON prev.page_id = d.page_id AND prev.measure = d.measure AND prev.day = d.day - 364
COMMENT 'per page, measure and day: the year-before value within one series, or why there is none';

CREATE OR REPLACE VIEW somepulse.v_mentions AS
SELECT event_id, page_id, platform, occurred_at AS mentioned_at, mention_id, via, matched,
       actor_id
FROM somepulse.events FINAL
WHERE kind = 'mention'
COMMENT 'one row per mention of the organisation by someone else';

CREATE OR REPLACE VIEW somepulse.v_mentions_daily AS
SELECT page_id, platform, somepulse_local_date(page_id, mentioned_at) AS day,
       count() AS mentions, uniqExact(actor_id) AS authors,
       countIf(via = 'tag') AS tags, countIf(via = 'mention') AS at_mentions,
       countIf(via = 'quote') AS quotes, countIf(via IN ('hashtag', 'keyword')) AS tracked
FROM somepulse.v_mentions
GROUP BY page_id, platform, day
COMMENT 'per page and local day: mentions, distinct authors, and how they were found';

CREATE OR REPLACE VIEW somepulse.v_mentions_hourly AS
SELECT page_id, platform, toStartOfHour(mentioned_at) AS hour, count() AS mentions,
       uniqExact(actor_id) AS authors
FROM somepulse.v_mentions
GROUP BY page_id, platform, hour
COMMENT 'per page and hour: mentions and distinct authors (the duty board panel)';

CREATE OR REPLACE VIEW somepulse.v_source_health AS
SELECT page_id, platform,
       multiIf(kind IN ('interaction', 'private_message', 'mention'), 'people',
               kind = 'page_reply', 'replies',
               kind IN ('metric_snapshot', 'insights_snapshot', 'follower_snapshot'), 'totals',
               kind) AS source,
       max(occurred_at) AS last_event_at,
       max(ingested_at) AS last_stored_at,
       maxIf(fetched_at, kind = 'metric_snapshot') AS last_fetch_at,
       countIf(occurred_at >= now() - INTERVAL 1 DAY) AS events_24h,
       dateDiff('minute', max(occurred_at), now()) AS minutes_since_last_event
FROM somepulse.events
WHERE kind != 'source_status'
GROUP BY page_id, platform, source
COMMENT 'per page, platform and source (people, replies, totals, posts, ads): last event, last stored, last fetch, volume';

CREATE OR REPLACE VIEW somepulse.v_source_silence AS
WITH
people AS (
    SELECT page_id, occurred_at FROM somepulse.events
    WHERE kind IN ('interaction', 'private_message', 'mention')
      AND occurred_at >= now() - INTERVAL 120 DAY
),
last AS (
    SELECT page_id, max(occurred_at) AS last_at FROM people GROUP BY page_id
),
usual AS (
    SELECT p.page_id AS page_id,
           toDayOfWeek(p.occurred_at, 0, 'UTC') * 24 + toHour(p.occurred_at, 'UTC') AS how,
           count() / 8 AS per_hour
    FROM people AS p INNER JOIN last AS l ON l.page_id = p.page_id
    WHERE p.occurred_at < toStartOfHour(l.last_at)
      AND p.occurred_at >= toStartOfHour(l.last_at) - INTERVAL 56 DAY
    GROUP BY page_id, how
),
silent_hours AS (
    SELECT page_id, last_at,
           arrayJoin(range(toUInt32(toStartOfHour(last_at)) + 3600,
                           toUInt32(toStartOfHour(now())), 3600)) AS hour_ts
    FROM last
)
SELECT l.page_id AS page_id, l.last_at AS last_event_at,
       dateDiff('minute', l.last_at, now()) AS silent_minutes,
       round(ifNull(e.expected, 0), 2) AS expected_events
FROM last AS l
LEFT JOIN (
    SELECT s.page_id AS page_id, sum(u.per_hour) AS expected
    FROM silent_hours AS s
    INNER JOIN usual AS u ON u.page_id = s.page_id
        AND u.how = toDayOfWeek(toDateTime(s.hour_ts, 'UTC'), 0, 'UTC') * 24
                    + toHour(toDateTime(s.hour_ts, 'UTC'))
    GROUP BY page_id
) AS e ON e.page_id = l.page_id
COMMENT 'per page: minutes since people last did anything, and how many events its usual rhythm expected meanwhile';

CREATE OR REPLACE VIEW somepulse.v_source_status AS
SELECT page_id, platform, collector,
       h[-1].2 AS state, h[-1].3 AS detail,
       h[arrayLastIndex(x -> x.2 != h[-1].2, h) + 1].1 AS state_since,
       h[-1].1 AS last_heard_at, h[-1].4 AS next_within,
       dateDiff('minute', h[-1].1, now()) AS minutes_since_heard
FROM (
    SELECT page_id, platform, collector,
           arraySort(x -> x.1, groupArray((occurred_at, toString(state), detail, next_within))) AS h
    FROM somepulse.events
    WHERE kind = 'source_status' AND occurred_at >= now() - INTERVAL 30 DAY
    GROUP BY page_id, platform, collector
)
COMMENT 'per page and collector: its latest state (up, limited, down, broken), what failed, since when, when it last said anything and promised to again';
