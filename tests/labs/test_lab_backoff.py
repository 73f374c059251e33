"""Unit tests for the backoff strategies and the retry budget."""

from __future__ import annotations

import random

import pytest

from backbrain.labs.backoff import (
    STRATEGIES,
    DecorrelatedJitter,
    EqualJitter,
    ExponentialBackoff,
    FullJitter,
    NoBackoff,
    RetryBudget,
    make_backoff,
)


def test_exponential_doubles_up_to_the_cap():
    b = ExponentialBackoff(base=5, cap=2000)
    assert [b.delay(n) for n in range(1, 5)] == [10, 20, 40, 80]
    assert b.delay(9) == 2000 and b.delay(10_000) == 2000


def test_no_backoff_never_waits():
    assert NoBackoff().delay(7) == 0


def test_full_jitter_is_uniform_below_the_exponential():
    b = FullJitter(5, 2000, random.Random(1))
    draws = [b.delay(3) for _ in range(5_000)]
    assert all(0 <= d <= 40 for d in draws)
    assert sum(draws) / len(draws) == pytest.approx(20, rel=0.05)


def test_equal_jitter_keeps_half_and_jitters_half():
    b = EqualJitter(5, 2000, random.Random(2))
    draws = [b.delay(3) for _ in range(5_000)]
    assert all(20 <= d <= 40 for d in draws)
    assert sum(draws) / len(draws) == pytest.approx(30, rel=0.05)


def test_decorrelated_jitter_grows_from_its_previous_sleep_and_respects_the_cap():
    b = DecorrelatedJitter(5, 100, random.Random(3))
    previous = 5.0
    for n in range(1, 200):
        d = b.delay(n)
        assert 5 <= d <= min(100, previous * 3)
        previous = d
    b.reset()
    assert b.sleep == 5


def test_make_backoff_by_name():
    rng = random.Random(4)
    assert {type(make_backoff(s, 1, 10, rng)).__name__ for s in STRATEGIES} == {
        "NoBackoff",
        "ExponentialBackoff",
        "FullJitter",
        "EqualJitter",
        "DecorrelatedJitter",
    }
    with pytest.raises(ValueError, match="decorrelated-jitter"):
        make_backoff("linear", 1, 10, rng)


def test_retry_budget_allows_its_ratio_of_requests():
    budget = RetryBudget(ratio=0.1, min_per_s=0, ttl_s=10)
    for _ in range(100):
        budget.record_request(0.0)
    assert sum(budget.try_retry(1.0) for _ in range(50)) == 10
    assert budget.balance(1.0) == pytest.approx(0)


def test_retry_budget_window_expires():
    budget = RetryBudget(ratio=0.5, min_per_s=0, ttl_s=10)
    for _ in range(10):
        budget.record_request(0.0)
    assert sum(budget.try_retry(0.0) for _ in range(10)) == 5
    assert not budget.try_retry(10.0)  # requests and retries both aged out: nothing deposited
    for _ in range(4):
        budget.record_request(10.0)
    assert sum(budget.try_retry(10.0) for _ in range(10)) == 2


def test_retry_budget_floor_is_a_rate_per_second_not_a_burst():
    budget = RetryBudget(ratio=0.2, min_per_s=2, ttl_s=10)  # a quiet service: no requests recorded
    assert sum(budget.try_retry(0.0) for _ in range(20)) == 2  # two in this second, not 2 x TTL = 20
    assert not budget.try_retry(0.5)
    assert sum(budget.try_retry(1.0) for _ in range(20)) == 2  # the next second allows two more
    assert sum(sum(budget.try_retry(float(s)) for _ in range(5)) for s in range(2, 10)) == 16


def test_retry_budget_floor_adds_nothing_while_the_ratio_allows_more():
    budget = RetryBudget(ratio=0.5, min_per_s=1, ttl_s=10)
    for _ in range(100):
        budget.record_request(0.0)
    assert sum(budget.try_retry(0.0) for _ in range(200)) == 50  # the ratio's 50; the floor is spent inside it
    assert budget.balance(0.0) == 0


def test_retry_budget_refuses_nonsense():
    with pytest.raises(ValueError):
        RetryBudget(ratio=-0.1)
    with pytest.raises(ValueError):
        RetryBudget(ttl_s=0)
