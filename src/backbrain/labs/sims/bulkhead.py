"""bulkhead: one slow dependency, a shared worker pool against one pool per dependency.

A service handles `rate` requests per second, half of which call dependency A and half B, each
holding one of its worker threads for the call. A answers in about `latency_ms`. From `slow_at_s`
for `slow_s` seconds B answers in `slow_ms` instead (the caller's `timeout_ms` caps the wait). A
request that cannot get a worker waits for one; if it has not finished within `timeout_ms` of
arriving, its caller has given up.

- shared-pool: one pool of `pool` workers for both. By Little's law B alone now needs
  rate/2 x min(slow, timeout) workers, far more than the pool has, so B's calls take every
  worker and A's requests queue behind them: the healthy dependency's callers time out too.
- bulkheads: `pool` / 2 workers for each dependency (resilience4j's Bulkhead, Hystrix's thread
  pool per dependency). B's pool is exhausted and B's callers fail, but A's pool never sees B's
  calls, so A's latency stays what it was.
"""

from __future__ import annotations

import random
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import simpy

from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import percentile, rounded, seeded

VARIANTS = ("shared-pool", "bulkheads")
PLOT_BUCKET_S = 0.5

INFO = LabInfo(
    name="bulkhead",
    title="Bulkhead: a slow dependency with a shared pool and with one pool per dependency",
    description=(
        "Half the traffic calls a dependency that turns slow. With one shared worker pool its calls "
        "take every worker and the requests to the healthy dependency time out too; with a "
        "bulkhead (a pool per dependency) the healthy requests keep their latency."
    ),
    params=(
        Param("rate", "float", 400.0, "requests per second (half to each dependency)", 1, 100000),
        Param("pool", "int", 20, "worker threads in all (bulkheads: half per dependency)", 2, 10000),
        Param("latency_ms", "float", 20.0, "healthy call latency, mean (ms)", 0.1, 600000),
        Param("slow_ms", "float", 2000.0, "dependency B's latency while slow (ms)", 0.1, 600000),
        Param("timeout_ms", "float", 1000.0, "caller's timeout, waiting for a worker included (ms)", 1, 600000),
        Param("slow_at_s", "float", 5.0, "when B turns slow (s)", 0, 3600),
        Param("slow_s", "float", 10.0, "how long B stays slow (s)", 0, 3600),
        Param("duration_s", "float", 20.0, "simulated time (s)", 1, 3600),
    ),
    variants=VARIANTS,
    metrics=(
        Metric("healthy_p50_ms", "median latency of requests to the healthy dependency A while B is slow"),
        Metric("healthy_p99_ms", "p99 latency of requests to the healthy dependency A while B is slow"),
        Metric("healthy_success_pct", "requests to A answered within the timeout while B is slow, %"),
        Metric("slow_success_pct", "requests to B answered within the timeout while B is slow, %"),
    ),
    notes=("bulkhead", "cascading-failures"),
    source=(
        "Michael T. Nygard, Release It!, 2nd ed., Pragmatic Bookshelf, 2018, ch. 5 (Bulkheads); "
        "resilience4j Bulkhead and Netflix Hystrix thread-pool isolation documentation"
    ),
    checked_against="theory",
    checked_how=(
        "Little's law: B's demand of rate/2 x min(slow, timeout) workers exceeds the pool, so in the "
        "shared pool A's requests wait behind B's (median 10x or more); with bulkheads A's pool is an "
        "M/M/c at rate/2 x latency / (pool/2) utilization, and its p99 stays within 20% of the healthy run's"
    ),
)


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"A": [], "B": []})
    tried: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    ok: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0})
    a_done: list[tuple[float, float]] = field(default_factory=list)  # (finish time, latency ms) of A


class Service:
    def __init__(self, variant: str, p: Mapping[str, Any], rng: random.Random) -> None:
        self.p, self.rng = p, rng
        self.env = simpy.Environment()
        if variant == "bulkheads":
            half = max(1, p["pool"] // 2)
            self.pools = {"A": simpy.Resource(self.env, half), "B": simpy.Resource(self.env, p["pool"] - half)}
        else:
            shared = simpy.Resource(self.env, p["pool"])
            self.pools = {"A": shared, "B": shared}
        self.slow_from, self.slow_until = p["slow_at_s"], p["slow_at_s"] + p["slow_s"]
        self.tally = Tally()

    def run(self) -> Tally:
        self.env.process(self._arrivals())
        self.env.run(until=self.p["duration_s"] + self.p["timeout_ms"] / 1000.0)
        return self.tally

    def _arrivals(self) -> Generator:
        while self.env.now < self.p["duration_s"]:
            yield self.env.timeout(self.rng.expovariate(self.p["rate"]))
            self.env.process(self._request("A" if self.rng.random() < 0.5 else "B"))

    def _request(self, dep: str) -> Generator:
        start, timeout = self.env.now, self.p["timeout_ms"] / 1000.0
        during = self.slow_from <= start < self.slow_until
        if during:
            self.tally.tried[dep] += 1
        with self.pools[dep].request() as worker:
            yield worker | self.env.timeout(timeout)
            if not worker.triggered:
                return  # gave up waiting for a worker
            slow = dep == "B" and self.slow_from <= self.env.now < self.slow_until
            mean = self.p["slow_ms"] if slow else self.p["latency_ms"]
            remaining = timeout - (self.env.now - start)
            call = self.rng.expovariate(1000.0 / mean)
            yield self.env.timeout(min(call, remaining))  # the worker is held until reply or timeout
            if call > remaining:
                return
        latency = (self.env.now - start) * 1000.0
        if dep == "A":
            self.tally.a_done.append((self.env.now, latency))
        if during:
            self.tally.ok[dep] += 1
            self.tally.latencies[dep].append(latency)


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    advance = stepper(progress, len(VARIANTS))
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    for i, name in enumerate(VARIANTS):
        tally = Service(name, p, seeded(seed, INFO.name, name)).run()
        a_lat = tally.latencies["A"]
        variants[name] = {
            "healthy_p50_ms": rounded(
                percentile(a_lat + [p["timeout_ms"]] * (tally.tried["A"] - tally.ok["A"]), 50), 1
            ),
            # Requests that timed out have no latency: count them at the timeout, as their callers saw it.
            "healthy_p99_ms": rounded(
                percentile(a_lat + [p["timeout_ms"]] * (tally.tried["A"] - tally.ok["A"]), 99), 1
            ),
            "healthy_success_pct": rounded(100.0 * tally.ok["A"] / max(1, tally.tried["A"]), 1),
            "slow_success_pct": rounded(100.0 * tally.ok["B"] / max(1, tally.tried["B"]), 1),
        }
        lines[name] = _bucketed_p99(tally.a_done, p["duration_s"])
        advance(i + 1)
    start, end = p["slow_at_s"], p["slow_at_s"] + p["slow_s"]
    plot = SeriesPlot(
        title=f"p99 latency of answered requests to the healthy dependency (B slow {start:g}-{end:g} s)",
        xlabel="time (s)",
        ylabel="p99 latency (ms)",
        lines=lines,
        log_y=True,
    )
    return Outcome(variants, plot)


def _bucketed_p99(done: list[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    buckets: dict[int, list[float]] = {}
    for t, latency in done:
        buckets.setdefault(int(t / PLOT_BUCKET_S), []).append(latency)
    last = int(duration / PLOT_BUCKET_S)
    return [(i * PLOT_BUCKET_S, percentile(buckets[i], 99)) for i in range(last) if i in buckets]


LAB = Lab(INFO, run, lambda p: 2 * p["rate"] * p["duration_s"])
