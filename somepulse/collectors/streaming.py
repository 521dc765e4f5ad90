"""What the streaming collectors (Bluesky, Mastodon) share: staying connected, catching
up after every drop, and a state file that is never half written."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from somepulse.collectors.health import SourceHealth

log = logging.getLogger(__name__)


async def keep_streaming(
    stream: Callable[[], Awaitable[None]],
    catch_up: Callable[[], Awaitable[None]],
    sleep: Callable[[float], Awaitable[Any]],
    fatal: type[Exception],
    max_reconnects: int | None,
    reconnected: Callable[[], int],
    what: str,
    dropped: Callable[[str], Awaitable[None]],
) -> None:
    """Stream until ``max_reconnects`` drops (forever when None): after each drop wait
    1 s, doubling to 60 s (back to 1 s once a connection held), then ``catch_up`` on
    what the gap missed. ``fatal`` (a refused credential) ends it; ``reconnected``
    counts a reconnect and returns how many there were; ``dropped`` hears why."""
    delay, reconnects = 1.0, 0
    while max_reconnects is None or reconnects <= max_reconnects:
        try:
            await stream()
            delay = 1.0  # it was up: the next failure starts small again
        except fatal:
            raise
        except Exception as exc:
            log.warning("%s dropped: %s; again in %.0f s", what, exc, delay)
            await dropped(f"{what} dropped: {exc or type(exc).__name__}")
        reconnects = reconnected()
        await sleep(delay)
        delay = min(delay * 2, 60.0)
        await catch_up()


async def collect_streaming(
    start: Callable[[], Awaitable[None]],
    stream: Callable[[], Awaitable[None]],
    catch_up: Callable[[], Awaitable[None]],
    sleep: Callable[[float], Awaitable[Any]],
    fatal: type[Exception],
    once: bool,
    max_reconnects: int | None,
    reconnected: Callable[[], int],
    what: str,
    health: SourceHealth,
) -> None:
    """A streaming collector's run: ``start`` (log in, catch up), then unless ``once``
    stream with ``keep_streaming`` (drops said as ``down``); a ``fatal`` refusal of the
    credential is said as ``broken`` before it ends the run."""
    try:
        await start()
        if once:
            return
        await keep_streaming(stream, catch_up, sleep, fatal, max_reconnects, reconnected, what,
                             health.down)  # fmt: skip
    except fatal as exc:
        await health.broken(str(exc))
        raise


def write_json_atomically(path: Path, doc: dict[str, Any]) -> None:
    """The old state or the new, never half: a temporary file renamed over the old."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)
