"""Loading a vault: what is a note, what is skipped, how links and relations resolve."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import failure, pattern, run_cli, write_vault

from backbrain.vault import load_vault, locate_vault, starter_root


def test_ignored_folders_gitignore_and_symlinks(tmp_path: Path):
    outside = write_vault(tmp_path / "outside", {"secret.md": "# Secret\n"})
    root = write_vault(
        tmp_path / "v",
        {
            "01_patterns/caching.md": pattern("Caching"),
            ".obsidian/workspace.md": "# no\n",
            ".git/x.md": "# no\n",
            "node_modules/m/readme.md": "# no\n",
            ".backbrain/cache.md": "# no\n",
            "drafts/wip.md": "# ignored by .gitignore\n",
            ".gitignore": "drafts/\n",
        },
    )
    os.symlink(outside, root / "linked")
    os.symlink(outside / "secret.md", root / "01_patterns" / "secret.md")
    vault = load_vault(root)
    assert sorted(n.rel for n in vault.files) == ["01_patterns/caching.md"]


def test_relations_are_derived_both_ways(tmp_path: Path):
    root = write_vault(
        tmp_path / "v",
        {
            "01_patterns/caching.md": pattern("Caching", mitigates=["stampede"]),
            "04_failure-modes/stampede.md": failure("Stampede", **{"mitigated-by": ["coalescing"]}),
            "01_patterns/coalescing.md": pattern("Coalescing", related=["caching"]),
        },
    )
    vault = load_vault(root)
    assert vault.relations("stampede") == {"mitigated-by": ["caching", "coalescing"]}
    assert vault.relations("coalescing") == {"mitigates": ["stampede"], "related": ["caching"]}
    assert vault.relations("caching") == {"mitigates": ["stampede"], "related": ["coalescing"]}


def test_empty_file_and_huge_note_through_the_cli(tmp_path: Path):
    big = "---\ntitle: Big\n---\n# Big\n\n" + ("## Part\n\nwords [[caching]] " * 60_000)
    root = write_vault(
        tmp_path / "v",
        {
            "01_patterns/caching.md": pattern("Caching"),
            "01_patterns/empty.md": "",
            "inbox/big.md": big,
        },
    )
    assert (root / "inbox" / "big.md").stat().st_size > 1_500_000
    result = run_cli("check", str(root), "--format", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert '"path": "01_patterns/empty.md"' in result.stdout and "BB003" in result.stdout


def test_locate_falls_back_to_read_only_starter(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("BACKBRAIN_VAULT", raising=False)
    location = locate_vault(None, cwd=tmp_path)
    assert location.root == starter_root() and location.read_only and location.source == "starter"


def test_new_edit_opens_the_editor(tmp_path: Path):
    root = tmp_path / "v"
    run_cli("init", str(root))
    editor = "python3 -c \"import sys; open(sys.argv[1], 'a').write('EDITED')\""
    result = run_cli("new", "principle", "Little's law", "--vault", str(root), "--edit", env={"EDITOR": editor})
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).read_text().endswith("EDITED")


def test_atomic_writes_keep_modes(tmp_path: Path):
    from backbrain.fsutil import atomic_write_text

    fresh = tmp_path / "new.md"
    atomic_write_text(fresh, "x")
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~_umask()
    kept = tmp_path / "kept.md"
    kept.write_text("old")
    kept.chmod(0o640)
    atomic_write_text(kept, "new")
    assert kept.read_text() == "new" and kept.stat().st_mode & 0o777 == 0o640


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_top_level_journal_is_data_not_notes(tmp_path: Path):
    root = write_vault(tmp_path / "v", {
        "01_patterns/caching.md": pattern("Caching"),
        "journal/drills/answer.md": "# My drill answer\n",
        "notes/journal/day-1.md": "# A note in a folder that happens to be called journal\n",
    })
    assert sorted(n.rel for n in load_vault(root).files) == ["01_patterns/caching.md", "notes/journal/day-1.md"]
