"""circuit-breaker: a dependency that hangs for a while, with and without a breaker.

Requests arrive at `rate` per second and each calls one dependency. Healthy, it answers in about
`latency_ms`. From `outage_start_s` for `outage_s` seconds it stops answering, so every call
waits out the caller's `timeout_ms` and fails: the slow failure that ties up callers' threads
and connections and spreads upstream as a cascading failure.

- no-breaker: every request during the outage reaches the dying dependency and waits the full
  timeout. Recovery is immediate, because the caller never stopped trying.
- breaker: resilience4j semantics (count-based window of `window` calls, failure-rate threshold
  50%, `wait_s` in OPEN, `half_open_calls` probes in HALF_OPEN). Once the window fills with
  failures it opens and callers fail fast; every `wait_s` a few probes test the dependency.
  The price is recovery_s: up to `wait_s` (plus a probe) after the dependency is back.
"""

from __future__ import annotations

import random
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import simpy

from backbrain.labs.breaker import CircuitBreaker, State
from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import per_second, percentile, rounded, seeded

VARIANTS = ("no-breaker", "breaker")

INFO = LabInfo(
    name="circuit-breaker",
    title="Circuit breaker: failing fast while a dependency is down",
    description=(
        "A dependency stops answering for a period and then recovers. Without a breaker every "
        "request waits out its timeout against it; a count-based breaker (resilience4j semantics, "
        "50% failure-rate threshold) opens, fails fast, probes in half-open, and closes again "
        "shortly after recovery."
    ),
    params=(
        Param("rate", "float", 100.0, "requests per second", 0.1, 100000),
        Param("duration_s", "float", 120.0, "simulated time (s)", 1, 86400),
        Param("outage_start_s", "float", 10.0, "when the dependency stops answering (s)", 0, 86400),
        Param("outage_s", "float", 30.0, "how long it stays down (s)", 0, 86400),
        Param("latency_ms", "float", 20.0, "healthy median latency (ms)", 0.01, 600000),
        Param("timeout_ms", "float", 500.0, "caller's timeout (ms)", 0.01, 600000),
        Param("window", "int", 20, "breaker: sliding window size (calls)", 1, 100000),
        Param("min_calls", "int", 20, "breaker: minimum calls before it may open", 1, 100000),
        Param("wait_s", "float", 5.0, "breaker: wait duration in open state (s)", 0, 86400),
        Param("half_open_calls", "int", 5, "breaker: permitted calls in half-open state", 1, 100000),
        Param(
            "half_open_max_wait_s",
            "float",
            0.0,
            "breaker: max time in half-open before reopening (0: no limit)",
            0,
            86400,
        ),
    ),
    variants=VARIANTS,
    metrics=(
        Metric("calls_to_failing_dependency", "calls sent to the dependency while it was down"),
        Metric("p99_latency_ms", "99th percentile request latency; a fast failure counts as 0 ms"),
        Metric(
            "recovery_s",
            "from the dependency's recovery to the first success with traffic flowing; -1 if not within the run",
        ),
    ),
    notes=("circuit-breaker", "cascading-failures"),
    source=(
        "Michael T. Nygard, Release It!, 2nd ed., Pragmatic Bookshelf, 2018, ch. 5 (Circuit "
        "Breaker); resilience4j CircuitBreaker documentation (count-based sliding window)"
    ),
    checked_against="shape",
    checked_how=(
        "the breaker state machine is unit-tested against resilience4j's documented semantics; the lab's "
        "numbers for shape (calls to the failing dependency cut 10x, recovery within the open wait plus a "
        "timeout)"
    ),
)


@dataclass
class Record:
    latencies: list[float] = field(default_factory=list)
    failing_calls: int = 0
    call_times: list[float] = field(default_factory=list)
    first_flowing_success: float | None = None


class Caller:
    def __init__(self, p: Mapping[str, Any], breaker: CircuitBreaker | None, rng: random.Random) -> None:
        self.p, self.breaker, self.rng = p, breaker, rng
        self.env = simpy.Environment()
        self.down_from = p["outage_start_s"]
        self.down_until = p["outage_start_s"] + p["outage_s"]
        self.record = Record()

    def run(self) -> Record:
        self.env.process(self._arrivals())
        self.env.run()
        return self.record

    def _arrivals(self) -> Generator:
        while True:
            yield self.env.timeout(self.rng.expovariate(self.p["rate"]))
            if self.env.now >= self.p["duration_s"]:
                return
            self.env.process(self._request())

    def _request(self) -> Generator:
        env, breaker = self.env, self.breaker
        start = env.now
        if breaker is not None and not breaker.try_acquire(start):
            self.record.latencies.append(0.0)  # CallNotPermitted: fail fast, serve a fallback
            return
        self.record.call_times.append(start)
        down = self.down_from <= start < self.down_until
        if down:
            self.record.failing_calls += 1
            yield env.timeout(self.p["timeout_ms"] / 1000.0)
        else:
            latency = self.p["latency_ms"] * self.rng.lognormvariate(0.0, 0.35)
            yield env.timeout(min(latency, self.p["timeout_ms"]) / 1000.0)
        self.record.latencies.append((env.now - start) * 1000.0)
        if breaker is not None:
            (breaker.on_error if down else breaker.on_success)(env.now)
        self._note_recovery(ok=not down)

    def _note_recovery(self, ok: bool) -> None:
        if not ok or self.record.first_flowing_success is not None or self.env.now < self.down_until:
            return
        if self.breaker is None or self.breaker.state is State.CLOSED:
            self.record.first_flowing_success = self.env.now


def _breaker(p: Mapping[str, Any]) -> CircuitBreaker:
    return CircuitBreaker(
        failure_rate_threshold=50.0,
        sliding_window_size=p["window"],
        minimum_number_of_calls=p["min_calls"],
        wait_duration_in_open_state=p["wait_s"],
        permitted_number_of_calls_in_half_open_state=p["half_open_calls"],
        max_wait_duration_in_half_open_state=p["half_open_max_wait_s"],
    )


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    advance = stepper(progress, len(VARIANTS))
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    for i, name in enumerate(VARIANTS):
        breaker = _breaker(p) if name == "breaker" else None
        record = Caller(p, breaker, seeded(seed, INFO.name, name)).run()
        recovered = record.first_flowing_success
        back_at = p["outage_start_s"] + p["outage_s"]
        variants[name] = {
            "calls_to_failing_dependency": record.failing_calls,
            "p99_latency_ms": rounded(percentile(record.latencies, 99), 1),
            "recovery_s": -1.0 if recovered is None else rounded(recovered - back_at, 3),
        }
        lines[name] = [(float(s), float(c)) for s, c in enumerate(per_second(record.call_times, 0, p["duration_s"]))]
        advance(i + 1)
    start, end = p["outage_start_s"], p["outage_start_s"] + p["outage_s"]
    plot = SeriesPlot(
        title=f"Calls reaching the dependency per second (down from {start:g} s to {end:g} s)",
        xlabel="time (s)",
        ylabel="calls per second",
        lines=lines,
    )
    return Outcome(variants, plot)


LAB = Lab(INFO, run, lambda p: 2 * p["rate"] * p["duration_s"])
