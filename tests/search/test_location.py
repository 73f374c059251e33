"""backbrain.core.location: discovery and scanning, shared by the vault loader and the search index.

tests/test_vault.py and tests/test_cli.py cover the skipping rules through load_vault and discovery
through the CLI; these pin what they do not: the scan order, attachments, .gitignore file patterns,
the stat scan the index relies on, and that the module (and a warm search) stays light to import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backbrain.core import location, vault
from backbrain.core.location import locate_vault, scan_files, scan_notes, starter_root
from backbrain.errors import NotFoundError, RefusedError


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "v"
    files = [
        "b.md",
        "a.md",
        "z/inner.md",
        "y/deep/er/d.markdown",
        "y/UPPER.MD",
        "y/picture.png",
        "notes.txt",
        "drafts/wip.md",
        "x.tmp.md",
        ".hidden/h.md",
        ".dot.md",
        "node_modules/m.md",
        "__pycache__/c.md",
    ]
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("# x\n", encoding="utf-8")
    (root / ".gitignore").write_text("drafts/\n*.tmp.md\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f.md").write_text("# f\n", encoding="utf-8")
    (root / "linked").symlink_to(outside)  # a folder link: never followed
    (root / "far.md").symlink_to(outside / "f.md")  # a file link out of the vault: skipped
    (root / "near.md").symlink_to(root / "a.md")  # a file link inside the vault: a note
    return root


def test_scan_order_suffixes_attachments_and_ignores(tree: Path) -> None:
    notes, attachments = scan_files(tree)
    assert [rel for _, rel in notes] == ["a.md", "b.md", "near.md", "y/UPPER.MD", "y/deep/er/d.markdown", "z/inner.md"]
    assert all(path == tree / rel for path, rel in notes)
    assert attachments == ["notes.txt", "y/picture.png"]


def test_scan_notes_is_scan_files_with_stats(tree: Path) -> None:
    os.utime(tree / "b.md", ns=(1_000_000_000, 2_000_000_000))
    found = scan_notes(tree)
    assert [(f.rel, Path(f.path)) for f in found] == [(rel, path) for path, rel in scan_files(tree)[0]]
    by_rel = {f.rel: f for f in found}
    assert by_rel["b.md"].mtime_ns == 2_000_000_000 and by_rel["b.md"].size == 4
    assert by_rel["near.md"].mtime_ns == (tree / "a.md").stat().st_mtime_ns  # a link's target is what changes


def test_the_loader_uses_the_same_scan(tree: Path) -> None:
    loaded = vault.load_vault(tree)
    assert [n.rel for n in loaded.files] == [f.rel for f in scan_notes(tree)]
    assert vault.locate_vault is locate_vault and vault.VaultLocation is location.VaultLocation
    assert vault.scan_files is scan_files and vault.starter_root is starter_root


def test_locate_vault_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "kb"
    (root / "01_patterns").mkdir(parents=True)
    (root / "backbrain.toml").write_text("", encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.delenv(location.VAULT_ENV, raising=False)
    assert locate_vault(None, cwd=root / "01_patterns") == location.VaultLocation(root, False, "walk-up")
    assert locate_vault(other, cwd=root) == location.VaultLocation(other, False, "option")
    monkeypatch.setenv(location.VAULT_ENV, str(other))
    assert locate_vault(None, cwd=root) == location.VaultLocation(other, False, "env")
    assert locate_vault(root, cwd=tmp_path).source == "option"
    with pytest.raises(NotFoundError):
        locate_vault(tmp_path / "missing")
    monkeypatch.setenv(location.VAULT_ENV, str(starter_root()))
    found = locate_vault(None, cwd=tmp_path)
    assert found.read_only and found.root == starter_root()
    with pytest.raises(RefusedError):
        found.require_writable("write")


def test_location_and_a_warm_search_import_nothing_heavy() -> None:
    code = (
        "import sys, backbrain.core.location, backbrain.search.store, backbrain.search.engine, backbrain.cli.search; "
        "heavy = {'pydantic', 'pyromark', 'yaml', 'pathspec', 'multiprocessing', 'backbrain.core.vault', "
        "'backbrain.core.note', 'backbrain.core.schema'}; print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
