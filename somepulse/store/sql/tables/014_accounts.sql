-- Each page's own platform accounts (pages.toml `accounts`), and the account an event
-- named, as the platform sent it: maps what webhooks and APIs deliver to pages.
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS account_id String DEFAULT ''
    COMMENT 'the page''s own platform account the event named, if any' AFTER page_id;
ALTER TABLE {db}.pages
    ADD COLUMN IF NOT EXISTS accounts Map(LowCardinality(String), String)
    COMMENT 'platform -> the page''s account id on it' AFTER platform;
