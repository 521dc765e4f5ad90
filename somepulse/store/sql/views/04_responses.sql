-- One row per question: a person's comment/reply marked as a question on the page's
-- post, or an incoming private message asking something. Its first reply is the
-- page's earliest reply to it that is an answer (not automated: v_page_replies.answers)
-- (page_reply.in_reply_to = the question's id) or, for
-- messages, the first page message in the same thread at or after it (ASOF JOIN).
-- Matching is by ids and event time, not arrival order: a reply that arrived before
-- its question is matched all the same, and replays change nothing (FINAL).
-- Minutes are calendar minutes and office minutes (the page's open hours, weekends
-- and public holidays closed, from v_office_hours). Unanswered questions have NULL
-- reply times; their age is in v_open_questions. No view relies on a session setting
-- (analysts' connections are readonly=1 and cannot change one): a right-hand value
-- that must be NULL when nothing matches is made Nullable where it is produced.
-- Parameterised (``responses_since(since = ...)``): the questions of the events at or
-- after ``since`` (v_questions_since) and the replies at or after it, so the worker's
-- rebuild reads its window, not the history; ``responses`` is the whole history.
CREATE OR REPLACE VIEW {db}.responses_since AS
WITH
questions AS (
    SELECT * FROM {db}.v_questions_since(since = {since:DateTime64(3, 'UTC')})
),
direct AS (
    SELECT page_id, in_reply_to, toNullable(min(replied_at)) AS replied_at
    FROM {db}.v_page_replies_since(since = {since:DateTime64(3, 'UTC')})
    WHERE answers
    GROUP BY page_id, in_reply_to
),
in_thread AS (
    SELECT page_id, thread_id, replied_at, toNullable(replied_at) AS reply_or_null
    FROM {db}.v_page_replies_since(since = {since:DateTime64(3, 'UTC')})
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
    INNER JOIN {db}.v_office_hours AS o ON o.page_id = a.page_id AND o.day = toDate(toUInt16(a.day_number))
    GROUP BY a.question_id
)
SELECT
    answered.* EXCEPT (withdrawn, withdrawn_at),
    {db}_local_date(page_id, asked_at) AS day,
    replied_at IS NOT NULL AS is_answered,
    if(replied_at IS NULL, NULL,
       greatest(0, dateDiff('millisecond', asked_at, replied_at)) / 60000) AS calendar_minutes,
    if(replied_at IS NULL, NULL, ifNull(office.office_minutes, 0)) AS office_minutes,
    ifNull(dateDiff('second', asked_at, replied_at) <= 86400, false) AS answered_within_24h
FROM answered
LEFT JOIN office ON office.question_id = answered.question_id
-- a question removed or hidden before any answer leaves the figures (and the queue); one
-- already answered stays answered
WHERE NOT (answered.withdrawn AND answered.replied_at IS NULL)
COMMENT 'responses over the questions and replies at or after since (a parameterised view: responses_since(since = ...))';

CREATE OR REPLACE VIEW {db}.responses AS
SELECT * FROM {db}.responses_since(since = '1900-01-01 00:00:00')
COMMENT 'per question: asked_at, first replied_at, calendar and office-hours minutes';

-- Questions without a reply, with their age now (calendar and office minutes). The
-- duty board asks it every 30 s for the last week: ``v_open_questions_since`` reads the
-- events from ``since`` on (responses_since), not years of history.
CREATE OR REPLACE VIEW {db}.v_open_questions_since AS
SELECT r.question_id, r.page_id, r.platform, r.post_id, r.source, r.asked_at,
       dateDiff('millisecond', r.asked_at, now64(3)) / 60000 AS age_minutes,
       sum(greatest(0, dateDiff('millisecond', greatest(r.asked_at, o.opens_at),
                                             least(now64(3), o.closes_at)))) / 60000 AS age_office_minutes
FROM {db}.responses_since(since = {since:DateTime64(3, 'UTC')}) AS r
LEFT JOIN {db}.v_office_hours AS o
    ON o.page_id = r.page_id AND o.day >= toDate(r.asked_at) AND o.day <= today()
WHERE NOT r.is_answered
GROUP BY r.question_id, r.page_id, r.platform, r.post_id, r.source, r.asked_at
COMMENT 'v_open_questions over the questions at or after since (a parameterised view: v_open_questions_since(since = ...))';

CREATE OR REPLACE VIEW {db}.v_open_questions AS
SELECT * FROM {db}.v_open_questions_since(since = '1900-01-01 00:00:00')
COMMENT 'unanswered questions and their age now (calendar and office minutes)';

-- Response time and rate per page and period: local day, Monday-based week, month
-- and quarter. Medians and percentiles cannot be added up from days, so each period
-- is computed from the questions themselves. Meta's convention (average of the
-- fastest 90 % of answered questions) is given as an extra.
-- ``v_response_periods_since``: over the questions asked from ``since`` on (a board's
-- months), not the history; periods starting at or after ``since`` are whole.
CREATE OR REPLACE VIEW {db}.v_response_periods_since AS
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
FROM {db}.responses_since(since = {since:DateTime64(3, 'UTC')})
ARRAY JOIN ['day', 'week', 'month', 'quarter'] AS grain
GROUP BY page_id, grain, period_start
COMMENT 'v_response_periods over the questions at or after since (a parameterised view: v_response_periods_since(since = ...))';

CREATE OR REPLACE VIEW {db}.v_response_periods AS
SELECT * FROM {db}.v_response_periods_since(since = '1900-01-01 00:00:00')
COMMENT 'per page and period (grain: day, week, month, quarter): response rate, median/p90/mean response time';

CREATE OR REPLACE VIEW {db}.v_response_times AS
SELECT page_id, period_start AS day, * EXCEPT (page_id, grain, period_start)
FROM {db}.v_response_periods WHERE grain = 'day'
COMMENT 'per page and local day: response rate, median/p90/mean response time (office and calendar)';

CREATE OR REPLACE VIEW {db}.v_response_times_weekly AS
SELECT page_id, period_start AS week, * EXCEPT (page_id, grain, period_start)
FROM {db}.v_response_periods WHERE grain = 'week'
COMMENT 'per page and week: response rate and median/p90/mean response time';

CREATE OR REPLACE VIEW {db}.v_response_times_monthly AS
SELECT page_id, period_start AS month, * EXCEPT (page_id, grain, period_start)
FROM {db}.v_response_periods WHERE grain = 'month'
COMMENT 'per page and month: response rate and median/p90/mean response time';
