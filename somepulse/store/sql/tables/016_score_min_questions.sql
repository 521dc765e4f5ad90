-- The score's minimum sample: with fewer questions than this in a period, response
-- rate and response time are "insufficient data" (score.toml min_questions).
ALTER TABLE {db}.score_settings
    ADD COLUMN IF NOT EXISTS t_min_questions Float64 DEFAULT 10 AFTER t_response_time_zero_at;
