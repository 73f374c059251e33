"""Links in vaults shaped like issue 11's resolve as Obsidian resolves them: each language's links stay
in that language, folder notes take their folder's name, Markdown links count as links."""

from __future__ import annotations

from pathlib import Path

from byov_vaults import folder_notes, obsidian_help

from backbrain.check import check_vault
from backbrain.core.vault import Vault, load_vault


def targets(vault: Vault, rel: str) -> list[tuple[str, str | None, bool]]:
    note = next(n for n in vault.files if n.rel == rel)
    return [(link.target, target.rel if target else None, link.markdown) for link, target in vault.outgoing(note)]


def test_same_named_files_in_language_folders_are_not_errors(tmp_path: Path) -> None:
    vault = load_vault(obsidian_help(tmp_path / "v"))
    codes = {(p.code, p.path) for p in check_vault(vault).problems if p.severity != "info"}
    assert not any(code in ("BB201", "BB202", "BB301", "BB206") for code, _ in codes), codes
    assert len({note.id for note in vault.files}) == len(vault.files) == 8


def test_each_language_links_to_its_own_notes(tmp_path: Path) -> None:
    vault = load_vault(obsidian_help(tmp_path / "v"))
    for lang in ("en", "fr"):
        found = targets(vault, f"{lang}/Bases/Formulas.md")
        assert {rel for _, rel, _ in found if rel} == {f"{lang}/Bases/Bases syntax.md"}, found
        assert ("Bases syntax.md", f"{lang}/Bases/Bases syntax.md", True) in found  # [..](Bases%20syntax.md#..)
        links = targets(vault, f"{lang}/Linking notes and files/Internal links.md")
        assert ("../Bases/Formulas.md", f"{lang}/Bases/Formulas.md", True) in links
        assert ("Formulas", f"{lang}/Bases/Formulas.md", False) in links


def test_markdown_links_are_backlinks(tmp_path: Path) -> None:
    vault = load_vault(obsidian_help(tmp_path / "v"))
    sources = {(b.source, b.line) for b in vault.backlinks("en-bases-formulas")}
    assert ("en-linking-notes-and-files-internal-links", 2) in sources  # the Markdown link's line


def test_folder_notes_take_their_folder_name(tmp_path: Path) -> None:
    vault = load_vault(folder_notes(tmp_path / "v"))
    assert {n.rel: n.id for n in vault.files}["use-postgresql/index.md"] == "use-postgresql"
    assert targets(vault, "README.md") == [
        ("use-postgresql", "use-postgresql/index.md", False),
        ("event-sourcing", "event-sourcing/README.md", False),
        ("Guides", "Guides/_index.md", False),
    ]
    assert targets(vault, "event-sourcing/README.md") == [
        ("../use-postgresql/index.md", "use-postgresql/index.md", True)
    ]
    assert not [p for p in check_vault(vault).problems if p.severity == "error"]
