"""`backbrain lab sweep`: ranges, Student-t confidence intervals, parallel runs, outputs."""

from __future__ import annotations

import json
import random

import pytest

from backbrain.errors import UsageError
from backbrain.labs import get_lab
from backbrain.labs.sweep import parse_range, run_sweep, summarize, t975


def test_t_quantiles_match_the_tables():
    # Student's t, two-sided 95%: the textbook values, and the normal's 1.96 in the limit.
    for df, expected in ((1, 12.706), (4, 2.776), (19, 2.093), (30, 2.042), (40, 2.021), (120, 1.980)):
        assert t975(df) == pytest.approx(expected, abs=1e-3)
    assert t975(100_000) == pytest.approx(1.95996, abs=1e-4)


def test_confidence_intervals_cover_the_true_mean_95_percent_of_the_time():
    # Five samples per interval: with the normal's 1.96 instead of t(4) = 2.776 coverage drops to ~88%.
    rng = random.Random(3)
    trials = 4000
    covered = 0
    for _ in range(trials):
        mean, half = summarize([rng.gauss(10.0, 2.0) for _ in range(5)])
        covered += abs(mean - 10.0) <= half
    assert covered / trials == pytest.approx(0.95, abs=0.012)


def test_summarize_one_sample_has_no_interval():
    assert summarize([3.0]) == (3.0, 0.0)
    mean, half = summarize([1.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(12.7062 * 1.0, rel=1e-4)  # sd sqrt(2), / sqrt(2)


def test_ranges_parse_inclusively_and_are_checked_like_the_cli():
    clients = get_lab("retry-storm").param("clients")
    assert clients is not None
    assert parse_range(clients, "10..190:20") == [10, 30, 50, 70, 90, 110, 130, 150, 170, 190]
    assert parse_range(clients, "5,10") == [5, 10]
    rhos = get_lab("queueing").param("rhos")
    assert rhos is not None
    assert parse_range(rhos, "0.1..0.3:0.1") == [0.1, 0.2, 0.3]  # decimal steps stay exact
    with pytest.raises(ValueError, match="<= 2000"):
        parse_range(clients, "1000..3000:1000")
    with pytest.raises(ValueError, match="positive STEP"):
        parse_range(clients, "10..5:1")
    with pytest.raises(ValueError, match="at least two"):
        parse_range(clients, "10")
    with pytest.raises(ValueError, match="over 200 points"):
        parse_range(clients, "1..2000:1")


def test_bad_sweeps_are_refused_before_any_work():
    with pytest.raises(UsageError, match="Unknown parameter"):
        run_sweep("queueing", "rho", "0.1..0.5:0.1")
    with pytest.raises(UsageError, match="Bad range"):
        run_sweep("queueing", "rhos", "0.5..1.5:0.5")
    with pytest.raises(UsageError, match="--seeds"):
        run_sweep("queueing", "rhos", "0.5,0.6", seeds=1)
    with pytest.raises(UsageError, match="Bad value"):
        run_sweep("queueing", "rhos", "0.5,0.6", params={"customers": "lots"})


def test_retry_storm_sweep_has_brookers_curve_shape():
    sweep = run_sweep(
        "retry-storm", "clients", "10,50,100", seeds=3, params={"trials": "2", "overload": "0", "net_sd_ms": "2"}
    )
    calls = {v: [p.mean for p in m["calls"]] for v, m in sweep.points.items()}
    assert set(calls) == {"no-backoff", "no-jitter", "full-jitter", "equal-jitter", "decorrelated-jitter"}
    # No backoff is quadratic in the clients (every client competes every round); full jitter is
    # close to linear; at 100 clients the order is Brooker's.
    assert calls["no-backoff"][2] / calls["no-backoff"][1] > 3.0
    assert calls["full-jitter"][2] / calls["full-jitter"][1] < 2.6
    at_100 = {v: c[2] for v, c in calls.items()}
    assert at_100["no-backoff"] > at_100["no-jitter"] > at_100["decorrelated-jitter"] > at_100["full-jitter"]
    for points in sweep.points["full-jitter"].values():
        assert [p.n for p in points] == [3, 3, 3]
        assert all(p.ci95 >= 0 for p in points)


def test_sweep_cli_prints_json_and_writes_the_plot_with_bands(tmp_path, cli):
    vault = tmp_path / "kb"
    vault.mkdir()
    proc = cli(
        "lab",
        "sweep", "queueing", "-p", "rhos=0.5..0.8:0.3", "-p", "customers=2000", "-p", "servers=2",
        "--seeds", "3", "--metric", "p99_response_ms", "--format", "json", "--vault", str(vault), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["param"] == "rhos" and data["values"] == [0.5, 0.8] and data["seeds"] == [42, 43, 44]
    assert set(data["variants"]) == {"mm1-rho", "mm2-rho"}
    p99 = data["variants"]["mm1-rho"]["p99_response_ms"]
    assert [p["x"] for p in p99] == [0.5, 0.8] and p99[1]["mean"] > p99[0]["mean"] > 0
    assert all(p["ci95"] > 0 and p["n"] == 3 for p in p99)
    folder = vault / "labs" / "queueing"
    assert json.loads((folder / "sweep-rhos.json").read_text()) == data
    svg = (folder / "sweep-rhos.svg").read_text()
    assert svg.count("<svg") == 1 and "<dc:date>" not in svg


def test_sweep_cli_needs_exactly_one_range(tmp_path, cli):
    proc = cli("lab", "sweep", "retry-storm", "-p", "trials=2", cwd=tmp_path)
    assert proc.returncode == 2 and "exactly one parameter" in proc.stderr and "clients=100" in proc.stderr
    proc = cli("lab", "sweep", "retry-storm", "-p", "clients=10..20:10", "-p", "trials=1..2", cwd=tmp_path)
    assert proc.returncode == 2 and "clients, trials" in proc.stderr
    proc = cli("lab", "sweep", "queueing", "-p", "rhos=0.5,0.6", "--metric", "nope", cwd=tmp_path)
    assert proc.returncode == 2 and "Unknown metric" in proc.stderr and "Traceback" not in proc.stderr
