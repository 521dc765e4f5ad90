"""``somepulse bench --bound``: how soon could any test on a page's question counts
page the unkind scenario's planted surges, at a given false-page budget?

An *oracle* is given what no detector has: the page's usual count at every hour of the
17 months and its spread, learnt from quiet runs of the same page (no planted surge, no
viral post, no outage; the trend, season, holidays and posting rhythm are the same in
every run, the draws of people and posts are not). Its tests:

* a z-test of the last ``w`` hours' questions against that usual count and spread
  (w = 6, 12, 24), paging after ``hold`` consecutive hours over its threshold;
* CUSUM for the planted rise, with the rise's size known: the sequential test that is
  optimal for a known shift in independent counts.

Each threshold is set on other quiet runs so that the test pages at most ``budget``
times a quarter there (once at most in two days). Then it runs over the planted seeds
and reports each questions surge's delay from its start. Questions are the generator's
own labels (the truth, not the classifier's reading). This bounds what a test on the
counts can do knowing "usual" perfectly; the worker's detector learns usual from the
page's own past, with viral posts and outages in it.
"""

from __future__ import annotations

import multiprocessing
import statistics
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from somepulse.alerts.scoring import QUARTER_DAYS
from somepulse.collectors.scenario.unkind import END, PAGES, START, UnkindPage, UnkindScenario

WINDOWS = (6, 12, 24)  # hours
HOLDS = (1, 2)
GAP_HOURS = 48  # a test over its threshold for days pages once in two days
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


@dataclass(frozen=True)
class Planted:
    start: float  # hours since the series' first hour
    end: float
    factor: float


def _origin(scenario: UnkindScenario) -> datetime:
    return datetime.combine(scenario.start, datetime.min.time(), UTC) - timedelta(days=1)


def hourly_questions(seed: int, page_id: str, quiet: bool) -> tuple[FloatArray, list[Planted]]:
    """The page's questions per UTC hour (comments and messages the generator made
    questions), and its planted questions surges."""
    page = next(p for p in PAGES if p.page_id == page_id)
    scenario = UnkindScenario(seed, pages=(page,), quiet=quiet)
    origin = _origin(scenario)
    counts = np.zeros(((scenario.end - scenario.start).days + 3) * 24)
    for event in scenario.events():
        if event.get("is_question") and (
            event["kind"] == "interaction" or event.get("direction") == "in"
        ):
            at = datetime.fromisoformat(event["occurred_at"])
            counts[int((at - origin).total_seconds() // 3600)] += 1
    planted = [
        Planted(
            (e.start - origin).total_seconds() / 3600,
            (e.end - origin).total_seconds() / 3600,
            e.factor,
        )
        for e in scenario.plan.episodes
        if "questions" in e.what.split("+")
    ]
    return counts, planted


def window_sums(counts: FloatArray, hours: int) -> FloatArray:
    """Each hour's sum over the ``hours`` hours ending with it (rows: runs)."""
    total = np.cumsum(np.pad(counts, ((0, 0), (hours, 0))), axis=1)
    return np.asarray(total[:, hours:] - total[:, :-hours], dtype=np.float64)


def cusum(counts: FloatArray, usual: FloatArray, factor: float) -> FloatArray:
    """Page's CUSUM for a rise to ``factor`` times ``usual`` (Poisson log-likelihood
    ratio per hour, reset at zero)."""
    step = counts * np.log(factor) - (factor - 1) * np.maximum(usual, 1e-3)
    out = np.zeros_like(counts)
    for hour in range(1, counts.shape[1]):
        out[:, hour] = np.maximum(0.0, out[:, hour - 1] + step[:, hour])
    return out


def held(statistic: FloatArray, threshold: float, hold: int) -> BoolArray:
    """Whether the statistic was at or over the threshold for ``hold`` hours running."""
    over = statistic >= threshold
    run = over.copy()
    for back in range(1, hold):
        run[:, back:] &= over[:, :-back]
        run[:, :back] = False
    return run


def pages(fires: BoolArray, gap: int = GAP_HOURS) -> list[int]:
    """The hours a test pages: its first firing hour, then the first after ``gap``
    hours without a page."""
    out: list[int] = []
    for hour in np.flatnonzero(fires):
        if not out or hour - out[-1] >= gap:
            out.append(int(hour))
    return out


def false_per_quarter(fires: BoolArray, days: float) -> float:
    """Pages a quarter, mean over quiet runs (``fires``: rows)."""
    return sum(len(pages(row)) for row in fires) / len(fires) / (days / QUARTER_DAYS)


def calibrate(statistic: FloatArray, hold: int, budget: float, days: float) -> float:
    """The lowest threshold at which the test pages at most ``budget`` times a quarter
    on the quiet runs."""
    low, high = float(np.min(statistic)), float(np.max(statistic)) + 1.0
    for _ in range(50):
        middle = (low + high) / 2
        if false_per_quarter(held(statistic, middle, hold), days) > budget:
            low = middle
        else:
            high = middle
    return high


def delay(fires: Sequence[bool], planted: Planted) -> float | None:
    """Hours from the surge's start to the end of the first hour it was paged in (a
    decision is made when its hour ends), or None when it never was."""
    first = int(planted.start)
    for hour in range(first, min(int(np.ceil(planted.end)), len(fires))):
        if fires[hour]:
            return hour + 1 - planted.start
    return None


@dataclass(frozen=True)
class Bound:
    test: str
    budget: float
    threshold: float
    delays: dict[float, list[float | None]]  # planted factor -> each surge's delay


def bounds(
    learn: FloatArray,
    calibrate_on: FloatArray,
    planted: list[tuple[FloatArray, list[Planted]]],
    budgets: Sequence[float],
    days: float,
) -> list[Bound]:
    """Every test's threshold per budget, and its delays on the planted runs."""
    usual = learn.mean(axis=0)
    runs = np.array([counts for counts, _ in planted])
    factors = sorted({p.factor for _, surges in planted for p in surges}, reverse=True)
    tests: list[tuple[str, FloatArray, FloatArray, int]] = []
    for hours in WINDOWS:
        sums = window_sums(learn, hours)
        mean, spread = sums.mean(axis=0), sums.std(axis=0) + 1e-9
        quiet_z = (window_sums(calibrate_on, hours) - mean) / spread
        run_z = (window_sums(runs, hours) - mean) / spread
        for hold in HOLDS:
            tests.append((f"{hours} h z-test, hold {hold} h", quiet_z, run_z, hold))
    for factor in factors:
        tests.append(
            (
                f"CUSUM for x{factor:g}",
                cusum(calibrate_on, usual[None, :], factor),
                cusum(runs, usual[None, :], factor),
                1,
            )
        )
    out = []
    for budget in budgets:
        for name, quiet_stat, run_stat, hold in tests:
            threshold = calibrate(quiet_stat, hold, budget, days)
            fires = held(run_stat, threshold, hold)
            found: dict[float, list[float | None]] = {f: [] for f in factors}
            for row, (_, surges) in zip(fires, planted, strict=True):
                for surge in surges:
                    found[surge.factor].append(delay(list(row), surge))
            out.append(Bound(name, budget, threshold, found))
    return out


def surge_pages() -> list[UnkindPage]:
    planted = {e.page_id for e in UnkindScenario(1).plan.episodes if "questions" in e.what}
    return [p for p in PAGES if p.page_id in planted]


def run_bound(
    seeds: Sequence[int],
    quiet_runs: int,
    budgets: Sequence[float],
    console: Console,
    json_path: Path | None = None,
) -> dict[str, Any]:
    """The bound for every page with a planted questions surge: half of ``quiet_runs``
    teach the oracle usual, the other half set its thresholds."""
    days = (END - START).days + 1
    jobs = [
        (seed, page.page_id, quiet)
        for page in surge_pages()
        for seed, quiet in [(s, False) for s in seeds]
        + [(1_000 + k, True) for k in range(quiet_runs)]
    ]
    results: dict[tuple[int, str, bool], tuple[FloatArray, list[Planted]]] = {}
    spawn = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(mp_context=spawn) as pool,
        Progress(console=console, transient=True) as progress,
    ):
        task = progress.add_task("generating the pages' questions", total=len(jobs))
        columns = zip(*jobs, strict=True)
        for job, result in zip(
            jobs, pool.map(hourly_questions, *columns, chunksize=4), strict=True
        ):
            results[job] = result
            progress.advance(task)
    report: dict[str, Any] = {"seeds": list(seeds), "quiet_runs": quiet_runs, "pages": {}}
    for page in surge_pages():
        quiet = np.array([results[(1_000 + k, page.page_id, True)][0] for k in range(quiet_runs)])
        learn, calibrate_on = quiet[: quiet_runs // 2], quiet[quiet_runs // 2 :]
        planted = [results[(s, page.page_id, False)] for s in seeds]
        found = bounds(learn, calibrate_on, planted, budgets, days)
        per_day = float(learn.sum(axis=1).mean() / days)
        show(page, per_day, found, console)
        report["pages"][page.page_id] = {
            "size": page.size,
            "questions_per_day": round(per_day, 1),
            "tests": [
                {
                    "test": b.test,
                    "budget": b.budget,
                    "threshold": round(b.threshold, 3),
                    "delays_h": {f"x{f:g}": d for f, d in b.delays.items()},
                }
                for b in found
            ],
        }
    if json_path is not None:
        json_path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    return report


def summary(delays: list[float | None]) -> str:
    """``median h (worst h)``, and how many were never paged."""
    found = [d for d in delays if d is not None]
    missed = len(delays) - len(found)
    if not found:
        return f"all {missed} missed"
    text = f"{statistics.median(found):.1f} h ({max(found):.1f} h)"
    return text + (f", {missed} missed" if missed else "")


def show(page: UnkindPage, per_day: float, found: list[Bound], console: Console) -> None:
    factors = sorted({f for b in found for f in b.delays}, reverse=True)
    table = Table(
        title=f"{page.page_id} ({page.size}, {per_day:.0f} questions a day): "
        "the oracle's delay, median (worst)"
    )
    table.add_column("false pages a quarter")
    table.add_column("test")
    for factor in factors:
        table.add_column(f"+{(factor - 1) * 100:.0f} %", justify="right")
    for bound in found:
        table.add_row(f"{bound.budget:g}", bound.test, *(summary(bound.delays[f]) for f in factors))
    console.print(table)
