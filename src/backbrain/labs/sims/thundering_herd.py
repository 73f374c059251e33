"""thundering-herd: every client reconnecting at once after a server restart.

At t = 0 the server restarts and drops all `clients` connections; it accepts again after
`downtime_s`. It can complete `accept_rate` handshakes per second with a burst of `backlog`
(a token bucket: the accept queue plus the CPU for TLS handshakes); attempts beyond that are
refused and the client backs off and tries again.

- no-jitter: capped exponential backoff (1 s, 2 s, 4 s, ...). Every client computes the same
  schedule, so they arrive in synchronized waves far larger than the server can accept, most
  are refused, and the refused retry together again: each wave connects only a backlog's worth.
- jitter: the same schedule with full jitter (uniform between 0 and the backoff). Arrivals spread
  out: the busiest second still brings about 2.5 times what the server can accept, but the
  refused retry at scattered times rather than together, so the herd drains in well under a minute.
"""

from __future__ import annotations

import math
import random
from collections.abc import Generator, Mapping
from typing import Any

import simpy

from backbrain.labs.backoff import Backoff, ExponentialBackoff, FullJitter
from backbrain.labs.ratelimit import TokenBucket
from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import per_second, rounded, seeded

VARIANTS = ("no-jitter", "jitter")
PLOT_S = 150.0  # the plot's time axis; later no-jitter waves only repeat the pattern

INFO = LabInfo(
    name="thundering-herd",
    title="Thundering herd: reconnecting after a restart",
    description=(
        "A server restart drops every client at once. Without jitter their backoff schedules stay "
        "identical, so they return in synchronized waves the server must mostly refuse; full "
        "jitter spreads the same schedule out so the refused come back scattered, not together."
    ),
    params=(
        Param("clients", "int", 10000, "connected clients", 1, 200000),
        Param("downtime_s", "float", 5.0, "seconds the server is down", 0, 3600),
        Param("accept_rate", "float", 1000.0, "handshakes the server completes per second", 1, 1e7),
        Param("backlog", "int", 500, "handshakes it can take in one burst", 1, 1000000),
        Param("base_s", "float", 1.0, "first backoff (s)", 0.001, 3600),
        Param("cap_s", "float", 32.0, "backoff cap (s)", 0.001, 86400),
    ),
    variants=VARIANTS,
    metrics=(
        Metric("peak_per_second", "most connection attempts the server received in one second once back up"),
        Metric("time_to_reconnect_s", "seconds from the restart until the last client is connected"),
    ),
    notes=("thundering-herd",),
    source=(
        'Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015; '
        '"Timeouts, retries, and backoff with jitter", Amazon Builders\' Library, 2019'
    ),
    checked_against="shape",
    checked_how=(
        "no-jitter peaks at every client in one second; jitter cuts the peak by 3x or more and the time to "
        "reconnect by 5x or more"
    ),
)


def _client(
    env: simpy.Environment, server: TokenBucket, up_at: float, backoff: Backoff, attempts: list[float]
) -> Generator:
    attempt = 0
    while True:
        attempts.append(env.now)
        if env.now >= up_at and server.allow(env.now):
            return
        attempt += 1
        yield env.timeout(backoff.delay(attempt - 1))


def simulate(p: Mapping[str, Any], jitter: bool, rng: random.Random) -> tuple[list[float], float]:
    """Return (attempt times, time the last client connected)."""
    env = simpy.Environment()
    server = TokenBucket(rate=p["accept_rate"], capacity=p["backlog"])
    attempts: list[float] = []
    for _ in range(p["clients"]):
        backoff: Backoff = (
            FullJitter(p["base_s"], p["cap_s"], rng) if jitter else ExponentialBackoff(p["base_s"], p["cap_s"])
        )
        env.process(_client(env, server, p["downtime_s"], backoff, attempts))
    env.run()
    return attempts, env.now


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    advance = stepper(progress, len(VARIANTS))
    variants: dict[str, dict[str, Number]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    for i, name in enumerate(VARIANTS):
        attempts, done = simulate(p, name == "jitter", seeded(seed, INFO.name, name))
        after = per_second(attempts, start=p["downtime_s"])
        variants[name] = {
            "peak_per_second": max(after, default=0),
            "time_to_reconnect_s": rounded(done, 2),
        }
        lines[name] = [(float(s), float(c)) for s, c in enumerate(per_second(attempts, end=PLOT_S))]
        advance(i + 1)
    horizon = min(PLOT_S, max(float(v["time_to_reconnect_s"]) for v in variants.values()))
    lines["server accept rate"] = [(0.0, p["accept_rate"]), (horizon, p["accept_rate"])]
    plot = SeriesPlot(
        title=(
            f"Connection attempts per second, first {PLOT_S:g} s "
            f"({p['clients']:,} clients, server back at {p['downtime_s']:g} s)"
        ),
        xlabel="time since restart (s)",
        ylabel="attempts per second",
        lines=lines,
        style={"server accept rate": "--"},
    )
    return Outcome(variants, plot)


LAB = Lab(INFO, run, lambda p: p["clients"] * (1 + math.log2(max(1.0, p["cap_s"] / p["base_s"]))))
