-- Data-subject requests carried out (GDPR Art. 15 and 17): what was done, when, by whom
-- and with which keys, never who the person is (no platform id, no pseudonym).
CREATE TABLE IF NOT EXISTS {db}.erasure_log
(
    request_id      UUID,
    action          LowCardinality(String) COMMENT 'erase or export',
    at              DateTime64(3, 'UTC'),
    operator        String COMMENT 'the OS user who ran the command',
    reference       String COMMENT 'the case number the data-protection officer gave',
    platform        LowCardinality(String),
    key_ids         Array(String) COMMENT 'pseudonym keys the person was looked up with',
    events          UInt64 COMMENT 'rows of the person deleted or exported',
    page_replies    UInt64 COMMENT 'page replies to the person deleted',
    rollup_hours    UInt64 COMMENT 'page-post-hours of the rollups recomputed',
    not_reached     String COMMENT 'what the command could not erase'
)
ENGINE = MergeTree
ORDER BY at
COMMENT 'audit of erasure and access requests, without the person''s identity';
