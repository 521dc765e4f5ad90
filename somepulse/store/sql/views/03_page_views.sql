-- Per page and local day (the page's time zone sets the day boundary): activity,
-- engagement, questions, reach and followers. Counts are uniqExact(event_id), so
-- replayed events never count twice, and net of removals ({db}_net); reported figures (reach, followers) take the
-- latest snapshot of the day (argMax by snapshot time), never a sum of snapshots.
CREATE OR REPLACE VIEW {db}.v_page_daily AS
WITH
activity AS (
    SELECT
        page_id,
        {db}_local_date(page_id, occurred_at) AS local_day,
        any(platform) AS platform,
        {db}_net(event_id, kind = 'post_published', verb) AS posts,
        {db}_net(event_id, kind = 'interaction' AND interaction_type = 'reaction', verb) AS reactions,
        {db}_net(event_id, kind = 'interaction' AND interaction_type = 'comment', verb) AS comments,
        {db}_net(event_id, kind = 'interaction' AND interaction_type = 'reply', verb) AS replies,
        {db}_net(event_id, kind = 'interaction' AND interaction_type = 'share', verb) AS shares,
        {db}_net(event_id, kind = 'interaction' AND interaction_type = 'click', verb) AS clicks,
        {db}_net(event_id, kind = 'interaction' AND interaction_type = 'view', verb) AS views,
        uniqExactIf(event_id, {db}_is_question(kind, direction, is_question, verb)) AS questions,
        {db}_net(event_id, kind = 'private_message' AND direction = 'in', verb) AS messages_in,
        uniqExactIf(event_id, kind = 'page_reply' AND verb = 'add') AS page_replies,
        uniqExactIf(actor_id, {db}_is_engagement(kind, interaction_type) AND verb = 'add')
            AS engaged_people
    FROM {db}.events
    WHERE kind IN ('post_published', 'interaction', 'private_message', 'page_reply')
    GROUP BY page_id, local_day
),
page_reach AS (
    SELECT page_id, day AS local_day, platform, reach, impressions, video_views, reach_metric,
           reach_series
    FROM {db}.v_page_reach_daily
),
reported AS (
    SELECT page_id, day AS local_day, platform, shares, shares_reported, clicks, clicks_reported
    FROM {db}.v_reported_daily
),
page_followers AS (
    -- follower counts from metric snapshots (the measure follows, through the catalogue)
    -- where reported, else release 0.1's follower snapshots
    SELECT page_id, local_day, any(platform) AS platform,
           argMax(followers, (priority, at)) AS followers
    FROM (
        SELECT page_id, {db}_local_date(page_id, occurred_at) AS local_day,
               toString(platform) AS platform, followers, occurred_at AS at,
               toUInt8(0) AS priority
        FROM {db}.events
        WHERE kind = 'follower_snapshot'
        UNION ALL
        SELECT page_id, day AS local_day, toString(platform) AS platform,
               toUInt64(greatest(0, value)) AS followers, fetched_at AS at, toUInt8(1) AS priority
        FROM {db}.v_measures_daily
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
    -- reported totals (no platform names who shared or clicked); release 0.1's
    -- per-person events where a page has no report
    if(reported.shares_reported, reported.shares, activity.shares) AS shares,
    if(reported.clicks_reported, reported.clicks, activity.clicks) AS clicks,
    views,
    reactions + comments + shares + clicks AS engagement,
    {db}_virality(shares, reach) AS virality,
    engaged_people, questions, messages_in, page_replies,
    reach, impressions, video_views, reach_metric, reach_series,
    followers
FROM activity
FULL OUTER JOIN page_reach USING (page_id, local_day)
FULL OUTER JOIN page_followers USING (page_id, local_day)
FULL OUTER JOIN reported USING (page_id, local_day)
COMMENT 'per page and local day: posts, engagement, questions, replies, reach (and the metric behind it), impressions, followers';

-- Per page and calendar month / quarter of local days. Reach is the sum of daily
-- reach (people reached per day, added up: unique reach over a month is not
-- derivable from daily figures). Growth compares the last follower snapshot of the
-- period with that of the period before.
CREATE OR REPLACE VIEW {db}.v_page_periods AS
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
        -- the metrics behind the period's reach: two (a platform's rename inside the
        -- period) or another than the period compared with (v_measure_yoy) is a break
        arraySort(arrayFilter(m -> m != '', groupUniqArray(reach_metric))) AS reach_metrics,
        arraySort(arrayFilter(m -> m != '', groupUniqArray(reach_series))) AS reach_series_set,
        argMaxIf(followers, day, followers > 0) AS followers
    FROM {db}.v_page_daily
    ARRAY JOIN ['month', 'quarter'] AS grain
    GROUP BY page_id, grain, period_start
)
WINDOW w AS (PARTITION BY page_id, grain ORDER BY period_start
             ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
COMMENT 'per page and period (grain: month, quarter): activity, engagement, questions, reach, followers, growth';

CREATE OR REPLACE VIEW {db}.v_page_monthly AS
SELECT page_id, platform, period_start AS month, * EXCEPT (page_id, platform, grain, period_start)
FROM {db}.v_page_periods WHERE grain = 'month'
COMMENT 'per page and month: activity, engagement, questions, reach, followers and growth';

CREATE OR REPLACE VIEW {db}.v_page_quarterly AS
SELECT page_id, platform, period_start AS quarter,
       concat(toString(toYear(quarter)), 'Q', toString(toQuarter(quarter))) AS period,
       * EXCEPT (page_id, platform, grain, period_start)
FROM {db}.v_page_periods WHERE grain = 'quarter'
COMMENT 'per page and quarter: activity, engagement, questions, reach, followers and growth';
