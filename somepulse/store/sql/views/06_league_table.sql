-- Pages ranked per quarter on every measurement point (like Kommunikationsanalys'
-- quarterly league tables), with share of influence in the peer group and the
-- configured 0-100 score and its grade (weights and targets: score_settings).
-- ``v_league_table_since``: the response figures from the questions asked at or after
-- ``since`` (v_response_periods_since; the whole history's took 20 s on 7 M events), so
-- the quarters starting at or after it are whole; ``v_league_table`` is every quarter.
CREATE OR REPLACE VIEW {db}.v_league_table_since AS
SELECT
    * EXCEPT (weights, targets),
    {db}_score(questions, response_rate, median_office_minutes, promise_minutes,
               engagement_rate_7d, dialogues, dialogues_with_page, posts_per_day,
               follower_growth_pct, weights, targets) AS score,
    {db}_limited_basis(questions, targets) AS limited_basis,
    if(limited_basis, concat({db}_grade(score), ' (limited basis)'), {db}_grade(score)) AS grade,
    -- pages on a limited basis are ranked after every page scored on its full basis
    rank() OVER (PARTITION BY quarter ORDER BY limited_basis, score DESC) AS rank_score,
    rank() OVER (PARTITION BY quarter ORDER BY followers DESC) AS rank_followers,
    rank() OVER (PARTITION BY quarter ORDER BY ifNull(follower_growth_pct, 0) DESC) AS rank_growth,
    rank() OVER (PARTITION BY quarter ORDER BY posts_per_day DESC) AS rank_activity,
    rank() OVER (PARTITION BY quarter ORDER BY ifNull(engagement_rate_7d, 0) DESC) AS rank_engagement,
    rank() OVER (PARTITION BY quarter ORDER BY ifNull(response_rate, 0) DESC) AS rank_response_rate,
    rank() OVER (PARTITION BY quarter ORDER BY ifNull(median_office_minutes, 1e9)) AS rank_response_time,
    rank() OVER (PARTITION BY quarter ORDER BY dialogues DESC) AS rank_dialogues
FROM (
    SELECT
        q.period AS period, q.quarter AS quarter, q.page_id AS page_id,
        pages.name AS name, pages.peer_group AS peer_group, q.platform AS platform,
        pages.promise_minutes AS promise_minutes,
        q.followers AS followers, q.follower_growth AS follower_growth,
        q.follower_growth_pct AS follower_growth_pct,
        q.posts AS posts, q.posts_per_day AS posts_per_day,
        q.engagement AS engagement, q.reach AS reach,
        round(q.engagement / nullIf(q.reach, 0), 4) AS engagement_rate_reach,
        round(q.engagement * 7 / dateDiff('day', q.quarter, q.quarter + INTERVAL 3 MONTH)
              / nullIf(q.followers, 0), 5) AS engagement_rate_7d,
        round(q.engagement / sum(q.engagement) OVER (PARTITION BY q.quarter, pages.peer_group), 4)
            AS share_of_influence,
        r.questions AS questions, r.response_rate AS response_rate,
        r.response_rate_24h AS response_rate_24h,
        r.median_office_minutes AS median_office_minutes,
        r.median_calendar_minutes AS median_calendar_minutes,
        ifNull(d.dialogues, 0) AS dialogues, ifNull(d.dialogues_with_page, 0) AS dialogues_with_page,
        s.weights AS weights, s.targets AS targets
    FROM {db}.v_page_quarterly AS q
    LEFT JOIN (SELECT page_id, name, peer_group, promise_minutes FROM {db}.pages FINAL) AS pages
        ON pages.page_id = q.page_id
    -- Nullable: a quarter without questions has no rate (the score leaves it out)
    LEFT JOIN (SELECT page_id, period_start AS quarter, toNullable(questions) AS questions,
                      toNullable(response_rate) AS response_rate,
                      toNullable(response_rate_24h) AS response_rate_24h,
                      toNullable(median_office_minutes) AS median_office_minutes,
                      toNullable(median_calendar_minutes) AS median_calendar_minutes
               FROM {db}.v_response_periods_since(since = {since:DateTime64(3, 'UTC')})
               WHERE grain = 'quarter') AS r
        ON r.page_id = q.page_id AND r.quarter = q.quarter
    LEFT JOIN (SELECT page_id, toStartOfQuarter(day) AS quarter, countIf(is_dialogue) AS dialogues,
                      countIf(is_dialogue AND page_took_part) AS dialogues_with_page
               FROM {db}.v_dialogues GROUP BY page_id, quarter) AS d
        ON d.page_id = q.page_id AND d.quarter = q.quarter
    CROSS JOIN (SELECT (w_response_rate, w_response_time, w_engagement_rate,
                        w_dialogue_participation, w_activity, w_growth) AS weights,
                       (t_engagement_rate_7d, t_posts_per_day, t_growth_pct,
                        t_response_time_zero_at, t_min_questions) AS targets
                FROM {db}.score_settings ORDER BY loaded_at DESC LIMIT 1) AS s
)
COMMENT 'v_league_table with the response figures of the questions at or after since (a parameterised view: v_league_table_since(since = ...))';

CREATE OR REPLACE VIEW {db}.v_league_table AS
SELECT * FROM {db}.v_league_table_since(since = '1900-01-01 00:00:00')
COMMENT 'per quarter and page: every measurement point, its rank, score 0-100 and grade';
