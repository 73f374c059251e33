"""`backbrain mv`: a note moves and every link to it follows, in all files or none (SIGKILL included)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from byov_vaults import obsidian_help
from conftest import run_cli

from backbrain import rename
from backbrain.check import check_vault
from backbrain.core.vault import load_vault
from backbrain.rename import apply_edits, plan_move
from backbrain.vaultlock import INTENT_FILE, STATE_DIR


def hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".backbrain" not in p.parts}  # fmt: skip


def links_vault(root: Path) -> Path:
    files = {
        "notes/Cache aside.md": "---\naliases: [Lazy loading]\n---\n# Cache aside\n\nSee [[Stampede]].\n",
        "notes/Stampede.md": "# Stampede\n\nMitigated by [[Cache aside]].\n",
        "notes/Writing.md": textwrap.dedent("""\
            ---
            related: [Cache aside, Stampede]
            ---
            Plain [[Cache aside]], labelled [[Cache aside|the pattern]], heading [[Cache aside#Cache aside]],
            embed ![[Cache aside]], alias [[Lazy loading]], by path [[notes/Cache aside]].

            | a | b |
            |---|---|
            | [[Cache aside\\|cache]] | x |

            Markdown [cache](Cache%20aside.md#Cache%20aside) and `[[Cache aside]]` in code.
            """),
        "other/Elsewhere.md": "Up and over: [the pattern](../notes/Cache%20aside.md).\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_mv_rewrites_every_kind_of_link(tmp_path: Path) -> None:
    root = links_vault(tmp_path / "v")
    result = run_cli("mv", "Cache aside", "patterns/Cache-aside pattern", "--vault", str(root))
    assert result.returncode == 0, result.stderr
    assert "links rewritten in 3 other files" in result.stdout
    assert not (root / "notes/Cache aside.md").exists()
    writing = (root / "notes/Writing.md").read_text(encoding="utf-8")
    assert writing == textwrap.dedent("""\
        ---
        related: [Cache-aside pattern, Stampede]
        ---
        Plain [[Cache-aside pattern]], labelled [[Cache-aside pattern|the pattern]], heading [[Cache-aside pattern#Cache aside]],
        embed ![[Cache-aside pattern]], alias [[Lazy loading]], by path [[Cache-aside pattern]].

        | a | b |
        |---|---|
        | [[Cache-aside pattern\\|cache]] | x |

        Markdown [cache](../patterns/Cache-aside%20pattern.md#Cache%20aside) and `[[Cache aside]]` in code.
        """)  # noqa: E501
    assert "[the pattern](../patterns/Cache-aside%20pattern.md)" in (root / "other/Elsewhere.md").read_text()
    moved = (root / "patterns/Cache-aside pattern.md").read_text(encoding="utf-8")
    assert "See [[Stampede]]." in moved  # its own link still finds its note: left as written
    vault = load_vault(root)
    assert not [p for p in check_vault(vault).problems if p.code in ("BB201", "BB204", "BB206")]


def test_mv_in_a_language_folder_keeps_every_link_resolving(tmp_path: Path) -> None:
    root = obsidian_help(tmp_path / "v")
    before = sorted((p.path, p.code) for p in check_vault(load_vault(root)).problems)
    result = run_cli("mv", "en/Bases/Formulas.md", "en/Reference/", "--vault", str(root))
    assert result.returncode == 0, result.stderr
    after = check_vault(load_vault(root)).problems
    assert not [p for p in after if p.code in ("BB201", "BB202", "BB206")], after
    assert len(after) == len(before)
    assert "[Formulas](../Reference/Formulas.md)" in (
        root / "en/Linking notes and files/Internal links.md").read_text(encoding="utf-8")
    assert "(../Bases/Bases%20syntax.md#Operators)" in (root / "en/Reference/Formulas.md").read_text()
    assert "(Bases%20syntax.md#Op" in (root / "fr/Bases/Formulas.md").read_text()  # the French copy is untouched


def test_dry_run_prints_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    root = links_vault(tmp_path / "v")
    before = hashes(root)
    result = run_cli("mv", "Stampede", "notes/Cache stampede", "--dry-run", "--vault", str(root))
    assert result.returncode == 0, result.stderr
    assert "--- /dev/null\n+++ b/notes/Cache stampede.md" in result.stdout
    assert "-See [[Stampede]].\n+See [[Cache stampede]]." in result.stdout
    assert hashes(root) == before


def test_refusals_change_nothing(tmp_path: Path) -> None:
    root = links_vault(tmp_path / "v")
    before = hashes(root)
    taken = run_cli("mv", "Stampede", "notes/Writing", "--vault", str(root))
    assert taken.returncode == 3 and "already exists" in taken.stderr
    outside = run_cli("mv", "Stampede", "../escape", "--vault", str(root))
    assert outside.returncode == 2 and "inside the vault" in outside.stderr
    missing = run_cli("mv", "No such note", "x", "--vault", str(root))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert hashes(root) == before


def test_a_file_edited_after_planning_refuses_the_whole_change(tmp_path: Path) -> None:
    root = links_vault(tmp_path / "v")
    edits = plan_move(load_vault(root), "Stampede", "notes/Cache stampede")
    (root / "notes/Cache aside.md").write_text("# Cache aside\n\nSee [[Stampede]] again.\n", encoding="utf-8")
    before = hashes(root)
    try:
        apply_edits(root, edits)
    except Exception as exc:  # RefusedError
        assert "changed since this change was planned" in str(exc) and "Cache aside.md" in str(exc)
    else:
        raise AssertionError("the stale plan was applied")
    assert hashes(root) == before


KILLED_MID_WAY = """
import sys, time
from pathlib import Path
import backbrain.rename as rename
import backbrain.vaultlock as vaultlock
from backbrain.core.vault import load_vault
root = Path(sys.argv[1])
edits = rename.plan_move(load_vault(root), "Cache aside", "patterns/Cache-aside pattern")
real, writes = vaultlock.atomic_write_bytes, []
def slow(path, data, **kw):
    real(path, data, **kw)
    writes.append(path)
    if len(writes) == 3:  # the intent, then two of the files
        print("HALF", flush=True)
        time.sleep(60)
vaultlock.atomic_write_bytes = slow
rename.apply_edits(root, edits)
"""


def test_sigkill_mid_rename_is_finished_by_the_next_command(tmp_path: Path) -> None:
    root = links_vault(tmp_path / "v")
    script = tmp_path / "killed.py"
    script.write_text(KILLED_MID_WAY, encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), str(root)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    deadline = time.monotonic() + 60
    while child.stdout.readline().strip() != "HALF":
        assert time.monotonic() < deadline and child.poll() is None
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert (root / STATE_DIR / INTENT_FILE).is_file()
    assert (root / "notes/Cache aside.md").exists()  # half done: the old file is still there
    result = run_cli("list", "--vault", str(root), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "Finished an interrupted change" in result.stderr
    assert not (root / STATE_DIR / INTENT_FILE).exists() and not (root / "notes/Cache aside.md").exists()
    assert "[[Cache-aside pattern|the pattern]]" in (root / "notes/Writing.md").read_text(encoding="utf-8")
    assert "Cache-aside pattern" in result.stdout
    assert not [p for p in check_vault(load_vault(root)).problems if p.code in ("BB201", "BB204")]


def test_the_quick_name_table_plans_what_a_full_rebuild_plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = obsidian_help(tmp_path / "v")
    links_vault(root)
    vault = load_vault(root)
    moves = [("en/Bases/Formulas.md", "en/Reference/"), ("Cache aside", "Cache-aside pattern"),
             ("fr/Bases/Bases syntax.md", "fr/Syntaxe")]  # fmt: skip
    quick = [plan_move(vault, old, new) for old, new in moves]
    real = rename._Suspects.of

    def with_extra(*args: Any) -> Any:  # another id "changes": plan_move rebuilds the whole table
        found = real(*args)
        return dataclasses.replace(found, affected=found.affected | {"(forces a rebuild)"})

    monkeypatch.setattr(rename._Suspects, "of", with_extra)
    assert [plan_move(vault, old, new) for old, new in moves] == quick
    assert all(quick)
