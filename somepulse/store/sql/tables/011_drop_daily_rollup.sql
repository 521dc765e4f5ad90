-- The daily rollup was materialised per local day, which baked every page's time zone
-- into its materialized view: a new page or a changed zone needed new DDL. Days are
-- now derived at read time from the hourly rollup (v_engagement_1d, through the
-- {db}_local_date function that the page directory defines), so the table goes.
DROP TABLE IF EXISTS {db}.engagement_1d_mv;
DROP TABLE IF EXISTS {db}.engagement_1d;
DROP VIEW IF EXISTS {db}.v_engagement_1d;
