"""retry-storm: backoff and jitter under contention, and retry budgets under overload.

Part one replays the model behind Marc Brooker's "Exponential Backoff And Jitter" (AWS
Architecture Blog, 2015; simulator at aws-samples/aws-arch-backoff-simulator): N clients all start
at once and each wants one optimistic-concurrency write to the same row. A client reads the row's
version, then writes conditional on it; every message crosses a network with delay
|Normal(10 ms, 2 ms)|. Each round only one writer can win, so without backoff the work grows as
N^2; backoff without jitter keeps the losers in lock-step; jitter spreads them out.

Part two is the overload case: a dependency that fails every call, five service layers above it,
each retrying three times, so one user request becomes up to 4**5 = 1024 dependency calls. A
per-layer retry budget caps each layer at (1 + ratio) of its incoming load instead. User requests
arrive at 50/s, each hop between layers takes |Normal(1 ms, 0.2 ms)| each way, and the dependency
answers every call with an error after 1 ms; retries are immediate, as they usually are between
services, so the amplification is the whole story.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Mapping
from typing import Any

import simpy

from backbrain.labs.backoff import Backoff, RetryBudget, make_backoff
from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import mean, rounded, seeded

CONTENTION = {
    "no-backoff": "none",
    "no-jitter": "exponential",
    "full-jitter": "full-jitter",
    "equal-jitter": "equal-jitter",
    "decorrelated-jitter": "decorrelated-jitter",
}
OVERLOAD = ("retries-3x5-layers", "retry-budget")
BUCKET_MS = 50.0  # width of the write-rate buckets in the plot

INFO = LabInfo(
    name="retry-storm",
    title="Retry storm: backoff, jitter and retry budgets",
    description=(
        "N clients race optimistic-concurrency writes to one row (the 2015 AWS backoff model): "
        "no backoff does O(N^2) work, backoff without jitter keeps clients colliding, full and "
        "decorrelated jitter cut the work. Then a failing dependency behind five layers that each "
        "retry 3 times (up to 4^5 = 1024x load) against the same stack with per-layer retry budgets."
    ),
    params=(
        Param("clients", "int", 100, "clients contending for the row", 1, 2000),
        Param("base_ms", "float", 5.0, "backoff base (ms)", 0.001, 60000),
        Param("cap_ms", "float", 2000.0, "backoff cap (ms)", 0.001, 600000),
        Param("net_mean_ms", "float", 10.0, "one-way network delay mean (ms)", 0, 10000),
        Param("net_sd_ms", "float", 2.0, "one-way network delay standard deviation (ms)", 0, 10000),
        Param("trials", "int", 50, "contention runs averaged per variant", 1, 1000),
        Param("layers", "int", 5, "service layers above the failing dependency", 1, 8),
        Param("layer_retries", "int", 3, "retries per call at each layer", 0, 10),
        Param("budget_ratio", "float", 0.1, "retry budget: retries allowed per request", 0, 10),
        Param("requests", "int", 100, "user requests sent into the failing stack", 1, 10000),
        Param("overload", "int", 1, "run the layered-overload variants too (0 skips them, e.g. in a sweep)", 0, 1),
    ),
    variants=(*CONTENTION, *OVERLOAD),
    metrics=(
        Metric("calls", "writes sent to the row; for the overload variants, calls that reached the dependency"),
        Metric("completion_ms", "time until the last client's write succeeded (contention variants)"),
        Metric("load_amplification", "calls per client (contention) or per user request (overload)"),
    ),
    notes=("retry-storms", "retry-with-backoff"),
    source=(
        'Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015 '
        "(simulator: github.com/aws-samples/aws-arch-backoff-simulator); retry budgets: Finagle "
        'RetryBudget; Google SRE book, ch. 21 "Handling Overload" and ch. 22 "Addressing Cascading Failures"'
    ),
    checked_against="published",
    checked_how=(
        "calls per strategy within 3% of Brooker's published 2421/1856/795/811/1004, no-jitter/full-jitter "
        "work ratio 2.33 +- 0.08; layered retries exactly (1 + retries)^layers, budgets at most (1 + "
        "ratio)^layers"
    ),
)


class Row:
    """The contended row: a version number and a count of write attempts."""

    def __init__(self) -> None:
        self.version = 0
        self.calls = 0
        self.write_times: list[float] = []

    def write(self, seen: int, now: float) -> bool:
        self.calls += 1
        self.write_times.append(now)
        if seen != self.version:
            return False
        self.version += 1
        return True


def _client(
    env: simpy.Environment, row: Row, net: Callable[[], float], backoff: Backoff, done: list[float]
) -> Generator:
    attempt = 0
    while True:
        yield env.timeout(net())  # read request
        seen = row.version
        yield env.timeout(net())  # read response
        yield env.timeout(net())  # conditional write request
        ok = row.write(seen, env.now)
        yield env.timeout(net())  # write response
        if ok:
            done.append(env.now)
            return
        attempt += 1
        yield env.timeout(backoff.delay(attempt))


def contention_trial(p: Mapping[str, Any], strategy: str, rng: random.Random) -> tuple[int, float, Row]:
    """One run: every client starts at t=0; returns (calls, completion ms, row)."""
    env = simpy.Environment()
    row = Row()
    done: list[float] = []

    def net() -> float:
        return abs(rng.normalvariate(p["net_mean_ms"], p["net_sd_ms"]))

    for _ in range(p["clients"]):
        backoff = make_backoff(strategy, p["base_ms"], p["cap_ms"], rng)
        env.process(_client(env, row, net, backoff, done))
    env.run()
    return row.calls, max(done), row


def overload_run(p: Mapping[str, Any], budgeted: bool, rng: random.Random) -> int:
    """Send `requests` user requests through the layered stack; return calls to the dependency."""
    env = simpy.Environment()
    layers, retries = p["layers"], p["layer_retries"]
    # min_per_s=0: at this traffic level the Finagle floor would dominate; the ratio is the point.
    budgets = [RetryBudget(ratio=p["budget_ratio"], min_per_s=0.0, ttl_s=10.0) for _ in range(layers)]
    calls = [0]

    def hop() -> float:
        return abs(rng.normalvariate(1.0, 0.2))  # ms between layers in one data centre

    def call(level: int) -> Generator[Any, Any, bool]:
        if level == layers:  # the dependency: fails every call after 1 ms of work
            calls[0] += 1
            yield env.timeout(1.0)
            return False
        budget = budgets[level]
        budget.record_request(env.now / 1000.0)
        for attempt in range(retries + 1):
            if attempt and budgeted and not budget.try_retry(env.now / 1000.0):
                return False
            yield env.timeout(hop())
            ok = yield from call(level + 1)
            yield env.timeout(hop())
            if ok:
                return True
        return False

    def user_requests() -> Generator:
        for _ in range(p["requests"]):
            env.process(call(0))
            yield env.timeout(rng.expovariate(50.0) * 1000.0)  # 50 requests/s

    env.process(user_requests())
    env.run()
    return calls[0]


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    trials = p["trials"]
    overload = OVERLOAD if p["overload"] else ()
    advance = stepper(progress, len(CONTENTION) * trials + len(overload) * 2)
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    step = 0
    for name, strategy in CONTENTION.items():
        rng = seeded(seed, INFO.name, name)
        calls, times = [], []
        for trial in range(trials):
            n, t, row = contention_trial(p, strategy, rng)
            calls.append(n)
            times.append(t)
            if trial == 0:
                lines[name] = _write_rate(row.write_times)
            step += 1
            advance(step)
        variants[name] = {
            "calls": rounded(mean(calls), 1),
            "completion_ms": rounded(mean(times), 1),
            "load_amplification": rounded(mean(calls) / p["clients"], 2),
        }
    for name in overload:
        n = overload_run(p, name == "retry-budget", seeded(seed, INFO.name, name))
        variants[name] = {"calls": n, "load_amplification": rounded(n / p["requests"], 3)}
        step += 2
        advance(step)
    plot = SeriesPlot(
        title=f"Writes reaching the row, first trial ({p['clients']} clients)",
        xlabel="time (ms)",
        ylabel=f"writes per {BUCKET_MS:g} ms",
        lines=lines,
    )
    return Outcome(variants, plot)


def _write_rate(times: list[float]) -> list[tuple[float, float]]:
    """Writes per BUCKET_MS bucket, with zeros, so clustering shows as spikes."""
    if not times:
        return []
    counts = [0] * (int(max(times) // BUCKET_MS) + 1)
    for t in times:
        counts[int(t // BUCKET_MS)] += 1
    return [(i * BUCKET_MS, float(c)) for i, c in enumerate(counts)]


LAB = Lab(
    INFO,
    run,
    lambda p: (
        5 * p["trials"] * p["clients"] ** 2 + p["overload"] * p["requests"] * (p["layer_retries"] + 1) ** p["layers"]
    ),
)
