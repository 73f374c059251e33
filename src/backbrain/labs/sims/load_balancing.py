"""load-balancing: random, round robin, least-outstanding and power of two choices.

Two experiments. The first is Mitzenmacher's balls into bins: throw n balls into n bins, each into
a random bin, and the fullest bin ends up with about ln n / ln ln n of them; let each ball look at
two random bins and take the emptier, and the fullest has about ln ln n / ln 2. One extra look
turns a slowly growing maximum into an almost constant one. That is the "max-load gap".

The second is a live cluster: `servers` servers, half of them twice as fast as the others
(`fast_ms` against 2 x `fast_ms` mean service), under Poisson traffic at `load` of the cluster's
total capacity. Each balancer sees the number of requests outstanding at each server:

- random and round-robin ignore it, so every server gets the same share. The slow servers get
  more than they can serve (above 2/3 load their share exceeds their capacity), their queues grow
  without bound, and the p99 is set by them.
- least-outstanding asks every server and picks the least busy: the best possible, but it needs
  a global view (one balancer, or many sharing state).
- power-of-two asks two random servers and picks the less busy: almost as good, with no global
  state, which is why Envoy's and NGINX's "least request" balancers use it.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Generator, Mapping
from typing import Any

import simpy

from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import percentile, rounded, seeded

VARIANTS = ("random", "round-robin", "least-outstanding", "power-of-two")
ONE_CHOICE = ("random", "round-robin")

INFO = LabInfo(
    name="load-balancing",
    title="Load balancing: random, round robin, least-outstanding and power of two choices",
    description=(
        "Balls into bins: the fullest of n bins holds about ln n / ln ln n balls with one random choice "
        "and ln ln n / ln 2 with the better of two. On servers of mixed speed, random and round robin "
        "overload the slow half; least-outstanding and power-of-two choices keep the tail short."
    ),
    params=(
        Param("bins", "int", 100000, "balls-into-bins: balls and bins (n)", 10, 10000000),
        Param("servers", "int", 10, "servers in the cluster (half fast, half slow)", 2, 1000),
        Param(
            "fast_ms", "float", 5.0, "fast servers' mean service time (ms); slow ones take twice as long", 0.01, 60000
        ),
        Param("load", "float", 0.75, "offered load, fraction of the cluster's total capacity", 0.01, 0.99),
        Param("duration_s", "float", 10.0, "simulated time (s)", 1, 3600),
    ),
    variants=VARIANTS,
    metrics=(
        Metric("max_bin_load", "balls into bins: balls in the fullest bin"),
        Metric("theory_max_bin_load", "ln n / ln ln n (one random choice), ln ln n / ln 2 (two), 1 (perfect)"),
        Metric("mean_ms", "cluster: mean response time"),
        Metric("p99_ms", "cluster: 99th percentile response time"),
        Metric("max_outstanding", "cluster: most requests outstanding at one server"),
    ),
    notes=("hot-partition", "latency-vs-throughput"),
    source=(
        'Michael Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", IEEE TPDS 12(10), '
        '2001; Y. Azar, A. Broder, A. Karlin, E. Upfal, "Balanced Allocations", STOC 1994'
    ),
    checked_against="theory",
    checked_how=(
        "balls into bins: one random choice at or above ln n / ln ln n, two choices within 1 of "
        "ln ln n / ln 2 and at most half the one-choice maximum; in the cluster, the slow servers' share "
        "above their capacity makes random and round robin's p99 10x that of the load-aware balancers"
    ),
)


def balls_into_bins(n: int, choices: int, rng: random.Random) -> int:
    """Throw n balls into n bins, each into the least full of `choices` random bins; the max load."""
    bins = [0] * n
    for _ in range(n):
        picks = [rng.randrange(n) for _ in range(choices)]
        i = min(picks, key=bins.__getitem__)
        bins[i] += 1
    return max(bins)


def theory_max_load(variant: str, n: int) -> float:
    if variant == "random":
        return math.log(n) / math.log(math.log(n))
    if variant == "power-of-two":
        return math.log(math.log(n)) / math.log(2)
    return 1.0  # round robin and least-outstanding fill the bins evenly


class Cluster:
    def __init__(self, variant: str, p: Mapping[str, Any], rng: random.Random) -> None:
        self.p, self.rng = p, rng
        self.env = simpy.Environment()
        n = p["servers"]
        self.means = [p["fast_ms"] if i < n // 2 else 2 * p["fast_ms"] for i in range(n)]
        self.servers = [simpy.Resource(self.env, 1) for _ in range(n)]
        capacity = sum(1000.0 / m for m in self.means)
        self.rate = p["load"] * capacity
        self.latencies: list[float] = []
        self.max_outstanding = 0
        self.pick = self._policy(variant)

    def _outstanding(self, i: int) -> int:
        server = self.servers[i]
        return server.count + len(server.queue)

    def _policy(self, variant: str) -> Callable[[], int]:
        n = len(self.servers)
        if variant == "random":
            return lambda: self.rng.randrange(n)
        if variant == "round-robin":
            cycle = itertools.cycle(range(n))
            return lambda: next(cycle)
        if variant == "least-outstanding":
            return lambda: min(range(n), key=lambda i: (self._outstanding(i), self.rng.random()))
        return lambda: min(self.rng.sample(range(n), 2), key=self._outstanding)

    def run(self) -> None:
        self.env.process(self._arrivals())
        self.env.run(until=self.p["duration_s"] * 1000.0)  # the clock counts milliseconds

    def _arrivals(self) -> Generator:
        while True:
            yield self.env.timeout(self.rng.expovariate(self.rate / 1000.0))
            self.env.process(self._request(self.pick()))

    def _request(self, i: int) -> Generator:
        start = self.env.now
        with self.servers[i].request() as turn:
            self.max_outstanding = max(self.max_outstanding, self._outstanding(i))
            yield turn
            yield self.env.timeout(self.rng.expovariate(1.0 / self.means[i]))
        self.latencies.append(self.env.now - start)


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    advance = stepper(progress, 2 * len(VARIANTS))
    n = p["bins"]
    variants: dict[str, dict[str, Number]] = {}
    for i, name in enumerate(VARIANTS):
        if name in ONE_CHOICE and name != "random":
            max_load = 1  # round robin deals the balls out evenly
        elif name == "least-outstanding":
            max_load = 1  # always the emptiest bin
        else:
            max_load = balls_into_bins(n, 1 if name == "random" else 2, seeded(seed, INFO.name, name, "bins"))
        variants[name] = {"max_bin_load": max_load, "theory_max_bin_load": rounded(theory_max_load(name, n), 2)}
        advance(i + 1)
    lines: dict[str, list[tuple[float, float]]] = {}
    for i, name in enumerate(VARIANTS):
        cluster = Cluster(name, p, seeded(seed, INFO.name, name))
        cluster.run()
        ordered = sorted(cluster.latencies)
        variants[name].update(
            {
                "mean_ms": rounded(sum(ordered) / max(1, len(ordered)), 1),
                "p99_ms": rounded(percentile(ordered, 99, presorted=True), 1),
                "max_outstanding": cluster.max_outstanding,
            }
        )
        lines[name] = [(q, percentile(ordered, q, presorted=True)) for q in (50, 75, 90, 95, 99, 99.9)]
        advance(len(VARIANTS) + i + 1)
    plot = SeriesPlot(
        title=f"Response-time percentiles, {p['servers']} servers (half 2x slower) at {p['load']:g} load",
        xlabel="percentile",
        ylabel="response time (ms)",
        lines=lines,
        log_y=True,
        style={name: "-o" for name in VARIANTS},
    )
    return Outcome(variants, plot)


LAB = Lab(INFO, run, lambda p: 2 * p["bins"] + 4 * p["load"] * p["servers"] * 750 / p["fast_ms"] * p["duration_s"])
