"""Poisson tail probability and quantiles without SciPy (X ~ Poisson(lam))."""

from __future__ import annotations

import math


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k). Sums the lower tail in log space (k is a window's count: small)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    log_term = -lam  # log P(X = 0)
    cdf = 0.0
    for i in range(k):
        if i:
            log_term += math.log(lam) - math.log(i)
        cdf += math.exp(log_term)
    return max(0.0, 1.0 - cdf)


def rise_sf(now: float, before: float) -> float:
    """P(at least ``now`` of the ``now + before`` counts fall in the later of two equal
    spans when the rate did not change): the binomial tail at one half, summed in log
    space (counts: rounded)."""
    k, n = round(now), round(now) + round(before)
    if k <= 0:
        return 1.0
    log_half_n = n * math.log(0.5)
    return min(1.0, sum(math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                                 + log_half_n) for i in range(k, n + 1)))  # fmt: skip


def poisson_quantile(q: float, lam: float) -> int:
    """The least k with P(X <= k) >= q (normal approximation beyond lam = 1000, where
    the sum would be long and the approximation is within one count)."""
    if lam <= 0:
        return 0
    if lam > 1000:
        return max(0, round(lam + _z(q) * math.sqrt(lam)))
    log_term, cdf, k = -lam, 0.0, 0
    while True:
        cdf += math.exp(log_term)
        if cdf >= q:
            return k
        k += 1
        log_term += math.log(lam) - math.log(k)


def _z(q: float) -> float:
    """The standard normal quantile, by bisection on erf (no SciPy)."""
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
