-- The semantic layer: one SQL home for "a question", "a page reply", "a page's reach
-- of a day" and "a post's reach". Other views, the worker's rebuild queries, the
-- surge baselines and the Grafana rules read these instead of re-typing predicates.

CREATE OR REPLACE VIEW {db}.v_questions AS
SELECT event_id AS question_id, page_id, platform, post_id, kind AS source,
       occurred_at AS asked_at, if(kind = 'interaction', comment_id, message_id) AS item_id,
       thread_id
FROM {db}.events FINAL
WHERE {db}_is_question(kind, direction, is_question)
COMMENT 'one row per question: comment/reply marked as a question, or incoming question message';

CREATE OR REPLACE VIEW {db}.v_page_replies AS
SELECT r.event_id AS event_id, r.page_id AS page_id, r.platform AS platform,
       r.post_id AS post_id, r.occurred_at AS replied_at, r.channel AS channel,
       r.reply_id AS reply_id, r.in_reply_to AS in_reply_to, r.thread_id AS thread_id,
       r.automated AS automated, r.app_id AS app_id,
       {db}_counts_as_answer(r.automated, r.app_id, p.human_reply_apps,
                             p.automated_reply_apps, p.automated_replies_answer) AS answers
FROM {db}.events AS r FINAL
LEFT JOIN (SELECT page_id, human_reply_apps, automated_reply_apps, automated_replies_answer
           FROM {db}.pages FINAL) AS p ON p.page_id = r.page_id
WHERE r.kind = 'page_reply'
COMMENT 'one row per reply of the page (under a post or in a message thread); answers: it stops the response clock (not automated)';

CREATE OR REPLACE VIEW {db}.v_page_reach_daily AS
SELECT page_id, day, any(platform) AS platform,
       argMax(reach, occurred_at) AS reach,
       argMax(impressions, occurred_at) AS impressions,
       argMax(video_views, occurred_at) AS video_views,
       max(occurred_at) AS reported_at
FROM {db}.events
WHERE kind = 'insights_snapshot' AND scope = 'page'
GROUP BY page_id, day
COMMENT 'per page and day: the latest reported reach, impressions, video views';

CREATE OR REPLACE VIEW {db}.v_post_reach AS
SELECT page_id, post_id, any(platform) AS platform,
       argMax(reach, occurred_at) AS reach,
       argMax(impressions, occurred_at) AS impressions,
       max(occurred_at) AS reported_at
FROM {db}.events
WHERE kind = 'insights_snapshot' AND scope = 'post'
GROUP BY page_id, post_id
COMMENT 'per post: the latest reported reach and impressions';

CREATE OR REPLACE VIEW {db}.v_office_hours AS
SELECT page_id, day, opens_at, closes_at
FROM {db}.office_hours
WHERE (page_id, version) IN (SELECT page_id, max(version) FROM {db}.office_hours GROUP BY page_id)
COMMENT 'open office hours per page and local day (UTC instants), latest directory';
