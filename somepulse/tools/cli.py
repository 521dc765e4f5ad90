"""SoMe Pulse: streaming metrics for public-sector social media teams: questions,
reach and engagement per page, surge alerts for on-call, SQL for analysts."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console

from somepulse import __version__
from somepulse.settings import Settings, markdown_table
from somepulse.tools.output import error, print_rows

DEMO_START, DEMO_END = date(2019, 2, 1), date(2020, 4, 30)

# exit codes a script can tell apart (sysexits' spirit, argparse's 2 for usage)
OK, FAILED, USAGE, UNAVAILABLE = 0, 1, 2, 3
EPILOG = """\
examples:
  somepulse demo                                  the March 2020 scenario, embedded
  somepulse sql "SELECT * FROM somepulse.v_page_monthly LIMIT 5" --format csv
  somepulse alerts --format json                  firing and recent surge alerts
  somepulse backtest history.jsonl --truth planted.json

exit codes: 0 done, 1 failed (the message says why), 2 usage or configuration error
(a bad option, a missing file, a bad SOMEPULSE_* value), 3 a service it needs is not
reachable (Kafka, ClickHouse). Errors go to stderr, results to stdout.
Configuration: SOMEPULSE_* environment variables (`somepulse config` lists them).
"""


class Unavailable(Exception):
    """A service the command needs cannot be reached (exit 3)."""


def existing_file(text: str) -> Path:
    """argparse type: a file that exists, checked before anything is connected to."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    return path


def quarter(text: str) -> str:
    """argparse type: a quarter as the reports name it (2020Q1)."""
    from somepulse.tools.report import PERIOD

    if not PERIOD.match(text):
        raise argparse.ArgumentTypeError(f"a quarter looks like 2020Q1, not {text!r}")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="somepulse",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"somepulse {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo", help="broker + worker + scenario replay, then the March 2020 table"
    )
    _scenario_args(demo, DEMO_START, DEMO_END)
    demo.add_argument(
        "--seconds",
        type=float,
        default=100.0,
        help="wall time the replay should take (default 100)",
    )

    sub.add_parser("worker", help="run the Faust worker (starts an embedded broker if none set)")

    collect = sub.add_parser("collect", help="publish events")
    csub = collect.add_subparsers(dest="source", required=True)
    scen = csub.add_parser("scenario", help="the synthetic scenario (with ground truth)")
    _scenario_args(scen, DEMO_START, DEMO_END)
    pace = scen.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed",
        type=float,
        default=None,
        help="simulated seconds per wall second (default: as fast as possible)",
    )
    pace.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="spread the whole replay over this many wall seconds",
    )
    scen.add_argument(
        "--live",
        action="store_true",
        help="live mode: start today, stamp events with now (speed default 1)",
    )
    scen.add_argument(
        "--truth",
        type=Path,
        default=None,
        help="write ground truth JSON here (default data_dir/ground_truth.json)",
    )
    jsonl = csub.add_parser("jsonl", help="replay a recorded JSONL file")
    jsonl.add_argument("path", type=existing_file, help="events, one JSON object (or array) a line")
    jsonl.add_argument(
        "--from-start",
        action="store_true",
        help="send the whole file again (default: resume after the last line the broker "
        "acknowledged in an earlier run of the same file)",
    )
    jsonl.add_argument(
        "--no-resume", action="store_true", help="neither resume nor record progress"
    )
    hooks = csub.add_parser(
        "webhooks", help="receive Meta webhooks (Facebook page feed, Instagram, Messenger)"
    )
    hooks.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    hooks.add_argument("--port", type=int, default=8088, help="listen port (default 8088)")
    hooks.add_argument(
        "--workers", type=int, default=1, help="receiver processes sharing the port (one core each)"
    )
    youtube = csub.add_parser("youtube", help="a channel's videos, comments and statistics")
    youtube.add_argument("--page", required=True, help="the page (its channel is in pages.toml)")
    youtube.add_argument(
        "--runs-per-day", type=int, default=24, help="how often it runs: its share of the quota"
    )
    youtube.add_argument("--videos", type=int, default=10, help="recent uploads to follow")
    imports = csub.add_parser(
        "import", help="exports teams download: X, LinkedIn (as CSV), YouTube Studio"
    )
    imports.add_argument("--page", required=True, help="the page the files are about")
    imports.add_argument(
        "files", nargs="+", type=existing_file, help="the downloaded CSV or JSON export files"
    )
    bsky = csub.add_parser("bluesky", help="a page's Bluesky posts, replies, likes, reposts")
    bsky.add_argument("--page", required=True, help="the page (its DID is in pages.toml)")
    bsky.add_argument("--once", action="store_true", help="catch up on notifications, stop")
    masto = csub.add_parser("mastodon", help="the account's Mastodon stream, with back-fill")
    masto.add_argument("--instance", required=True, help="e.g. https://social.example.no")
    masto.add_argument("--once", action="store_true", help="back-fill what is new, then stop")
    backfill = csub.add_parser(
        "meta-backfill", help="publish the posts, comments and messages webhooks missed"
    )
    backfill.add_argument("--page", action="append", default=[], help="only this page (repeat)")
    backfill.add_argument(
        "--since", type=date.fromisoformat, default=None, help="first day (default: four days back)"
    )
    backfill.add_argument(
        "--until", type=date.fromisoformat, default=None, help="day after the last (tomorrow)"
    )
    backfill.add_argument(
        "--every",
        type=float,
        default=None,
        help="scheduled mode: reconcile the last four days every this many hours, forever",
    )
    insights = csub.add_parser(
        "meta-insights", help="poll Facebook page and post insights as metric snapshots"
    )
    insights.add_argument("--page", action="append", default=[], help="only this page (repeat)")
    insights.add_argument(
        "--since", type=date.fromisoformat, default=None, help="first day (default 3 days ago)"
    )
    insights.add_argument(
        "--until", type=date.fromisoformat, default=None, help="day after the last (today)"
    )

    sql = sub.add_parser("sql", help="run a read-only query (through the worker if one runs)")
    sql.add_argument("query", nargs="?", default=None, help="SQL; omitted: list tables and views")
    sql.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output (default table)"
    )

    report = sub.add_parser("report", help="a quarter's league table and measurement points")
    report.add_argument("--period", required=True, type=quarter, help="quarter, e.g. 2020Q1")
    report.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="stdout: tables (default), or the league table as CSV or JSON",
    )
    report.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="CSV path (default data_dir/reports/league_<period>.csv)",
    )

    grafana = sub.add_parser("grafana", help="dashboards and alert rules as code")
    gsub = grafana.add_subparsers(dest="action", required=True)
    gbuild = gsub.add_parser("build", help="write dashboards and alert rules as files")
    gbuild.add_argument(
        "--out",
        type=Path,
        default=Path("deploy") / "grafana",
        help="Grafana's deploy folder: dashboards/ and provisioning/alerting/ (default "
        "./deploy/grafana)",
    )
    gbuild.add_argument(
        "--alertmanager-url",
        default=None,
        help="default: SOMEPULSE_ALERTMANAGER_URL, else http://alertmanager:9093",
    )
    gpush = gsub.add_parser("push", help="upload them to a running Grafana (idempotent)")
    gpush.add_argument("--url", required=True, help="e.g. https://grafana.example.org")
    gpush.add_argument(
        "--insecure",
        action="store_true",
        help="allow http:// to a remote Grafana, or verify=false in --url",
    )
    gpush.add_argument(
        "--alertmanager-url",
        default=None,
        help="default: SOMEPULSE_ALERTMANAGER_URL, else http://alertmanager:9093",
    )

    board = sub.add_parser("board", help="render the duty board's main panels to a PNG")
    board.add_argument(
        "--png", type=Path, default=Path("board.png"), help="output file (default board.png)"
    )
    board.add_argument("--at", default=None, help="end of the window, UTC (default: newest)")
    board.add_argument("--hours", type=int, default=72, help="window length (default 72)")

    alerts = sub.add_parser("alerts", help="firing and recent surge alerts (from ClickHouse)")
    alerts.add_argument("--limit", type=int, default=20, help="recent alerts to list (default 20)")
    alerts.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output (default table)"
    )

    bench = sub.add_parser("bench", help="pipeline benchmark: events/s and latency to queryable")
    bench.add_argument(
        "--events",
        type=int,
        default=600_000,
        help="events in the throughput run (default 600k: twenty months of seven pages; "
        "more makes the same pages busier)",
    )
    bench.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="N",
        help="store N copies of the run's events (moved back in time) before it starts: "
        "the worker's memory against what ClickHouse holds",
    )
    bench.add_argument("--rate", type=int, default=5_000, help="steady rate for the latency run")
    bench.add_argument(
        "--bootstrap",
        default=None,
        metavar="HOST:PORT",
        help="a running Apache Kafka instead of the embedded broker (SASL from the "
        "SOMEPULSE_KAFKA_* settings); the bench uses a topic and group of its own",
    )
    bench.add_argument(
        "--latency-seconds", type=float, default=20.0, help="length of the latency run"
    )
    bench.add_argument(
        "--webhooks",
        action="store_true",
        help="instead: the Meta webhook receiver's deliveries/s and latency",
    )
    bench.add_argument("--seconds", type=float, default=20.0, help="webhook load duration")
    bench.add_argument("--workers", type=int, default=2, help="webhook receiver processes")
    bench.add_argument(
        "--alerts",
        action="store_true",
        help="instead: the surge detector over the unkind scenario (false pages, delays)",
    )
    bench.add_argument(
        "--store",
        action="store_true",
        help="instead: what the embedded store alone takes (the run's rows, no broker, "
        "no worker): the ceiling of any worker here",
    )
    bench.add_argument(
        "--bound",
        action="store_true",
        help="instead: how soon an oracle that knows each page's usual questions could "
        "page the unkind scenario's surges (--seeds), per false-page budget",
    )
    bench.add_argument("--quiet-runs", type=int, default=200,
                       help="--bound: quiet runs to learn and calibrate on")  # fmt: skip
    bench.add_argument("--budget", type=float, nargs="+", default=[1.0, 0.25],
                       help="--bound: false pages a quarter allowed")  # fmt: skip
    bench.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3],
                       help="scenario seeds for --alerts")  # fmt: skip
    bench.add_argument(
        "--json", type=Path, default=None, help="--alerts, --bound: write the figures here"
    )

    backtest = sub.add_parser(
        "backtest", help="the worker's surge detector over a recorded JSONL file, scored"
    )
    backtest.add_argument(
        "path", type=existing_file, help="events, one JSON object (or array) a line"
    )
    backtest.add_argument("--truth", type=existing_file, default=None,
                          help="planted episodes to score against (JSON)")  # fmt: skip
    backtest.add_argument("--json", type=Path, default=None,
                          help="write the transitions (and the score) here")  # fmt: skip

    sub.add_parser("config", help="print every SOMEPULSE_* setting as a Markdown table")
    from somepulse.tools.questions import add_parser as add_questions_parser
    from somepulse.tools.subject import add_parsers

    add_parsers(sub)
    add_questions_parser(sub)
    return parser


def _scenario_args(parser: argparse.ArgumentParser, start: date, end: date) -> None:
    parser.add_argument(
        "--start", type=date.fromisoformat, default=start, help=f"first day (default {start})"
    )
    parser.add_argument(
        "--end", type=date.fromisoformat, default=end, help=f"last day (default {end})"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier (default 1)")
    parser.add_argument(
        "--seed", type=int, default=2020, help="random seed: same seed, same events (2020)"
    )


SECRET_WORDS = ("password", "token", "secret", "key")


def settings_errors(exc: ValidationError) -> list[str]:
    """Each invalid setting as one line naming its variable and what is allowed (never
    echoing a secret's value)."""
    lines = []
    for problem in exc.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        if not field:  # a rule across settings: its message names them
            lines.append(str(problem["msg"]))
            continue
        got = "" if any(w in field for w in SECRET_WORDS) else f" (got {problem['input']!r})"
        lines.append(f"SOMEPULSE_{field.upper()}: {problem['msg'].lower()}{got}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings()
    except ValidationError as exc:
        for line in settings_errors(exc):
            error(line)
        return USAGE
    console = Console()
    from somepulse.collectors.run import Interrupted

    try:
        code = _dispatch(args, settings, console)
        sys.stdout.flush()  # here, where a reader that went away is handled
        return code
    except (KeyboardInterrupt, Interrupted):
        Console(stderr=True).print("\n[yellow]interrupted; everything stopped[/]")
        return 130
    except BrokenPipeError:
        # the reader went away (``somepulse sql … | head``): what it read was written,
        # the rest is not wanted. Point stdout at nothing, so the interpreter's flush at
        # exit does not fail a second time (Python's documented recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK


def _dispatch(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from somepulse.privacy.keys import KeyFileError
    from somepulse.service.worker import WorkerConfigError
    from somepulse.store import SchemaMissing, StoreError
    from somepulse.tools.sql import QueryError
    from somepulse.tools.stack import StackError

    try:
        if args.command == "demo":
            from somepulse.tools.demo import run_demo

            run_demo(settings, args.start, args.end, args.seconds, args.scale, args.seed, console)
        elif args.command == "worker":
            from somepulse.service.worker import run_worker

            run_worker(settings)
        elif args.command == "collect":
            return _collect(args, settings, console)
        elif args.command == "sql":
            return _sql(args, settings, console)
        elif args.command == "report":
            from somepulse.tools.report import run_report

            return run_report(settings, args.period, args.csv, console, args.format)
        elif args.command == "grafana" and args.action == "push":
            from somepulse.alerts.detector import load_alert_config
            from somepulse.dashboards.push import check_url, push

            check_url(args.url, insecure=args.insecure)
            token = settings.grafana_api_token()
            report = push(
                args.url,
                token,
                _alertmanager_url(args, settings),
                settings.clickhouse_database,
                load_alert_config(settings.config_file("alerts.toml")),
                settings.board_url,
            )
            console.print(f"created: {', '.join(report.created) or 'nothing'}")
            console.print(f"updated: {', '.join(report.updated)}")
        elif args.command == "grafana":
            from somepulse.alerts import grafana_rules as alert_rules
            from somepulse.alerts.detector import load_alert_config
            from somepulse.dashboards.build import build

            db = settings.clickhouse_database
            for path in build(args.out / "dashboards", db=db):
                console.print(f"wrote {path}")
            rules = args.out / alert_rules.OUT.relative_to(Path("deploy") / "grafana")
            rules.parent.mkdir(parents=True, exist_ok=True)
            config = load_alert_config(settings.config_file("alerts.toml"))
            rules.write_text(
                alert_rules.render(
                    config, db, _alertmanager_url(args, settings), settings.board_url
                )
            )
            console.print(f"wrote {rules}")
        elif args.command == "board":
            from somepulse.tools.board_png import parse_at, render_board

            path = render_board(settings, args.png, parse_at(args.at), args.hours)
            console.print(f"wrote {path}")
        elif args.command == "alerts":
            return _alerts(args, settings, console)
        elif args.command == "backtest":
            from somepulse.alerts.detector import load_alert_config
            from somepulse.domain.pages import load_pages
            from somepulse.tools.backtest import run_backtest

            return run_backtest(
                load_alert_config(settings.config_file("alerts.toml")),
                load_pages(settings.config_file("pages.toml")),
                args.path, args.truth, args.json, console,
            )  # fmt: skip
        elif args.command == "bench" and args.alerts:
            from somepulse.alerts.detector import load_alert_config
            from somepulse.tools.backtest import run_alert_bench

            config = load_alert_config(settings.config_file("alerts.toml"))
            run_alert_bench(config, args.seeds, console, args.json)
        elif args.command == "bench" and args.bound:
            from somepulse.tools.detection_bound import run_bound

            run_bound(args.seeds, args.quiet_runs, args.budget, console, args.json)
        elif args.command == "bench" and args.store:
            from somepulse.tools.bench_store import run_store_bench

            run_store_bench(settings, args.events, console)
        elif args.command == "bench" and args.webhooks:
            from somepulse.tools.bench_webhooks import run_webhook_bench

            run_webhook_bench(settings, args.seconds, workers=args.workers, console=console)
        elif args.command == "bench":
            from somepulse.tools.bench import run_bench

            run_bench(
                settings,
                args.events,
                args.rate,
                args.latency_seconds,
                console,
                args.bootstrap,
                args.history,
            )
        elif args.command in ("erase", "subject-export", "keys"):
            from somepulse.tools.subject import run_subject_command

            return run_subject_command(args, settings, console)
        elif args.command == "questions":
            from somepulse.tools.questions import run as run_questions

            return run_questions(args, settings, console)
        elif args.command == "config":
            print(markdown_table())
    except Unavailable as exc:
        error(exc)
        return UNAVAILABLE
    except (
        StackError,
        QueryError,
        StoreError,
        SchemaMissing,
        WorkerConfigError,
        KeyFileError,
        ValueError,
    ) as exc:
        error(exc)
        return FAILED
    return OK


def _alertmanager_url(args: argparse.Namespace, settings: Settings) -> str:
    given = getattr(args, "alertmanager_url", None)
    return str(given or settings.alertmanager_url or "http://alertmanager:9093")


def bootstrap(settings: Settings) -> str:
    from somepulse.service.worker import read_worker_file

    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    info = read_worker_file(settings.worker_file)
    if info is None:
        raise Unavailable(
            "no broker: start `somepulse worker` (it starts the embedded broker) "
            "or set SOMEPULSE_KAFKA_BOOTSTRAP"
        )
    return str(info["bootstrap"])


def _collect(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from somepulse.collectors.publisher import BrokerUnavailable, KafkaPublisher

    if args.source == "youtube":
        from somepulse.collectors.youtube.run import run_youtube

        return asyncio.run(
            run_youtube(settings, bootstrap(settings), args.page, args.runs_per_day, args.videos,
                        console.print)
        )  # fmt: skip
    if args.source == "import":
        from somepulse.collectors.exports.run import run_import

        return asyncio.run(
            run_import(settings, bootstrap(settings), args.page, args.files, console)
        )
    if args.source == "bluesky":
        from somepulse.collectors.bluesky.run import run_bluesky

        return asyncio.run(
            run_bluesky(settings, bootstrap(settings), args.page, args.once, console.print)
        )
    if args.source == "mastodon":
        from somepulse.collectors.mastodon.run import run_mastodon

        return asyncio.run(
            run_mastodon(settings, bootstrap(settings), args.instance, args.once, console.print)
        )
    if args.source == "meta-backfill":
        from somepulse.collectors.meta.run import run_backfill

        while True:
            until = args.until or date.today() + timedelta(days=1)
            code = asyncio.run(
                run_backfill(
                    settings,
                    bootstrap(settings),
                    args.page,
                    args.since or until - timedelta(days=4),
                    until,
                    console.print,
                    None if args.every is None else int(args.every * 3600),
                )
            )
            if args.every is None:
                return code
            # a run right at start is the reconciliation after a restart; then on schedule
            time.sleep(args.every * 3600)
    if args.source == "meta-insights":
        from somepulse.collectors.meta.run import run_insights

        until = args.until or date.today()
        return asyncio.run(
            run_insights(
                settings,
                bootstrap(settings),
                args.page,
                args.since or until - timedelta(days=3),
                until,
                console.print,
            )
        )
    if args.source == "webhooks":
        from somepulse.collectors.meta.run import run_receivers

        run_receivers(
            settings, bootstrap(settings), args.host, args.port, args.workers, console.print
        )
        return 0

    publisher = KafkaPublisher.from_settings(
        settings,
        bootstrap(settings),
        on_retry=lambda msg: console.print(f"[yellow]{msg}[/]"),
        metrics=_collector_metrics(settings),
    )
    try:
        if args.source == "jsonl":
            from somepulse.collectors.replay import replay_file

            checkpoint = None
            if not args.no_resume:
                from somepulse.collectors.replay import Checkpoint

                state_dir = settings.data_dir / "collectors"
                checkpoint = Checkpoint.for_file(state_dir, args.path)
                if args.from_start:
                    checkpoint.path.unlink(missing_ok=True)

            async def go_jsonl() -> None:
                async with publisher:
                    report = await replay_file(args.path, publisher, checkpoint)
                console.print(report.summary())

            asyncio.run(go_jsonl())
        else:
            _collect_scenario(args, settings, publisher, console)
    except BrokerUnavailable as exc:
        raise Unavailable(str(exc)) from exc
    console.print(publisher.report.summary())
    return 0


def _collector_metrics(settings: Settings) -> Any:
    from somepulse.telemetry import CollectorMetrics

    return CollectorMetrics().served(settings)


def _collect_scenario(
    args: argparse.Namespace, settings: Settings, publisher: object, console: Console
) -> None:
    from somepulse.collectors.publisher import KafkaPublisher
    from somepulse.collectors.run import replay_scenario, run_live, stop_on_signals
    from somepulse.collectors.scenario.generator import ScenarioGenerator

    assert isinstance(publisher, KafkaPublisher)
    start, end = args.start, args.end
    if args.live:
        start = date.today()
        end = max(end, start) if args.end != DEMO_END else start
    gen = ScenarioGenerator(start, end, seed=args.seed, scale=args.scale)
    speed = args.speed
    if args.seconds:
        speed = ((end - start).days + 1) * 86_400 / args.seconds

    def on_day(day: date, report: object) -> None:
        console.print(f"{day}  {publisher.report.events:>10,} events", end="\r")

    async def go() -> None:
        async with publisher:
            with stop_on_signals() as stop:
                if args.live:
                    await run_live(gen, publisher, speed=speed or 1.0, on_day=on_day, stop=stop)
                else:
                    await replay_scenario(gen, publisher, speed=speed, on_day=on_day, stop=stop)

    truth = args.truth or settings.data_dir / "ground_truth.json"
    try:
        asyncio.run(go())
    finally:  # what was published, also when interrupted
        gen.truth.write(truth)
        console.print(f"\nground truth: {truth}")


def _sql(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from somepulse.tools.sql import run_sql

    query = args.query or (
        "SELECT name, engine, comment FROM system.tables "
        f"WHERE database = '{settings.clickhouse_database}' ORDER BY name"
    )
    print_rows(run_sql(settings, query), args.format, console)
    return OK


def _alerts(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from somepulse.tools.sql import run_sql

    db = settings.clickhouse_database
    # one shape for both lists, so CSV and JSON are one table a script can filter
    columns = (
        "toString({at}) AS at, {state} AS state, page_id, toString(platform) AS platform, "
        "rule, toString(severity) AS severity, round(ratio, 2) AS ratio, summary"
    )
    firing = run_sql(
        settings,
        f"SELECT 'firing now' AS list, {columns.format(at='fired_at', state=repr('firing'))} "
        f"FROM {db}.v_alerts_firing ORDER BY fired_at DESC",
    )
    recent = run_sql(
        settings,
        f"SELECT 'recent' AS list, {columns.format(at='at', state='toString(state)')} "
        f"FROM {db}.alerts FINAL ORDER BY at DESC, state LIMIT {int(args.limit)}",
    )
    if args.format != "table":
        print_rows(firing + recent, args.format, console)
        return OK
    for title, rows in ((f"Firing now ({len(firing)})", firing), ("Recent alerts", recent)):
        print_rows([{k: v for k, v in r.items() if k != "list"} for r in rows], "table",
                   console, title)  # fmt: skip
    return OK


if __name__ == "__main__":
    sys.exit(main())
