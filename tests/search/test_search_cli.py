"""`backbrain search` and `related` through the real entry point: JSON shape, exit codes, notices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from searchhelpers import make_search_vault


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_search_vault(tmp_path_factory.mktemp("cli"))


def test_json_shape_best_first(root: Path) -> None:
    done = run_cli("search", "dogpile effect", "--vault", str(root), "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"query", "results"} and data["query"] == "dogpile effect"
    assert data["results"][0]["id"] == "cache-stampede"
    for item in data["results"]:
        assert set(item) == {"id", "title", "type", "score", "snippet"}
    scores = [item["score"] for item in data["results"]]
    assert scores == sorted(scores, reverse=True)


def test_text_output_and_filters(root: Path) -> None:
    done = run_cli("search", "cache", "--vault", str(root), "--type", "pattern", "--limit", "1")
    assert done.returncode == 0, done.stderr
    assert "Request coalescing" in done.stdout and "(request-coalescing)" in done.stdout
    assert "\x1b[" not in done.stdout  # NO_COLOR is set by run_cli


@pytest.mark.parametrize("query", ['"', "AND OR", "*", "NEAR(", "-", "x" * 10_000, "the of and"])
def test_hostile_queries_exit_cleanly(root: Path, query: str) -> None:
    done = run_cli("search", "--vault", str(root), "--", query)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_empty_query_exits_2(root: Path) -> None:
    done = run_cli("search", "--vault", str(root), "--", "  ")
    assert done.returncode == 2 and "Empty search query" in done.stderr


def test_corrupt_index_rebuilt_with_one_line_notice(tmp_path: Path) -> None:
    vault = make_search_vault(tmp_path)
    assert run_cli("search", "bulkhead", "--vault", str(vault)).returncode == 0
    path = vault / ".backbrain" / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"garbage" * 1000)
    done = run_cli("search", "bulkhead", "--vault", str(vault), "--format", "json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["results"][0]["id"] == "bulkhead"
    assert len(done.stderr.strip().splitlines()) == 1 and "rebuilding" in done.stderr


def test_related_json_and_unknown_id(root: Path) -> None:
    done = run_cli("related", "cache-stampede", "--vault", str(root), "--format", "json")
    data = json.loads(done.stdout)
    assert data["id"] == "cache-stampede" and data["results"][0]["id"] == "request-coalescing"
    missing = run_cli("related", "no-such-note", "--vault", str(root))
    assert missing.returncode == 2 and "No note" in missing.stderr


def test_starter_search_uses_the_user_cache(tmp_path: Path) -> None:
    done = run_cli(
        "search",
        "too many connections from Postgres",
        "--format",
        "json",
        env={"XDG_CACHE_HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert json.loads(done.stdout)["results"][0]["id"] == "db-connection-exhaustion"
    assert list((tmp_path / "backbrain" / "index").glob("starter-*.sqlite"))
