"""Two cures for the cache stampede: XFetch (probabilistic early expiration) and single-flight.

A stampede happens because expiry is a cliff: at the instant a hot key expires, every reader
misses at once and every one of them recomputes the value from the origin. The two cures attack
different halves of that:

- XFetch (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede Prevention",
  VLDB 2015) removes the cliff. Each reader recomputes early with a probability that rises as
  expiry nears and as the recompute gets more expensive: recompute when
  now - delta * beta * ln(rand()) >= expiry, where delta is how long the last recompute took.
  Usually one reader refreshes the key shortly before it expires and nobody ever sees a miss.
- Single-flight (after Go's golang.org/x/sync/singleflight) removes the duplication: the first
  caller for a key computes, everyone else who arrives meanwhile waits for that one result.

Both take time and randomness explicitly (`now`, `rng`), so they run the same in a simulation.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class CacheEntry(Generic[V]):
    value: V
    delta: float  # seconds the recompute took: the cost XFetch weighs against time-to-expiry
    expiry: float


class Lookup(NamedTuple, Generic[V]):
    value: V | None  # None when missing or expired (or when None is the cached value: see `hit`)
    recompute: bool  # True: this caller should recompute (a miss, or chosen to refresh early)
    hit: bool = False  # a live entry was found; None can be a legitimately cached value


class XFetchCache(Generic[K, V]):
    """A cache whose readers refresh a key early with rising probability as expiry approaches.

    beta = 1 is the paper's recommended default; beta > 1 refreshes earlier, beta < 1 later.
    """

    def __init__(self, beta: float = 1.0, rng: random.Random | None = None) -> None:
        if beta < 0:
            raise ValueError("beta must be >= 0")
        self.beta = beta
        self.rng = rng or random.Random()
        self._entries: dict[K, CacheEntry[V]] = {}

    def should_recompute(self, entry: CacheEntry[V], now: float) -> bool:
        """The XFetch test. 1 - random() lies in (0, 1], so ln() is finite and <= 0."""
        gap = -entry.delta * self.beta * math.log(1.0 - self.rng.random())
        return now + gap >= entry.expiry

    def lookup(self, key: K, now: float) -> Lookup[V]:
        entry = self._entries.get(key)
        if entry is None or now >= entry.expiry:
            return Lookup(None, True, False)
        return Lookup(entry.value, self.should_recompute(entry, now), True)

    def store(self, key: K, value: V, delta: float, ttl: float, now: float) -> None:
        self._entries[key] = CacheEntry(value, delta, now + ttl)

    def entry(self, key: K) -> CacheEntry[V] | None:
        return self._entries.get(key)

    def fetch(self, key: K, recompute: Callable[[], V], ttl: float, clock: Callable[[], float] = time.monotonic) -> V:
        """The paper's algorithm for a synchronous caller: read, maybe recompute, store."""
        found = self.lookup(key, clock())
        if found.hit and not found.recompute:
            return found.value  # type: ignore[return-value]  # a hit holds a V, possibly None
        start = clock()
        value = recompute()
        end = clock()
        self.store(key, value, end - start, ttl, end)
        return value


@dataclass
class Flight(Generic[V]):
    """One in-progress computation that any number of callers can wait on."""

    done: bool = False
    value: V | None = None
    error: BaseException | None = None
    waiters: int = 0
    _callbacks: list[Callable[[Flight[V]], None]] = field(default_factory=list, init=False, repr=False)
    _event: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def on_done(self, callback: Callable[[Flight[V]], None]) -> None:
        """Run `callback(flight)` when the flight lands (at once if it already has)."""
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)

    def _land(self, value: V | None, error: BaseException | None) -> None:
        self.done, self.value, self.error = True, value, error
        callbacks, self._callbacks = self._callbacks, []
        self._event.set()
        for callback in callbacks:
            callback(self)


class SingleFlight(Generic[K, V]):
    """Collapse concurrent computations of the same key into one.

    Two ways to use it: `do(key, fn)` from threads (followers block until the leader finishes),
    or `begin` / `finish` from an event loop or simulation (followers register `on_done`).
    """

    def __init__(self) -> None:
        self._flights: dict[K, Flight[V]] = {}
        self._lock = threading.Lock()

    def begin(self, key: K) -> tuple[Flight[V], bool]:
        """The key's flight, and True if the caller is its leader and must compute."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                flight.waiters += 1
                return flight, False
            flight = self._flights[key] = Flight()
            return flight, True

    def in_flight(self, key: K) -> bool:
        with self._lock:
            return key in self._flights

    def finish(self, key: K, value: V) -> None:
        self._land(key, value, None)

    def fail(self, key: K, error: BaseException) -> None:
        self._land(key, None, error)

    def _land(self, key: K, value: V | None, error: BaseException | None) -> None:
        with self._lock:
            flight = self._flights.pop(key, None)
        if flight is None:
            raise KeyError(f"no flight in progress for {key!r}")
        flight._land(value, error)

    def do(self, key: K, fn: Callable[[], V]) -> V:
        """Compute `fn()` once for all concurrent callers of `key`; errors reach every caller."""
        flight, leader = self.begin(key)
        if leader:
            try:
                value = fn()
            except BaseException as exc:
                self.fail(key, exc)
                raise
            self.finish(key, value)
            return value
        flight._event.wait()
        if flight.error is not None:
            raise flight.error
        return flight.value  # type: ignore[return-value]
