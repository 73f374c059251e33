"""Client-side adaptive throttling, as in the Google SRE book, ch. 21 "Handling Overload".

When a backend is overloaded, rejecting a request still costs it something, and a client that
keeps sending (or retrying) keeps it overloaded. Each client therefore tracks, over a trailing
window, `requests` (everything its application tried to send, including what this throttle
refused) and `accepts` (what the backend accepted and answered), and refuses new requests locally
with probability

    max(0, (requests - K * accepts) / (requests + 1))

Healthy, accepts ~ requests and nothing is refused. As the backend accepts less, the client sends
about K times what gets accepted and refuses the rest itself, at no cost to the backend. K = 2
is the book's choice: it wastes some backend work on requests that will be rejected, but lets the
client notice recovery quickly.

Time and randomness are passed in, so the same object runs in a simulation or in production.
"""

from __future__ import annotations

import random
from collections import deque


class AdaptiveThrottle:
    def __init__(self, k: float = 2.0, window_s: float = 120.0, rng: random.Random | None = None) -> None:
        if k < 1 or window_s <= 0:
            raise ValueError("k must be >= 1 and window_s > 0")
        self.k, self.window_s = k, window_s
        self.rng = rng or random.Random()
        self._requests: deque[float] = deque()
        self._accepts: deque[float] = deque()

    def reject_probability(self, now: float) -> float:
        """The book's formula over the trailing window: max(0, (requests - K accepts) / (requests + 1))."""
        self._expire(now)
        requests, accepts = len(self._requests), len(self._accepts)
        return max(0.0, (requests - self.k * accepts) / (requests + 1))

    def allow(self, now: float) -> bool:
        """Count one request and decide whether to send it; False means fail it locally."""
        refuse = self.rng.random() < self.reject_probability(now)
        self._requests.append(now)
        return not refuse

    def on_accept(self, now: float) -> None:
        """The backend accepted and answered a request."""
        self._accepts.append(now)

    def counts(self, now: float) -> tuple[int, int]:
        """(requests, accepts) in the window, for tests and dashboards."""
        self._expire(now)
        return len(self._requests), len(self._accepts)

    def _expire(self, now: float) -> None:
        horizon = now - self.window_s
        for log in (self._requests, self._accepts):
            while log and log[0] <= horizon:
                log.popleft()
