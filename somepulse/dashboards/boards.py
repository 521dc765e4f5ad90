"""The three boards: the duty communicator's live board, the analysts' overview and
the service's own health. Every ClickHouse panel's SQL is executed in the tests
against chDB loaded with the scenario (macros expanded as the plugin does)."""

from __future__ import annotations

from somepulse.alerts.runbook import ENTRIES, INTRO, RUNBOOK_UID
from somepulse.dashboards.builder import (
    DB,
    Dashboard,
    Field,
    Panel,
    PromTarget,
    SqlTarget,
    Text,
    Variable,
)

PAGES = "page_id IN (${page:singlequote})"
PLATFORMS = "platform IN (${platform:singlequote})"
# a page's "today" is its own calendar day (Europe/Oslo, Europe/Stockholm...), not UTC's
TODAY = f"{DB}_local_date(page_id, $__toTime)"
# the duty board's question panels read four weeks of events (``*_since`` views), not
# the history, every 30 s: a question of the last week, or answered today, counts from
# its events; one asked more than four weeks before its answer today is left out
QUESTION_MARGIN_DAYS = 28
# colours a duty communicator reads at a glance
RED, AMBER, GREEN = "red", "orange", "green"
# share of answers within the page's promise: below 80 % is red, below 90 % amber
WITHIN_PROMISE = ((None, RED), (0.8, AMBER), (0.9, GREEN))
# the oldest open question's age against the promise: amber from 80 %, red past it
AGAINST_PROMISE = ((None, GREEN), (0.8, AMBER), (1.0, RED))
# observed over usual: amber from 1.5x (the +50 % of March 2020), red from 3x
SURGE_RATIO = ((None, GREEN), (1.5, AMBER), (3.0, RED))
VARIABLES = (
    Variable("page", "Page", f"SELECT page_id FROM {DB}.pages FINAL ORDER BY page_id"),
    # a page's platform and every channel it has an account on: its inbox's events come
    # as Messenger's, and "All" must include them (Grafana's All is the listed values)
    Variable(
        "platform",
        "Platform",
        f"SELECT DISTINCT arrayJoin(arrayConcat([toString(platform)], mapKeys(accounts))) AS p "
        f"FROM {DB}.pages FINAL ORDER BY p",
    ),
)


def _shifted(column: str, series: str, label: str, shift: str, table: str) -> SqlTarget:
    """The same series, shifted forward by ``shift`` so it overlays the current one."""
    return SqlTarget(f"""
SELECT $__timeInterval({column} + INTERVAL {shift}) AS time, sum({series}) AS "{label}"
FROM {DB}.{table}
WHERE {column} >= $__fromTime - INTERVAL {shift} AND {column} <= $__toTime - INTERVAL {shift}
  AND {PAGES} AND {PLATFORMS}
GROUP BY time ORDER BY time""")


def _now_vs(series: str, title: str) -> Panel:
    now = SqlTarget(f"""
SELECT $__timeInterval(hour) AS time, sum({series}) AS "now"
FROM {DB}.v_engagement_1h
WHERE $__timeFilter(hour) AND {PAGES} AND {PLATFORMS}
GROUP BY time ORDER BY time""")
    return Panel(
        title,
        "timeseries",
        (
            now,
            _shifted("hour", series, "same time last week", "7 DAY", "v_engagement_1h"),
            _shifted("hour", series, "same time last year", "364 DAY", "v_engagement_1h"),
        ),
        description="Now against the same hours last week and 52 weeks ago.",
        unit="short",
        decimals=0,
    )


DUTY = Dashboard(
    uid="somepulse-duty",
    title="SoMe Pulse — duty board",
    # the data moves by the minute; 30 s keeps the board fresh without re-running the
    # year-ago comparisons every 10 s for every open browser
    refresh="30s",
    variables=VARIABLES,
    annotations=(
        SqlTarget(
            f"""
SELECT at AS time, concat(upper(state), ': ', summary) AS text,
       concat(toString(rule), ',', toString(severity)) AS tags
FROM {DB}.alerts WHERE $__timeFilter(at) AND {PAGES}
ORDER BY time""",
            "table",
        ),
    ),
    panels=(
        _now_vs("questions", "Incoming questions"),
        Panel(
            "Reach per day",
            "timeseries",
            (
                SqlTarget(f"""
SELECT toDateTime(day) AS time, sum(reach) AS "reach"
FROM {DB}.v_page_daily
WHERE day >= toDate($__fromTime) - 1 AND day <= toDate($__toTime) AND {PAGES} AND {PLATFORMS}
GROUP BY time ORDER BY time"""),
                _shifted("toDateTime(day)", "reach", "last week", "7 DAY", "v_page_daily"),
                _shifted("toDateTime(day)", "reach", "last year", "364 DAY", "v_page_daily"),
            ),
            description="Reported by the platforms' insights; the latest snapshot of each day. "
            "The last-year line is only like for like within one metric series: see the "
            "next panel for breaks.",
            unit="short",
            decimals=0,
        ),
        Panel(
            "Reach against a year ago (within one metric series)",
            "table",
            (
                SqlTarget(
                    f"""
SELECT page_id, toString(day) AS reported_day, compared_value AS reach, value_year_before,
       ratio, if(comparable, compared_series, break) AS series
FROM {DB}.v_measure_yoy
WHERE measure = 'reach' AND {PAGES} AND {PLATFORMS}
  AND day = (SELECT max(day) FROM {DB}.v_measure_yoy WHERE measure = 'reach'
             AND day <= toDate($__toTime))
ORDER BY page_id""",
                    "table",
                ),
            ),
            width=12,
            description="A platform's rename or redefinition of reach is a series break: "
            "named here instead of a ratio that compares two definitions. Ratio: amber from "
            "1.5x a year ago, red from 3x.",
            fields=(
                Field("ratio", "none", SURGE_RATIO, decimals=2),
                Field("reach", "short"),
                Field("value_year_before", "short"),
            ),
        ),
        Panel(
            "Open questions (asked in the last 7 days)",
            "table",
            (
                SqlTarget(
                    f"""
SELECT q.page_id AS page_id, count() AS open,
       round(max(q.age_office_minutes)) AS oldest_office_minutes,
       any(p.promise_minutes) AS promise_minutes,
       round(max(q.age_office_minutes) / any(p.promise_minutes), 2) AS oldest_of_promise,
       round(max(q.age_minutes)) AS oldest_minutes
FROM {DB}.v_open_questions_since(since = $__toTime - INTERVAL {QUESTION_MARGIN_DAYS} DAY) AS q
INNER JOIN (SELECT page_id, promise_minutes FROM {DB}.pages FINAL) AS p ON p.page_id = q.page_id
WHERE q.asked_at >= $__toTime - INTERVAL 7 DAY AND q.{PAGES} AND q.{PLATFORMS}
GROUP BY page_id ORDER BY oldest_of_promise DESC""",
                    "table",
                ),
            ),
            width=8,
            description="The oldest open question's age in office minutes against the page's "
            "reply promise: amber from 80 % of it, red past it.",
            fields=(
                Field("oldest_office_minutes", "m"),
                Field("promise_minutes", "m"),
                Field("oldest_of_promise", "percentunit", AGAINST_PROMISE),
                Field("oldest_minutes", "m"),
            ),
        ),
        Panel(
            "Response time today against the promise (office minutes)",
            "table",
            (
                SqlTarget(
                    f"""
SELECT r.page_id AS page_id, count() AS answered,
       round(quantileExact(0.5)(r.office_minutes)) AS median_office_minutes,
       any(p.promise_minutes) AS promise_minutes,
       round(countIf(r.office_minutes <= p.promise_minutes) / count(), 3) AS within_promise
FROM {DB}.responses_since(since = $__toTime - INTERVAL {QUESTION_MARGIN_DAYS} DAY) AS r
INNER JOIN (SELECT page_id, promise_minutes FROM {DB}.pages FINAL) AS p ON p.page_id = r.page_id
WHERE r.is_answered AND r.replied_at <= $__toTime
  AND {DB}_local_date(r.page_id, r.replied_at) = {DB}_local_date(r.page_id, $__toTime)
  AND r.{PAGES} AND r.{PLATFORMS}
GROUP BY page_id ORDER BY page_id""",
                    "table",
                ),
            ),
            width=8,
            description="Today is each page's own calendar day (its time zone). Within the "
            "promise: red below 80 %, amber below 90 %. Answers today to questions asked "
            f"in the last {QUESTION_MARGIN_DAYS} days.",
            fields=(
                Field("median_office_minutes", "m"),
                Field("promise_minutes", "m"),
                Field("within_promise", "percentunit", WITHIN_PROMISE),
            ),
        ),
        Panel(
            "Active surge alerts",
            "table",
            (
                SqlTarget(
                    f"""
SELECT fired_at, page_id, rule, severity, round(ratio, 2) AS ratio, summary
FROM {DB}.v_alerts_firing WHERE {PAGES} AND {PLATFORMS} ORDER BY fired_at DESC""",
                    "table",
                ),
            ),
            width=8,
            description="Observed over usual: amber from 1.5x, red from 3x.",
            fields=(Field("ratio", "none", SURGE_RATIO, decimals=2),),
        ),
        Panel(
            "Top posts of the period",
            "table",
            (
                SqlTarget(
                    f"""
SELECT published_at, page_id, format, engagement, reach, engagement_rate, virality,
       substring(text, 1, 80) AS text
FROM {DB}.v_top_posts
WHERE $__timeFilter(published_at) AND {PAGES} AND {PLATFORMS}
ORDER BY engagement DESC LIMIT 10""",
                    "table",
                ),
            ),
            width=16,
            fields=(
                Field("engagement", "short"),
                Field("reach", "short"),
                Field("engagement_rate", "percentunit"),
                Field("virality", "percentunit"),
            ),
        ),
        Panel(
            "Follower change today (all selected pages)",
            "stat",
            (
                SqlTarget(
                    f"""
SELECT sum(change) AS change FROM (
    SELECT page_id, argMax(followers, day) - argMin(followers, day) AS change
    FROM {DB}.v_page_daily
    WHERE day >= {TODAY} - 1 AND day <= {TODAY} AND followers > 0
      AND {PAGES} AND {PLATFORMS}
    GROUP BY page_id)""",
                    "table",
                ),
            ),
            width=8,
            description="Since yesterday's last count, each page's own calendar day, summed "
            "over the selected pages.",
            unit="short",
            decimals=0,
            steps=((None, RED), (0, GREEN)),
            stat_sum=True,
        ),
        Panel(
            "Mentions by others (tags, @mentions, quotes, tracked terms)",
            "timeseries",
            (
                SqlTarget(f"""
SELECT $__timeInterval(hour) AS time, sum(mentions) AS "now"
FROM {DB}.v_mentions_hourly
WHERE $__timeFilter(hour) AND {PAGES} AND {PLATFORMS}
GROUP BY time ORDER BY time"""),
                _shifted("hour", "mentions", "same time last week", "7 DAY", "v_mentions_hourly"),
            ),
            description="The conversation about the organisation outside its own posts.",
            width=24,
            unit="short",
            decimals=0,
        ),
        Panel(
            "Engagement per platform",
            "timeseries",
            (
                SqlTarget(f"""
SELECT $__timeInterval(hour) AS time, toString(platform) AS platform, sum(engagement) AS engagement
FROM {DB}.v_engagement_1h
WHERE $__timeFilter(hour) AND {PAGES} AND {PLATFORMS}
GROUP BY time, platform ORDER BY time"""),
            ),
            width=24,
            unit="short",
            decimals=0,
        ),
    ),
)

ANALYST = Dashboard(
    uid="somepulse-analyst",
    title="SoMe Pulse — analyst overview",
    time_from="now-1y",
    variables=VARIABLES,
    panels=(
        Panel(
            "Measurement points per month",
            "table",
            (
                SqlTarget(
                    f"""
SELECT toString(month) AS period, page_id, posts, posts_per_day, engagement, questions, reach,
       arrayStringConcat(reach_series_set, ' + ') AS reach_series,
       followers, follower_growth, follower_growth_pct
FROM {DB}.v_page_monthly
WHERE month >= toStartOfMonth($__fromTime) AND month <= $__toTime AND {PAGES}
ORDER BY period DESC, page_id""",
                    "table",
                ),
            ),
            width=24,
        ),
        Panel(
            "League table per quarter",
            "table",
            (
                SqlTarget(
                    f"""
SELECT period, rank_score, page_id, score, grade, followers, follower_growth_pct,
       posts_per_day, engagement_rate_7d, share_of_influence, response_rate,
       median_office_minutes, dialogues, dialogues_with_page
FROM {DB}.v_league_table_since(since = toStartOfQuarter($__fromTime) - INTERVAL 1 DAY)
WHERE quarter >= toStartOfQuarter($__fromTime) AND quarter <= $__toTime
ORDER BY quarter DESC, rank_score""",
                    "table",
                ),
            ),
            width=24,
        ),
        Panel(
            "Best posts",
            "table",
            (
                SqlTarget(
                    f"""
SELECT published_at, page_id, format, engagement, reach, engagement_rate,
       engagement_rate_followers, virality, substring(text, 1, 80) AS text
FROM {DB}.v_top_posts WHERE $__timeFilter(published_at) AND {PAGES}
ORDER BY engagement DESC LIMIT 20""",
                    "table",
                ),
            ),
            width=14,
        ),
        Panel(
            "Most used words",
            "barchart",
            (
                SqlTarget(
                    f"""
SELECT word, sum(uses) AS uses FROM {DB}.v_top_words
WHERE month >= toStartOfMonth($__fromTime) AND month <= $__toTime AND {PAGES}
GROUP BY word ORDER BY uses DESC LIMIT 20""",
                    "table",
                ),
            ),
            width=10,
        ),
        Panel(
            "Campaigns: cost per contact",
            "table",
            (
                SqlTarget(
                    f"""
SELECT campaign_id, page_id, first_day, last_day, spend, currency, reach, cost_per_contact,
       cpm, ctr, cost_per_engagement
FROM {DB}.v_campaigns
WHERE last_day >= toDate($__fromTime) AND first_day <= toDate($__toTime) AND {PAGES}
ORDER BY first_day DESC""",
                    "table",
                ),
            ),
            width=24,
        ),
        Panel(
            "Response time per month (median office minutes)",
            "timeseries",
            (
                SqlTarget(f"""
SELECT toDateTime(period_start) AS time, page_id, median_office_minutes
FROM {DB}.v_response_periods_since(since = toStartOfMonth($__fromTime) - INTERVAL 1 DAY)
WHERE grain = 'month' AND period_start >= toStartOfMonth($__fromTime)
  AND period_start <= $__toTime AND {PAGES}
ORDER BY time"""),
            ),
            width=24,
        ),
    ),
)

HEALTH = Dashboard(
    uid="somepulse-health",
    title="SoMe Pulse — service health",
    refresh="30s",
    time_from="now-6h",
    panels=(
        Panel(
            "Worker up",
            "stat",
            (PromTarget('sum(up{job="somepulse-worker"}) or vector(0)', "workers up"),),
            width=4,
            height=4,
            description="Workers Prometheus scrapes and that answer. 0: no surge alerts.",
            steps=((None, RED), (1, GREEN)),
            decimals=0,
        ),
        Panel(
            "SoMe Pulse's own alerts firing",
            "stat",
            (
                PromTarget(
                    'count(ALERTS{team="somepulse", alertstate="firing", '
                    'alertname!="SomePulseWatchdog"}) or vector(0)',
                    "firing",
                ),
            ),
            width=4,
            height=4,
            description="Prometheus's self-monitoring rules (deploy/prometheus/rules): worker "
            "down, lag, dead letters, no inserts, detector not deciding, delivery failing.",
            steps=((None, GREEN), (1, RED)),
            decimals=0,
        ),
        Panel(
            "Detector decisions per minute",
            "stat",
            (
                PromTarget(
                    "sum(rate(somepulse_detector_decisions_total[$__rate_interval])) * 60",
                    "decisions",
                ),
            ),
            width=4,
            height=4,
            description="0 while events arrive: the detector cannot page "
            "(SomePulseDetectorNotDeciding).",
            steps=((None, RED), (0.001, GREEN)),
            decimals=1,
        ),
        Panel(
            "Alert delivery",
            "timeseries",
            (
                PromTarget(
                    "sum(increase(somepulse_alertmanager_delivery_failures_total[5m]))",
                    "worker -> Alertmanager failed posts",
                ),
                PromTarget("sum(somepulse_alertmanager_pending_alerts)", "waiting"),
                PromTarget(
                    "sum by (integration) (increase(alertmanager_notifications_failed_total[5m]))",
                    "Alertmanager -> {{integration}} failed",
                ),
            ),
            width=12,
            height=4,
            unit="short",
            steps=((None, GREEN), (1, RED)),
        ),
        Panel(
            "Worker memory",
            "timeseries",
            (
                PromTarget(
                    'process_resident_memory_bytes{job="somepulse-worker"}', "RSS {{instance}}"
                ),
            ),
            width=12,
            unit="bytes",
        ),
        Panel(
            "Worker CPU (cores)",
            "timeseries",
            (
                PromTarget(
                    'rate(process_cpu_seconds_total{job="somepulse-worker"}[$__rate_interval])',
                    "{{instance}}",
                ),
            ),
            width=6,
            unit="short",
        ),
        Panel(
            "Running release",
            "table",
            (PromTarget("somepulse_build_info", ""),),
            width=6,
            description="Version, Python and component of every scraped SoMe Pulse process.",
        ),
        Panel(
            "Sources per page: is data still arriving?",
            "table",
            (
                SqlTarget(
                    f"""
SELECT h.page_id AS page_id, h.platform AS platform, h.source AS source,
       h.last_event_at AS last_event_at, h.last_stored_at AS last_stored_at,
       h.last_fetch_at AS last_fetch_at, h.events_24h AS events_24h,
       if(h.source = 'people', s.expected_events, NULL) AS expected_while_silent
FROM {DB}.v_source_health AS h
LEFT JOIN {DB}.v_source_silence AS s ON s.page_id = h.page_id
ORDER BY page_id, source""",
                    "table",
                ),
            ),
            description="expected_while_silent: the events the page's usual traffic at these "
            "hours of the week would have brought since its last one; 8 or more and none seen "
            "means a broken token or a lost webhook subscription, not a quiet day.",
            width=24,
        ),
        Panel(
            "Collectors: what they last said",
            "table",
            (
                SqlTarget(
                    f"""
SELECT page_id, collector, state, detail, state_since, last_heard_at, next_within
FROM {DB}.v_source_status
WHERE minutes_since_heard < 7 * 24 * 60
ORDER BY state = 'up', page_id, collector""",
                    "table",
                ),
            ),
            description="source_status events: up (reading; a heartbeat every 5 minutes), "
            "limited (waiting out a rate limit or quota), down (failing, retrying by itself), "
            "broken (a person must act: a token, password or permission). Not up first.",
            width=24,
        ),
        Panel(
            "Events in/out per second",
            "timeseries",
            (
                PromTarget("sum(rate(somepulse_events_consumed_total[1m]))", "consumed"),
                PromTarget(
                    "sum by (topic) (rate(somepulse_events_produced_total[1m]))",
                    "produced {{topic}}",
                ),
            ),
            unit="ops",
        ),
        Panel(
            "Dead letters by reason",
            "timeseries",
            (
                PromTarget(
                    "sum by (reason) (increase(somepulse_dead_letters_total[5m]))", "{{reason}}"
                ),
            ),
            unit="short",
        ),
        Panel(
            "Consumer lag per partition",
            "timeseries",
            (PromTarget("somepulse_consumer_lag_messages", "partition {{partition}}"),),
            unit="short",
        ),
        Panel(
            "Insert latency p50 / p99",
            "timeseries",
            (
                PromTarget(
                    "histogram_quantile(0.5, sum by (le) "
                    "(rate(somepulse_insert_latency_seconds_bucket[5m])))",
                    "p50",
                ),
                PromTarget(
                    "histogram_quantile(0.99, sum by (le) "
                    "(rate(somepulse_insert_latency_seconds_bucket[5m])))",
                    "p99",
                ),
            ),
            unit="s",
        ),
        Panel(
            "End-to-end latency p99 (event time to stored)",
            "timeseries",
            (
                PromTarget(
                    "histogram_quantile(0.99, sum by (le) "
                    "(rate(somepulse_end_to_end_latency_seconds_bucket[5m])))",
                    "p99",
                ),
            ),
            unit="s",
        ),
        Panel(
            "Detector: firing alerts and open questions",
            "timeseries",
            (
                PromTarget("sum by (page) (somepulse_alert_firing)", "alerts {{page}}"),
                PromTarget("somepulse_open_questions", "open questions {{page}}"),
            ),
        ),
    ),
)

RUNBOOK = Dashboard(
    uid=RUNBOOK_UID,
    title="SoMe Pulse — on-call runbook",
    panels=(
        Text("How to use this runbook", INTRO, height=5),
        *(Text(e.title, e.text) for e in ENTRIES),
    ),
    tags=("somepulse", "runbook"),
)

BOARDS = (DUTY, ANALYST, HEALTH, RUNBOOK)
