"""Four rate limiters, one key each: fixed window, sliding log, sliding window counter, token bucket.

They answer the same question ("may this request through at time `now`?") with different
trade-offs between accuracy and state. Time is passed in rather than read from a clock so the same
objects run in a simulation, in a test, or in production with `time.monotonic()`; keep one
instance per key (user, API token, IP).

`state_bytes()` is the state a shared store (Redis, memcached) would hold per key if every number
were a 64-bit integer or float: 8 bytes per stored number, ignoring key names and container
overhead, which are the same for every limiter. It is the honest basis for comparing them.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Protocol

WORD = 8  # bytes per stored 64-bit number


class RateLimiter(Protocol):
    def allow(self, now: float) -> bool: ...

    def state_bytes(self) -> int: ...


class FixedWindow:
    """At most `limit` per aligned window. Cheap, but a burst at the end of one window plus one
    at the start of the next admits up to 2 x limit within one window's length."""

    def __init__(self, limit: int, window: float) -> None:
        _check(limit, window)
        self.limit, self.window = limit, window
        self._index = -1
        self._count = 0

    def allow(self, now: float) -> bool:
        index = math.floor(now / self.window)
        if index != self._index:
            self._index, self._count = index, 0
        if self._count >= self.limit:
            return False
        self._count += 1
        return True

    def state_bytes(self) -> int:
        return 2 * WORD  # window index + count


class SlidingLog:
    """Exact: keep the timestamp of every admitted request from the last `window`.

    Never admits more than `limit` in any window of that length, at the price of state that
    grows with the limit (one timestamp per admitted request).
    """

    def __init__(self, limit: int, window: float) -> None:
        _check(limit, window)
        self.limit, self.window = limit, window
        self._log: deque[float] = deque()

    def allow(self, now: float) -> bool:
        horizon = now - self.window
        while self._log and self._log[0] <= horizon:
            self._log.popleft()
        if len(self._log) >= self.limit:
            return False
        self._log.append(now)
        return True

    def state_bytes(self) -> int:
        return WORD * len(self._log)


class SlidingWindowCounter:
    """Cloudflare's approximation (2017): weight the previous fixed window's count by how much of
    it still overlaps the sliding window, and add the current window's count.

    estimate = previous * (window - elapsed) / window + current. It assumes the previous window's
    requests were spread evenly, which even Poisson traffic is not: near the limit (95% of it) it
    reverses about 10% of the decisions an exact window would make, and after a burst more. Far
    below the limit it never errs, and it needs three numbers per key instead of a log.
    """

    def __init__(self, limit: int, window: float) -> None:
        _check(limit, window)
        self.limit, self.window = limit, window
        self._index = -1
        self._current = 0
        self._previous = 0

    def estimate(self, now: float) -> float:
        self._roll(now)
        elapsed = now - self._index * self.window
        return self._previous * (self.window - elapsed) / self.window + self._current

    def allow(self, now: float) -> bool:
        if self.estimate(now) + 1 > self.limit:
            return False
        self._current += 1
        return True

    def _roll(self, now: float) -> None:
        index = math.floor(now / self.window)
        if index == self._index:
            return
        # A gap of more than one window means the previous window saw nothing.
        self._previous = self._current if index == self._index + 1 else 0
        self._index, self._current = index, 0

    def state_bytes(self) -> int:
        return 3 * WORD  # window index + current count + previous count


class TokenBucket:
    """Refill `rate` tokens per second up to `capacity`; each request spends one.

    The long-run rate is exact, but a full bucket lets `capacity` requests through at once, so in
    any window of length T it admits up to capacity + rate * T: the burst allowance is the knob.
    Starts full, as most implementations do.
    """

    def __init__(self, rate: float, capacity: float) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate, self.capacity = rate, capacity
        self._tokens = float(capacity)
        self._last: float | None = None

    def allow(self, now: float, cost: float = 1.0) -> bool:
        self._refill(now)
        if self._tokens + 1e-9 < cost:  # tolerate float drift from many tiny refills
            return False
        self._tokens -= cost
        return True

    def tokens(self, now: float) -> float:
        self._refill(now)
        return self._tokens

    def _refill(self, now: float) -> None:
        if self._last is not None and now > self._last:
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        if self._last is None or now > self._last:
            self._last = now

    def state_bytes(self) -> int:
        return 2 * WORD  # tokens + last refill time


def _check(limit: int, window: float) -> None:
    if limit < 1 or window <= 0:
        raise ValueError("limit must be >= 1 and window > 0")
