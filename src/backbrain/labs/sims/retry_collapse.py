"""retry-collapse: a capacity-limited dependency tipped into congestive collapse by retries.

The dependency is not down. It has `workers` workers, each serving one request at a time in an
exponential `service_ms`, behind a FIFO queue, and it serves every request it was sent, even
one whose client has already timed out (it cannot know). Clients send user requests at `rate`
per second, below capacity, and give each attempt `timeout_ms`. From `slow_at_s` for `slow_s`
seconds the dependency runs at half speed (a noisy neighbour, a GC storm, a cold cache): for a
few seconds it is overloaded, the queue grows, and attempts start timing out.

- no-retries: the backlog drains once the slowdown ends and the service recovers by itself.
- naive-retries: every timed-out attempt is retried at once, up to `retries` times. The offered
  load multiplies, the queue fills with attempts nobody waits for, the dependency spends all its
  time on them, and the collapse outlives its trigger: a metastable failure that only shedding
  load (or restarting) ends.
- budget-jitter: retries wait a full-jitter backoff and are allowed only within a per-client
  retry budget (`budget_ratio` of requests, backbrain.labs.backoff.RetryBudget).
- adaptive-throttle: the naive retries, but every attempt passes the Google SRE book's
  client-side throttle first (backbrain.labs.throttle.AdaptiveThrottle, K = `throttle_k`), which
  refuses locally with probability max(0, (requests - K accepts) / (requests + 1)).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import simpy

from backbrain.labs.backoff import FullJitter, RetryBudget
from backbrain.labs.idle import IdleServers
from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import rounded, seeded
from backbrain.labs.throttle import AdaptiveThrottle

VARIANTS = ("no-retries", "naive-retries", "budget-jitter", "adaptive-throttle")

INFO = LabInfo(
    name="retry-collapse",
    title="Retry collapse: retries tip a slowed dependency into congestive collapse",
    description=(
        "A dependency below capacity slows down for a few seconds. Without retries it recovers; "
        "with naive retries the amplified load keeps it collapsed long after the trigger is gone; "
        "retry budgets with jitter, or the SRE book's adaptive client-side throttle, let it recover."
    ),
    params=(
        Param("rate", "float", 300.0, "user requests per second", 1, 100000),
        Param("workers", "int", 4, "dependency: requests served at once", 1, 256),
        Param("service_ms", "float", 10.0, "dependency: mean service time (ms)", 0.01, 60000),
        Param("timeout_ms", "float", 200.0, "client timeout per attempt (ms)", 1, 600000),
        Param("retries", "int", 3, "retries per user request", 0, 10),
        Param("slow_at_s", "float", 10.0, "when the dependency slows to half speed (s)", 0, 3600),
        Param("slow_s", "float", 5.0, "how long it stays slow (s)", 0, 3600),
        Param("duration_s", "float", 40.0, "simulated time (s)", 1, 3600),
        Param("budget_ratio", "float", 0.1, "budget-jitter: retries allowed per request", 0, 10),
        Param("throttle_k", "float", 2.0, "adaptive-throttle: K in requests / (K x accepts)", 1, 100),
        Param("throttle_window_s", "float", 2.0, "adaptive-throttle: trailing window (s)", 0.1, 3600),
    ),
    variants=VARIANTS,
    metrics=(
        Metric("goodput_pct", "user requests that succeeded, % of all"),
        Metric("after_goodput_pct", "success of user requests from 5 s after the slowdown ends, %"),
        Metric("recovery_s", "slowdown end to the first 1-s window with 90% success; -1 if never"),
        Metric("load_amplification", "attempts that reached the dependency per user request"),
    ),
    notes=("retry-with-backoff", "retry-storms", "cascading-failures"),
    source=(
        'Google SRE book, ch. 21 "Handling Overload" (client-side throttling) and ch. 22 "Addressing '
        'Cascading Failures"; N. Bronson et al., "Metastable Failures in Distributed Systems", HotOS 2021'
    ),
    checked_against="theory",
    checked_how=(
        "the throttle's refusal probability is unit-tested against the book's formula; in the lab, offered "
        "load x (1 + retries) above capacity keeps naive retries collapsed after the trigger (under 20% "
        "success), no retries and the two mitigations recover to 90%+, and the throttle keeps the load "
        "amplification near K"
    ),
)


@dataclass
class Attempt:
    sent: float
    done: simpy.Event


@dataclass
class Tally:
    outcomes: list[tuple[float, bool]] = field(default_factory=list)  # (user request start, succeeded)
    attempts: int = 0
    served_per_s: list[int] = field(default_factory=list)


class World:
    def __init__(self, variant: str, p: Mapping[str, Any], rng: random.Random) -> None:
        self.variant, self.p, self.rng = variant, p, rng
        self.env = simpy.Environment()
        self.queue: deque[Attempt] = deque()
        self.idle = IdleServers(self.env)
        self.tally = Tally()
        self.budget = RetryBudget(ratio=p["budget_ratio"], min_per_s=0.0, ttl_s=10.0)
        self.throttle = AdaptiveThrottle(p["throttle_k"], p["throttle_window_s"], rng)
        self.slow_from, self.slow_until = p["slow_at_s"], p["slow_at_s"] + p["slow_s"]

    def run(self) -> Tally:
        self.env.process(self._users())
        for _ in range(self.p["workers"]):
            self.env.process(self._worker())
        self.env.run(until=self.p["duration_s"])
        return self.tally

    def _users(self) -> Generator:
        while True:
            yield self.env.timeout(self.rng.expovariate(self.p["rate"]))
            self.env.process(self._user_request())

    def _user_request(self) -> Generator:
        start = self.env.now
        self.budget.record_request(start)
        backoff = FullJitter(0.05, 1.0, self.rng)
        for attempt in range(self.p["retries"] + 1 if self.variant != "no-retries" else 1):
            if attempt and self.variant == "budget-jitter":
                if not self.budget.try_retry(self.env.now):
                    break
                yield self.env.timeout(backoff.delay(attempt))
            if self.variant == "adaptive-throttle" and not self.throttle.allow(self.env.now):
                break  # refused locally: the request fails at once, at no cost to the dependency
            ok = yield from self._attempt()
            if ok:
                self.tally.outcomes.append((start, True))
                return
        self.tally.outcomes.append((start, False))

    def _attempt(self) -> Generator[Any, Any, bool]:
        self.tally.attempts += 1
        attempt = Attempt(self.env.now, self.env.event())
        self.queue.append(attempt)
        self.idle.wake_one()
        timeout = self.env.timeout(self.p["timeout_ms"] / 1000.0)
        yield attempt.done | timeout
        if attempt.done.triggered:
            self.throttle.on_accept(self.env.now)
            return True
        return False

    def _worker(self) -> Generator:
        while True:
            if not self.queue:
                yield self.idle.wait()
                continue
            attempt = self.queue.popleft()
            slow = 2.0 if self.slow_from <= self.env.now < self.slow_until else 1.0
            yield self.env.timeout(self.rng.expovariate(1000.0 / self.p["service_ms"]) * slow)
            if self.env.now - attempt.sent <= self.p["timeout_ms"] / 1000.0:
                attempt.done.succeed()  # in time; a late reply is work nobody receives


def success_per_second(outcomes: list[tuple[float, bool]], duration: float) -> list[float]:
    """Success rate of the user requests started in each whole second (1.0 when none started)."""
    seconds = max(1, int(duration))
    tried, won = [0] * seconds, [0] * seconds
    for start, ok in outcomes:
        i = min(seconds - 1, int(start))
        tried[i] += 1
        won[i] += ok
    return [w / t if t else 1.0 for w, t in zip(won, tried, strict=True)]


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    advance = stepper(progress, len(VARIANTS))
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    end = p["slow_at_s"] + p["slow_s"]
    for i, name in enumerate(VARIANTS):
        tally = World(name, p, seeded(seed, INFO.name, name)).run()
        # Requests started in the last timeout x (retries + 1) may not have finished: leave them out.
        horizon = p["duration_s"] - p["timeout_ms"] / 1000.0 * (p["retries"] + 1) - 1.0
        done = [(t, ok) for t, ok in tally.outcomes if t < horizon]
        after = [ok for t, ok in done if t >= end + 5.0]
        per_s = success_per_second(done, horizon)
        recovered = next((s for s in range(int(end), len(per_s)) if per_s[s] >= 0.9), None)
        users = max(1, len(tally.outcomes))
        variants[name] = {
            "goodput_pct": rounded(100.0 * sum(ok for _, ok in done) / max(1, len(done)), 1),
            "after_goodput_pct": rounded(100.0 * sum(after) / len(after), 1) if after else -1.0,
            "recovery_s": -1.0 if recovered is None else rounded(max(0.0, recovered - end), 1),
            "load_amplification": rounded(tally.attempts / users, 2),
        }
        lines[name] = [(float(s), 100.0 * v) for s, v in enumerate(per_s)]
        advance(i + 1)
    plot = SeriesPlot(
        title=f"Success of user requests per second (dependency at half speed {p['slow_at_s']:g}-{end:g} s)",
        xlabel="time (s)",
        ylabel="success, %",
        lines=lines,
    )
    return Outcome(variants, plot)


LAB = Lab(INFO, run, lambda p: 4 * p["rate"] * p["duration_s"] * (p["retries"] + 1))
