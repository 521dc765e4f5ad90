"""Poisson tail probability without SciPy: P(X >= k) for X ~ Poisson(lam)."""

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
