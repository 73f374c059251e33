"""Unit tests for the circuit breaker's resilience4j state machine."""

from __future__ import annotations

import pytest

from backbrain.labs.breaker import CircuitBreaker, State


def breaker(**kw):
    config = dict(
        failure_rate_threshold=50.0,
        sliding_window_size=10,
        minimum_number_of_calls=10,
        wait_duration_in_open_state=5.0,
        permitted_number_of_calls_in_half_open_state=3,
    )
    config.update(kw)
    return CircuitBreaker(**config)


def record(cb, outcomes, now=0.0):
    for failed in outcomes:
        assert cb.try_acquire(now)
        (cb.on_error if failed else cb.on_success)(now)


def test_stays_closed_until_the_minimum_number_of_calls():
    cb = breaker()
    record(cb, [True] * 9)
    assert cb.state is State.CLOSED
    assert cb.failure_rate() == -1.0
    record(cb, [True])
    assert cb.state is State.OPEN


def test_opens_at_exactly_the_threshold():
    cb = breaker()
    record(cb, [False, True] * 5)  # 50% failures
    assert cb.state is State.OPEN


def test_stays_closed_below_the_threshold():
    cb = breaker()
    record(cb, [False] * 6 + [True] * 4)  # 40%
    assert cb.state is State.CLOSED
    assert cb.failure_rate() == 40.0


def test_window_is_count_based_and_slides():
    cb = breaker()
    record(cb, [True] * 4 + [False] * 6)  # 40%, closed
    record(cb, [False] * 4)  # the four failures slide out
    assert cb.failure_rate() == 0.0
    record(cb, [True] * 4)  # 4 of the last 10
    assert cb.state is State.CLOSED
    record(cb, [True])  # 5 of the last 10
    assert cb.state is State.OPEN


def test_open_rejects_until_the_wait_has_passed():
    cb = breaker()
    record(cb, [True] * 10, now=1.0)
    assert not cb.try_acquire(1.0)
    assert not cb.try_acquire(5.9)
    assert cb.try_acquire(6.0)
    assert cb.state is State.HALF_OPEN


def test_half_open_permits_exactly_the_configured_calls_then_closes_on_success():
    cb = breaker()
    record(cb, [True] * 10, now=0.0)
    assert [cb.try_acquire(5.0) for _ in range(4)] == [True, True, True, False]
    for _ in range(3):
        cb.on_success(5.1)
    assert cb.state is State.CLOSED
    assert cb.failure_rate() == -1.0  # a fresh window after closing
    assert cb.try_acquire(5.2)


def test_half_open_reopens_when_probes_fail():
    cb = breaker()
    record(cb, [True] * 10, now=0.0)
    for _ in range(3):
        assert cb.try_acquire(5.0)
    cb.on_error(5.5)
    cb.on_error(5.5)
    cb.on_success(5.5)  # 2 of 3 failed: 67% >= 50%
    assert cb.state is State.OPEN
    assert not cb.try_acquire(10.0)
    assert cb.try_acquire(10.5)
    assert [s for _, s in cb.transitions] == [State.OPEN, State.HALF_OPEN, State.OPEN, State.HALF_OPEN]


def test_half_open_decides_only_when_every_probe_has_reported():
    # A breaker that judged on the first probe would reopen here on one failure in three (33%).
    cb = breaker()
    record(cb, [True] * 10, now=0.0)
    for _ in range(3):
        assert cb.try_acquire(5.0)
    cb.on_error(5.1)
    assert cb.state is State.HALF_OPEN
    cb.on_success(5.2)
    assert cb.state is State.HALF_OPEN
    cb.on_success(5.3)
    assert cb.state is State.CLOSED


def test_half_open_does_not_close_on_a_first_successful_probe():
    cb = breaker()
    record(cb, [True] * 10, now=0.0)
    for _ in range(3):
        assert cb.try_acquire(5.0)
    cb.on_success(5.1)
    assert cb.state is State.HALF_OPEN
    cb.on_error(5.2)
    cb.on_error(5.3)  # 2 of 3 failed
    assert cb.state is State.OPEN


def test_max_wait_in_half_open_reopens_when_probes_hang():
    cb = breaker(max_wait_duration_in_half_open_state=2.0)
    record(cb, [True] * 10, now=0.0)
    assert cb.try_acquire(5.0) and cb.try_acquire(5.0)  # two probes out, neither answers
    assert cb.state is State.HALF_OPEN
    assert cb.try_acquire(6.9)  # the third probe, still within the 2 s
    assert not cb.try_acquire(7.0)  # 2 s in half-open without a verdict: open again
    assert cb.state is State.OPEN
    cb.on_success(7.5)  # a late probe answer changes nothing while open
    assert cb.state is State.OPEN
    assert not cb.try_acquire(11.9) and cb.try_acquire(12.0)  # the full open wait again, from 7.0
    assert [s for _, s in cb.transitions] == [State.OPEN, State.HALF_OPEN, State.OPEN, State.HALF_OPEN]


def test_max_wait_zero_waits_for_every_probe():
    cb = breaker()  # the default, 0: wait however long the probes take
    record(cb, [True] * 10, now=0.0)
    assert cb.try_acquire(5.0)
    assert cb.try_acquire(1000.0)  # still half-open, admitting its second probe
    assert cb.state is State.HALF_OPEN


def test_results_reported_while_open_do_not_change_state():
    cb = breaker()
    record(cb, [True] * 10)
    cb.on_success(1.0)
    cb.on_error(1.0)
    assert cb.state is State.OPEN


def test_minimum_calls_is_capped_at_the_window_size():
    cb = breaker(sliding_window_size=4, minimum_number_of_calls=100)
    record(cb, [True] * 4)
    assert cb.state is State.OPEN


@pytest.mark.parametrize(
    "kw",
    [
        {"failure_rate_threshold": 0},
        {"failure_rate_threshold": 101},
        {"sliding_window_size": 0},
        {"permitted_number_of_calls_in_half_open_state": 0},
        {"wait_duration_in_open_state": -1},
        {"max_wait_duration_in_half_open_state": -1},
    ],
)
def test_refuses_nonsense_configuration(kw):
    with pytest.raises(ValueError):
        breaker(**kw)
