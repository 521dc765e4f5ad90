-- The SQL home of the field's event rules (the Python home: domain/signals.py; a
-- contract test feeds both the same events). Functions are global in ClickHouse, so
-- their names carry the database. Re-created at every start, before the views.
-- {db}_local_date is defined from the page directory by store/reference.py.

-- A person's comment or reply marked as a question, or an incoming private message
-- marked as a question, counted when it is added (edits and removals change the queue,
-- v_questions, not the number of questions asked).
CREATE OR REPLACE FUNCTION {db}_is_question AS (kind, direction, is_question, verb) ->
    is_question AND verb = 'add'
    AND (kind = 'interaction' OR (kind = 'private_message' AND direction = 'in'));

-- Items counted added − removed (domain.signals.count_sign): a removal takes its item
-- back when it happens, edits, hides and unhides move no count; uniqExact on event ids,
-- so a replayed add or removal counts once.
CREATE OR REPLACE FUNCTION {db}_net AS (event_id, condition, verb) ->
    toInt64(uniqExactIf(event_id, condition AND verb = 'add'))
    - toInt64(uniqExactIf(event_id, condition AND verb = 'remove'));

-- Engagement: reactions + comments + shares + clicks (not views, not replies).
CREATE OR REPLACE FUNCTION {db}_is_engagement AS (kind, interaction_type) ->
    kind = 'interaction' AND interaction_type IN ('reaction', 'comment', 'share', 'click');

-- Whether a page reply stops the response clock (domain.signals.counts_as_answer):
-- automated replies do not, unless the page counts them; with human_apps set, a reply
-- through any other app is automation.
CREATE OR REPLACE FUNCTION {db}_counts_as_answer AS
    (automated, app_id, human_apps, automated_apps, automated_answers) ->
    automated_answers OR NOT (automated OR has(automated_apps, app_id)
        OR (notEmpty(human_apps) AND app_id != '' AND NOT has(human_apps, app_id)));

-- Virality: shares ÷ reach of the same post (NULL without reach).
CREATE OR REPLACE FUNCTION {db}_virality AS (shares, reach) -> round(shares / nullIf(reach, 0), 5);

-- The field's grade bands of the 0-100 score (Kommunikationsanalys / Smampion).
CREATE OR REPLACE FUNCTION {db}_grade AS (score) -> multiIf(
    score >= 100, 'perfect', score >= 95, 'world class', score >= 90, 'very good',
    score >= 80, 'really good', score >= 65, 'good', score >= 45, 'OK',
    score >= 30, 'not passed', 'failed');

-- A period's response figures rest on too few questions to score (t.5 = the minimum,
-- score.toml's min_questions): Kommunikationsanalys marks such a page "limited basis".
CREATE OR REPLACE FUNCTION {db}_limited_basis AS (questions, t) -> ifNull(questions, 0) < t.5;

-- The 0-100 score: the weighted mean of six sub-scores in [0, 1]. w = weights
-- (response rate, response time, engagement rate, dialogue participation, activity,
-- growth), t = targets (engagement rate 7d, posts per day, growth %, response time
-- falls to 0 at this multiple of the promise, minimum questions); both come from
-- score_settings. Missing data earns nothing and costs nothing: with too few questions
-- the response rate and time, and without dialogues the dialogue participation, are
-- left out of the mean with their weights (never counted as met).
CREATE OR REPLACE FUNCTION {db}_score AS (questions, response_rate, median_office_minutes,
    promise_minutes, engagement_rate_7d, dialogues, dialogues_with_page, posts_per_day,
    follower_growth_pct, w, t) -> round(100 * (
        if({db}_limited_basis(questions, t), 0, w.1 * ifNull(response_rate, 0))
      + if({db}_limited_basis(questions, t) OR median_office_minutes IS NULL, 0,
           w.2 * least(1, greatest(0,
                 1 - (median_office_minutes - promise_minutes) / ((t.4 - 1) * promise_minutes))))
      + w.3 * least(1, ifNull(engagement_rate_7d, 0) / t.1)
      + if(dialogues = 0, 0, w.4 * dialogues_with_page / dialogues)
      + w.5 * least(1, posts_per_day / t.2)
      + w.6 * least(1, greatest(0, ifNull(follower_growth_pct, 0) / t.3))
    ) / greatest(toFloat64(
        if({db}_limited_basis(questions, t), 0, w.1)
      + if({db}_limited_basis(questions, t) OR median_office_minutes IS NULL, 0, w.2)
      + w.3 + if(dialogues = 0, 0, w.4) + w.5 + w.6), 1e-9), 1);

-- The events' partition id of a time (a year since migration 24; the ids compare as
-- text). The views that read the events with FINAL from a time on prune by it
-- (`_partition_id >= {db}_events_partition(since)`): FINAL reads every part whatever
-- occurred_at asks for, and one event's copies share a partition.
CREATE OR REPLACE FUNCTION {db}_events_partition AS (t) -> toString(toYear(t, 'UTC'));
