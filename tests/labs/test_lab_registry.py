"""The registry: lab metadata, parameter parsing, errors, result shape and reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from backbrain.errors import UsageError
from backbrain.labs import DEFAULT_SEED, list_labs, render_json, run_lab

EXPECTED = {
    "retry-storm": ({"retry-storms", "retry-with-backoff"}, ["calls", "completion_ms", "load_amplification"]),
    "cache-stampede": (
        {"cache-stampede", "request-coalescing"},
        ["origin_recomputes", "max_concurrent_recomputes", "p99_latency_ms", "stale_reads"],
    ),
    "thundering-herd": ({"thundering-herd"}, ["peak_per_second", "time_to_reconnect_s"]),
    "queueing": (
        {"latency-vs-throughput", "backpressure"},
        [
            "mean_in_system",
            "theory_mean_in_system",
            "throughput_per_s",
            "mean_response_ms",
            "theory_mean_response_ms",
            "p50_response_ms",
            "p99_response_ms",
            "p999_response_ms",
            "theory_p99_response_ms",
        ],
    ),
    "db-connection-exhaustion": ({"db-connection-exhaustion"}, ["throughput", "p99_wait_ms", "timeouts"]),
    "rate-limiters": (
        {"rate-limiting"},
        ["max_burst_ratio", "wrong_decision_pct", "disagreement_pct", "bytes_per_key"],
    ),
    "consistent-hashing": ({"consistent-hashing", "sharding"}, ["load_stddev_pct", "keys_moved_pct"]),
    "circuit-breaker": (
        {"circuit-breaker", "cascading-failures"},
        ["calls_to_failing_dependency", "p99_latency_ms", "recovery_s"],
    ),
    "load-shedding": (
        {"load-shedding", "backpressure"},
        ["goodput_pct", "p99_ms", "shed_pct", "in_time_below_capacity_pct"],
    ),
    "retry-collapse": (
        {"retry-with-backoff", "retry-storms", "cascading-failures"},
        ["goodput_pct", "after_goodput_pct", "recovery_s", "load_amplification"],
    ),
    "bulkhead": (
        {"bulkhead", "cascading-failures"},
        ["healthy_p50_ms", "healthy_p99_ms", "healthy_success_pct", "slow_success_pct"],
    ),
    "hedged-requests": (
        {"fan-out-fan-in", "partial-failures"},
        ["p50_ms", "p99_ms", "slower_than_leaf_p99_pct", "extra_load_pct", "theory_slower_pct"],
    ),
    "load-balancing": (
        {"hot-partition", "latency-vs-throughput"},
        ["max_bin_load", "theory_max_bin_load", "mean_ms", "p99_ms", "max_outstanding"],
    ),
}

# Small parameters so every lab can be run twice here in well under a second or two.
QUICK = {
    "retry-storm": {"clients": "20", "trials": "2", "requests": "5"},
    "cache-stampede": {"duration_s": "12"},
    "thundering-herd": {"clients": "500", "accept_rate": "100", "backlog": "50"},
    "queueing": {"customers": "3000", "rhos": "0.5,0.8"},
    "db-connection-exhaustion": {"duration_s": "3", "pools": "2,8,16"},
    "rate-limiters": {"duration_s": "20"},
    "consistent-hashing": {"keys": "2000"},
    "circuit-breaker": {"duration_s": "30", "rate": "50"},
    "load-shedding": {"duration_s": "2", "loads": "0.5,2"},
    "retry-collapse": {"duration_s": "12", "rate": "100", "workers": "2", "slow_at_s": "2", "slow_s": "2"},
    "bulkhead": {"duration_s": "3", "rate": "100", "slow_at_s": "1", "slow_s": "1"},
    "hedged-requests": {"requests": "200", "fanouts": "1,10"},
    "load-balancing": {"bins": "1000", "duration_s": "1"},
}


def test_list_labs_names_variants_metrics_notes_and_sources():
    infos = {info.name: info for info in list_labs()}
    assert list(infos) == list(EXPECTED)
    for name, (notes, metrics) in EXPECTED.items():
        info = infos[name]
        assert set(info.notes) == notes
        assert [m.name for m in info.metrics] == metrics
        assert info.title and info.description and info.source and info.variants
        assert all(p.help for p in info.params)
        json.dumps(info.to_dict())  # JSON-ready


def test_variant_names_are_exactly_as_documented():
    infos = {info.name: info for info in list_labs()}
    assert infos["retry-storm"].variants == (
        "no-backoff",
        "no-jitter",
        "full-jitter",
        "equal-jitter",
        "decorrelated-jitter",
        "retries-3x5-layers",
        "retry-budget",
    )
    assert infos["cache-stampede"].variants == ("no-protection", "lock", "xfetch")
    assert infos["thundering-herd"].variants == ("no-jitter", "jitter")
    assert infos["queueing"].variants == tuple(f"mm{c}-rho-{r}" for c in (1, 4) for r in ("0.5", "0.7", "0.8", "0.9"))
    assert all(v.startswith("pool-") for v in infos["db-connection-exhaustion"].variants)
    assert infos["rate-limiters"].variants == ("fixed-window", "sliding-log", "sliding-counter", "token-bucket")
    assert infos["consistent-hashing"].variants == ("mod-n", "ring-1", "ring-100", "ring-1000", "jump")
    assert infos["circuit-breaker"].variants == ("no-breaker", "breaker")
    assert infos["load-shedding"].variants == ("no-shedding", "queue-limit", "latency-shedding", "adaptive-lifo")
    assert infos["retry-collapse"].variants == ("no-retries", "naive-retries", "budget-jitter", "adaptive-throttle")
    assert infos["bulkhead"].variants == ("shared-pool", "bulkheads")
    assert infos["hedged-requests"].variants == ("fanout-1", "fanout-10", "fanout-100", "fanout-100-hedged")
    assert infos["load-balancing"].variants == ("random", "round-robin", "least-outstanding", "power-of-two")


@pytest.mark.parametrize("name", list(QUICK))
def test_same_seed_same_bytes_and_shape(name):
    first = run_lab(name, QUICK[name], seed=7)
    second = run_lab(name, QUICK[name], seed=7)
    assert render_json(first) == render_json(second)
    data = first.to_dict()
    assert list(data) == ["lab", "params", "seed", "variants"]
    assert data["lab"] == name and data["seed"] == 7
    assert set(data["params"]) == {p.name for p in next(i for i in list_labs() if i.name == name).params}
    metric_names = set(EXPECTED[name][1])
    for metrics in data["variants"].values():
        assert metrics and set(metrics) <= metric_names
        assert all(isinstance(x, int | float) and not isinstance(x, bool) for x in metrics.values())
    json.loads(render_json(first))


def test_default_variants_report_every_metric_except_the_overload_ones(default_run):
    overload = {("retry-storm", "retries-3x5-layers"), ("retry-storm", "retry-budget")}
    overload.add(("hedged-requests", "fanout-100-hedged"))  # 1 - 0.99^N is the unhedged fan-out's law
    for info in list_labs():
        result = default_run(info.name)  # cached: the record tests use the same runs
        assert tuple(result.variants) == info.variants
        for variant, metrics in result.variants.items():
            if (info.name, variant) not in overload:
                assert list(metrics) == [m.name for m in info.metrics]
    storm = default_run("retry-storm").variants
    assert set(storm["retry-budget"]) == {"calls", "load_amplification"}
    assert set(storm["no-backoff"]) == {"calls", "completion_ms", "load_amplification"}


def test_different_seeds_differ_and_default_seed_is_fixed():
    a = run_lab("circuit-breaker", QUICK["circuit-breaker"], seed=1)
    b = run_lab("circuit-breaker", QUICK["circuit-breaker"], seed=2)
    assert a.variants != b.variants
    assert run_lab("circuit-breaker", QUICK["circuit-breaker"]).seed == DEFAULT_SEED


def test_params_are_parsed_to_their_declared_types():
    result = run_lab("queueing", {"customers": "2000", "rhos": "0.3, 0.6", "service_ms": "5", "servers": "1"})
    assert result.params == {"rhos": [0.3, 0.6], "service_ms": 5.0, "customers": 2000, "servers": 1}
    assert list(result.variants) == ["mm1-rho-0.3", "mm1-rho-0.6"]
    assert result.variants["mm1-rho-0.3"]["theory_mean_response_ms"] == pytest.approx(5 / 0.7, abs=1e-3)


def test_unknown_parameter_lists_valid_params_with_defaults():
    with pytest.raises(UsageError) as info:
        run_lab("retry-storm", {"client": "10"})
    text = str(info.value)
    assert "'client'" in text and "did you mean 'clients'" in text
    for needle in ("clients=100", "base_ms=5.0", "cap_ms=2000.0", "trials=50"):
        assert needle in text


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"clients": "many"}, "expected an integer"),
        ({"clients": "0"}, "must be >= 1"),
        ({"clients": "2.5"}, "expected an integer"),
        ({"base_ms": "nan"}, "finite"),
        ({"base_ms": ""}, "expected a number"),
    ],
)
def test_bad_values_are_usage_errors_listing_params(params, reason):
    with pytest.raises(UsageError) as info:
        run_lab("retry-storm", params)
    assert reason in str(info.value) and "clients=100" in str(info.value)


def test_bad_list_values():
    with pytest.raises(UsageError, match=r"must be <= 0\.99"):
        run_lab("queueing", {"rhos": "0.5,1.0"})
    with pytest.raises(UsageError, match="distinct"):
        run_lab("db-connection-exhaustion", {"pools": "4,4"})
    with pytest.raises(UsageError, match="comma-separated"):
        run_lab("db-connection-exhaustion", {"pools": ","})


def test_unknown_lab_lists_the_labs():
    with pytest.raises(UsageError) as info:
        run_lab("retry-strom")
    text = str(info.value)
    assert "did you mean 'retry-storm'" in text
    assert all(name in text for name in EXPECTED)


def test_progress_is_monotonic_and_finishes_at_one():
    seen: list[float] = []
    run_lab("retry-storm", QUICK["retry-storm"], progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen) and len(seen) == len(set(seen)) and len(seen) > 3


def test_core_imports_no_presentation_library():
    code = (
        "import sys, backbrain.labs as labs; labs.run_lab('rate-limiters', {'duration_s': '5'}); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'click', 'rich', 'starlette', 'uvicorn', 'httpx', 'matplotlib'} or m.startswith('backbrain.cli')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_combination_over_the_total_work_limit_is_refused_before_running():
    # Each value is in range on its own; together they would run for hours.
    with pytest.raises(UsageError) as info:
        run_lab("retry-storm", {"clients": "2000", "trials": "50"})
    text = str(info.value)
    assert "times the work of the default run" in text and "limit is 25 times" in text
    assert "Lower 'clients' (default 100)" in text
    with pytest.raises(UsageError, match="Lower 'customers'"):
        run_lab("queueing", {"customers": "10000000"})


def test_every_default_run_is_within_the_work_limit_and_costs_grow_with_their_parameters():
    from backbrain.labs.registry import MAX_WORK_FACTOR, work_factor

    for info in list_labs():
        assert work_factor(info.name, info.defaults()) == pytest.approx(1.0)
        quick = {**info.defaults(), **{k: info.param(k).parse(v) for k, v in QUICK[info.name].items()}}
        assert work_factor(info.name, quick) < 1.0, info.name  # the quick runs here are cheaper
    assert MAX_WORK_FACTOR == 25
