"""The issue-11 vault shapes load as written: every Markdown file is scanned and parsed, and the
commands a new user runs first finish with a report, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from byov_vaults import BUILDERS, EXPECTED_FILES, build
from conftest import run_cli

from backbrain.core.location import scan_files
from backbrain.core.vault import load_vault


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_markdown_file_is_scanned_and_parsed(tmp_path: Path, name: str) -> None:
    root = build(name, tmp_path / name)
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md"))
    assert len(on_disk) == EXPECTED_FILES[name]
    notes, _ = scan_files(root)
    assert sorted(rel for _, rel in notes) == on_disk
    vault = load_vault(root)
    assert sorted(note.rel for note in vault.files) == on_disk
    assert all(note.decode_error is None and note.front.error is None for note in vault.files)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_check_reports_without_a_traceback(tmp_path: Path, name: str) -> None:
    root = build(name, tmp_path / name)
    result = run_cli("check", str(root), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert '"notes": ' + str(EXPECTED_FILES[name]) in result.stdout


def test_obsidian_vault_has_the_same_names_in_both_languages(tmp_path: Path) -> None:
    root = build("obsidian", tmp_path / "v")
    english = {p.relative_to(root / "en").as_posix() for p in (root / "en").rglob("*.md")}
    french = {p.relative_to(root / "fr").as_posix() for p in (root / "fr").rglob("*.md")}
    assert english == french and len(english) == 4
