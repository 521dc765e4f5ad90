-- Per page and calendar month (UTC days): activity, engagement, questions and reach.
-- Reach comes from daily page insights; the latest snapshot of a day wins (argMax by
-- snapshot time), never a sum over snapshots of the same day.
CREATE VIEW IF NOT EXISTS {db}.v_page_monthly AS
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
    FROM {db}.events
    GROUP BY page_id, month
),
daily_reach AS (
    SELECT page_id, day, argMax(reach, occurred_at) AS reach, argMax(impressions, occurred_at) AS impressions
    FROM {db}.events
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
