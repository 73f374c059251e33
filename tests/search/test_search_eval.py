"""The shipped ranking must stay good on the starter: MRR@10 >= 0.8 over the tuning set
(tests/eval/queries.yaml); the held-out set (tests/eval/heldout.yaml) must name real notes."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "search_eval.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("search_eval", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_ranking_meets_the_bar_and_beats_plain_bm25(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the evaluation's index goes
    bench = load_bench()
    queries = bench.load_queries()
    assert len(queries) >= 50
    with bench.eval_index(None) as index:
        assert index.path.parent.parent == tmp_path
        shipped = bench.score(bench.shipped_ranker(index), queries)
    assert list(tmp_path.iterdir()) == []  # the temporary index is gone
    plain = bench.score(bench.plain_ranker(None), queries)
    assert shipped["mrr10"] >= 0.87, shipped["misses"]  # 0.890 on 2026-12-04
    assert shipped["recall5"] >= 0.95  # 0.979
    assert shipped["mrr10"] > plain["mrr10"]


def test_held_out_ranking_keeps_its_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Measured, never tuned on: the guard keeps later changes from losing what the thesaurus won
    (0.759 / 0.828 on 2026-12-04; the issue's bar of 0.85 / 0.95 is not reached yet)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    bench = load_bench()
    with bench.eval_index(None) as index:
        held_out = bench.score(bench.shipped_ranker(index), bench.load_queries(bench.HELD_OUT))
    assert held_out["mrr10"] >= 0.74, held_out["misses"]
    assert held_out["recall5"] >= 0.81


def test_expected_ids_exist_in_the_starter() -> None:
    from backbrain.core.location import starter_root

    ids = {path.stem for path in starter_root().rglob("*.md")}
    bench = load_bench()
    for path in bench.QUERY_SETS.values():
        missing = {i for q in bench.load_queries(path) for i in q["expect"]} - ids
        assert missing == set(), path


def test_the_held_out_set_is_large_and_disjoint_from_the_tuning_set() -> None:
    bench = load_bench()
    tuning = {q["query"].lower() for q in bench.load_queries(bench.QUERIES)}
    held_out = [q["query"].lower() for q in bench.load_queries(bench.HELD_OUT)]
    assert len(held_out) >= 40
    assert len(set(held_out)) == len(held_out)
    assert tuning.isdisjoint(held_out)
