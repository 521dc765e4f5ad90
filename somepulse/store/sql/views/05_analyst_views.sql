-- Dialogues (Smampion): a post by the page with three or more comments (people's
-- comments and replies under it); the page took part if it replied under the post.
CREATE OR REPLACE VIEW {db}.v_dialogues AS
SELECT
    posts.page_id AS page_id,
    posts.post_id AS post_id,
    posts.published_at AS published_at,
    {db}_local_date(posts.page_id, posts.published_at) AS day,
    ifNull(c.comments, 0) AS comments,
    ifNull(c.comments, 0) >= 3 AS is_dialogue,
    ifNull(r.page_replies, 0) > 0 AS page_took_part
FROM {db}.v_posts AS posts
LEFT JOIN (SELECT page_id, post_id,
                  {db}_net(event_id, interaction_type IN ('comment', 'reply'), verb) AS comments
           FROM {db}.events WHERE kind = 'interaction' GROUP BY page_id, post_id) AS c
    ON c.page_id = posts.page_id AND c.post_id = posts.post_id
LEFT JOIN (SELECT page_id, post_id, uniqExact(event_id) AS page_replies FROM {db}.events
           WHERE kind = 'page_reply' AND channel = 'comment' AND verb = 'add'
           GROUP BY page_id, post_id) AS r
    ON r.page_id = posts.page_id AND r.post_id = posts.post_id
COMMENT 'per post: comments, is_dialogue (>= 3 comments), page_took_part';

-- Every post with its engagement, reach (latest post insights snapshot), engagement
-- rate by reach and virality (shares / reach; engaged people / reach, Facebook's
-- classic definition). Order by engagement or engagement_rate for "best posts".
CREATE OR REPLACE VIEW {db}.v_top_posts AS
SELECT
    posts.page_id AS page_id, posts.post_id AS post_id, posts.platform AS platform,
    posts.published_at AS published_at,
    {db}_local_date(posts.page_id, posts.published_at) AS day,
    posts.format AS format, posts.paid AS paid, posts.campaign_id AS campaign_id,
    posts.text AS text,
    ifNull(e.reactions, 0) AS reactions, ifNull(e.comments, 0) AS comments,
    -- shares and clicks are totals the platform reports (metric snapshots: no platform
    -- names who shared or clicked); release 0.1's per-person events where none is
    if(m.share_reports > 0, m.shares, ifNull(e.shares, 0)) AS shares,
    if(m.click_reports > 0, m.clicks, ifNull(e.clicks, 0)) AS clicks,
    toUInt64(greatest(0, toInt64(ifNull(e.engagement, 0))
        + (toInt64(shares) - toInt64(ifNull(e.shares, 0)))
        + (toInt64(clicks) - toInt64(ifNull(e.clicks, 0))))) AS engagement,
    ifNull(e.engaged_people, 0) AS engaged_people,
    ifNull(i.reach, 0) AS reach, ifNull(i.impressions, 0) AS impressions,
    round(engagement / nullIf(reach, 0), 4) AS engagement_rate,
    {db}_virality(shares, reach) AS virality,
    round(engaged_people / nullIf(reach, 0), 4) AS virality_people,
    ifNull(f.followers, 0) AS followers_that_day,
    round(engagement / nullIf(followers_that_day, 0), 5) AS engagement_rate_followers
FROM {db}.v_posts AS posts
LEFT JOIN (SELECT page_id, post_id,
                  {db}_net(event_id, interaction_type = 'reaction', verb) AS reactions,
                  {db}_net(event_id, interaction_type = 'comment', verb) AS comments,
                  {db}_net(event_id, interaction_type = 'share', verb) AS shares,
                  {db}_net(event_id, interaction_type = 'click', verb) AS clicks,
                  {db}_net(event_id, {db}_is_engagement(kind, interaction_type), verb)
                      AS engagement,
                  uniqExactIf(actor_id, {db}_is_engagement(kind, interaction_type)
                                        AND verb = 'add') AS engaged_people
           FROM {db}.events WHERE kind = 'interaction' GROUP BY page_id, post_id) AS e
    ON e.page_id = posts.page_id AND e.post_id = posts.post_id
LEFT JOIN (SELECT page_id, post_id, reach, impressions FROM {db}.v_post_reach) AS i
    ON i.page_id = posts.page_id AND i.post_id = posts.post_id
LEFT JOIN (SELECT page_id, post_id,
                  countIf(measure = 'shares') AS share_reports,
                  toUInt64(greatest(0, argMaxIf(value, (day, valid_from), measure = 'shares')))
                      AS shares,
                  countIf(measure = 'clicks') AS click_reports,
                  toUInt64(greatest(0, argMaxIf(value, (day, valid_from), measure = 'clicks')))
                      AS clicks
           FROM {db}.v_measures
           WHERE scope = 'post' AND period = 'lifetime' AND measure IN ('shares', 'clicks')
           GROUP BY page_id, post_id) AS m
    ON m.page_id = posts.page_id AND m.post_id = posts.post_id
LEFT JOIN (SELECT page_id, day, followers FROM {db}.v_page_daily WHERE followers > 0) AS f
    ON f.page_id = posts.page_id AND f.day = {db}_local_date(posts.page_id, posts.published_at)
COMMENT 'per post: engagement, reach, engagement rate by reach and by followers, virality';

-- Most used words in the page's own posts, per month (stop words removed).
CREATE OR REPLACE VIEW {db}.v_top_words AS
SELECT page_id, toStartOfMonth(day) AS month, word, count() AS uses
FROM (
    SELECT page_id, {db}_local_date(page_id, published_at) AS day,
           arrayJoin(extractAll(lowerUTF8(text), '\\p{L}+')) AS word
    FROM {db}.v_posts
    WHERE text != ''
)
WHERE lengthUTF8(word) >= 3 AND word NOT IN (SELECT word FROM {db}.stop_words)
GROUP BY page_id, month, word
COMMENT 'per page and month: words of the page posts and how often they were used';

-- Paid campaigns: spend and delivery (latest report per campaign and day), cost per
-- contact (spend / reach), CPM, CTR and cost per engagement on the campaign's posts.
-- Reach is the sum of daily reach (people reached per day).
CREATE OR REPLACE VIEW {db}.v_campaigns AS
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
          FROM {db}.events WHERE kind = 'ad_spend' GROUP BY page_id, campaign_id, day)
    GROUP BY page_id, campaign_id
) AS spend
LEFT JOIN (SELECT page_id, campaign_id, sum(engagement) AS engagement
           FROM {db}.v_top_posts WHERE campaign_id != '' GROUP BY page_id, campaign_id) AS posts
    ON posts.page_id = spend.page_id AND posts.campaign_id = spend.campaign_id
COMMENT 'per campaign: spend, reach, cost_per_contact, cpm, ctr, cost_per_engagement';

-- Smampion's 7-day engagement rate per page and day: engagement over the last seven
-- days / followers that day.
CREATE OR REPLACE VIEW {db}.v_engagement_rate_7d AS
SELECT page_id, day, engagement_7d, followers,
       round(engagement_7d / nullIf(followers, 0), 5) AS engagement_rate_7d
FROM (
    SELECT page_id, day, followers,
           sum(engagement) OVER (PARTITION BY page_id ORDER BY day
                                 RANGE BETWEEN 6 PRECEDING AND CURRENT ROW) AS engagement_7d
    FROM {db}.v_page_daily
)
COMMENT 'per page and day: engagement of the last 7 days / followers';
