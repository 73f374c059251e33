"""core/resolver on the shapes real vaults have: Obsidian's link rules, folder notes, same-named files."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, write_vault
from hypothesis import given
from hypothesis import strategies as st

from backbrain.check import check_vault
from backbrain.core.resolver import Names, Resolver, assign_ids, normalize_target
from backbrain.core.vault import load_vault

LANGUAGES = {
    "en/Bases/Formulas.md": "# Formulas\n\nSee [[Bases syntax#Operators]] and [[Functions]].\n",
    "en/Bases/Bases syntax.md": "# Bases syntax\n\n## Operators\n\nPlus and minus.\n",
    "en/Functions.md": "# Functions\n\nBack to [[Formulas]].\n",
    "ar/Bases/Formulas.md": "# الصيغ\n\nSee [[Bases syntax#Operators]] and [[Functions]].\n",
    "ar/Bases/Bases syntax.md": "# Bases syntax\n\n## Operators\n\nشيء.\n",
    "ar/Functions.md": "# Functions\n\n[[Formulas]]\n",
}


def targets(vault_root: Path) -> dict[str, list[str | None]]:
    vault = load_vault(vault_root)
    return {note.rel: [vault.notes[t].rel if t else None for t in vault.link_targets(note)] for note in vault.files}


def test_same_named_files_in_language_folders_link_within_their_language(tmp_path: Path) -> None:
    found = targets(write_vault(tmp_path / "v", LANGUAGES))
    assert found["en/Bases/Formulas.md"] == ["en/Bases/Bases syntax.md", "en/Functions.md"]
    assert found["ar/Bases/Formulas.md"] == ["ar/Bases/Bases syntax.md", "ar/Functions.md"]
    assert found["en/Functions.md"] == ["en/Bases/Formulas.md"]
    assert found["ar/Functions.md"] == ["ar/Bases/Formulas.md"]


def test_same_named_files_are_not_an_error_and_get_path_suffix_ids(tmp_path: Path) -> None:
    root = write_vault(tmp_path / "v", LANGUAGES)
    vault = load_vault(root)
    ids = {note.rel: note.id for note in vault.files}
    assert ids["en/Bases/Formulas.md"] == "en-bases-formulas"
    assert ids["ar/Functions.md"] == "ar-functions"
    assert len(set(ids.values())) == len(ids)
    codes = {p.code for p in check_vault(vault).problems}
    assert not codes & {"BB301", "BB201", "BB202", "BB206"}


def test_exact_path_relative_path_and_path_suffix(tmp_path: Path) -> None:
    root = write_vault(
        tmp_path / "v",
        {
            "a/x.md": "# X in a\n\n[[../b/x]] [[b/x]] [[x]] [[sub/y]] [[./sub/y.md]]\n",
            "a/sub/y.md": "# Y\n",
            "b/x.md": "# X in b\n",
            "c/sub/y.md": "# Other Y\n",
        },
    )
    assert targets(root)["a/x.md"] == ["b/x.md", "b/x.md", "a/x.md", "a/sub/y.md", "a/sub/y.md"]


def test_folder_notes_take_the_folders_name(tmp_path: Path) -> None:
    root = write_vault(
        tmp_path / "v",
        {
            "decisions/use-postgres/index.md": "# Use Postgres\n",
            "decisions/use-kafka/README.md": "# Use Kafka\n",
            "docs/_index.md": "# Docs\n\n[[use-postgres]] [[use-kafka]] [[decisions/use-kafka]]\n",
        },
    )
    vault = load_vault(root)
    assert {n.id for n in vault.files} == {"use-postgres", "use-kafka", "docs"}
    assert targets(root)["docs/_index.md"] == [
        "decisions/use-postgres/index.md",
        "decisions/use-kafka/README.md",
        "decisions/use-kafka/README.md",
    ]


def test_an_equally_near_pair_is_an_ambiguous_link_naming_both(tmp_path: Path) -> None:
    root = write_vault(
        tmp_path / "v",
        {"notes/x.md": "# X\n\n[[target]]\n", "one/target.md": "# T1\n", "two/target.md": "# T2\n"},
    )
    result = run_cli("check", "--vault", str(root), "--format", "json")
    assert '"BB206"' in result.stdout
    assert "one/target.md" in result.stdout and "two/target.md" in result.stdout
    assert "[[one/target]]" in result.stdout  # the path to write


def test_a_declared_duplicate_id_is_still_an_error(tmp_path: Path) -> None:
    root = write_vault(tmp_path / "v", {"a.md": "---\nid: same\n---\n# A\n", "b.md": "---\nid: same\n---\n# B\n"})
    assert "BB301" in {p.code for p in check_vault(load_vault(root)).problems}


def test_the_same_path_slug_twice_is_numbered() -> None:
    ids = assign_ids([("a/b-c/x.md", None), ("a-b/c/x.md", None), ("y/x.md", None)])
    assert len(set(ids.values())) == 3


def test_slug_forms_and_titles() -> None:
    resolver = Resolver.of([Names("p/cache.md", "caching", "Caching", ("Cache Aside",))])
    for name in ("caching", "Caching", "cache aside", "cache-aside", "CACHE_ASIDE", "p/cache", "p/cache.md", "cache"):
        assert resolver.find(name) == "caching", name
    assert resolver.find("../../etc/passwd") is None


@given(st.text(max_size=40), st.text(max_size=40))
def test_resolution_never_raises_and_never_escapes(target: str, source: str) -> None:
    resolver = Resolver.of([Names("a/b.md", "b", "B", ("bee",)), Names("c.md", "c", "C", ())])
    assert resolver.find(target, source or None) in (None, "b", "c")
    key = normalize_target(target)
    assert key is None or not key.startswith("..")
