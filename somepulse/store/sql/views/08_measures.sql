-- Measures across time: metrics nobody mapped yet, and year-over-year comparisons that
-- stay within one series (v_metric_snapshots, v_measures and v_measures_daily are in the
-- semantic layer, 01_semantic.sql, which reach and followers read).

CREATE OR REPLACE VIEW {db}.v_unknown_metrics AS
SELECT s.platform AS platform, s.scope AS scope, s.metric AS metric,
       count() AS snapshots, min(s.day) AS first_day, max(s.day) AS last_day
FROM {db}.v_metric_snapshots AS s
LEFT ANTI JOIN (SELECT * FROM {db}.metric_catalogue FINAL) AS c
    ON c.platform = s.platform AND c.scope = s.scope AND c.metric = s.metric
GROUP BY platform, scope, metric
COMMENT 'metrics collectors delivered that the catalogue does not know (add them to metrics.toml)';

-- Year over year on the same weekday (364 days back). Compared within one series only:
-- in an overlap year both sides use the series both days have (the newest such); with
-- none in common, the row says which metrics broke the series instead of a ratio.
CREATE OR REPLACE VIEW {db}.v_measure_yoy AS
WITH pairs AS (
    SELECT c.page_id AS page_id, c.measure AS measure, c.day AS day,
           argMax(c.value, c.valid_from) AS value_now,
           argMax(p.value, c.valid_from) AS value_year_before,
           argMax(c.series, c.valid_from) AS series
    FROM {db}.v_measures AS c
    INNER JOIN {db}.v_measures AS p
        ON p.page_id = c.page_id AND p.measure = c.measure AND p.series = c.series
       AND p.period = c.period AND p.scope = c.scope AND p.day = c.day - 364
    WHERE c.scope = 'page' AND c.period IN ('day', 'total')
    GROUP BY page_id, measure, day
)
SELECT d.page_id AS page_id, d.platform AS platform, d.measure AS measure, d.day AS day,
       d.value AS value, d.metric AS metric,
       pr.series != '' AS comparable,
       if(pr.series != '', pr.value_now, d.value) AS compared_value,
       pr.value_year_before AS value_year_before,
       pr.series AS compared_series,
       if(pr.series != '', round(pr.value_now / nullIf(pr.value_year_before, 0), 4), NULL) AS ratio,
       multiIf(pr.series != '', '',
               prev.metric = '', 'no value a year before',
               concat('series break: ', prev.metric, ' a year before, ', d.metric, ' now')) AS break
FROM {db}.v_measures_daily AS d
LEFT JOIN pairs AS pr ON pr.page_id = d.page_id AND pr.measure = d.measure AND pr.day = d.day
LEFT JOIN {db}.v_measures_daily AS prev
    ON prev.page_id = d.page_id AND prev.measure = d.measure AND prev.day = d.day - 364
COMMENT 'per page, measure and day: the year-before value within one series, or why there is none';
