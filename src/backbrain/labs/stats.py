"""Small statistics the labs share: percentiles, spreads, per-second counts, rounding.

Written out rather than pulled from numpy so the core has no numeric dependency beyond SimPy and
so every definition (nearest-rank percentile, population standard deviation) is visible and fixed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence


def percentile(values: Sequence[float], q: float, *, presorted: bool = False) -> float:
    """Nearest-rank percentile (q in 0..100): the smallest value with at least q% at or below it.

    Nearest-rank always returns an observed value, so a p99 latency is a latency some request
    actually saw, never an interpolation between two. Pass presorted=True to skip the sort when
    asking one list for several percentiles.
    """
    if not values:
        return 0.0
    ordered = values if presorted else sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def stddev_pct(values: Sequence[float]) -> float:
    """Population standard deviation as a percentage of the mean (the coefficient of variation)."""
    avg = mean(values)
    if not values or avg == 0:
        return 0.0
    var = sum((v - avg) ** 2 for v in values) / len(values)
    return 100.0 * math.sqrt(var) / avg


def per_second(times: Iterable[float], start: float = 0.0, end: float | None = None) -> list[int]:
    """Counts of events in each whole second [start + i, start + i + 1)."""
    stamps = [t for t in times if t >= start and (end is None or t < end)]
    if not stamps:
        return []
    last = end if end is not None else max(stamps) + 1e-9
    counts = [0] * max(1, math.ceil(last - start))
    for t in stamps:
        counts[min(len(counts) - 1, int(t - start))] += 1
    return counts


def max_in_window(sorted_times: Sequence[float], window: float) -> int:
    """Most events in any half-open window (t - window, t]; two pointers over sorted times."""
    best, lo = 0, 0
    for hi, t in enumerate(sorted_times):
        while sorted_times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def rounded(value: float, digits: int = 3) -> float:
    """Round for output; fixed precision keeps result.json stable across platforms' last bits."""
    out = round(float(value), digits)
    return 0.0 if out == 0 else out  # no "-0.0" in the JSON


def seeded(seed: int, *names: str) -> random.Random:
    """An independent, reproducible random stream per (seed, lab, variant, ...).

    String seeds go through SHA-512 inside random.seed, so they are stable across processes and
    Python builds (unlike hash()), and each variant's stream does not shift when another variant
    draws more or fewer numbers.
    """
    return random.Random(":".join([str(seed), *names]))
