-- The semantic layer: one SQL home for "a question", "a page reply", "a page's reach
-- of a day" and "a post's reach". Other views, the worker's rebuild queries, the
-- surge baselines and the Grafana rules read these instead of re-typing predicates.

CREATE OR REPLACE VIEW {db}.v_posts AS
-- One row per post of the page that is still there: published at its add, with its
-- latest text (an edit keeps the post's identity); a removed post is gone.
SELECT page_id, post_id, any(platform) AS platform,
       minIf(occurred_at, verb = 'add') AS published_at,
       anyIf(format, verb = 'add') AS format, anyIf(paid, verb = 'add') AS paid,
       anyIf(campaign_id, verb = 'add') AS campaign_id,
       argMaxIf(text, occurred_at, verb IN ('add', 'edit') AND text != '') AS text,
       countIf(verb = 'edit') > 0 AS edited
FROM {db}.events
WHERE kind = 'post_published'
GROUP BY page_id, post_id
HAVING countIf(verb = 'add') > 0
   AND argMaxIf(verb, occurred_at, verb IN ('add', 'remove')) != 'remove'
COMMENT 'one row per post still published: published_at, format, paid, campaign, latest text, edited';

CREATE OR REPLACE VIEW {db}.v_questions_since AS
-- One row per question item (a comment or an incoming message), whatever became of it.
-- A question by the detector's latest verdict (its add or latest edit) unless the person
-- on duty marked it (needs_reply_mark: the latest mark wins); asked when it first was a
-- question (its add, or the edit that made it one; a marked one when it was written);
-- withdrawn when its latest visibility change is a removal or hide. The items are found
-- through their question events and marks only (cheap), then all of their changes read.
-- Parameterised: only the events at or after ``since`` are read, so a bounded window
-- (the worker's rebuild of live state) costs what the window holds, not the history;
-- an item asked before ``since`` and changed after it is seen from its change, as the
-- live state sees it. ``v_questions`` is the whole history.
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
        FROM {db}.events FINAL
        WHERE (kind = 'interaction' OR (kind = 'private_message' AND direction = 'in'))
          AND item_id != '' AND occurred_at >= {since:DateTime64(3, 'UTC')}
          -- FINAL reads every part whatever occurred_at asks for: prune by partition
          AND _partition_id >= {db}_events_partition({since:DateTime64(3, 'UTC')})
          AND ((page_id, item_id) IN (
                  SELECT page_id, item_id FROM {db}.events
                  WHERE is_question AND verb IN ('add', 'edit') AND occurred_at >= {since:DateTime64(3, 'UTC')}
                    AND (kind = 'interaction'
                         OR (kind = 'private_message' AND direction = 'in')))
               OR (page_id, item_id) IN (
                  SELECT page_id, target_id FROM {db}.events
                  WHERE kind = 'needs_reply_mark' AND occurred_at >= {since:DateTime64(3, 'UTC')}))
        UNION ALL
        SELECT event_id, page_id, target_id AS item_id,
               if(channel = 'message', 'private_message', 'interaction') AS source,
               platform, post_id, occurred_at, thread_id, false AS is_question, '' AS verb,
               false AS asked, true AS is_mark, needs_reply, target_event_id, target_at
        FROM {db}.events FINAL
        WHERE kind = 'needs_reply_mark' AND occurred_at >= {since:DateTime64(3, 'UTC')} AND _partition_id >= {db}_events_partition({since:DateTime64(3, 'UTC')})
    )
    GROUP BY page_id, item_id
    HAVING still_a_question
)
COMMENT 'v_questions over the events at or after since (a parameterised view: v_questions_since(since = ...))';

CREATE OR REPLACE VIEW {db}.v_questions AS
SELECT * FROM {db}.v_questions_since(since = '1900-01-01 00:00:00')
COMMENT 'one row per question (comment/reply or incoming message): asked_at, withdrawn (removed or hidden) by its latest change, marked by the person on duty';

-- Parameterised like v_questions_since: the replies at or after ``since``.
CREATE OR REPLACE VIEW {db}.v_page_replies_since AS
SELECT r.event_id AS event_id, r.page_id AS page_id, r.platform AS platform,
       r.post_id AS post_id, r.occurred_at AS replied_at, r.channel AS channel,
       r.reply_id AS reply_id, r.in_reply_to AS in_reply_to, r.thread_id AS thread_id,
       r.automated AS automated, r.app_id AS app_id,
       {db}_counts_as_answer(r.automated, r.app_id, p.human_reply_apps,
                             p.automated_reply_apps, p.automated_replies_answer) AS answers
FROM {db}.events AS r FINAL
LEFT JOIN (SELECT page_id, human_reply_apps, automated_reply_apps, automated_replies_answer
           FROM {db}.pages FINAL) AS p ON p.page_id = r.page_id
WHERE r.kind = 'page_reply' AND r.occurred_at >= {since:DateTime64(3, 'UTC')} AND r._partition_id >= {db}_events_partition({since:DateTime64(3, 'UTC')})
COMMENT 'v_page_replies at or after since (a parameterised view: v_page_replies_since(since = ...))';

CREATE OR REPLACE VIEW {db}.v_page_replies AS
SELECT * FROM {db}.v_page_replies_since(since = '1900-01-01 00:00:00')
COMMENT 'one row per reply of the page (under a post or in a message thread); answers: it stops the response clock (not automated)';

-- Totals platforms report, in their own terms (metric_snapshot), and as SoMe Pulse's
-- measures through the metric catalogue (config/metrics.toml): a series is one quantity
-- under one or more names; a new series is a break that comparisons name (08_measures).
CREATE OR REPLACE VIEW {db}.v_metric_snapshots AS
SELECT page_id, platform, scope, post_id, metric, period, day, breakdown,
       argMax(events.value, events.fetched_at) AS value,
       argMax(events.source, events.fetched_at) AS source,
       argMax(events.api_version, events.fetched_at) AS api_version,
       max(events.fetched_at) AS latest_fetch
FROM {db}.events
WHERE kind = 'metric_snapshot'
GROUP BY page_id, platform, scope, post_id, metric, period, day, breakdown
COMMENT 'per page, metric, period, day and breakdown: the latest fetched value and its provenance';

CREATE OR REPLACE VIEW {db}.v_measures AS
SELECT s.page_id AS page_id, s.platform AS platform, s.scope AS scope, s.post_id AS post_id,
       c.measure AS measure, s.day AS day, s.period AS period, s.value AS value,
       s.metric AS metric, c.series AS series, c.valid_from AS valid_from,
       s.day >= c.valid_from AND s.day < c.valid_until AS within_validity,
       s.source AS source, s.api_version AS api_version, s.latest_fetch AS fetched_at
FROM {db}.v_metric_snapshots AS s
INNER JOIN (SELECT * FROM {db}.metric_catalogue FINAL) AS c
    ON c.platform = s.platform AND c.scope = s.scope AND c.metric = s.metric
WHERE s.breakdown = ''
COMMENT 'metric snapshots as SoMe Pulse measures (reach, views, follows, clicks, shares, video_views, platform_engagement) with their series';

CREATE OR REPLACE VIEW {db}.v_measures_daily AS
SELECT page_id, platform, measure, day,
       argMax(value, valid_from) AS value,
       argMax(metric, valid_from) AS metric,
       argMax(series, valid_from) AS series,
       max(fetched_at) AS fetched_at
FROM {db}.v_measures
WHERE scope = 'page' AND period IN ('day', 'total')
GROUP BY page_id, platform, measure, day
COMMENT 'per page, measure and day: the newest metric delivered that day (the successor wins in an overlap)';

-- Shares and clicks of a page's day as platforms report them: the page's own daily
-- figure (LinkedIn) where there is one, else the growth of its posts' lifetime totals
-- (Facebook: each report's increase over the post's previous one, counted on the day it
-- reports on; a post's first report counts whole). No platform names who shared or
-- clicked, so these are the only shares and clicks engagement counts (release 0.1's
-- per-person share and click events still count where no report exists: v_page_daily).
CREATE OR REPLACE VIEW {db}.v_reported_daily AS
SELECT page_id, day, any(platform) AS platform,
       toInt64(sumIf(value, measure = 'shares')) AS shares,
       countIf(measure = 'shares') > 0 AS shares_reported,
       toInt64(sumIf(value, measure = 'clicks')) AS clicks,
       countIf(measure = 'clicks') > 0 AS clicks_reported
FROM (
    SELECT page_id, day, platform, measure, argMax(value, valid_from) AS value
    FROM {db}.v_measures
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
              FROM {db}.v_measures
              WHERE scope = 'post' AND period = 'lifetime' AND measure IN ('shares', 'clicks')
              GROUP BY page_id, post_id, day, measure)
    )
    GROUP BY page_id, day, platform, measure
)
GROUP BY page_id, day
COMMENT 'per page and day: shares and clicks as reported (a page figure, or the growth of its posts lifetime totals)';

-- Reach of a page's day: from metric snapshots through the catalogue (the measure reach;
-- views fill impressions) where a platform reports them, else release 0.1's insights
-- snapshots; reach_metric names the metric behind the figure (a rename shows).
CREATE OR REPLACE VIEW {db}.v_page_reach_daily AS
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
    FROM {db}.events
    WHERE kind = 'insights_snapshot' AND scope = 'page'
    UNION ALL
    SELECT page_id, day, toString(any(platform)) AS platform,
           toUInt64(greatest(0, maxIf(value, measure = 'reach'))) AS reach,
           toUInt64(greatest(0, maxIf(value, measure = 'views'))) AS impressions,
           toUInt64(0) AS video_views,
           max(fetched_at) AS at, toUInt8(1) AS priority,
           anyIf(metric, measure = 'reach') AS reach_metric,
           anyIf(series, measure = 'reach') AS reach_series
    FROM {db}.v_measures_daily
    WHERE measure IN ('reach', 'views')
    GROUP BY page_id, day
)
GROUP BY page_id, day
COMMENT 'per page and day: the latest reported reach, impressions (views), video views, and the metric (and series) behind reach';

-- A post's reach: the latest lifetime total, from metric snapshots where reported, else
-- release 0.1's insights snapshots.
CREATE OR REPLACE VIEW {db}.v_post_reach AS
SELECT page_id, post_id, any(platform) AS platform,
       argMax(reach, (priority, at)) AS reach,
       argMax(impressions, (priority, at)) AS impressions,
       max(at) AS reported_at,
       argMax(reach_metric, (priority, at)) AS reach_metric
FROM (
    SELECT page_id, post_id, toString(platform) AS platform, reach, impressions,
           occurred_at AS at, toUInt8(0) AS priority,
           'insights_snapshot.reach' AS reach_metric
    FROM {db}.events
    WHERE kind = 'insights_snapshot' AND scope = 'post'
    UNION ALL
    SELECT page_id, post_id, toString(any(platform)) AS platform,
           toUInt64(greatest(0, argMaxIf(value, (day, valid_from), measure = 'reach'))) AS reach,
           toUInt64(greatest(0, argMaxIf(value, (day, valid_from), measure = 'views')))
               AS impressions,
           max(fetched_at) AS at, toUInt8(1) AS priority,
           argMaxIf(metric, (day, valid_from), measure = 'reach') AS reach_metric
    FROM {db}.v_measures
    WHERE scope = 'post' AND period = 'lifetime' AND measure IN ('reach', 'views')
    GROUP BY page_id, post_id
)
GROUP BY page_id, post_id
COMMENT 'per post: the latest reported reach and impressions (views), and the metric behind reach';

CREATE OR REPLACE VIEW {db}.v_office_hours AS
SELECT page_id, day, opens_at, closes_at
FROM {db}.office_hours
WHERE (page_id, version) IN (SELECT page_id, max(version) FROM {db}.office_hours GROUP BY page_id)
COMMENT 'open office hours per page and local day (UTC instants), latest directory';
