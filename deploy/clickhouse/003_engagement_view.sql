-- Analyst view over the per-minute rollup (merged states -> plain numbers).
CREATE VIEW IF NOT EXISTS {db}.v_engagement_1m AS
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
FROM {db}.engagement_1m
GROUP BY page_id, platform, post_id, minute;
