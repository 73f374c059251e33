"""queueing: an M/M/1 queue at rising utilization, against the closed-form answer.

Poisson arrivals at rate lambda, one server with exponential service at rate mu, first come first
served. Queueing theory gives the mean number in the system L = rho / (1 - rho) with
rho = lambda / mu, and by Little's law the mean response time W = L / lambda = 1 / (mu - lambda).
The point of the lab is the shape: at 50% utilization a request waits about one service time; at
90% it waits nine; latency does not degrade gently, it explodes as rho approaches 1. That is why
systems keep headroom and why backpressure has to start well before 100%.

The model starts empty and runs `customers` arrivals per variant; the mean in system is the
time-average of the number present, measured independently of the response times, so comparing
it with lambda * W also checks Little's law. Near saturation the simulation converges slowly
(the variance of the estimate grows as 1/(1 - rho)^4), so rho-0.9 lands further from theory
than rho-0.5 for the same run length.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Generator, Mapping
from typing import Any

import simpy

from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper, within
from backbrain.labs.stats import rounded, seeded

DEFAULT_RHOS = [0.5, 0.7, 0.8, 0.9]

INFO = LabInfo(
    name="queueing",
    title="Queueing: latency against utilization (M/M/1)",
    description=(
        "An M/M/1 queue simulated at several utilizations and checked against rho/(1-rho): "
        "waiting grows without bound as utilization nears 100%."
    ),
    params=(
        Param("rhos", "floats", DEFAULT_RHOS, "utilizations to simulate, comma-separated", 0.01, 0.99),
        Param("service_ms", "float", 10.0, "mean service time (ms)", 0.001, 1e6),
        Param("customers", "int", 250000, "arrivals simulated per utilization", 100, 10000000),
    ),
    variants=tuple(f"rho-{r:g}" for r in DEFAULT_RHOS),
    metrics=(
        Metric("mean_in_system", "time-average number of requests queued or in service"),
        Metric("theory_mean_in_system", "rho / (1 - rho)"),
        Metric("mean_response_ms", "mean time from arrival to completion"),
        Metric("theory_mean_response_ms", "service time / (1 - rho)"),
    ),
    notes=("latency-vs-throughput", "backpressure"),
    source=(
        "Leonard Kleinrock, Queueing Systems, Volume 1: Theory, Wiley, 1975, ch. 3 (M/M/1); "
        'John D. C. Little, "A Proof for the Queuing Formula L = lambda W", Operations Research 9(3), 1961'
    ),
)


class MM1:
    """One server, a FIFO line, and an integral of the number present over time."""

    def __init__(
        self, rho: float, service_ms: float, customers: int, rng: random.Random, tick: ProgressFn | None = None
    ) -> None:
        self.env = simpy.Environment()
        self.tick = tick
        self.rng = rng
        self.mu = 1.0 / service_ms  # per ms
        self.lam = rho * self.mu
        self.customers = customers
        self.line: deque[float] = deque()
        self.present = 0
        self.area = 0.0
        self.last = 0.0
        self.response_total = 0.0
        self.served = 0
        self.idle: simpy.Event | None = None

    def run(self) -> tuple[float, float]:
        """Return (time-average number in system, mean response time in ms)."""
        self.env.process(self._arrivals())
        self.env.process(self._server())
        self.env.run()
        self._count(0)
        return self.area / self.env.now, self.response_total / self.served

    def _count(self, delta: int) -> None:
        now = self.env.now
        self.area += self.present * (now - self.last)
        self.last = now
        self.present += delta

    def _arrivals(self) -> Generator:
        for i in range(self.customers):
            if self.tick is not None and i % 20_000 == 0:
                self.tick(i / self.customers)
            yield self.env.timeout(self.rng.expovariate(self.lam))
            self._count(+1)
            self.line.append(self.env.now)
            if self.idle is not None:
                idle, self.idle = self.idle, None
                idle.succeed()

    def _server(self) -> Generator:
        while True:
            if not self.line:
                self.idle = self.env.event()
                yield self.idle
            arrived = self.line.popleft()
            yield self.env.timeout(self.rng.expovariate(self.mu))
            self._count(-1)
            self.response_total += self.env.now - arrived
            self.served += 1


def variant_name(rho: float) -> str:
    return f"rho-{rho:g}"


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    rhos = sorted(p["rhos"])
    advance = stepper(progress, len(rhos))
    variants: dict[str, dict[str, Number]] = {}
    simulated: list[tuple[float, float]] = []
    for i, rho in enumerate(rhos):
        name = variant_name(rho)
        rng = seeded(seed, INFO.name, name)
        in_system, response = MM1(rho, p["service_ms"], p["customers"], rng, within(advance, i)).run()
        variants[name] = {
            "mean_in_system": rounded(in_system, 3),
            "theory_mean_in_system": rounded(rho / (1 - rho), 3),
            "mean_response_ms": rounded(response, 3),
            "theory_mean_response_ms": rounded(p["service_ms"] / (1 - rho), 3),
        }
        simulated.append((rho, in_system))
        advance(i + 1)
    top = max(rhos)
    curve = [(r / 100, (r / 100) / (1 - r / 100)) for r in range(1, int(top * 100) + 1)]
    plot = SeriesPlot(
        title="Mean number in system: simulation against rho / (1 - rho)",
        xlabel="utilization rho",
        ylabel="mean in system",
        lines={"theory rho/(1-rho)": curve, "simulated": simulated},
        style={"simulated": "o"},
    )
    return Outcome(variants, plot)


LAB = Lab(INFO, run)
