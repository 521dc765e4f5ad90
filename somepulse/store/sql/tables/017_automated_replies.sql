-- Automated page replies (instant replies, away messages, chatbots) are kept but do not
-- stop the response clock; which apps answer as people, per page (pages.toml).
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS automated Bool DEFAULT false
        COMMENT 'page_reply: sent by software (instant reply, away message, chatbot)' AFTER author_id,
    ADD COLUMN IF NOT EXISTS app_id String DEFAULT ''
        COMMENT 'page_reply: the app that sent it, as the platform says' AFTER automated;
ALTER TABLE {db}.pages
    ADD COLUMN IF NOT EXISTS human_reply_apps Array(String)
        COMMENT 'apps through which people answer (others are automation)' AFTER peer_group,
    ADD COLUMN IF NOT EXISTS automated_reply_apps Array(String)
        COMMENT 'apps whose replies are automation' AFTER human_reply_apps,
    ADD COLUMN IF NOT EXISTS automated_replies_answer Bool DEFAULT false
        COMMENT 'count automated replies as answers after all' AFTER automated_reply_apps;
