"""`backbrain lab` through the real entry point (python -m backbrain), as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

QUICK = ["--param", "duration_s=20"]  # rate-limiters in a few milliseconds


def backbrain(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BACKBRAIN_VAULT"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "backbrain", "lab", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_run_json_prints_exactly_the_result_and_writes_into_the_vault(tmp_path):
    vault = tmp_path / "kb"
    vault.mkdir()
    proc = backbrain(
        "run", "rate-limiters", *QUICK, "--seed", "5", "--format", "json", "--vault", str(vault), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert list(data) == ["lab", "params", "seed", "variants"]
    assert data["lab"] == "rate-limiters" and data["seed"] == 5 and data["params"]["duration_s"] == 20.0
    assert list(data["variants"]) == ["fixed-window", "sliding-log", "sliding-counter", "token-bucket"]
    assert all(
        set(m) == {"max_burst_ratio", "wrong_decision_pct", "disagreement_pct", "bytes_per_key"}
        for m in data["variants"].values()
    )
    folder = vault / "labs" / "rate-limiters"
    assert json.loads((folder / "result.json").read_text()) == data
    assert (folder / "plot.svg").read_text().count("<svg") == 1
    assert str(folder / "result.json") in proc.stderr and str(folder / "plot.svg") in proc.stderr


def test_run_is_reproducible_through_the_cli(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for name in ("a", "b"):
        proc = backbrain("run", "circuit-breaker", "-p", "duration_s=30", "--vault", str(tmp_path / name), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    for file in ("result.json", "plot.svg"):
        a = (tmp_path / "a" / "labs" / "circuit-breaker" / file).read_bytes()
        b = (tmp_path / "b" / "labs" / "circuit-breaker" / file).read_bytes()
        assert a == b


def test_run_text_prints_a_table_and_the_paths(tmp_path):
    proc = backbrain("run", "rate-limiters", *QUICK, "--vault", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for needle in ("rate-limiters (seed 42)", "fixed-window", "max_burst_ratio", "Wrote", "plot.svg"):
        assert needle in proc.stdout
    assert proc.stderr == ""  # a quick run shows no progress bar


def test_read_only_starter_writes_nothing_and_says_how_to_fix_it(tmp_path):
    proc = backbrain("run", "rate-limiters", *QUICK, "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)  # stdout stays pure JSON
    assert "Nothing written" in proc.stderr and "--vault DIR" in proc.stderr and "backbrain init" in proc.stderr
    assert not (tmp_path / "labs").exists()


def test_bad_param_and_unknown_lab_exit_2_with_the_valid_choices(tmp_path):
    proc = backbrain("run", "retry-storm", "--param", "clients=lots", cwd=tmp_path)
    assert proc.returncode == 2
    assert "clients" in proc.stderr and "clients=100" in proc.stderr and "Traceback" not in proc.stderr
    proc = backbrain("run", "retry-storm", "--param", "clients", cwd=tmp_path)
    assert proc.returncode == 2 and "KEY=VALUE" in proc.stderr and "base_ms=5.0" in proc.stderr
    proc = backbrain("run", "no-such-lab", cwd=tmp_path)
    assert proc.returncode == 2 and "retry-storm" in proc.stderr and "circuit-breaker" in proc.stderr


def test_list_shows_every_lab(tmp_path):
    proc = backbrain("list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in (
        "retry-storm",
        "cache-stampede",
        "thundering-herd",
        "queueing",
        "db-connection-exhaustion",
        "rate-limiters",
        "consistent-hashing",
        "circuit-breaker",
        "load-shedding",
        "retry-collapse",
        "bulkhead",
        "hedged-requests",
        "load-balancing",
    ):
        assert name in proc.stdout
    proc = backbrain("list", "--format", "json", cwd=tmp_path)
    labs = json.loads(proc.stdout)
    assert labs[0]["name"] == "retry-storm"
    assert {"name", "title", "description", "params", "variants", "metrics", "notes", "source"} <= set(labs[0])
