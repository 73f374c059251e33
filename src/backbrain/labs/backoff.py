"""Retry pacing: backoff strategies with and without jitter, and a retry budget.

The strategies follow Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015,
and the simulator published with it (aws-samples/aws-arch-backoff-simulator): `attempt` is the
number of failures so far, so the first retry sleeps min(cap, base * 2). Backoff alone spreads
retries out in time but keeps clients that failed together in lock-step; jitter is what breaks
the lock-step. A retry budget is the other half: backoff decides *when* to retry, the budget
decides *whether* retrying can still help or would only multiply load on a dependency that is down.

Every strategy takes its random source explicitly so a simulation (or a test) can be replayed.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Protocol

STRATEGIES = ("none", "exponential", "full-jitter", "equal-jitter", "decorrelated-jitter")


class Backoff(Protocol):
    def delay(self, attempt: int) -> float:
        """Seconds (or any unit, consistently) to sleep before retry number `attempt` (1-based)."""
        ...


def _expo(base: float, cap: float, attempt: int) -> float:
    if attempt >= 64:  # 2**64 * base exceeds any sane cap; avoid float overflow
        return cap
    return min(cap, base * (2**attempt))


class NoBackoff:
    """Retry at once. The baseline that turns contention into O(N^2) work."""

    def delay(self, attempt: int) -> float:
        return 0.0


class ExponentialBackoff:
    """Capped exponential backoff without jitter: clients that collided once collide again."""

    def __init__(self, base: float, cap: float) -> None:
        self.base, self.cap = base, cap

    def delay(self, attempt: int) -> float:
        return _expo(self.base, self.cap, attempt)


class FullJitter:
    """sleep = uniform(0, min(cap, base * 2**attempt)): the least total work in the 2015 post."""

    def __init__(self, base: float, cap: float, rng: random.Random) -> None:
        self.base, self.cap, self.rng = base, cap, rng

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0, _expo(self.base, self.cap, attempt))


class EqualJitter:
    """Keep half the exponential sleep, jitter the other half: never retries very soon, so slower."""

    def __init__(self, base: float, cap: float, rng: random.Random) -> None:
        self.base, self.cap, self.rng = base, cap, rng

    def delay(self, attempt: int) -> float:
        v = _expo(self.base, self.cap, attempt)
        return v / 2 + self.rng.uniform(0, v / 2)


class DecorrelatedJitter:
    """sleep = min(cap, uniform(base, previous_sleep * 3)); stateful, so one instance per client."""

    def __init__(self, base: float, cap: float, rng: random.Random) -> None:
        self.base, self.cap, self.rng = base, cap, rng
        self.sleep = base

    def delay(self, attempt: int) -> float:
        self.sleep = min(self.cap, self.rng.uniform(self.base, self.sleep * 3))
        return self.sleep

    def reset(self) -> None:
        self.sleep = self.base


def make_backoff(strategy: str, base: float, cap: float, rng: random.Random) -> Backoff:
    """A fresh strategy by name (see STRATEGIES); decorrelated jitter must not be shared."""
    if strategy == "none":
        return NoBackoff()
    if strategy == "exponential":
        return ExponentialBackoff(base, cap)
    if strategy == "full-jitter":
        return FullJitter(base, cap, rng)
    if strategy == "equal-jitter":
        return EqualJitter(base, cap, rng)
    if strategy == "decorrelated-jitter":
        return DecorrelatedJitter(base, cap, rng)
    raise ValueError(f"unknown backoff strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")


class RetryBudget:
    """Allow retries only while they stay a small fraction of recent requests.

    Per-request retry limits multiply across layers: three retries at each of five layers is up
    to 4**5 = 1024 calls to the bottom dependency per user request, exactly when it is least able
    to take them. A budget caps retries at `ratio` of the requests seen in the last `ttl` seconds,
    so each layer adds at most (1 + ratio) to the load however deep the stack. The shape follows
    Finagle's RetryBudget (deposit per request, withdraw per retry, over a TTL window).

    The floor lets a quiet service retry at all: up to `min_per_s` retries in any one second are
    allowed whatever the ratio says. It is a rate, checked over the last second: Finagle's
    reserve of min_per_s * ttl tokens can be spent in one instant (100 retries at once with its
    defaults), which is a burst, not a floor of so many per second.

    Call `record_request(now)` for each original request and `try_retry(now)` before each retry.
    """

    def __init__(self, ratio: float = 0.2, min_per_s: float = 10.0, ttl_s: float = 10.0) -> None:
        if ratio < 0 or min_per_s < 0 or ttl_s <= 0:
            raise ValueError("ratio and min_per_s must be >= 0 and ttl_s > 0")
        self.ratio, self.min_per_s, self.ttl_s = ratio, min_per_s, ttl_s
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()

    def record_request(self, now: float) -> None:
        self._requests.append(now)

    def try_retry(self, now: float) -> bool:
        """Withdraw one retry if the budget allows it; False means fail now instead of retrying."""
        self._expire(now)
        by_ratio = len(self._retries) + 1 <= self.ratio * len(self._requests)
        if not by_ratio and self._retries_since(now - 1.0) + 1 > self.min_per_s:
            return False
        self._retries.append(now)
        return True

    def balance(self, now: float) -> float:
        """Retries still available right now (may be fractional): the ratio's or the floor's."""
        self._expire(now)
        by_ratio = self.ratio * len(self._requests) - len(self._retries)
        return max(by_ratio, self.min_per_s - self._retries_since(now - 1.0))

    def _retries_since(self, horizon: float) -> int:
        count = 0
        for t in reversed(self._retries):
            if t <= horizon:
                break
            count += 1
        return count

    def _expire(self, now: float) -> None:
        horizon = now - self.ttl_s
        for log in (self._requests, self._retries):
            while log and log[0] <= horizon:
                log.popleft()
