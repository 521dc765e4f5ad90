-- The posts that drove a surge alert (most first), so that analysts and the board see
-- where a surge came from: ids and their counts in the alert's window ('' = no post:
-- private messages).
ALTER TABLE {db}.alerts
    ADD COLUMN IF NOT EXISTS post_ids Array(String) COMMENT 'posts with the most of the window''s count, most first',
    ADD COLUMN IF NOT EXISTS post_counts Array(Float64) COMMENT 'their counts in the window (share = count / observed)';
