"""rate-limiters: four limiters judging the same bursty traffic, one request at a time.

Traffic for one key: a Poisson background below the limit, plus a burst of `burst_size` requests
every `burst_every_s`, spread evenly over `burst_spread_s`. Bursts alternate between straddling a
window boundary (half the burst at the end of one fixed window, half at the start of the next)
and sitting in the middle of a window. Each limiter sees every request at the same instant.

Metrics, per limiter:

- max_burst_ratio: the most requests it admitted in any window of the limit's length (sliding,
  over the whole run) divided by the limit. 1.0 means the limit held exactly.
- wrong_decision_pct: the share of requests it decided differently from an exact sliding window
  over the requests *it* admitted (fewer than `limit` in the trailing window: allow). This is
  the approximation error, comparable with Cloudflare's "0.003% of requests wrongly allowed or
  rate limited"; the sliding log is exact by definition (0).
- disagreement_pct: the share of requests on which its decision differs from a separate exact
  sliding log's at the same moment. Each keeps its own state, so once one admits a request the
  other refused, their histories differ and the gap compounds: this measures drift between two
  limiters, not the approximation error.
- bytes_per_key: peak state per key, counting 8 bytes per stored number (see ratelimit.py): what a
  shared store like Redis must hold for every user. The log's grows with the limit.

The token bucket is configured with rate = limit / window and capacity `bucket_capacity`. Its
ratio is bounded by (capacity + limit) / limit, because a full bucket spends its capacity at
once and refills limit tokens per window; where it lands below that bound depends on how much
demand follows the burst. With capacity = limit the bound is 2.0, the fixed window's worst case.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Generator, Mapping
from typing import Any

import simpy

from backbrain.labs.ratelimit import FixedWindow, RateLimiter, SlidingLog, SlidingWindowCounter, TokenBucket
from backbrain.labs.spec import Lab, LabInfo, Metric, Number, Outcome, Param, ProgressFn, SeriesPlot, stepper
from backbrain.labs.stats import max_in_window, rounded, seeded

VARIANTS = ("fixed-window", "sliding-log", "sliding-counter", "token-bucket")

INFO = LabInfo(
    name="rate-limiters",
    title="Rate limiters: fixed window, sliding log, sliding counter, token bucket",
    description=(
        "The same bursty traffic, including bursts straddling window boundaries, through four "
        "limiters. The fixed window lets nearly twice the limit through across a boundary; the "
        "sliding log holds it exactly at the cost of per-request state; the sliding counter comes "
        "close with three numbers; the token bucket's overshoot is its burst capacity."
    ),
    params=(
        Param("limit", "int", 100, "requests allowed per window", 1, 100000),
        Param("window_s", "float", 1.0, "window length (s)", 0.001, 86400),
        Param("bucket_capacity", "int", 100, "token bucket burst capacity (tokens)", 1, 1000000),
        Param("background_rate", "float", 40.0, "steady requests per second", 0, 1e6),
        Param("burst_size", "int", 200, "requests in each burst", 0, 1000000),
        Param("burst_every_s", "float", 5.0, "seconds between bursts", 0.01, 86400),
        Param("burst_spread_s", "float", 0.2, "a burst's duration (s)", 0, 86400),
        Param("duration_s", "float", 300.0, "simulated time (s)", 1, 86400),
    ),
    variants=VARIANTS,
    metrics=(
        Metric("max_burst_ratio", "most admitted in any window of the limit's length / limit"),
        Metric(
            "wrong_decision_pct", "% of decisions an exact sliding window over its own admitted requests would reverse"
        ),
        Metric("disagreement_pct", "% of decisions that differ from a separate exact sliding log (drift, not error)"),
        Metric("bytes_per_key", "peak state per key at 8 bytes per stored number"),
    ),
    notes=("rate-limiting",),
    source=(
        'Cloudflare, "How we built rate limiting capable of scaling to millions of domains", '
        "2017 (sliding window counter); token bucket with committed rate and burst size as in RFC 2697"
    ),
    checked_against="theory",
    checked_how=("fixed window at its 2x worst case, sliding log exact, token bucket within 1 + capacity/limit"),
)


def traffic(p: Mapping[str, Any], rng: random.Random) -> list[float]:
    """Sorted arrival times: Poisson background plus evenly spread bursts."""
    end = p["duration_s"]
    times: list[float] = []
    if p["background_rate"] > 0:
        t = rng.expovariate(p["background_rate"])
        while t < end:
            times.append(t)
            t += rng.expovariate(p["background_rate"])
    window, spread, n = p["window_s"], p["burst_spread_s"], p["burst_size"]
    for k, at in enumerate(_burst_starts(p)):
        # Even bursts straddle a boundary; odd ones sit mid-window. Snap to the window grid first.
        boundary = round(at / window) * window
        centre = boundary if k % 2 == 0 else boundary + window / 2
        first = centre - spread / 2 + rng.uniform(-0.01, 0.01) * window
        burst = (first + spread * i / n for i in range(n))
        times.extend(t for t in burst if 0 <= t < end)
    return sorted(times)


def _burst_starts(p: Mapping[str, Any]) -> list[float]:
    every, end = p["burst_every_s"], p["duration_s"]
    return [every * (k + 1) for k in range(int(end / every)) if every * (k + 1) < end]


def _limiter(name: str, p: Mapping[str, Any]) -> RateLimiter:
    limit, window = p["limit"], p["window_s"]
    if name == "fixed-window":
        return FixedWindow(limit, window)
    if name == "sliding-log":
        return SlidingLog(limit, window)
    if name == "sliding-counter":
        return SlidingWindowCounter(limit, window)
    return TokenBucket(rate=limit / window, capacity=p["bucket_capacity"])


class Judge:
    """Feeds every arrival to every limiter at its arrival instant, through a SimPy clock."""

    def __init__(self, p: Mapping[str, Any], arrivals: list[float]) -> None:
        self.arrivals = arrivals
        self.env = simpy.Environment()
        self.limiters = {name: _limiter(name, p) for name in VARIANTS}
        self.reference = SlidingLog(p["limit"], p["window_s"])
        self.admitted: dict[str, list[float]] = {name: [] for name in VARIANTS}
        self.disagree = dict.fromkeys(VARIANTS, 0)
        self.wrong = dict.fromkeys(VARIANTS, 0)
        self.limit, self.window = p["limit"], p["window_s"]
        self.peak_bytes = dict.fromkeys(VARIANTS, 0)

    def run(self, progress: ProgressFn) -> None:
        self.env.process(self._feed(progress))
        self.env.run()

    def _feed(self, progress: ProgressFn) -> Generator:
        total = max(1, len(self.arrivals))
        for i, t in enumerate(self.arrivals):
            yield self.env.timeout(t - self.env.now)
            self._judge(self.env.now)
            if i % 2000 == 0:
                progress(i / total)

    def _judge(self, now: float) -> None:
        exact = self.reference.allow(now)
        for name, limiter in self.limiters.items():
            ok = limiter.allow(now)
            own = self.admitted[name]
            if ok != (len(own) - bisect.bisect_right(own, now - self.window) < self.limit):
                self.wrong[name] += 1
            if ok:
                self.admitted[name].append(now)
            if ok != exact:
                self.disagree[name] += 1
            self.peak_bytes[name] = max(self.peak_bytes[name], limiter.state_bytes())


def run(p: Mapping[str, Any], seed: int, progress: ProgressFn) -> Outcome:
    arrivals = traffic(p, seeded(seed, INFO.name, "traffic"))
    judge = Judge(p, arrivals)
    judge.run(stepper(progress, 1))
    limit, window = p["limit"], p["window_s"]
    variants: dict[str, dict[str, Number]] = {}
    for name in VARIANTS:
        admitted = judge.admitted[name]
        variants[name] = {
            "max_burst_ratio": rounded(max_in_window(admitted, window) / limit, 3),
            "wrong_decision_pct": rounded(100.0 * judge.wrong[name] / max(1, len(arrivals)), 3),
            "disagreement_pct": rounded(100.0 * judge.disagree[name] / max(1, len(arrivals)), 3),
            "bytes_per_key": judge.peak_bytes[name],
        }
    return Outcome(variants, _plot(p, judge))


def _plot(p: Mapping[str, Any], judge: Judge) -> SeriesPlot:
    """Admitted-in-the-last-window / limit, sampled every window/20 around the first straddling burst."""
    window, limit = p["window_s"], p["limit"]
    starts = _burst_starts(p)
    centre = round(starts[0] / window) * window if starts else window
    step = window / 20
    samples = [centre - 2 * window + i * step for i in range(int(5 * window / step) + 1)]
    lines = {}
    for name in VARIANTS:
        times = judge.admitted[name]
        lines[name] = [(t, _count_in(times, t - window, t) / limit) for t in samples]
    return SeriesPlot(
        title="Admitted in the trailing window / limit, around a burst straddling a window boundary",
        xlabel="time (s)",
        ylabel="admitted / limit",
        lines=lines,
    )


def _count_in(sorted_times: list[float], lo: float, hi: float) -> int:
    return bisect.bisect_right(sorted_times, hi) - bisect.bisect_right(sorted_times, lo)


LAB = Lab(INFO, run, lambda p: (p["background_rate"] + p["burst_size"] / p["burst_every_s"]) * p["duration_s"] * 4)
