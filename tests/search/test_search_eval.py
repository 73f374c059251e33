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
    assert shipped["mrr10"] >= 0.8, shipped["misses"]
    assert shipped["recall5"] >= 0.9
    assert shipped["mrr10"] > plain["mrr10"]


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
