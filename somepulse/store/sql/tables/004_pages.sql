-- The page directory and office calendar, loaded from pages.toml at start-up
-- (store/reference.py): time zones, reply promises, peer groups, and each open
-- day's office hours as UTC instants (DST and public holidays already applied).
CREATE TABLE IF NOT EXISTS {db}.pages
(
    page_id          String,
    name             String,
    platform         LowCardinality(String),
    country          LowCardinality(String),
    tz               LowCardinality(String),
    opens            String,
    closes           String,
    promise_minutes  UInt32,
    peer_group       LowCardinality(String),
    loaded_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY page_id
COMMENT 'page directory from deploy/pages.toml: time zone, hours, reply promise, peer group';

CREATE TABLE IF NOT EXISTS {db}.office_hours
(
    page_id    String,
    day        Date COMMENT 'local day',
    opens_at   DateTime('UTC'),
    closes_at  DateTime('UTC')
)
ENGINE = MergeTree
ORDER BY (page_id, day)
COMMENT 'open office hours per page and local day, as UTC instants';
