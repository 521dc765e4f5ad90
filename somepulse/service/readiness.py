"""Whether the worker does its job right now, for ``/readyz`` (an orchestrator's or
Prometheus's probe): red while partition state is rebuilt, when the ingest agent has
stopped, when messages wait but nothing is consumed, when the lag stays above a
threshold, or when the broker has refused connections for a while; green again by
itself once that is over. Pure: times, lag and the broker probe's answer come in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Readiness:
    max_lag: int  # messages
    stall_seconds: float  # waiting messages and no progress for this long: stalled
    lag_grace_seconds: float  # lag above max_lag for this long: red
    broker_grace_seconds: float = 10.0  # the broker refusing connections this long: red
    _over_since: float | None = None

    def problems(
        self,
        *,
        now: float,
        rebuilding: bool,
        stopped: str | None,
        lag: dict[int, int],
        last_progress: float,
        broker_down_since: float | None = None,
    ) -> list[str]:
        out = []
        # while the broker is away the lag cannot be read (it shows the last one seen):
        # "nothing waits" would be a lie, so the probe's answer counts by itself
        if broker_down_since is not None and now - broker_down_since > self.broker_grace_seconds:
            out.append(f"broker unreachable for {now - broker_down_since:.0f} s")
        if rebuilding:
            out.append("rebuilding live state of newly assigned partitions")
        if stopped is not None:
            out.append(f"ingest agent stopped: {stopped}")
        waiting = sum(lag.values())
        idle = now - last_progress
        if waiting and idle > self.stall_seconds:
            out.append(f"not consuming: {waiting} messages wait, none processed for {idle:.0f} s")
        if waiting > self.max_lag:
            if self._over_since is None:
                self._over_since = now
            elif now - self._over_since > self.lag_grace_seconds:
                out.append(
                    f"lag of {waiting} messages above {self.max_lag} for "
                    f"{now - self._over_since:.0f} s"
                )
        else:
            self._over_since = None
        return out
