"""load-shedding: an overloaded service without and with admission control.

A service has `workers` workers, each serving one request at a time in an exponential
`service_ms`, so it can complete workers / service requests per second (its capacity). Clients
send Poisson traffic at a multiple of that capacity and give up after `timeout_ms`; a reply after
that is wasted work, because nobody is waiting for it. Goodput counts only replies in time.

- no-shedding: one unbounded FIFO queue. Past capacity the queue grows without limit, every
  request waits behind the ones before it, and soon every request is served after its client has
  left: the server is 100% busy and goodput collapses toward zero (congestive collapse).
- queue-limit: refuse a request at once (a fast 503) when `queue_limit` are already waiting.
  Waiting is bounded by queue_limit / capacity, so everything admitted is served in time and
  goodput stays at capacity.
- latency-shedding: CoDel-style, at dequeue: a request that has already waited `target_ms`
  is dropped instead of served, so the workers only spend time on requests that can still
  make it.
- adaptive-lifo: first in, first out while the queue is short; once it holds more than
  `queue_limit`, serve the newest first (Facebook's adaptive LIFO, with CoDel, in "Fail at
  Scale", 2015). The newest request is the one whose client is still waiting; the old ones
  time out in the queue instead of taking a worker (here they stay queued: a real server also
  drops them, which costs it nothing but memory).

Every policy serves at most capacity; the difference is how much of that work reaches a client
who still wants it.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import simpy

from backbrain.labs.idle import IdleServers
from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import percentile, rounded, seeded

VARIANTS = ("no-shedding", "queue-limit", "latency-shedding", "adaptive-lifo")
DEFAULT_LOADS = [0.5, 0.9, 1.2, 1.5, 2.0]

INFO = LabInfo(
    name="load-shedding",
    title="Load shedding: goodput under overload, without and with admission control",
    description=(
        "A service offered more than its capacity, with clients that time out. Without shedding "
        "the queue grows until every reply comes too late and goodput collapses; a queue limit, "
        "latency-based shedding or adaptive LIFO keep goodput at capacity and latency bounded."
    ),
    params=(
        Param("loads", "floats", DEFAULT_LOADS, "offered load as multiples of capacity, comma-separated", 0.05, 10),
        Param("workers", "int", 4, "requests served at once", 1, 256),
        Param("service_ms", "float", 10.0, "mean service time (ms)", 0.01, 60000),
        Param("timeout_ms", "float", 500.0, "client timeout (ms): later replies are wasted", 1, 600000),
        Param("queue_limit", "int", 50, "queue-limit and adaptive-lifo: queue length that triggers them", 1, 1000000),
        Param(
            "target_ms",
            "float",
            100.0,
            "latency-shedding: drop a request queued longer (ms)",
            0,
            600000,
        ),
        Param("duration_s", "float", 20.0, "simulated time per load (s)", 1, 3600),
    ),
    variants=VARIANTS,
    metrics=(
        Metric("goodput_pct", "replies within the timeout per second at the highest load, % of capacity"),
        Metric("p99_ms", "99th percentile latency of the in-time replies at the highest load"),
        Metric("shed_pct", "requests refused or dropped at the highest load, % of offered"),
        Metric("in_time_below_capacity_pct", "in-time replies at the highest load <= 1.0, % of offered"),
    ),
    notes=("load-shedding", "backpressure"),
    source=(
        'Google SRE book, ch. 21 "Handling Overload" and ch. 22 "Addressing Cascading Failures"; '
        'Ben Maurer, "Fail at Scale", ACM Queue 13(8), 2015 (adaptive LIFO and CoDel); K. Nichols, '
        'V. Jacobson, "Controlling Queue Delay", ACM Queue 10(5), 2012'
    ),
    checked_against="theory",
    checked_how=(
        "below capacity every policy's goodput equals the offered load (within 5%); past it the shedding "
        "policies hold goodput within 10% of capacity (min(offered, capacity)) and keep p99 under the "
        "timeout, while the unbounded queue's goodput falls under 20% of capacity at 2x"
    ),
)


@dataclass
class Tally:
    good: int = 0
    shed: int = 0
    offered: int = 0
    latencies: list[float] = field(default_factory=list)


class Service:
    """`workers` servers behind one queue whose discipline is the variant's."""

    def __init__(self, variant: str, p: Mapping[str, Any], load: float, rng: random.Random) -> None:
        self.variant, self.p, self.rng = variant, p, rng
        self.env = simpy.Environment()
        self.capacity = p["workers"] / (p["service_ms"] / 1000.0)
        self.rate = load * self.capacity
        self.queue: deque[float] = deque()
        self.idle = IdleServers(self.env)
        self.tally = Tally()

    def run(self) -> Tally:
        self.env.process(self._arrivals())
        for _ in range(self.p["workers"]):
            self.env.process(self._worker())
        self.env.run(until=self.p["duration_s"])
        return self.tally

    def _arrivals(self) -> Generator:
        while True:
            yield self.env.timeout(self.rng.expovariate(self.rate))
            self.tally.offered += 1
            if self.variant == "queue-limit" and len(self.queue) >= self.p["queue_limit"]:
                self.tally.shed += 1  # a fast refusal: the client can go elsewhere at once
                continue
            self.queue.append(self.env.now)
            self.idle.wake_one()

    def _next(self) -> float | None:
        """The arrival time of the request to serve next, or None after dropping stale ones."""
        if self.variant == "adaptive-lifo" and len(self.queue) > self.p["queue_limit"]:
            return self.queue.pop()
        arrived = self.queue.popleft()
        if self.variant == "latency-shedding" and (self.env.now - arrived) * 1000.0 > self.p["target_ms"]:
            self.tally.shed += 1
            return None
        return arrived

    def _worker(self) -> Generator:
        timeout_s = self.p["timeout_ms"] / 1000.0
        while True:
            if not self.queue:
                yield self.idle.wait()
                continue
            arrived = self._next()
            if arrived is None:
                continue
            yield self.env.timeout(self.rng.expovariate(1000.0 / self.p["service_ms"]))
            latency = self.env.now - arrived
            if latency <= timeout_s:
                self.tally.good += 1
                self.tally.latencies.append(latency * 1000.0)


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    loads = sorted(p["loads"])
    advance = stepper(progress, len(VARIANTS) * len(loads))
    capacity = p["workers"] / (p["service_ms"] / 1000.0)
    below = max([x for x in loads if x <= 1.0], default=loads[0])
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    step = 0
    for name in VARIANTS:
        curve: list[tuple[float, float]] = []
        for load in loads:
            tally = Service(name, p, load, seeded(seed, INFO.name, name, repr(load))).run()
            goodput_pct = 100.0 * tally.good / p["duration_s"] / capacity
            curve.append((load, goodput_pct))
            if load == loads[-1]:
                top = tally
            if load == below:
                in_time_below = 100.0 * tally.good / max(1, tally.offered)
            step += 1
            advance(step)
        variants[name] = {
            "goodput_pct": rounded(curve[-1][1], 1),
            "p99_ms": rounded(percentile(top.latencies, 99), 1),
            "shed_pct": rounded(100.0 * top.shed / max(1, top.offered), 1),
            "in_time_below_capacity_pct": rounded(in_time_below, 1),
        }
        lines[name] = curve
    lines["offered (ideal)"] = [(x, 100.0 * min(x, 1.0)) for x in loads]
    plot = SeriesPlot(
        title=f"Goodput against offered load ({p['workers']} workers, timeout {p['timeout_ms']:g} ms)",
        xlabel="offered load / capacity",
        ylabel="goodput, % of capacity",
        lines=lines,
        style={"offered (ideal)": ":", **{name: "-o" for name in VARIANTS}},
    )
    return Outcome(variants, plot)


LAB = Lab(INFO, run, lambda p: 4 * sum(p["loads"]) * p["workers"] * 1000 / p["service_ms"] * p["duration_s"])
