"""The domain thesaurus: shipped as data, extended by backbrain.toml's [search] synonyms, applied by
`backbrain search` (through the real entry point) and carried into the site's search index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from searchhelpers import make_search_vault

from backbrain.search.thesaurus import Thesaurus, shipped_groups, thesaurus


def test_shipped_groups_are_well_formed() -> None:
    groups = shipped_groups()
    assert len(groups) >= 50
    assert all(len(group) >= 2 and all(isinstance(m, str) and m.strip() for m in group) for group in groups)
    members = [m for group in groups for m in group]
    assert {"server", "node", "host", "instance", "remap", "rebalance", "downstream", "dependency"} <= set(members)


def test_a_query_member_brings_in_the_other_members_words() -> None:
    from backbrain.search.query import stemmer

    query = "add a server without remapping most keys"
    groups = thesaurus().expand(set(stemmer().stems(query.split())))
    words = {w for group in groups for w in group}
    assert {"node", "host", "rebalance", "move"} <= words
    assert "server" not in words and "a" not in words  # the query's own words and stop words are not added


def test_a_phrase_member_needs_all_its_words() -> None:
    from backbrain.search.query import stemmer

    thesaurus_ = Thesaurus([["charged twice", "duplicate payment"]])
    assert thesaurus_.expand(set(stemmer().stems(["customers", "got", "charged", "twice"]))) == [
        ["duplicate", "payment"]
    ]
    assert thesaurus_.expand(set(stemmer().stems(["charged"]))) == []


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
