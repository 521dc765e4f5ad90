-- Mentions of the organisation by others (mention events): the mentioning post's id,
-- how it was found, and the handle, hashtag or keyword that matched.
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS mention_id String DEFAULT ''
        COMMENT 'mention: the mentioning post or comment on the platform' AFTER message_id,
    ADD COLUMN IF NOT EXISTS via LowCardinality(String) DEFAULT ''
        COMMENT 'mention: tag, mention, quote, hashtag or keyword' AFTER mention_id,
    ADD COLUMN IF NOT EXISTS matched String DEFAULT ''
        COMMENT 'mention: the handle, hashtag or keyword that matched' AFTER via;
