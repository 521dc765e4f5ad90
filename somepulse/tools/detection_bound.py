"""``somepulse bench --bound``: how soon could any test on a page's counts page the
unkind scenario's planted episodes, at a given false-page budget?

An *oracle* is given what no detector has: the page's usual count in every bucket of
the 17 months and its spread, learnt from quiet runs of the same page (no planted
episode, no viral post, no outage; the trend, season, holidays and posting rhythm are
the same in every run, the draws of people and posts are not). Two series, as the rules
count them: questions by the hour (the surges) and comments that ask nothing by five
minutes (the bursts). Its tests:

* a z-test of the last few buckets' count against that usual count and spread (6, 12,
  24 hours of questions; 15, 30, 60 minutes of remarks), paging after ``hold``
  consecutive buckets over its threshold;
* CUSUM for the planted rise, with the rise's size known: the sequential test that is
  optimal for a known shift in independent counts.

Each threshold is set on other quiet runs so that the test pages at most ``budget``
times a quarter there (once at most in two days). Then it runs over the planted seeds
and reports each episode's delay from its start. Counts use the generator's own labels
(the truth, not the classifier's reading). This bounds what a test on the counts can do
knowing "usual" perfectly; the worker's detector learns usual from the page's own past,
with viral posts and outages in it.
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

GAP_SECONDS = 2 * 86_400  # a test over its threshold for days pages once in two days
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
WireEvent = dict[str, Any]


@dataclass(frozen=True)
class Series:
    """A rule's count as the oracle sees it."""

    name: str  # the detector's series
    episode: str  # the planted episodes that raise it
    step: int  # seconds a bucket
    windows: tuple[int, ...]  # buckets
    holds: tuple[int, ...]  # buckets

    def counts(self, event: WireEvent) -> bool:
        if self.name == "questions":
            return bool(event.get("is_question")) and (
                event["kind"] == "interaction" or event.get("direction") == "in"
            )
        return event.get("interaction_type") == "comment" and not event.get("is_question")

    @property
    def gap(self) -> int:
        return GAP_SECONDS // self.step

    def span(self, buckets: int) -> str:
        minutes = buckets * self.step // 60
        return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


QUESTIONS = Series("questions", "questions", 3600, (6, 12, 24), (1, 2))
REMARKS = Series("remarks", "comments", 300, (3, 6, 12), (1, 2))
SERIES = {s.name: s for s in (QUESTIONS, REMARKS)}


@dataclass(frozen=True)
class Planted:
    start: float  # buckets since the series' first
    end: float
    factor: float


def _origin(scenario: UnkindScenario) -> datetime:
    return datetime.combine(scenario.start, datetime.min.time(), UTC) - timedelta(days=1)


def series_counts(
    seed: int, page_id: str, quiet: bool, name: str
) -> tuple[FloatArray, list[Planted]]:
    """The page's count per bucket of series ``name`` (what the generator made
    questions, or comments that ask nothing), and the episodes planted in it."""
    series = SERIES[name]
    page = next(p for p in PAGES if p.page_id == page_id)
    scenario = UnkindScenario(seed, pages=(page,), quiet=quiet)
    origin = _origin(scenario)
    counts = np.zeros(((scenario.end - scenario.start).days + 3) * 86_400 // series.step)
    for event in scenario.events():
        if series.counts(event):
            at = datetime.fromisoformat(event["occurred_at"])
            counts[int((at - origin).total_seconds() // series.step)] += 1
    planted = [
        Planted(
            (e.start - origin).total_seconds() / series.step,
            (e.end - origin).total_seconds() / series.step,
            e.factor,
        )
        for e in scenario.plan.episodes
        if series.episode in e.what.split("+")
    ]
    return counts, planted


def window_sums(counts: FloatArray, buckets: int) -> FloatArray:
    """Each bucket's sum over the ``buckets`` buckets ending with it (rows: runs)."""
    total = np.cumsum(np.pad(counts, ((0, 0), (buckets, 0))), axis=1)
    return np.asarray(total[:, buckets:] - total[:, :-buckets], dtype=np.float64)


def cusum(counts: FloatArray, usual: FloatArray, factor: float) -> FloatArray:
    """Page's CUSUM for a rise to ``factor`` times ``usual`` (Poisson log-likelihood
    ratio per bucket, reset at zero)."""
    step = counts * np.log(factor) - (factor - 1) * np.maximum(usual, 1e-3)
    out = np.zeros_like(counts)
    for bucket in range(1, counts.shape[1]):
        out[:, bucket] = np.maximum(0.0, out[:, bucket - 1] + step[:, bucket])
    return out


def held(statistic: FloatArray, threshold: float, hold: int) -> BoolArray:
    """Whether the statistic was at or over the threshold for ``hold`` buckets running."""
    over = statistic >= threshold
    run = over.copy()
    for back in range(1, hold):
        run[:, back:] &= over[:, :-back]
        run[:, :back] = False
    return run


def pages(fires: BoolArray, gap: int = 48) -> list[int]:
    """The buckets a test pages in: its first firing bucket, then the first after
    ``gap`` buckets without a page."""
    out: list[int] = []
    for bucket in np.flatnonzero(fires):
        if not out or bucket - out[-1] >= gap:
            out.append(int(bucket))
    return out


def false_per_quarter(fires: BoolArray, days: float, gap: int = 48) -> float:
    """Pages a quarter, mean over quiet runs (``fires``: rows)."""
    return sum(len(pages(row, gap)) for row in fires) / len(fires) / (days / QUARTER_DAYS)


def calibrate(statistic: FloatArray, hold: int, budget: float, days: float, gap: int = 48) -> float:
    """The lowest threshold at which the test pages at most ``budget`` times a quarter
    on the quiet runs (bisected 60 times: a z-test's range reaches 1e9 where the quiet
    runs never vary, so a step relative to the range would be far too coarse)."""
    low, high = float(np.min(statistic)), float(np.max(statistic)) + 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if false_per_quarter(held(statistic, middle, hold), days, gap) > budget:
            low = middle
        else:
            high = middle
    return high


def delay(fires: Sequence[bool], planted: Planted) -> float | None:
    """Buckets from the episode's start to the end of the first bucket it was paged in
    (a decision is made when its bucket ends), or None when it never was."""
    first = int(planted.start)
    for bucket in range(first, min(int(np.ceil(planted.end)), len(fires))):
        if fires[bucket]:
            return bucket + 1 - planted.start
    return None


@dataclass(frozen=True)
class Bound:
    test: str
    budget: float
    threshold: float
    delays: dict[float, list[float | None]]  # planted factor -> each episode's, hours


def bounds(
    series: Series,
    learn: FloatArray,
    calibrate_on: FloatArray,
    planted: list[tuple[FloatArray, list[Planted]]],
    budgets: Sequence[float],
    days: float,
) -> list[Bound]:
    """Every test's threshold per budget, and its delays on the planted runs."""
    usual = learn.mean(axis=0)
    runs = np.array([counts for counts, _ in planted])
    factors = sorted({p.factor for _, episodes in planted for p in episodes}, reverse=True)
    tests: list[tuple[str, FloatArray, FloatArray, int]] = []
    for window in series.windows:
        sums = window_sums(learn, window)
        mean, spread = sums.mean(axis=0), sums.std(axis=0) + 1e-9
        del sums
        quiet_z = (window_sums(calibrate_on, window) - mean) / spread
        run_z = (window_sums(runs, window) - mean) / spread
        for hold in series.holds:
            name = f"{series.span(window)} z-test, hold {series.span(hold)}"
            tests.append((name, quiet_z, run_z, hold))
    for factor in factors:
        tests.append(
            (
                f"CUSUM for x{factor:g}",
                cusum(calibrate_on, usual[None, :], factor),
                cusum(runs, usual[None, :], factor),
                1,
            )
        )
    hours = series.step / 3600
    out = []
    for budget in budgets:
        for name, quiet_stat, run_stat, hold in tests:
            threshold = calibrate(quiet_stat, hold, budget, days, series.gap)
            fires = held(run_stat, threshold, hold)
            found: dict[float, list[float | None]] = {f: [] for f in factors}
            for row, (_, episodes) in zip(fires, planted, strict=True):
                for episode in episodes:
                    late = delay(list(row), episode)
                    found[episode.factor].append(None if late is None else late * hours)
            out.append(Bound(name, budget, threshold, found))
    return out


def planted_pages(series: Series) -> list[UnkindPage]:
    planted = {e.page_id for e in UnkindScenario(1).plan.episodes if series.episode in e.what}
    return [p for p in PAGES if p.page_id in planted]


def run_bound(
    seeds: Sequence[int],
    quiet_runs: int,
    budgets: Sequence[float],
    console: Console,
    json_path: Path | None = None,
) -> dict[str, Any]:
    """The bound for every page with a planted episode, per series: half of
    ``quiet_runs`` teach the oracle usual, the other half set its thresholds."""
    days = (END - START).days + 1
    pages_of = {name: planted_pages(series) for name, series in SERIES.items()}
    jobs = [
        (seed, page.page_id, quiet, series.name)
        for series in SERIES.values()
        for page in pages_of[series.name]
        for seed, quiet in [(s, False) for s in seeds]
        + [(1_000 + k, True) for k in range(quiet_runs)]
    ]
    results: dict[tuple[int, str, bool, str], tuple[FloatArray, list[Planted]]] = {}
    spawn = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(mp_context=spawn) as pool,
        Progress(console=console, transient=True) as progress,
    ):
        task = progress.add_task("generating the pages' counts", total=len(jobs))
        columns = zip(*jobs, strict=True)
        for job, result in zip(jobs, pool.map(series_counts, *columns, chunksize=4), strict=True):
            results[job] = result
            progress.advance(task)
    report: dict[str, Any] = {"seeds": list(seeds), "quiet_runs": quiet_runs, "series": {}}
    for series in SERIES.values():
        report["series"][series.name] = {}
        for page in pages_of[series.name]:
            quiet = np.array(
                [
                    results[(1_000 + k, page.page_id, True, series.name)][0]
                    for k in range(quiet_runs)
                ]
            )
            learn, calibrate_on = quiet[: quiet_runs // 2], quiet[quiet_runs // 2 :]
            planted = [results.pop((s, page.page_id, False, series.name)) for s in seeds]
            found = bounds(series, learn, calibrate_on, planted, budgets, days)
            per_day = float(learn.sum(axis=1).mean() / days)
            show(series, page, per_day, found, console)
            report["series"][series.name][page.page_id] = {
                "size": page.size,
                "per_day": round(per_day, 1),
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


def show(
    series: Series, page: UnkindPage, per_day: float, found: list[Bound], console: Console
) -> None:
    factors = sorted({f for b in found for f in b.delays}, reverse=True)
    table = Table(
        title=f"{page.page_id} ({page.size}, {per_day:.0f} {series.name} a day): "
        "the oracle's delay, median (worst)"
    )
    table.add_column("false pages a quarter")
    table.add_column("test")
    for factor in factors:
        table.add_column(f"x{factor:g}", justify="right")
    for bound in found:
        table.add_row(f"{bound.budget:g}", bound.test, *(summary(bound.delays[f]) for f in factors))
    console.print(table)
