-- Alerts firing now: fired and not resolved since.
CREATE OR REPLACE VIEW {db}.v_alerts_firing AS
SELECT alert_id, page_id, platform, rule, metric, severity, at AS fired_at, observed, baseline,
       ratio, summary, post_ids, post_counts
FROM {db}.alerts FINAL
WHERE state = 'firing' AND alert_id NOT IN (SELECT alert_id FROM {db}.alerts WHERE state = 'resolved')
COMMENT 'alerts firing now';
