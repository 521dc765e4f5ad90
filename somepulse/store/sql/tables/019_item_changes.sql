-- Items change after they are made: Meta's verbs (add, edited/edit, remove, hide,
-- unhide), Messenger's deleted messages, Bluesky's and Mastodon's deletes. Rows from
-- release 0.1 were all additions. The rollups' removal states and their new
-- materialized views follow in the same migration (store/rollups.py).
ALTER TABLE {db}.events
    ADD COLUMN IF NOT EXISTS verb LowCardinality(String) DEFAULT 'add'
    COMMENT 'post_published, interaction, private_message, page_reply: add, edit, remove, hide, unhide'
    AFTER kind;
