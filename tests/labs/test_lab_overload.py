"""The five overload labs held to their theory: load shedding, retry collapse, bulkheads,
hedged requests at fan-out, and load balancing (balls into bins and a mixed-speed cluster).

Each assertion is about a default run (seed 42) unless it says otherwise; the bands are set from
the theory, not tuned to this seed.
"""

from __future__ import annotations

import math
import random

import pytest

from backbrain.labs import run_lab
from backbrain.labs.sims.load_balancing import balls_into_bins
from backbrain.labs.throttle import AdaptiveThrottle

# --- the throttle: the SRE book's formula --------------------------------------------------------


def test_adaptive_throttle_follows_the_sre_books_formula():
    throttle = AdaptiveThrottle(k=2.0, window_s=60.0, rng=random.Random(1))
    assert throttle.reject_probability(0.0) == 0.0
    for _ in range(100):
        throttle.allow(0.0)
    for _ in range(20):
        throttle.on_accept(0.0)
    # max(0, (requests - K * accepts) / (requests + 1)) = (100 - 40) / 101
    assert throttle.reject_probability(1.0) == pytest.approx(60 / 101)
    for _ in range(30):
        throttle.on_accept(1.0)
    assert throttle.reject_probability(1.0) == 0.0  # 2 x 50 accepts >= 100 requests
    assert throttle.counts(60.5) == (0, 30)  # the first second's entries left the window


def test_adaptive_throttle_refuses_at_that_rate_and_counts_refusals_as_requests():
    rng = random.Random(2)
    refused = 0
    trials = 5000
    for _ in range(trials):
        throttle = AdaptiveThrottle(k=2.0, window_s=60.0, rng=rng)
        for _ in range(100):
            throttle.allow(0.0)
        for _ in range(25):
            throttle.on_accept(0.0)
        refused += not throttle.allow(0.0)
        assert throttle.counts(0.0) == (101, 25)  # the refused request is counted too
    assert refused / trials == pytest.approx(50 / 101, abs=0.02)


def test_adaptive_throttle_refuses_nonsense():
    with pytest.raises(ValueError):
        AdaptiveThrottle(k=0.5)
    with pytest.raises(ValueError):
        AdaptiveThrottle(window_s=0)


# --- load shedding -------------------------------------------------------------------------------


def test_without_shedding_goodput_collapses_and_with_it_stays_at_capacity(default_run):
    result = default_run("load-shedding")
    v, top = result.variants, max(result.params["loads"])
    assert top >= 2.0
    assert v["no-shedding"]["goodput_pct"] < 20  # congestive collapse: busy, but every reply too late
    for name in ("queue-limit", "latency-shedding", "adaptive-lifo"):
        assert v[name]["goodput_pct"] == pytest.approx(100, abs=10), name  # min(offered, capacity)
        assert v[name]["p99_ms"] < result.params["timeout_ms"], name
    assert v["queue-limit"]["shed_pct"] == pytest.approx(100 * (1 - 1 / top), abs=5)  # the excess is refused
    for name, m in v.items():
        assert m["in_time_below_capacity_pct"] > 95, name  # below capacity nobody needs shedding


def test_load_shedding_plot_shows_the_collapse_curve(default_run):
    lines = default_run("load-shedding").series.lines
    collapse = dict(lines["no-shedding"])
    assert collapse[0.5] == pytest.approx(50, abs=5)  # below capacity goodput = offered
    assert collapse[2.0] < collapse[1.2] < collapse[0.9]


# --- retry collapse ----------------------------------------------------------------------------


def test_naive_retries_keep_the_dependency_collapsed_after_the_trigger(default_run):
    result = default_run("retry-collapse")
    v, p = result.variants, result.params
    capacity = p["workers"] * 1000 / p["service_ms"]
    assert p["rate"] < capacity < p["rate"] * (1 + p["retries"])  # fine alone, overloaded with retries
    assert v["naive-retries"]["after_goodput_pct"] < 20
    assert v["naive-retries"]["recovery_s"] == -1
    assert v["naive-retries"]["load_amplification"] > 2
    for name in ("no-retries", "budget-jitter", "adaptive-throttle"):
        assert v[name]["recovery_s"] >= 0, name
        assert v[name]["after_goodput_pct"] > 50, name
        assert v[name]["goodput_pct"] > v["naive-retries"]["goodput_pct"], name
    assert v["no-retries"]["load_amplification"] == 1.0
    assert v["budget-jitter"]["load_amplification"] <= 1 + p["budget_ratio"] + 0.02
    assert v["adaptive-throttle"]["load_amplification"] <= p["throttle_k"]


# --- bulkhead ----------------------------------------------------------------------------------


def test_only_bulkheads_keep_the_healthy_dependencys_latency(default_run):
    result = default_run("bulkhead")
    v, p = result.variants, result.params
    # Little's law: B alone needs rate/2 x min(slow, timeout) workers, far more than the pool.
    assert p["rate"] / 2 * min(p["slow_ms"], p["timeout_ms"]) / 1000 > 5 * p["pool"]
    healthy = run_lab("bulkhead", {"slow_ms": str(p["latency_ms"])}).variants["bulkheads"]
    assert v["bulkheads"]["healthy_p99_ms"] == pytest.approx(healthy["healthy_p99_ms"], rel=0.2)
    assert v["bulkheads"]["healthy_success_pct"] > 99.5
    assert v["shared-pool"]["healthy_p50_ms"] > 10 * v["bulkheads"]["healthy_p50_ms"]
    assert v["shared-pool"]["healthy_p99_ms"] >= 0.9 * p["timeout_ms"]
    for name in v:
        assert v[name]["slow_success_pct"] < 50  # the slow dependency fails either way


# --- hedged requests -----------------------------------------------------------------------------


def test_fan_out_tail_is_one_minus_0_99_to_the_n(default_run):
    result = default_run("hedged-requests")
    for n in result.params["fanouts"]:
        m = result.variants[f"fanout-{n}"]
        assert m["theory_slower_pct"] == pytest.approx(100 * (1 - 0.99**n), abs=0.05)
        assert m["slower_than_leaf_p99_pct"] == pytest.approx(m["theory_slower_pct"], abs=3.0), n


def test_hedging_after_the_p95_cuts_the_tail_for_about_5_percent_more_load(default_run):
    result = default_run("hedged-requests")
    top = max(result.params["fanouts"])
    plain, hedged = result.variants[f"fanout-{top}"], result.variants[f"fanout-{top}-hedged"]
    assert hedged["extra_load_pct"] == pytest.approx(100 - result.params["hedge_pct"], abs=1.0)
    assert hedged["p50_ms"] < plain["p50_ms"] / 5
    assert hedged["p99_ms"] < plain["p99_ms"]
    assert hedged["slower_than_leaf_p99_pct"] < 3.0
    assert "theory_slower_pct" not in hedged


# --- load balancing ------------------------------------------------------------------------------


def test_two_choices_shrink_the_max_load_from_log_n_over_log_log_n_to_log_log_n():
    n = 100_000
    one = balls_into_bins(n, 1, random.Random(5))
    two = balls_into_bins(n, 2, random.Random(5))
    assert one >= math.log(n) / math.log(math.log(n))
    assert two <= math.log(math.log(n)) / math.log(2) + 1
    assert two <= one / 2 + 0.5


def test_load_balancing_lab_shows_the_gap_and_the_slow_servers(default_run):
    result = default_run("load-balancing")
    v, p = result.variants, result.params
    assert v["power-of-two"]["max_bin_load"] < v["random"]["max_bin_load"]
    assert v["random"]["max_bin_load"] >= v["random"]["theory_max_bin_load"]
    assert v["power-of-two"]["max_bin_load"] <= v["power-of-two"]["theory_max_bin_load"] + 1
    # An equal share for every server is more than a slow one can serve above 2/3 load.
    assert p["load"] > 2 / 3
    for blind in ("random", "round-robin"):
        for aware in ("least-outstanding", "power-of-two"):
            assert v[blind]["p99_ms"] > 10 * v[aware]["p99_ms"], (blind, aware)
    assert v["least-outstanding"]["p99_ms"] <= v["power-of-two"]["p99_ms"] * 1.1
