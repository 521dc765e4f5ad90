-- Surge alerts, one row per transition (firing, resolved): history for analysts and
-- annotations for the board. Idempotent on (alert_id, state).
CREATE TABLE IF NOT EXISTS {db}.alerts
(
    alert_id     String COMMENT 'page/platform/rule/first firing bucket',
    state        LowCardinality(String) COMMENT 'firing or resolved',
    at           DateTime64(3, 'UTC') COMMENT 'event time of the decision',
    decided_at   DateTime64(3, 'UTC') COMMENT 'wall time of the decision',
    page_id      LowCardinality(String),
    platform     LowCardinality(String),
    rule         LowCardinality(String),
    metric       LowCardinality(String),
    severity     LowCardinality(String),
    observed     Float64,
    baseline     Float64,
    ratio        Float64,
    p_value      Float64,
    summary      String
)
ENGINE = ReplacingMergeTree
ORDER BY (alert_id, state)
COMMENT 'surge alerts: every firing and resolution with value, baseline and ratio';
