"""The browser's search index holds exactly what the SQLite index holds: for every starter note,
every field's stems and counts equal FTS5's own (fts5vocab), and the names equal the name tables."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backbrain.core.location import starter_root
from backbrain.core.vault import load_vault
from backbrain.search.browser import _TOKEN, Tokens, entry_json, graph, index_json, relation_texts
from backbrain.search.store import FTS_COLUMNS, SearchIndex


@pytest.fixture(scope="module")
def starter_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    index = SearchIndex(starter_root(), tmp_path_factory.mktemp("idx") / "index.sqlite")
    index.sync()
    return index


def _fields(entry: list) -> list[Counter[str]]:  # type: ignore[type-arg]
    counted = []
    for field in entry[6]:
        counts: Counter[str] = Counter()
        for item in field.split():
            stem, _, n = item.partition(":")
            counts[stem] += int(n or 1)
        counted.append(counts)
    return counted


def test_every_field_counts_the_terms_fts5_stores(starter_index: SearchIndex) -> None:
    vault = load_vault(starter_root())
    relations = relation_texts(vault)
    tokens = Tokens()
    entries = {n.id: json.loads(entry_json(n, vault.config, relations.get(n.id, ""), n.id, tokens))
               for n in vault.notes.values()}  # fmt: skip
    conn = starter_index.conn
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.inst USING fts5vocab(main, fts, 'instance')")
    ids = dict(conn.execute("SELECT rowid, id FROM notes"))
    stored: dict[str, list[Counter[str]]] = {i: [Counter() for _ in FTS_COLUMNS] for i in ids.values()}
    for doc, term, col, count in conn.execute("SELECT doc, term, col, count(*) FROM temp.inst GROUP BY doc, term, col"):
        stored[ids[doc]][FTS_COLUMNS.index(col)][term] = count
    assert set(entries) == set(stored)
    for note_id, entry in entries.items():
        assert _fields(entry) == stored[note_id], note_id
        assert entry[5] == sum(sum(c.values()) for c in stored[note_id])
    names = {(ids[n], name, gram) for n, name, gram in conn.execute("SELECT note, name, gram FROM names")}
    assert names == {(i, name, gram) for i, e in entries.items() for name, gram in e[7]}
    terms = {(ids[n], t, w) for n, t, w in conn.execute("SELECT note, term, word FROM name_terms")}
    assert terms == {(i, t, w) for i, e in entries.items() for t, w in e[8]}


def test_relation_text_is_the_index_relation_text(starter_index: SearchIndex) -> None:
    vault = load_vault(starter_root())
    relations = relation_texts(vault)
    stored = {i: text for i, text in starter_index.conn.execute("SELECT id, relations FROM notes") if text}
    assert relations == stored


def test_the_graph_is_the_index_edges_the_ranking_reads(starter_index: SearchIndex) -> None:
    from backbrain.search.engine import GRAPH_KINDS
    from backbrain.site.searchdata import ordered_ids

    vault = load_vault(starter_root())
    ids = ordered_ids(vault)
    edges = graph(vault, ids)
    pairs = {(ids[a], ids[b]) for a, b in edges["mitigates"]}
    marks = ",".join("?" * len(GRAPH_KINDS))
    sql = f"SELECT source, target FROM edges WHERE kind IN ({marks}) AND source != target"
    stored = set(starter_index.conn.execute(sql, GRAPH_KINDS).fetchall())
    assert pairs == stored
    assert ("circuit-breaker", "cascading-failures") in pairs  # a pattern and the failure it mitigates
    superseded = {ids[i] for i in edges["superseded"]}
    sql = "SELECT DISTINCT target FROM edges WHERE kind = 'supersedes'"
    assert superseded == {row[0] for row in starter_index.conn.execute(sql)} == {"in-process-cache-per-instance"}
    assert json.loads(index_json([], edges=edges))["graph"] == edges


def test_index_json_carries_the_ranking_settings() -> None:
    from backbrain.search.engine import RankConfig

    data = json.loads(index_json([]))
    assert data["notes"] == []
    assert data["settings"]["weights"] == list(RankConfig().weights)
    assert data["settings"]["typePrior"] == dict(RankConfig().type_prior)
    assert data["settings"]["coverageBonus"] == RankConfig().coverage_bonus
    assert data["settings"]["graphWeight"] == RankConfig().graph_weight
    assert [FTS_COLUMNS[c] for c in data["settings"]["coverageColumns"]] == list(RankConfig().coverage_columns)


def test_accents_are_folded_and_superscripts_kept_like_unicode61() -> None:
    assert Tokens().words("Café naïve_x 999⁴") == ["cafe", "naive", "x", "999⁴"]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_the_ascii_fast_path_splits_words_as_the_unicode61_pattern_does(text: str) -> None:
    """Tokens.words takes a translate-and-split shortcut for ASCII text (the build's hot path); it
    must give exactly the words of the tokenizer pattern, separators and digits included."""
    expected = _TOKEN.findall(text.lower()) if text.isascii() else None
    words = Tokens().words(text)
    if expected is not None:
        assert words == expected
    assert all(word and "_" not in word and not any(c.isspace() for c in word) for word in words)
