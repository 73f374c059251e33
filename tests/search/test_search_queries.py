"""Queries: hostile input never reaches FTS5 as syntax, filters, phrases, prefixes, typos, related."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from searchhelpers import make_search_vault, open_synced

from backbrain.errors import NotFoundError, UsageError
from backbrain.search.engine import search, split_highlights
from backbrain.search.query import match_expression, parse_query
from backbrain.search.related import related
from backbrain.search.store import SearchIndex

HOSTILE = ['"', '"""', "AND OR", "*", "NEAR(", "-", "NOT", "a:b", "(((", "^x", "x" * 10_000, "{title}: x", "\x00"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    return open_synced(make_search_vault(tmp_path_factory.mktemp("q")))


def ids(index: SearchIndex, query: str, **filters: str) -> list[str]:
    return [hit.id for hit in search(index, query, **filters).hits]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_give_results_or_a_message(index: SearchIndex, query: str) -> None:
    result = search(index, query)
    assert result.hits or result.message


def test_ten_kilobytes_of_prose_still_ranks(index: SearchIndex) -> None:
    text = ("the cache expires and every request recomputes the value " * 200)[:10_000]
    assert ids(index, text)[0] == "cache-stampede"


def test_only_stop_words_says_so(index: SearchIndex) -> None:
    result = search(index, "what is the")
    assert result.hits == [] and result.message and "common words" in result.message


def test_empty_query_is_a_usage_error(index: SearchIndex) -> None:
    with pytest.raises(UsageError):
        search(index, "   ")


@given(st.text(max_size=200))
@settings(max_examples=150, deadline=None)
def test_any_text_becomes_a_valid_fts5_expression(text: str) -> None:
    parsed = parse_query(text)
    expression = match_expression(parsed.words, parsed.phrases, parsed.prefixes)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    if expression:
        conn.execute("SELECT * FROM t WHERE t MATCH ?", (expression,)).fetchall()


def test_phrases_and_prefixes(index: SearchIndex) -> None:
    assert ids(index, '"too many connections"')[0] == "db-connection-exhaustion"
    assert ids(index, "stamp*")[0] == "cache-stampede"
    assert ids(index, "zebr*") == ["scratch"]


def test_filters_by_type_tag_and_progress(index: SearchIndex) -> None:
    assert set(ids(index, "cache stampede singleflight", type_name="pattern")) == {"request-coalescing"}
    assert set(ids(index, "cache", tag="caching")) <= {"cache-stampede", "request-coalescing"}
    assert ids(index, "cache", progress="in-progress") == ["cache-stampede"]
    assert ids(index, "cache", type_name="no-such-type") == []


def test_typo_is_corrected_with_a_message(index: SearchIndex) -> None:
    result = search(index, "singleflihgt")
    assert result.hits[0].id == "request-coalescing"
    assert result.corrections == {"singleflihgt": "singleflight"}


def test_snippets_mark_matches(index: SearchIndex) -> None:
    hit = search(index, "zebra").hits[0]
    assert [hit.snippet[a:b].lower() for a, b in hit.highlights] == ["zebra"]
    assert split_highlights("x \x02y\x03 z") == ("x y z", [(2, 3)])


def test_related_combines_relations_links_and_text(index: SearchIndex) -> None:
    note_id, hits = related(index, "Cache stampede")
    assert note_id == "cache-stampede"
    by_id = {hit.id: hit for hit in hits}
    assert "mitigated-by" in by_id["request-coalescing"].reasons
    assert "linked from" in by_id["scratch"].reasons
    assert hits[0].id == "request-coalescing"


def test_related_unknown_id_suggests(index: SearchIndex) -> None:
    with pytest.raises(NotFoundError) as caught:
        related(index, "cache-stampeed")
    assert caught.value.hint and "cache-stampede" in caught.value.hint


def test_search_after_a_note_is_added(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = open_synced(root)
    (root / "notes" / "kiwi.md").write_text("# Kiwi\n\nKiwi bird.\n", encoding="utf-8")
    index.sync()
    assert ids(index, "kiwi") == ["kiwi"]
