"""The domain thesaurus: shipped as data, extended by backbrain.toml's [search] synonyms, applied by
`backbrain search` (through the real entry point) and carried into the site's search index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from searchhelpers import make_search_vault

from backbrain.search.query import stemmer
from backbrain.search.thesaurus import Thesaurus, shipped_abbreviations, shipped_groups, thesaurus


def test_shipped_groups_are_well_formed() -> None:
    groups = shipped_groups()
    assert len(groups) >= 50
    assert all(len(group) >= 2 and all(isinstance(m, str) and m.strip() for m in group) for group in groups)
    members = [m for group in groups for m in group]
    assert {"server", "node", "host", "instance", "remap", "rebalance", "downstream", "dependency"} <= set(members)


def test_a_word_is_a_synonym_in_one_group_only() -> None:
    """Every member pulls in every other, so a word in two synonym groups would join them (and a word
    whose stem collides with another word's, "messaging" and "message", would pull in the wrong one)."""
    thesaurus_ = thesaurus()
    groups_of: dict[str, set[int]] = {}
    for number, group in enumerate(thesaurus_.groups[thesaurus_.exact :]):
        for member in group:
            if len(member.stems) == 1:
                groups_of.setdefault(member.stems[0], set()).add(number)
    assert {stem: n for stem, n in groups_of.items() if len(n) > 1} == {}
    assert thesaurus_.one_way == len(shipped_abbreviations()) and thesaurus_.exact > thesaurus_.one_way
    for short, long in shipped_abbreviations():
        assert stemmer().stems([short]) != stemmer().stems(long.split()[:1]), short


def test_a_query_member_brings_in_the_other_members() -> None:
    query = "add a server without remapping most keys"
    matches = thesaurus().matches(set(stemmer().stems(query.split())))
    members = {m for match in matches for m in match.members}
    assert {(s,) for s in stemmer().stems(["node", "host", "rebalance", "move"])} <= members
    assert ("server",) not in members and ("a",) not in members  # the query's own words and stop words are not added
    assert not any(match.exact for match in matches)  # synonyms, at the synonym weight


def test_a_phrase_member_needs_all_its_words() -> None:
    thesaurus_ = Thesaurus([["charged twice", "duplicate payment"]])
    (match,) = thesaurus_.matches(set(stemmer().stems(["customers", "got", "charged", "twice"])))
    assert match.members == [tuple(stemmer().stems(["duplicate", "payment"]))]
    assert thesaurus_.matches(set(stemmer().stems(["charged"]))) == []


def test_an_abbreviation_searches_its_long_form_but_not_the_reverse() -> None:
    thesaurus_ = Thesaurus([], abbreviations=[("txn", "transaction")], variants=[["failover", "fail-over"]])
    (match,) = thesaurus_.matches({"txn"})
    assert match.exact and match.members == [tuple(stemmer().stems(["transaction"]))]
    assert thesaurus_.matches(set(stemmer().stems(["transaction"]))) == []  # code says "txn"; prose does not
    (match,) = thesaurus_.matches(set(stemmer().stems(["fail", "over"])))
    assert match.exact and match.members == [tuple(stemmer().stems(["failover"]))]


def test_prod_finds_the_note_that_says_production(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    (root / "notes" / "runbook.md").write_text("# Production runbook\n\nWhat to check first.\n", encoding="utf-8")
    (root / "notes" / "prod.md").write_text("# Stage names\n\nWe say prod once here.\n", encoding="utf-8")
    done = run_cli("search", "prod", "--vault", str(root), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert {r["id"] for r in json.loads(done.stdout)["results"]} == {"runbook", "prod"}  # not only "prod" itself


def test_vault_synonyms_extend_the_search(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    before = run_cli("search", "okapi", "--vault", str(root), "--format", "json")
    assert [r["id"] for r in json.loads(before.stdout or '{"results": []}')["results"]] == []
    (root / "backbrain.toml").write_text('[search]\nsynonyms = [["okapi", "zebra"]]\n', encoding="utf-8")
    after = run_cli("search", "okapi", "--vault", str(root), "--format", "json")
    assert after.returncode == 0, after.stderr
    assert [r["id"] for r in json.loads(after.stdout)["results"]] == ["scratch"]  # "Zebra crossing."


@pytest.mark.parametrize(
    "toml", ['[search]\nsynonyms = [["lonely"]]\n', '[search]\nsynonyms = [["a", 3]]\n', "[search]\nsynonym = []\n"]
)
def test_invalid_synonyms_are_a_clear_error(tmp_path: Path, toml: str) -> None:
    root = make_search_vault(tmp_path)
    (root / "backbrain.toml").write_text(toml, encoding="utf-8")
    done = run_cli("search", "stampede", "--vault", str(root))
    assert done.returncode != 0
    assert "backbrain.toml" in done.stderr and "search.synonym" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_site_index_carries_the_vault_synonyms(tmp_path: Path) -> None:
    from backbrain.site import SiteBuilder

    root = make_search_vault(tmp_path)
    (root / "backbrain.toml").write_text('[search]\nsynonyms = [["okapi", "zebra"]]\n', encoding="utf-8")
    out = tmp_path / "site"
    SiteBuilder(root, out, tmp_path / "cache.json").build()
    settings = json.loads((out / "search-index.json").read_text(encoding="utf-8"))["settings"]
    assert [[["okapi"], ["okapi"]], [["zebra"], ["zebra"]]] in settings["thesaurus"]
    assert settings["synonymWeight"] > 0
