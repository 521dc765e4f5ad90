"""Reference data as data: the page directory and office calendar, the score's
weights and targets, the stop words, and the ``{db}_local_date`` function that the
directory's time zones define. Loaded by the worker at start, only when its digest
changed; views read it from tables, so a new page changes no DDL.

Office hours are versioned: a reload inserts the new calendar under a new version and
readers (``v_office_hours``) take each page's latest, so nobody ever sees a half-loaded
or empty calendar (``TRUNCATE`` + ``INSERT`` did show one); old versions are deleted
afterwards.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import orjson

from somepulse.config import config_file
from somepulse.domain.measures import CatalogueMetric, load_catalogue
from somepulse.domain.pages import PageInfo, load_pages, local_date_sql, sql_string
from somepulse.domain.score import ScoreConfig, load_score_config
from somepulse.domain.stopwords import STOP_WORDS
from somepulse.store.base import Store

CALENDAR_FROM = date(2015, 1, 1)
DEFAULT_TZ = "Europe/Oslo"


@dataclass(frozen=True)
class Reference:
    pages: tuple[PageInfo, ...]
    score: ScoreConfig
    metrics: tuple[CatalogueMetric, ...]
    stop_words: frozenset[str] = STOP_WORDS
    default_tz: str = DEFAULT_TZ

    @classmethod
    def load(cls, config_dir: Path | None = None) -> Reference:
        """From ``config_dir`` where it has the file, else the packaged defaults."""
        return cls(
            tuple(load_pages(config_file("pages.toml", config_dir))),
            load_score_config(config_file("score.toml", config_dir)),
            tuple(load_catalogue(config_file("metrics.toml", config_dir))),
        )


def sync_reference(store: Store, ref: Reference, until_year: int | None = None) -> list[str]:
    """Load what changed; return the names of the sets loaded."""
    year = until_year or datetime.now(UTC).year
    known = _digests(store)
    loaded = []
    pages_doc = [p.model_dump(mode="json") for p in ref.pages]
    sets: dict[str, tuple[str, Callable[[int], None]]] = {
        "pages": (_digest(pages_doc, ref.default_tz, year), lambda v: _pages(store, ref, year, v)),
        "score": (_digest(ref.score.model_dump()), lambda v: _score(store, ref.score)),
        "stop_words": (_digest(sorted(ref.stop_words)), lambda v: _stop_words(store, ref)),
        "metrics": (
            _digest([m.model_dump(mode="json") for m in ref.metrics]),
            lambda v: _metrics(store, ref, v),
        ),
    }
    for name, (digest, load) in sets.items():
        if known.get(name) == digest:
            continue
        version = time.time_ns() // 1000
        load(version)
        store.insert(
            "reference_digests",
            orjson.dumps({"name": name, "digest": digest, "version": version}),
        )
        loaded.append(name)
    # cheap, and the function must exist before views are re-created
    define_local_date(store, ref)
    return loaded


def define_local_date(store: Store, ref: Reference) -> None:
    body = local_date_sql("ts", list(ref.pages), ref.default_tz, page_column="page")
    store.command(f"CREATE OR REPLACE FUNCTION {store.database}_local_date AS (page, ts) -> {body}")


def _digests(store: Store) -> dict[str, str]:
    rows = store.query(
        f"SELECT name, argMax(digest, at) AS digest FROM {store.database}.reference_digests "
        "GROUP BY name"
    )
    return {r["name"]: r["digest"] for r in rows}


def _digest(*parts: object) -> str:
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _metrics(store: Store, ref: Reference, version: int) -> None:
    """The catalogue under a new version; readers take each metric's latest (FINAL), and
    metrics dropped from the file are deleted."""
    if ref.metrics:
        store.insert(
            "metric_catalogue",
            b"\n".join(
                orjson.dumps(
                    {
                        "platform": m.platform.value,
                        "scope": m.scope.value,
                        "metric": m.name,
                        "measure": m.measure,
                        "period": m.period.value,
                        "series": m.series,
                        "valid_from": m.valid_from.isoformat(),
                        "valid_until": (m.valid_until or date(2149, 6, 6)).isoformat(),
                        "definition": m.definition,
                        "version": version,
                    }
                )
                for m in ref.metrics
            ),
        )
    store.command(
        f"ALTER TABLE {store.database}.metric_catalogue DELETE WHERE version < {version} "
        "SETTINGS mutations_sync = 2"
    )


def _pages(store: Store, ref: Reference, year: int, version: int) -> None:
    pages = ref.pages
    if not pages:
        return
    store.insert(
        "pages",
        b"\n".join(
            orjson.dumps(
                {
                    "page_id": p.page_id,
                    "name": p.name,
                    "platform": p.platform,
                    "accounts": {k.value: v for k, v in p.accounts.items()},
                    "country": p.country,
                    "tz": p.tz,
                    "opens": p.opens.strftime("%H:%M"),
                    "closes": p.closes.strftime("%H:%M"),
                    "promise_minutes": p.promise_minutes,
                    "peer_group": p.peer_group,
                    "human_reply_apps": list(p.human_reply_apps),
                    "automated_reply_apps": list(p.automated_reply_apps),
                    "automated_replies_answer": p.automated_replies_answer,
                }
            )
            for p in pages
        ),
    )
    last = date(year + 2, 12, 31)
    store.insert(
        "office_hours",
        b"\n".join(
            orjson.dumps(
                {
                    "page_id": p.page_id,
                    "day": day.isoformat(),
                    "opens_at": opens.strftime("%Y-%m-%d %H:%M:%S"),
                    "closes_at": closes.strftime("%Y-%m-%d %H:%M:%S"),
                    "version": version,
                }
            )
            for p in pages
            for day, opens, closes in p.office_intervals(CALENDAR_FROM, last)
        ),
    )
    # readers already see the new version; the old ones only cost space
    store.command(
        f"ALTER TABLE {store.database}.office_hours DELETE WHERE version < {version} "
        "SETTINGS mutations_sync = 1"
    )


def _score(store: Store, cfg: ScoreConfig) -> None:
    w, t = cfg.weights, cfg.targets
    store.insert(
        "score_settings",
        orjson.dumps(
            {f"w_{k}": v for k, v in w.model_dump().items()}
            | {f"t_{k}": v for k, v in t.model_dump().items()}
        ),
    )


def _stop_words(store: Store, ref: Reference) -> None:
    words = sorted(ref.stop_words)
    store.insert("stop_words", b"\n".join(orjson.dumps({"word": w}) for w in words))
    keep = ", ".join(sql_string(w) for w in words)
    store.command(
        f"ALTER TABLE {store.database}.stop_words DELETE WHERE word NOT IN ({keep}) "
        "SETTINGS mutations_sync = 1"
    )
