"""cache-stampede: one hot key expiring under steady reads, with and without protection.

Reads arrive as a Poisson stream. The value lives in the cache for `ttl_s`; recomputing it takes
`recompute_ms` of origin time, and the origin (a database, say) serves at most `origin_capacity`
recomputes at once, queueing the rest. The cache starts warm, so what the lab shows is the
steady-state cliff at every expiry, not a cold start.

- no-protection: every read that finds the key expired recomputes it. At 1,000 reads/s and
  100 ms per recompute, about 100 recomputes pile onto the origin at each expiry; they queue
  behind its capacity, so the readers who missed wait far longer than one recompute.
- lock: single-flight. The first reader to find the key expired recomputes; readers arriving
  meanwhile are served the expired value (`serve_stale=1`, what nginx's proxy_cache_lock with
  use_stale updating and Varnish grace do) or wait for the one recompute (`serve_stale=0`, Go's
  singleflight). One recompute per expiry either way; the stale reads are the price of the first.
- xfetch: probabilistic early expiration with beta = 1 (Vattani et al., VLDB 2015). Some reader
  refreshes the key shortly before it expires, so no one sees a miss. Each reader decides on its
  own, though, so at a high read rate several of them can draw "refresh" within one recompute's
  time: its concurrency is an order of magnitude below the stampede's, but rarely exactly one.
"""

from __future__ import annotations

import random
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import simpy

from backbrain.labs.cache import Flight, SingleFlight, XFetchCache
from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import percentile, rounded, seeded

KEY = "hot"
VARIANTS = ("no-protection", "lock", "xfetch")
HIT_MS = 0.5  # latency of a cache hit (a round trip to the cache)

INFO = LabInfo(
    name="cache-stampede",
    title="Cache stampede: one hot key expiring",
    description=(
        "A hot key expires under steady reads and every reader that misses recomputes it at once, "
        "queueing on the origin. Single-flight (lock) and XFetch probabilistic early expiration "
        "(beta 1) each cut the concurrent recomputes to about one."
    ),
    params=(
        Param("read_rate", "float", 1000.0, "reads per second of the hot key", 1, 100000),
        Param("recompute_ms", "float", 100.0, "origin time to recompute the value (ms)", 0.1, 60000),
        Param("ttl_s", "float", 5.0, "cache time-to-live (s)", 0.01, 86400),
        Param("duration_s", "float", 60.0, "simulated time (s)", 1, 3600),
        Param("origin_capacity", "int", 8, "recomputes the origin serves at once", 1, 100000),
        Param(
            "serve_stale",
            "int",
            1,
            "lock variant: 1 serves the expired value while one reader recomputes, 0 makes readers wait for it",
            0,
            1,
        ),
    ),
    variants=VARIANTS,
    metrics=(
        Metric("origin_recomputes", "recomputes sent to the origin over the run"),
        Metric("max_concurrent_recomputes", "most recomputes in flight (running or queued) at once"),
        Metric("p99_latency_ms", "99th percentile read latency (nearest rank)"),
        Metric("stale_reads", "reads answered with a value past its TTL"),
    ),
    notes=("cache-stampede", "request-coalescing"),
    source=(
        'A. Vattani, F. Chierichetti, K. Lowenstein, "Optimal Probabilistic Cache Stampede '
        'Prevention", PVLDB 8(8), 2015; single-flight after golang.org/x/sync/singleflight'
    ),
    checked_against="shape",
    checked_how=(
        "the XFetch mechanism is unit-tested against the paper's refresh probability exp(-gap / (delta x "
        "beta)); the lab's numbers only for shape (single-flight 1 concurrent recompute, XFetch an order of "
        "magnitude under the stampede)"
    ),
)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    recomputes: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    stale: int = 0
    trace: list[tuple[float, float]] = field(default_factory=list)


class Stampede:
    """One variant's world: the cache, the origin, and the counters."""

    def __init__(self, variant: str, p: Mapping[str, Any], rng: random.Random) -> None:
        self.variant, self.p, self.rng = variant, p, rng
        self.env = simpy.Environment()
        self.origin = simpy.Resource(self.env, capacity=p["origin_capacity"])
        beta = 1.0 if variant == "xfetch" else 0.0  # beta 0 never refreshes early: a plain TTL cache
        self.cache: XFetchCache[str, int] = XFetchCache(beta=beta, rng=rng)
        self.flights: SingleFlight[str, int] = SingleFlight()
        self.tally = Tally()
        self.ttl = p["ttl_s"]
        self.cache.store(KEY, 0, p["recompute_ms"] / 1000.0, self.ttl, 0.0)  # warm at t = 0

    def run(self) -> Tally:
        self.env.process(self._reads())
        self.env.run()
        return self.tally

    def _reads(self) -> Generator:
        rate, end = self.p["read_rate"], self.p["duration_s"]
        while True:
            yield self.env.timeout(self.rng.expovariate(rate))
            if self.env.now >= end:
                return
            self._read()

    def _read(self) -> None:
        now = self.env.now
        found = self.cache.lookup(KEY, now)
        if not found.recompute:
            self.tally.latencies.append(HIT_MS)
            return
        if self.variant == "lock":
            self._read_locked(now)
        else:
            self.env.process(self._recompute_and_serve(now))

    def _read_locked(self, now: float) -> None:
        if self.flights.in_flight(KEY):
            entry = self.cache.entry(KEY)
            if self.p["serve_stale"] and entry is not None:
                self.tally.stale += 1
                self.tally.latencies.append(HIT_MS)
                return
            flight, _ = self.flights.begin(KEY)
            self.env.process(self._wait(flight, now))
            return
        self.flights.begin(KEY)
        self.env.process(self._recompute_and_serve(now, lead=True))

    def _wait(self, flight: Flight[int], start: float) -> Generator:
        landed = self.env.event()

        def wake(_: Flight[int]) -> None:
            landed.succeed()

        flight.on_done(wake)
        yield landed
        self.tally.latencies.append(HIT_MS + (self.env.now - start) * 1000.0)

    def _recompute_and_serve(self, start: float, lead: bool = False) -> Generator:
        self._in_flight(+1)
        with self.origin.request() as slot:
            yield slot
            work = self.p["recompute_ms"] * self.rng.uniform(0.8, 1.2) / 1000.0
            yield self.env.timeout(work)
        self._in_flight(-1)
        self.tally.recomputes += 1
        now = self.env.now
        self.cache.store(KEY, self.tally.recomputes, now - start, self.ttl, now)
        if lead:
            self.flights.finish(KEY, self.tally.recomputes)
        self.tally.latencies.append(HIT_MS + (now - start) * 1000.0)

    def _in_flight(self, delta: int) -> None:
        t = self.tally
        t.in_flight += delta
        t.max_in_flight = max(t.max_in_flight, t.in_flight)
        t.trace.append((self.env.now, float(t.in_flight)))


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    advance = stepper(progress, len(VARIANTS))
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    for i, name in enumerate(VARIANTS):
        tally = Stampede(name, p, seeded(seed, INFO.name, name)).run()
        variants[name] = {
            "origin_recomputes": tally.recomputes,
            "max_concurrent_recomputes": tally.max_in_flight,
            "p99_latency_ms": rounded(percentile(tally.latencies, 99), 2),
            "stale_reads": tally.stale,
        }
        lines[name] = _steps(tally.trace)
        advance(i + 1)
    plot = SeriesPlot(
        title="Recomputes in flight at the origin",
        xlabel="time (s)",
        ylabel="recomputes in flight",
        lines=lines,
    )
    return Outcome(variants, plot)


def _steps(trace: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Turn (time, level) change points into a staircase so the plot shows levels, not ramps."""
    out: list[tuple[float, float]] = [(0.0, 0.0)]
    for t, level in trace:
        out.append((t, out[-1][1]))
        out.append((t, level))
    return out


LAB = Lab(INFO, run, lambda p: 3 * p["read_rate"] * p["duration_s"])
