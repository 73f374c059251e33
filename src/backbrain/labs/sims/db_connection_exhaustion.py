"""db-connection-exhaustion: sweeping a connection pool's size under a fixed load.

Requests arrive at `rate` per second; each needs a database connection for a query of about
`query_ms` (exponentially distributed) and gives up if it cannot get one within
`acquire_timeout_ms`. Little's law says how many connections the load occupies on average:
L = lambda * W = 400/s * 0.020 s = 8 at the defaults.

- A pool smaller than that is exhausted: it completes at most pool / query time requests per
  second, the rest queue for a connection, the queue grows until the acquire timeout cuts it,
  and p99 wait sits at the timeout while errors pile up.
- A pool near it (pool-8 here, utilization 100%) is the knee: no spare capacity for bursts.
- Beyond it, throughput flattens at the offered load and extra connections buy almost nothing:
  the wait is already near zero. (On a real database they cost memory and contention; see
  HikariCP's "About Pool Sizing".)
"""

from __future__ import annotations

import random
from collections.abc import Generator, Mapping
from typing import Any

import simpy

from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import percentile, rounded, seeded

DEFAULT_POOLS = [2, 4, 8, 12, 16, 32]

INFO = LabInfo(
    name="db-connection-exhaustion",
    title="Database connection exhaustion: pool size sweep",
    description=(
        "A fixed request rate against pools of different sizes. Below lambda x query time "
        "connections (Little's law) the pool is exhausted, waits hit the acquire timeout and "
        "requests fail; above it throughput flattens at the offered load."
    ),
    params=(
        Param("rate", "float", 400.0, "requests per second", 0.1, 100000),
        Param("query_ms", "float", 20.0, "mean time a request holds a connection (ms)", 0.01, 600000),
        Param("pools", "ints", DEFAULT_POOLS, "pool sizes to sweep, comma-separated", 1, 10000),
        Param("acquire_timeout_ms", "float", 500.0, "give up waiting for a connection after (ms)", 0, 600000),
        Param("duration_s", "float", 60.0, "simulated time (s)", 1, 3600),
    ),
    variants=tuple(f"pool-{n}" for n in DEFAULT_POOLS),
    metrics=(
        Metric("throughput", "requests completed per second"),
        Metric("p99_wait_ms", "99th percentile wait for a connection; timed-out requests count as the timeout"),
        Metric("timeouts", "requests that gave up waiting for a connection"),
    ),
    notes=("db-connection-exhaustion",),
    source=(
        'John D. C. Little, "A Proof for the Queuing Formula L = lambda W", Operations Research '
        '9(3), 1961; Brett Wooldridge, "About Pool Sizing", HikariCP wiki'
    ),
    checked_against="theory",
    checked_how=(
        "throughput never above min(rate, pool / query time) (Little's law), equal to the offered rate once "
        "the pool is 1.5x lambda x W"
    ),
)


class PoolRun:
    def __init__(self, pool: int, p: Mapping[str, Any], rng: random.Random) -> None:
        self.p, self.rng = p, rng
        self.env = simpy.Environment()
        self.pool = simpy.Resource(self.env, capacity=pool)
        self.waits: list[float] = []
        self.completed = 0
        self.timeouts = 0

    def run(self) -> None:
        self.env.process(self._arrivals())
        self.env.run()

    def _arrivals(self) -> Generator:
        rate, end = self.p["rate"], self.p["duration_s"]
        while True:
            yield self.env.timeout(self.rng.expovariate(rate))
            if self.env.now >= end:
                return
            self.env.process(self._request())

    def _request(self) -> Generator[simpy.Event, Any, None]:
        env, limit = self.env, self.p["acquire_timeout_ms"] / 1000.0
        start = env.now
        with self.pool.request() as conn:
            got = yield conn | env.timeout(limit)
            if conn not in got:
                self.timeouts += 1
                self.waits.append(limit * 1000.0)
                return
            self.waits.append((env.now - start) * 1000.0)
            yield env.timeout(self.rng.expovariate(1000.0 / self.p["query_ms"]))
        if env.now <= self.p["duration_s"]:
            self.completed += 1


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    pools = sorted(p["pools"])
    advance = stepper(progress, len(pools))
    variants: dict[str, dict[str, Number]] = {}
    served: list[tuple[float, float]] = []
    for i, size in enumerate(pools):
        name = f"pool-{size}"
        sim = PoolRun(size, p, seeded(seed, INFO.name, name))
        sim.run()
        throughput = sim.completed / p["duration_s"]
        variants[name] = {
            "throughput": rounded(throughput, 1),
            "p99_wait_ms": rounded(percentile(sim.waits, 99), 1),
            "timeouts": sim.timeouts,
        }
        served.append((float(size), throughput))
        advance(i + 1)
    needed = p["rate"] * p["query_ms"] / 1000.0
    plot = SeriesPlot(
        title=f"Throughput against pool size (Little's law: {needed:g} connections busy at full load)",
        xlabel="pool size (connections)",
        ylabel="requests completed per second",
        lines={
            "throughput": served,
            "offered load": [(float(pools[0]), p["rate"]), (float(pools[-1]), p["rate"])],
        },
        style={"throughput": "o-", "offered load": "--"},
    )
    return Outcome(variants, plot)


LAB = Lab(INFO, run, lambda p: p["rate"] * p["duration_s"] * len(p["pools"]))
