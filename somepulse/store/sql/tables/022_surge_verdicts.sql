-- The stream detector's every decision (one row per page, platform, rule and evaluated
-- bucket): what it saw, what it expected, and whether the rule fires. Grafana's surge
-- rules read these, so the board, Grafana and the pager agree by construction.
CREATE TABLE IF NOT EXISTS {db}.surge_verdicts
(
    page_id     LowCardinality(String),
    platform    LowCardinality(String),
    rule        LowCardinality(String),
    bucket      DateTime('UTC') COMMENT 'start of the last bucket of the window (event time)',
    decided_at  DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'wall time of the decision',
    observed    Float64 COMMENT 'the window''s count (known hours only) or reported value',
    expected    Nullable(Float64) COMMENT 'what the page''s usual predicts; NULL: no baseline yet',
    ratio       Nullable(Float64),
    p_value     Nullable(Float64) COMMENT 'quasi-Poisson tail of so many; NULL for reported values',
    dispersion  Float64 COMMENT 'variance over mean of the page''s windows (at least 1)',
    condition   Bool COMMENT 'this bucket passes ratio, tail and volume',
    firing      Bool COMMENT 'the rule fires after this bucket (hold and hysteresis applied)'
)
ENGINE = ReplacingMergeTree(decided_at)
ORDER BY (page_id, platform, rule, bucket)
TTL toDateTime(decided_at) + INTERVAL 30 DAY
COMMENT 'the surge detector''s decisions per page, rule and bucket (kept 30 days after they were made)';
