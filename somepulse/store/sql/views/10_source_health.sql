-- Source health: is every page's data still arriving? Per page and source, the last
-- event, when it was stored and the last fetch of totals; and per page how silent it is
-- against its own usual traffic at those hours of the week (a broken token or a lost
-- webhook subscription shows as a page that normally has traffic going quiet).

CREATE OR REPLACE VIEW {db}.v_source_health AS
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
FROM {db}.events
WHERE kind != 'source_status'
GROUP BY page_id, platform, source
COMMENT 'per page, platform and source (people, replies, totals, posts, ads): last event, last stored, last fetch, volume';

-- Silence against the page's own rhythm: the events people usually cause in the whole
-- hours since the page's last one, from the same hours of the week over the 8 weeks
-- before it. Under Poisson, 8 expected and none seen happens by chance 3 times in
-- 10,000: the source-silent alert pages above 8 (alerts/silence.py).
CREATE OR REPLACE VIEW {db}.v_source_silence AS
WITH
people AS (
    SELECT page_id, occurred_at FROM {db}.events
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

-- What each collector last said about each page's source (source_status events): the
-- state, what failed, since when it has been so, when it last said anything and how
-- soon it promised to speak again (a daemon says "up" at least every 5 minutes, a
-- scheduled poll once per run; one that stopped says nothing). The worker's source watch pages on it (alerts/silence.py).
CREATE OR REPLACE VIEW {db}.v_source_status AS
SELECT page_id, platform, collector,
       h[-1].2 AS state, h[-1].3 AS detail,
       h[arrayLastIndex(x -> x.2 != h[-1].2, h) + 1].1 AS state_since,
       h[-1].1 AS last_heard_at, h[-1].4 AS next_within,
       dateDiff('minute', h[-1].1, now()) AS minutes_since_heard
FROM (
    SELECT page_id, platform, collector,
           arraySort(x -> x.1, groupArray((occurred_at, toString(state), detail, next_within))) AS h
    FROM {db}.events
    WHERE kind = 'source_status' AND occurred_at >= now() - INTERVAL 30 DAY
    GROUP BY page_id, platform, collector
)
COMMENT 'per page and collector: its latest state (up, limited, down, broken), what failed, since when, when it last said anything and promised to again';
