"""The terminal commands as a person uses them: `show` through a pager on a terminal (pexpect), `list`
in an 80-column terminal, `--where` with its operators and did-you-mean, `check` on single files."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pexpect
from conftest import note_text, run_cli, write_vault

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _terminal(args: list[str], env: dict[str, str], columns: int = 100) -> str:
    """Run `python -m backbrain ARGS` on a pseudo-terminal of `columns` columns; everything it printed."""
    full = {k: v for k, v in os.environ.items() if k not in ("BACKBRAIN_VAULT", "PAGER", "BACKBRAIN_PAGER", "COLUMNS")}
    full.update({"TERM": "xterm-256color", **env})
    child = pexpect.spawn(sys.executable, ["-m", "backbrain", *args], env=full, encoding="utf-8", timeout=30,
                          dimensions=(40, columns))  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return _ANSI.sub("", child.before or "").replace("\r\n", "\n")


def _vault(tmp_path: Path) -> Path:
    return write_vault(
        tmp_path / "v",
        {
            "01_patterns/caching.md": note_text(
                {"title": "Caching", "type": "pattern", "tags": ["perf"], "status": "draft"},
                "# Caching\n\n## Problem\n\nSlow reads, see [[cache-stampede]] and [[cache-stampede#What it is]].\n\n"
                "## Solution\n\nKeep `[[not-a-link]]` in code, and [[cache-stampede|the stampede]] labelled.\n\n"
                "## Variants\n\nWrite-through.\n\n## When to use\n\nHot reads.\n\n## When NOT to use\n\nCold data.\n",
            ),
            "04_failure-modes/cache-stampede.md": {"title": "Cache stampede", "type": "failure-mode",
                                                   "progress": "completed", "tags": ["perf", "caching"]},
            "02_systems/url-shortener.md": {"title": "URL shortener", "type": "system", "progress": "in-progress",
                                            "uses": ["caching"], "order": 3},
            "00_core-principles/idempotency.md": {"title": "Idempotency", "type": "principle", "order": 12,
                                                  "related": ["caching"]},
        },
    )  # fmt: skip


def test_show_goes_through_the_pager_on_a_terminal_and_not_when_piped(tmp_path: Path):
    root = _vault(tmp_path)
    paged = tmp_path / "paged.txt"
    pager = f"cat > {paged}; echo PAGER-RAN"
    shown = _terminal(["show", "caching", "--vault", str(root)], {"PAGER": pager, "NO_COLOR": "1"})
    assert "PAGER-RAN" in shown and "Slow reads" not in shown  # the note went to the pager, not the screen
    text = _ANSI.sub("", paged.read_text())
    assert "Slow reads, see Cache stampede and Cache stampede › What it is." in text  # links as titles
    assert "[[not-a-link]]" in text and "the stampede labelled" in text and "[[cache-stampede" not in text
    assert "status: draft" in text and "Used by" in text

    preferred = tmp_path / "preferred.txt"  # $BACKBRAIN_PAGER beats $PAGER
    _terminal(["show", "caching", "--vault", str(root)], {"PAGER": pager, "BACKBRAIN_PAGER": f"cat > {preferred}"})
    assert "Slow reads" in _ANSI.sub("", preferred.read_text())

    paged.unlink()
    piped = run_cli("show", "caching", "--vault", str(root), env={"PAGER": pager})
    assert piped.returncode == 0 and "Slow reads, see Cache stampede" in piped.stdout
    assert not paged.exists() and "PAGER-RAN" not in piped.stdout  # piped output never pages

    direct = _terminal(["show", "caching", "--vault", str(root)], {"PAGER": "cat", "NO_COLOR": "1"})
    assert "Slow reads, see Cache stampede" in direct  # PAGER=cat: straight to the terminal


def test_list_fits_an_80_column_terminal_with_whole_ids(tmp_path: Path):
    starter_ids = {n["id"] for n in json.loads(run_cli("list", "--format", "json", cwd=tmp_path).stdout)["notes"]}
    for columns in (80, 60):
        screen = _terminal(["list"], {"NO_COLOR": "1"}, columns=columns)
        lines = [line for line in screen.splitlines() if line.strip()]
        assert max(len(line) for line in lines) <= columns
        listed = {line.split()[0] for line in lines[1:-1]}
        assert listed == starter_ids  # every id whole, one per line: nothing wrapped or cut
        assert lines[-1] == f"{len(starter_ids)} notes"
    piped = run_cli("list", "--type", "pattern", cwd=tmp_path, env={"COLUMNS": "80"}).stdout.splitlines()
    assert max(len(line) for line in piped) <= 80 and any(line.endswith("…") for line in piped)
    assert piped[0].split() == ["id", "type", "title", "progress", "tags"]


def _ids(root: Path, *args: str) -> list[str]:
    result = run_cli("list", "--format", "json", "--vault", str(root), *args)
    assert result.returncode == 0, result.stderr
    return [n["id"] for n in json.loads(result.stdout)["notes"]]


def test_where_operators_and_sort(tmp_path: Path):
    root = _vault(tmp_path)
    assert _ids(root, "--where", "status=draft") == ["caching"]
    assert _ids(root, "--where", "progress!=not-started") == ["cache-stampede", "url-shortener"]
    assert _ids(root, "--where", "progress<completed", "--where", "type!=pattern") == ["idempotency", "url-shortener"]
    assert _ids(root, "--where", "progress>not-started", "--sort", "-progress") == ["cache-stampede", "url-shortener"]
    assert _ids(root, "--where", "order>5") == ["idempotency"]  # numbers compare as numbers, not text
    assert sorted(_ids(root, "--where", "title~^cach")) == ["cache-stampede", "caching"]  # a regex
    assert _ids(root, "--where", "title~SHORT") == ["url-shortener"]  # case-insensitive substring
    assert _ids(root, "--where", "tags=caching") == ["cache-stampede"]  # any item of a list
    assert _ids(root, "--sort", "title") == ["cache-stampede", "caching", "idempotency", "url-shortener"]
    assert _ids(root, "--sort", "-order")[:2] == ["idempotency", "url-shortener"]  # notes without it last
    assert "regular expression" in run_cli("list", "--help").stdout


def test_where_names_a_mistyped_field_or_value(tmp_path: Path):
    root = _vault(tmp_path)
    cases = [
        (["--where", "stauts=draft"], "no field 'stauts'", "Did you mean 'status'?"),
        (["--where", "progress=complete"], "no note has progress 'complete'", "Did you mean 'completed'?"),
        (["--where", "type=patern"], "no note has type 'patern'", "Did you mean 'pattern'?"),
        (["--where", "status=draf"], "no note has status 'draf'", "Did you mean 'draft'?"),
        (["--where", "tags=pref"], "no note has tags 'pref'", "Did you mean 'perf'?"),
        (["--where", "title~(unclosed"], "not a valid regular expression", ""),
        (["--where", "progress"], "expected FIELD OP VALUE", ""),
        (["--sort", "titel"], "--sort: no field 'titel'", "Did you mean 'title'?"),
        (["--type", "patterns"], "no type 'patterns'", "Did you mean 'pattern'?"),
    ]
    for args, message, suggestion in cases:
        result = run_cli("list", "--vault", str(root), *args)
        assert result.returncode == 2, (args, result.stdout)
        assert message in result.stderr and suggestion in result.stderr and "Traceback" not in result.stderr


def test_check_reports_only_the_files_given_but_resolves_links_in_the_whole_vault(tmp_path: Path):
    root = _vault(tmp_path)
    (root / "backbrain.toml").write_text("")
    broken = root / "01_patterns" / "broken.md"
    broken.write_text(note_text({"title": "Broken", "type": "pattern"}).replace("Real content for problem.",
                                                                               "See [[nowhere]] and [[caching]]."))
    (root / "01_patterns" / "other.md").write_text(note_text({"title": "Other", "type": "pattern"}) + "[[gone]]\n")
    one = run_cli("check", str(broken), "--format", "json")
    assert one.returncode == 1, one.stderr
    payload = json.loads(one.stdout)
    assert payload["notes"] == 1
    assert {(p["path"], p["code"]) for p in payload["problems"]} == {("01_patterns/broken.md", "BB201")}
    assert "nowhere" in payload["problems"][0]["message"]  # [[caching]] resolved against the whole vault

    clean = run_cli("check", str(root / "04_failure-modes" / "cache-stampede.md"))
    assert clean.returncode == 0 and "Checked 1 notes: no problems." in clean.stdout
    both = json.loads(run_cli("check", str(broken), str(root / "01_patterns" / "other.md"), "--format", "json").stdout)
    assert {p["path"] for p in both["problems"]} == {"01_patterns/broken.md", "01_patterns/other.md"}
    folder = json.loads(run_cli("check", str(root / "01_patterns"), "--format", "json").stdout)
    assert folder["notes"] == 3 and all(p["path"].startswith("01_patterns/") for p in folder["problems"])
    whole = json.loads(run_cli("check", str(root), "--format", "json").stdout)
    assert whole["notes"] == 6  # one folder with backbrain.toml is the vault itself, as before
    outside = tmp_path / "elsewhere.md"
    outside.write_text("# x\n")
    refused = run_cli("check", str(outside), "--vault", str(root))
    assert refused.returncode == 2 and "not inside the knowledge base" in refused.stderr
