-- Mentions: others naming the organisation (tags, @mentions, quotes, tracked hashtags
-- and keywords), per page and the page's local day and per hour.

CREATE OR REPLACE VIEW {db}.v_mentions AS
SELECT event_id, page_id, platform, occurred_at AS mentioned_at, mention_id, via, matched,
       actor_id
FROM {db}.events FINAL
WHERE kind = 'mention'
COMMENT 'one row per mention of the organisation by someone else';

CREATE OR REPLACE VIEW {db}.v_mentions_daily AS
SELECT page_id, platform, {db}_local_date(page_id, mentioned_at) AS day,
       count() AS mentions, uniqExact(actor_id) AS authors,
       countIf(via = 'tag') AS tags, countIf(via = 'mention') AS at_mentions,
       countIf(via = 'quote') AS quotes, countIf(via IN ('hashtag', 'keyword')) AS tracked
FROM {db}.v_mentions
GROUP BY page_id, platform, day
COMMENT 'per page and local day: mentions, distinct authors, and how they were found';

CREATE OR REPLACE VIEW {db}.v_mentions_hourly AS
SELECT page_id, platform, toStartOfHour(mentioned_at) AS hour, count() AS mentions,
       uniqExact(actor_id) AS authors
FROM {db}.v_mentions
GROUP BY page_id, platform, hour
COMMENT 'per page and hour: mentions and distinct authors (the duty board panel)';
