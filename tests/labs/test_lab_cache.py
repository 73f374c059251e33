"""Unit tests for XFetch (probabilistic early expiration) and single-flight."""

from __future__ import annotations

import math
import random
import threading
import time

import pytest

from backbrain.labs.cache import SingleFlight, XFetchCache


def early_rate(cache, gap, delta, n=20_000):
    cache.store("k", "v", delta=delta, ttl=100.0, now=0.0)
    now = 100.0 - gap
    return sum(cache.lookup("k", now).recompute for _ in range(n)) / n


def test_xfetch_recompute_probability_is_exp_of_minus_gap_over_delta_beta():
    # P(now - delta*beta*ln(U) >= expiry) = P(U <= exp(-gap/(delta*beta))) = exp(-gap/(delta*beta))
    cache = XFetchCache(beta=1.0, rng=random.Random(1))
    for gap in (0.5, 1.0, 2.0):
        assert early_rate(cache, gap, delta=1.0) == pytest.approx(math.exp(-gap), abs=0.015)


def test_xfetch_beta_scales_how_early_it_refreshes():
    eager = early_rate(XFetchCache(beta=2.0, rng=random.Random(2)), 1.0, delta=1.0)
    lazy = early_rate(XFetchCache(beta=0.5, rng=random.Random(2)), 1.0, delta=1.0)
    assert eager == pytest.approx(math.exp(-0.5), abs=0.015)
    assert lazy == pytest.approx(math.exp(-2.0), abs=0.015)


def test_xfetch_expensive_values_refresh_earlier():
    cheap = early_rate(XFetchCache(rng=random.Random(3)), 1.0, delta=0.1)
    costly = early_rate(XFetchCache(rng=random.Random(3)), 1.0, delta=1.0)
    assert cheap < 0.001 < 0.3 < costly


def test_xfetch_misses_and_expired_entries_always_recompute():
    cache: XFetchCache[str, int] = XFetchCache(rng=random.Random(4))
    assert cache.lookup("k", 0.0) == (None, True, False)
    cache.store("k", 1, delta=0.1, ttl=10.0, now=0.0)
    assert cache.lookup("k", 10.0) == (None, True, False)
    assert cache.lookup("k", 0.0) == (1, False, True)  # 10 s ahead with delta 0.1: exp(-100)


def test_xfetch_beta_zero_is_a_plain_ttl_cache():
    cache: XFetchCache[str, int] = XFetchCache(beta=0.0, rng=random.Random(5))
    cache.store("k", 1, delta=100.0, ttl=10.0, now=0.0)
    assert not any(cache.lookup("k", 9.999).recompute for _ in range(1000))


def test_xfetch_fetch_measures_delta_with_the_clock():
    clock = iter([0.0, 0.0, 2.0, 5.0]).__next__
    cache: XFetchCache[str, str] = XFetchCache(rng=random.Random(6))
    assert cache.fetch("k", lambda: "fresh", ttl=60.0, clock=clock) == "fresh"
    entry = cache.entry("k")
    assert entry is not None and entry.delta == 2.0 and entry.expiry == 62.0
    assert cache.fetch("k", lambda: "again", ttl=60.0, clock=clock) == "fresh"


def test_xfetch_fetch_serves_a_cached_none_without_recomputing():
    # "no such user" is a value worth caching; treating None as a miss recomputed it on every read.
    clock = iter([0.0, 0.0, 1.0, 2.0, 3.0]).__next__
    cache: XFetchCache[str, str | None] = XFetchCache(rng=random.Random(7))
    calls: list[int] = []

    def load() -> None:
        calls.append(1)

    assert cache.fetch("k", load, ttl=60.0, clock=clock) is None
    assert cache.fetch("k", load, ttl=60.0, clock=clock) is None
    assert cache.fetch("k", load, ttl=60.0, clock=clock) is None
    assert calls == [1]
    assert cache.lookup("k", 4.0).hit


def test_xfetch_refuses_negative_beta():
    with pytest.raises(ValueError):
        XFetchCache(beta=-1)


def test_single_flight_has_one_leader_and_shares_its_result():
    sf: SingleFlight[str, int] = SingleFlight()
    flight, leader = sf.begin("k")
    assert leader and sf.in_flight("k")
    seen = []
    for _ in range(3):
        follower, is_leader = sf.begin("k")
        assert follower is flight and not is_leader
        follower.on_done(lambda f: seen.append(f.value))
    sf.finish("k", 42)
    assert seen == [42, 42, 42] and flight.waiters == 3
    assert not sf.in_flight("k")
    late = []
    flight.on_done(lambda f: late.append(f.value))  # a landed flight answers at once
    assert late == [42]
    assert sf.begin("k")[1]  # the next caller leads a new flight


def test_single_flight_do_runs_once_for_concurrent_threads():
    sf: SingleFlight[str, int] = SingleFlight()
    calls = []
    gate = threading.Event()

    def slow() -> int:
        calls.append(1)
        gate.wait(5)
        return 7

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(sf.do("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # release the leader only once all seven have joined
        flight = sf._flights.get("k")
        if flight is not None and flight.waiters == 7:
            break
        time.sleep(0.005)
    gate.set()
    for t in threads:
        t.join(5)
    assert len(calls) == 1 and results == [7] * 8


def test_single_flight_errors_reach_every_waiter():
    sf: SingleFlight[str, int] = SingleFlight()
    sf.begin("k")
    follower, _ = sf.begin("k")
    sf.fail("k", RuntimeError("origin down"))
    assert isinstance(follower.error, RuntimeError) and follower.done
    with pytest.raises(RuntimeError):
        sf.do("j", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert not sf.in_flight("j")


def test_single_flight_finish_without_a_flight_is_an_error():
    with pytest.raises(KeyError):
        SingleFlight().finish("nope", 1)
