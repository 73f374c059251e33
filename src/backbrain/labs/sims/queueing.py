"""queueing: M/M/1 and M/M/c queues at rising utilization, against the closed-form answers.

Poisson arrivals at rate lambda, c servers with exponential service at rate mu each, one FIFO
line. For M/M/1 (c = 1) the mean number in the system is L = rho / (1 - rho) with
rho = lambda / mu, and the response time is exponential with rate mu - lambda, so its q-th
percentile is ln(1 / (1 - q)) / (mu - lambda). For M/M/c at the same per-server utilization
rho = lambda / (c mu), a request waits with the Erlang C probability C(c, c rho), and then for an
exponential time with rate c mu - lambda; the response-time tail follows from that (see
`response_tail`). The point of the lab is the shape: at 50% utilization a request spends about
two service times in an M/M/1 system; at 90% it spends ten. Latency does not degrade gently,
it explodes as rho approaches 1, and the tail (p99, p99.9) explodes first. Pooling the same
load over c servers at the same utilization waits far less, which is why one shared queue in
front of many workers beats one queue per worker.

Every variant starts empty and runs until its `customers` arrivals have all left, so the
simulated time-average number present L, the measured throughput lambda' = customers / T and the
mean response time W obey Little's law L = lambda' W exactly: the area under the number-present
curve is the sum of the response times. The test suite holds the lab to that identity, which a
closed-form answer (L from theory, lambda from the parameter) does not satisfy. Near saturation
the estimates converge slowly (the variance grows as 1/(1 - rho)^4), so rho 0.9 lands further
from theory than rho 0.5 for the same run length.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Generator, Mapping
from typing import Any

import simpy

from backbrain.labs.idle import IdleServers
from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper, within
from backbrain.labs.stats import percentile, rounded, seeded

DEFAULT_RHOS = [0.5, 0.7, 0.8, 0.9]
QUANTILES = {"p50": 50.0, "p99": 99.0, "p999": 99.9}

INFO = LabInfo(
    name="queueing",
    title="Queueing: latency against utilization (M/M/1 and M/M/c)",
    description=(
        "M/M/1 and M/M/c queues simulated at several utilizations and checked against rho/(1-rho) "
        "and Erlang C: mean and tail latency grow without bound as utilization nears 100%, and "
        "pooling c servers behind one queue waits far less at the same utilization."
    ),
    params=(
        Param("rhos", "floats", DEFAULT_RHOS, "per-server utilizations to simulate, comma-separated", 0.01, 0.99),
        Param("service_ms", "float", 10.0, "mean service time (ms)", 0.001, 1e6),
        Param("customers", "int", 100000, "arrivals simulated per variant", 100, 10000000),
        Param("servers", "int", 4, "servers of the M/M/c rows (1: M/M/1 only)", 1, 64),
    ),
    variants=tuple(f"mm{c}-rho-{r:g}" for c in (1, 4) for r in DEFAULT_RHOS),
    metrics=(
        Metric("mean_in_system", "simulated time-average number of requests queued or in service (L)"),
        Metric("theory_mean_in_system", "rho/(1-rho) for M/M/1; lambda x W from Erlang C for M/M/c"),
        Metric("throughput_per_s", "simulated completions per second (lambda' in L = lambda' W)"),
        Metric("mean_response_ms", "simulated mean time from arrival to completion (W)"),
        Metric("theory_mean_response_ms", "1/(mu - lambda) for M/M/1; C/(c mu - lambda) + 1/mu for M/M/c"),
        Metric("p50_response_ms", "simulated median response time"),
        Metric("p99_response_ms", "simulated 99th percentile response time"),
        Metric("p999_response_ms", "simulated 99.9th percentile response time"),
        Metric("theory_p99_response_ms", "99th percentile of the exact response-time distribution"),
    ),
    notes=("latency-vs-throughput", "backpressure"),
    source=(
        "Leonard Kleinrock, Queueing Systems, Volume 1: Theory, Wiley, 1975, ch. 3 (M/M/1, M/M/c and "
        'Erlang C); John D. C. Little, "A Proof for the Queuing Formula L = lambda W", Operations '
        "Research 9(3), 1961"
    ),
    checked_against="theory",
    checked_how=(
        "M/M/1 mean and p50/p99 within 5-8% of rho/(1-rho) and the exponential response time, M/M/c against "
        "Erlang C, Little's law L = lambda' W exact between the three measured quantities"
    ),
)


def erlang_c(servers: int, offered: float) -> float:
    """Probability an arrival waits in M/M/c with offered load a = lambda / mu (needs a < c)."""
    term, total = 1.0, 1.0  # a^k / k! for k = 0, summed
    for k in range(1, servers):
        term *= offered / k
        total += term
    top = term * offered / servers * servers / (servers - offered)  # a^c / c! * c / (c - a)
    return top / (total + top)


def response_tail(t: float, servers: int, rho: float, mu: float) -> float:
    """P(response time > t) in M/M/c: service S ~ Exp(mu) plus, with probability C, Exp(c mu - lambda)."""
    wait_prob = erlang_c(servers, servers * rho)
    theta = servers * mu * (1 - rho)
    if math.isclose(theta, mu):
        both = math.exp(-mu * t) * (1 + mu * t)
    else:
        both = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return (1 - wait_prob) * math.exp(-mu * t) + wait_prob * both


def theory(servers: int, rho: float, service_ms: float) -> dict[str, float]:
    """Closed-form mean in system, mean response and p99 response (ms) for M/M/c."""
    mu = 1.0 / service_ms
    lam = servers * rho * mu
    response = erlang_c(servers, servers * rho) / (servers * mu - lam) + 1.0 / mu
    lo, hi = 0.0, service_ms
    while response_tail(hi, servers, rho, mu) > 0.01:
        hi *= 2
    for _ in range(60):  # bisection to well below the rounding of the output
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if response_tail(mid, servers, rho, mu) > 0.01 else (lo, mid)
    return {"mean_in_system": lam * response, "mean_response_ms": response, "p99_response_ms": hi}


class Queue:
    """c servers behind one FIFO line, an integral of the number present, and every response time."""

    def __init__(
        self,
        servers: int,
        rho: float,
        service_ms: float,
        customers: int,
        rng: random.Random,
        tick: ProgressFn | None = None,
    ) -> None:
        self.env = simpy.Environment()
        self.tick = tick
        self.rng = rng
        self.servers = servers
        self.mu = 1.0 / service_ms  # per ms
        self.lam = servers * rho * self.mu
        self.customers = customers
        self.line: deque[float] = deque()
        self.present = 0
        self.area = 0.0
        self.last = 0.0
        self.responses: list[float] = []
        self.idle = IdleServers(self.env)

    def run(self) -> tuple[float, float, list[float]]:
        """Return (time-average number in system, completions per ms, response times in ms)."""
        self.env.process(self._arrivals())
        for _ in range(self.servers):
            self.env.process(self._server())
        self.env.run()
        self._count(0)
        return self.area / self.env.now, len(self.responses) / self.env.now, self.responses

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
            self.idle.wake_one()

    def _server(self) -> Generator:
        while True:
            if not self.line:
                yield self.idle.wait()
                continue  # another server may have taken the request already
            arrived = self.line.popleft()
            yield self.env.timeout(self.rng.expovariate(self.mu))
            self._count(-1)
            self.responses.append(self.env.now - arrived)


def variant_name(servers: int, rho: float) -> str:
    return f"mm{servers}-rho-{rho:g}"


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    rhos = sorted(p["rhos"])
    systems = sorted({1, p["servers"]})
    advance = stepper(progress, len(rhos) * len(systems))
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    style: dict[str, str] = {}
    step = 0
    for servers in systems:
        simulated: list[tuple[float, float]] = []
        for rho in rhos:
            name = variant_name(servers, rho)
            queue = Queue(servers, rho, p["service_ms"], p["customers"], seeded(seed, INFO.name, name))
            queue.tick = within(advance, step)
            in_system, per_ms, responses = queue.run()
            variants[name] = metrics(servers, rho, p["service_ms"], in_system, per_ms, responses)
            simulated.append((rho, float(variants[name]["p99_response_ms"])))
            step += 1
            advance(step)
        top = max(rhos)
        grid = [r / 100 for r in range(1, int(top * 100) + 1)]
        lines[f"M/M/{servers} theory"] = [(r, theory(servers, r, p["service_ms"])["p99_response_ms"]) for r in grid]
        lines[f"M/M/{servers} simulated"] = simulated
        style[f"M/M/{servers} simulated"] = "o"
    plot = SeriesPlot(
        title="p99 response time against per-server utilization: simulation and exact distribution",
        xlabel="utilization rho",
        ylabel="p99 response time (ms)",
        lines=lines,
        log_y=True,
        style=style,
    )
    return Outcome(variants, plot)


def metrics(
    servers: int, rho: float, service_ms: float, in_system: float, per_ms: float, responses: list[float]
) -> dict[str, Number]:
    exact = theory(servers, rho, service_ms)
    ordered = sorted(responses)
    out: dict[str, Number] = {
        "mean_in_system": rounded(in_system, 4),
        "theory_mean_in_system": rounded(exact["mean_in_system"], 4),
        "throughput_per_s": rounded(per_ms * 1000.0, 3),
        "mean_response_ms": rounded(sum(responses) / len(responses), 4),
        "theory_mean_response_ms": rounded(exact["mean_response_ms"], 4),
    }
    for label, q in QUANTILES.items():
        out[f"{label}_response_ms"] = rounded(percentile(ordered, q, presorted=True), 3)
    out["theory_p99_response_ms"] = rounded(exact["p99_response_ms"], 3)
    return out


LAB = Lab(INFO, run, lambda p: p["customers"] * len(p["rhos"]) * (2 if p["servers"] > 1 else 1))
