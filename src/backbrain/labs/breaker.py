"""A count-based circuit breaker with resilience4j's states and knobs.

Why a breaker: when a dependency fails slowly, every caller ties up a thread or connection for a
full timeout, and the caller's own callers pile up behind it (a cascading failure). The breaker
notices a high failure rate and fails fast instead, which protects the caller and gives the
dependency room to recover; a few probe calls in HALF_OPEN find out when it has.

Semantics follow resilience4j's CircuitBreaker (count-based sliding window):

- CLOSED: outcomes go into a ring of the last `sliding_window_size` calls. Once at least
  `minimum_number_of_calls` are recorded (capped at the window size) and the failure rate is
  >= `failure_rate_threshold` percent, the breaker OPENs.
- OPEN: every call is rejected without reaching the dependency. After
  `wait_duration_in_open_state` seconds the next call attempt moves it to HALF_OPEN
  (resilience4j's default, without the automatic-transition timer).
- HALF_OPEN: exactly `permitted_number_of_calls_in_half_open_state` calls are let through, the
  rest rejected. When all of them have reported, the failure rate over them decides: at or above
  the threshold, OPEN again; below it, CLOSED with an empty window. With
  `max_wait_duration_in_half_open_state` > 0, a HALF_OPEN breaker whose probes have not all
  reported within that time goes back to OPEN (probes that hang must not keep it half-open
  forever); 0, the default, waits for every probe, as resilience4j's default does.

Outcomes reported while OPEN (from calls admitted earlier) are ignored, as resilience4j does for
the state decision. Time is passed in, so the same object runs in a simulation or in production.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        failure_rate_threshold: float = 50.0,
        sliding_window_size: int = 100,
        minimum_number_of_calls: int = 100,
        wait_duration_in_open_state: float = 60.0,
        permitted_number_of_calls_in_half_open_state: int = 10,
        max_wait_duration_in_half_open_state: float = 0.0,
    ) -> None:
        if not 0 < failure_rate_threshold <= 100:
            raise ValueError("failure_rate_threshold must be in (0, 100]")
        if sliding_window_size < 1 or minimum_number_of_calls < 1:
            raise ValueError("sliding_window_size and minimum_number_of_calls must be >= 1")
        if wait_duration_in_open_state < 0 or permitted_number_of_calls_in_half_open_state < 1:
            raise ValueError("wait_duration_in_open_state must be >= 0 and permitted calls >= 1")
        if max_wait_duration_in_half_open_state < 0:
            raise ValueError("max_wait_duration_in_half_open_state must be >= 0 (0 waits for every probe)")
        self.failure_rate_threshold = failure_rate_threshold
        self.sliding_window_size = sliding_window_size
        self.minimum_number_of_calls = min(minimum_number_of_calls, sliding_window_size)
        self.wait_duration_in_open_state = wait_duration_in_open_state
        self.permitted_calls = permitted_number_of_calls_in_half_open_state
        self.max_wait_in_half_open = max_wait_duration_in_half_open_state
        self.state = State.CLOSED
        self.transitions: list[tuple[float, State]] = []  # (time, new state), for plots and tests
        self._window: deque[bool] = deque(maxlen=sliding_window_size)  # True = failure
        self._opened_at = 0.0
        self._half_open_at = 0.0
        self._half_open_admitted = 0
        self._half_open_results: list[bool] = []

    def try_acquire(self, now: float) -> bool:
        """May a call go to the dependency now? False means fail fast (CallNotPermitted)."""
        if self.state is State.OPEN:
            if now - self._opened_at < self.wait_duration_in_open_state:
                return False
            self._transition(State.HALF_OPEN, now)
        if self.state is State.HALF_OPEN:
            if self._half_open_expired(now):
                self._transition(State.OPEN, now)
                return False
            if self._half_open_admitted >= self.permitted_calls:
                return False
            self._half_open_admitted += 1
        return True

    def on_success(self, now: float) -> None:
        self._record(False, now)

    def on_error(self, now: float) -> None:
        self._record(True, now)

    def failure_rate(self) -> float:
        """Percent of failures in the CLOSED window, or -1 before the minimum number of calls."""
        if len(self._window) < self.minimum_number_of_calls:
            return -1.0
        return 100.0 * sum(self._window) / len(self._window)

    def _record(self, failed: bool, now: float) -> None:
        if self.state is State.CLOSED:
            self._window.append(failed)
            if self.failure_rate() >= self.failure_rate_threshold:
                self._transition(State.OPEN, now)
        elif self.state is State.HALF_OPEN:
            if self._half_open_expired(now):
                self._transition(State.OPEN, now)
                return
            self._half_open_results.append(failed)
            if len(self._half_open_results) >= self.permitted_calls:
                rate = 100.0 * sum(self._half_open_results) / len(self._half_open_results)
                self._transition(State.OPEN if rate >= self.failure_rate_threshold else State.CLOSED, now)

    def _half_open_expired(self, now: float) -> bool:
        return self.max_wait_in_half_open > 0 and now - self._half_open_at >= self.max_wait_in_half_open

    def _transition(self, state: State, now: float) -> None:
        self.state = state
        self.transitions.append((now, state))
        if state is State.OPEN:
            self._opened_at = now
        elif state is State.HALF_OPEN:
            self._half_open_at = now
            self._half_open_admitted = 0
            self._half_open_results = []
        else:
            self._window.clear()
