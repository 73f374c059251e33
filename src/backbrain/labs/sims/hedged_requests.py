"""hedged-requests: tail latency at fan-out, and hedging after the p95 (Dean and Barroso, 2013).

A request fans out to N leaf servers and finishes when the slowest leaf answers. Each leaf is
usually fast (exponential, mean `leaf_ms`) but now and then hits a hiccup (a GC pause, a
compaction, a noisy neighbour): with probability `hiccup_pct` it adds a uniform 100 to 1,000 ms.
If one leaf in a hundred is slower than some time T (the leaf's p99), a request that waits for N
independent leaves is slower than T with probability 1 - 0.99^N: 10% at N = 10, 63% at N = 100.
The tail of the parts becomes the median of the whole; that is "The Tail at Scale".

Hedging: when a leaf has not answered within the leaf's p95, send the same request to another
replica and take whichever answers first. Only the slowest 5% of leaf requests get a second copy,
so the extra load is about 5%, and a hiccup on one replica rarely coincides with one on the other.

The leaves are independent draws (the extra 5% of load is assumed not to slow them), so the
lab is exact sampling rather than a queueing simulation; the queueing lab covers what load does
to latency.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import percentile, rounded, seeded

DEFAULT_FANOUTS = [1, 10, 100]
CALIBRATION = 200_000  # leaf draws used to measure the leaf's own p95 and p99

INFO = LabInfo(
    name="hedged-requests",
    title="Hedged requests: tail latency at fan-out, and hedging after the p95",
    description=(
        "A request that waits for N leaves is slower than the leaf p99 with probability 1 - 0.99^N "
        "(63% at N = 100); sending a backup copy of any leaf request still outstanding after the "
        "leaf p95 cuts the fan-out's tail for about 5% more leaf requests."
    ),
    params=(
        Param("fanouts", "ints", DEFAULT_FANOUTS, "leaves per request, comma-separated", 1, 1000),
        Param("requests", "int", 3000, "fan-out requests per variant", 100, 1000000),
        Param("leaf_ms", "float", 10.0, "a leaf's usual latency, mean (ms)", 0.01, 60000),
        Param("hiccup_pct", "float", 2.0, "chance a leaf request hits a 100-1,000 ms hiccup (%)", 0, 100),
        Param("hedge_pct", "float", 95.0, "hedge after this percentile of leaf latency", 50, 99.99),
    ),
    variants=(*(f"fanout-{n}" for n in DEFAULT_FANOUTS), f"fanout-{DEFAULT_FANOUTS[-1]}-hedged"),
    metrics=(
        Metric("p50_ms", "median request latency"),
        Metric("p99_ms", "99th percentile request latency"),
        Metric("slower_than_leaf_p99_pct", "requests slower than one leaf's p99, %"),
        Metric("extra_load_pct", "backup leaf requests sent, % of leaf requests"),
        Metric("theory_slower_pct", "1 - 0.99^N, % (without hedging)"),
    ),
    notes=("fan-out-fan-in", "partial-failures"),
    source=(
        'Jeffrey Dean, Luiz Andre Barroso, "The Tail at Scale", Communications of the ACM 56(2), 2013 '
        "(fan-out tail amplification; hedged requests after the 95th-percentile latency)"
    ),
    checked_against="theory",
    checked_how=(
        "the share of fan-out requests slower than the leaf p99 within 3 points of 1 - 0.99^N (exact for "
        "independent leaves); hedging at the p95 adds 4-6% leaf requests, cuts the median by 5x or more "
        "and leaves under 3% of requests slower than the leaf p99"
    ),
)


class Leaf:
    """One leaf request's latency: usually exponential, sometimes a long hiccup on top."""

    def __init__(self, p: Mapping[str, Any], rng: random.Random) -> None:
        self.rate = 1.0 / p["leaf_ms"]
        self.hiccup = p["hiccup_pct"] / 100.0
        self.rng = rng

    def draw(self) -> float:
        latency = self.rng.expovariate(self.rate)
        if self.rng.random() < self.hiccup:
            latency += self.rng.uniform(100.0, 1000.0)
        return latency


def fan_out(leaf: Leaf, n: int, requests: int, hedge_after: float | None) -> tuple[list[float], int]:
    """Latencies of `requests` fan-outs to n leaves, and how many backup requests were sent."""
    latencies, backups = [], 0
    for _ in range(requests):
        slowest = 0.0
        for _ in range(n):
            t = leaf.draw()
            if hedge_after is not None and t > hedge_after:
                backups += 1
                t = min(t, hedge_after + leaf.draw())
            slowest = max(slowest, t)
        latencies.append(slowest)
    return latencies, backups


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    fanouts = sorted(p["fanouts"])
    advance = stepper(progress, len(fanouts) + 2)
    calibration = Leaf(p, seeded(seed, INFO.name, "calibration"))
    sample = sorted(calibration.draw() for _ in range(CALIBRATION))
    leaf_p99 = percentile(sample, 99, presorted=True)
    hedge_after = percentile(sample, p["hedge_pct"], presorted=True)
    advance(1)
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {"simulated": [], "theory 1 - 0.99^N": []}
    runs = [(f"fanout-{n}", n, None) for n in fanouts] + [(f"fanout-{fanouts[-1]}-hedged", fanouts[-1], hedge_after)]
    for i, (name, n, hedge) in enumerate(runs):
        leaf = Leaf(p, seeded(seed, INFO.name, name))
        latencies, backups = fan_out(leaf, n, p["requests"], hedge)
        ordered = sorted(latencies)
        slower = 100.0 * sum(t > leaf_p99 for t in latencies) / len(latencies)
        theory = 100.0 * (1 - 0.99**n)
        variants[name] = {
            "p50_ms": rounded(percentile(ordered, 50, presorted=True), 1),
            "p99_ms": rounded(percentile(ordered, 99, presorted=True), 1),
            "slower_than_leaf_p99_pct": rounded(slower, 1),
            "extra_load_pct": rounded(100.0 * backups / (n * p["requests"]), 2),
        }
        if hedge is None:  # 1 - 0.99^N is the unhedged fan-out's law; the hedged row has none
            variants[name]["theory_slower_pct"] = rounded(theory, 1)
        if hedge is None:
            lines["simulated"].append((float(n), slower))
        advance(i + 2)
    top = max(fanouts)
    lines["theory 1 - 0.99^N"] = [(float(n), 100.0 * (1 - 0.99**n)) for n in _grid(top)]
    plot = SeriesPlot(
        title=f"Requests slower than one leaf's p99 ({leaf_p99:.0f} ms) against fan-out",
        xlabel="leaves per request (N)",
        ylabel="% of requests",
        lines=lines,
        style={"simulated": "o"},
    )
    return Outcome(variants, plot)


def _grid(top: int) -> list[int]:
    steps = max(1, math.ceil(top / 100))
    return sorted({1, *range(steps, top + 1, steps), top})


LAB = Lab(INFO, run, lambda p: p["requests"] * (sum(p["fanouts"]) + max(p["fanouts"])) + CALIBRATION)
