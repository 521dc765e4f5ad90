-- Question detection at the edge: why the detector decided (comments and messages), and
-- the duty communicator's corrections (needs_reply_mark: which comment or message, when
-- it was written, and the verdict). v_questions honours the latest correction.
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS question_reason LowCardinality(String) DEFAULT ''
    COMMENT 'interaction, private_message: why the question detector decided' AFTER is_question;
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS target_event_id String DEFAULT ''
    COMMENT 'needs_reply_mark: the comment or message event marked' AFTER question_reason;
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS target_id String DEFAULT ''
    COMMENT 'needs_reply_mark: the comment id or message id marked' AFTER target_event_id;
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS target_at DateTime64(3, 'UTC') DEFAULT occurred_at
    COMMENT 'needs_reply_mark: when the marked comment or message was written' AFTER target_id;
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS needs_reply Bool DEFAULT false
    COMMENT 'needs_reply_mark: the verdict of the person on duty' AFTER target_at;
