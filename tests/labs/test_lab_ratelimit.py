"""Unit tests for the four rate limiters, including the properties each one promises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backbrain.labs.ratelimit import FixedWindow, SlidingLog, SlidingWindowCounter, TokenBucket
from backbrain.labs.stats import max_in_window

arrivals = st.lists(st.floats(min_value=0, max_value=20, allow_nan=False), min_size=1, max_size=300).map(sorted)


def admitted(limiter, times):
    return [t for t in times if limiter.allow(t)]


def test_fixed_window_resets_at_each_boundary():
    fw = FixedWindow(limit=3, window=1.0)
    assert [fw.allow(0.1) for _ in range(4)] == [True, True, True, False]
    assert fw.allow(1.0)  # a new window starts exactly at the boundary


def test_fixed_window_admits_twice_the_limit_across_a_boundary():
    fw = FixedWindow(limit=10, window=1.0)
    burst = [0.95 + i * 0.004 for i in range(10)] + [1.0 + i * 0.004 for i in range(10)]
    assert len(admitted(fw, burst)) == 20  # 20 requests within 0.1 s, limit 10 per second


def test_sliding_log_is_exact_at_the_boundary():
    log = SlidingLog(limit=10, window=1.0)
    burst = [0.95 + i * 0.001 for i in range(10)] + [1.0 + i * 0.004 for i in range(10)]
    assert len(admitted(log, burst)) == 10
    assert log.state_bytes() == 80  # ten timestamps of 8 bytes


@settings(max_examples=60, deadline=None)
@given(arrivals, st.integers(min_value=1, max_value=20))
def test_sliding_log_never_exceeds_the_limit_in_any_window(times, limit):
    ok = admitted(SlidingLog(limit, 1.0), times)
    assert max_in_window(ok, 1.0) <= limit


@settings(max_examples=60, deadline=None)
@given(arrivals, st.integers(min_value=1, max_value=20))
def test_fixed_window_never_exceeds_twice_the_limit(times, limit):
    ok = admitted(FixedWindow(limit, 1.0), times)
    assert max_in_window(ok, 1.0) <= 2 * limit


def test_sliding_counter_matches_cloudflares_worked_example():
    # Limit 50 per minute; 42 requests last minute, 18 this minute (the 18th is the one judged),
    # 15 s into the minute: 42 * 45/60 + 18 = 49.5 <= 50, so it is allowed.
    counter = SlidingWindowCounter(limit=50, window=60.0)
    for i in range(42):
        assert counter.allow(i * 1.0)
    for i in range(17):
        assert counter.allow(74.0 + i * 0.01)
    assert counter.estimate(75.0) == pytest.approx(42 * 0.75 + 17)
    assert counter.allow(75.0)  # estimate including it: 49.5
    assert not counter.allow(75.0)  # the next would make 50.5


def test_sliding_counter_forgets_after_an_idle_window():
    counter = SlidingWindowCounter(limit=5, window=1.0)
    assert all(counter.allow(0.5) for _ in range(5))
    assert counter.estimate(2.5) == 0  # the window before [2, 3) was empty
    assert counter.state_bytes() == 24


@settings(max_examples=60, deadline=None)
@given(arrivals, st.integers(min_value=1, max_value=20), st.integers(min_value=1, max_value=20))
def test_token_bucket_admits_at_most_capacity_plus_refill(times, rate, capacity):
    ok = admitted(TokenBucket(rate=rate, capacity=capacity), times)
    for window in (0.1, 1.0, 5.0):
        assert max_in_window(ok, window) <= capacity + rate * window + 1e-6


def test_token_bucket_starts_full_then_refills_at_its_rate():
    bucket = TokenBucket(rate=10, capacity=5)
    assert [bucket.allow(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert not bucket.allow(0.05)  # half a token
    assert bucket.allow(0.1)
    assert bucket.tokens(100.0) == 5  # refill stops at capacity
    assert bucket.state_bytes() == 16


def test_token_bucket_long_run_rate_is_exact():
    bucket = TokenBucket(rate=100, capacity=1)
    times = [i / 1000 for i in range(10_000)]  # 1000/s offered for 10 s
    assert len(admitted(bucket, times)) == pytest.approx(1000, abs=2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: FixedWindow(0, 1.0),
        lambda: SlidingLog(1, 0),
        lambda: SlidingWindowCounter(0, 1.0),
        lambda: TokenBucket(0, 1),
        lambda: TokenBucket(1, 0.5),
    ],
)
def test_limiters_refuse_nonsense_configuration(make):
    with pytest.raises(ValueError):
        make()
