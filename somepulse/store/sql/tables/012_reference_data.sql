-- Reference data as data, not as rendered SQL: office hours carry the version of the
-- directory they came from (readers take each page's latest version, so a reload is
-- never seen half done, where TRUNCATE + INSERT showed an empty calendar), the score's
-- weights and targets are a row, stop words a list, and a digest per reference set
-- lets a start skip reloading what did not change.
ALTER TABLE {db}.office_hours ADD COLUMN IF NOT EXISTS version UInt64 DEFAULT 0;

CREATE TABLE IF NOT EXISTS {db}.score_settings
(
    w_response_rate           Float64,
    w_response_time           Float64,
    w_engagement_rate         Float64,
    w_dialogue_participation  Float64,
    w_activity                Float64,
    w_growth                  Float64,
    t_engagement_rate_7d      Float64,
    t_posts_per_day           Float64,
    t_growth_pct              Float64,
    t_response_time_zero_at   Float64,
    loaded_at                 DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY tuple()
COMMENT 'the 0-100 score: weights (w_) and targets (t_) from score.toml; one row';

CREATE TABLE IF NOT EXISTS {db}.stop_words
(
    word String
)
ENGINE = ReplacingMergeTree
ORDER BY word
COMMENT 'words left out of v_top_words (nb, nn, sv, da, en)';

CREATE TABLE IF NOT EXISTS {db}.reference_digests
(
    name    String,
    digest  String,
    version UInt64,
    at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(at)
ORDER BY name
COMMENT 'digest of each loaded reference set (pages, score, stop words)';
