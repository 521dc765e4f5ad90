-- Analyst view over the per-minute rollup (merged states -> plain numbers).
-- engagement = reactions + comments + shares + clicks (views and replies by other
-- people are not engagement with the page's post in the field's definition).
CREATE OR REPLACE VIEW {db}.v_engagement_1m AS
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
FROM {db}.engagement_1m
GROUP BY page_id, platform, post_id, minute
COMMENT 'per minute, page, platform and post: reactions, comments, replies, shares, clicks, views, questions, engagement';
