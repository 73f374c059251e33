"""`backbrain progress`: roll-ups, in-place `set`, and history from the journal and git."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli
from learn_helpers import cli_env, learning_vault, read_events

from backbrain.core.vault import load_vault
from backbrain.learn.journal import Journal
from backbrain.learn.progress import HistoryEvent, parse_git_log, progress_series


def test_rollups_by_area_in_config_order_and_by_type(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    result = run_cli("progress", "--format", "json", "--vault", str(vault), env=cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"areas", "types"}
    assert payload["areas"] == [
        {"area": "foundations", "total": 2, "completed": 1, "in_progress": 1},
        {"area": "application-structure", "total": 0, "completed": 0, "in_progress": 0},
        {"area": "data", "total": 1, "completed": 0, "in_progress": 0},
        {"area": "advanced", "total": 0, "completed": 0, "in_progress": 0},
        {"area": "operations", "total": 0, "completed": 0, "in_progress": 0},
    ]
    types = {row["type"]: row for row in payload["types"]}
    assert list(types)[:3] == ["pattern", "system", "decision"]  # schema order, empty types left out
    assert types["topic"] == {"type": "topic", "total": 3, "completed": 1, "in_progress": 1}
    assert types["playbook"]["total"] == 2 and set(types["playbook"]) == {"type", "total", "completed", "in_progress"}


def test_area_filter_and_text_bars(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    result = run_cli("progress", "--area", "foundations", "--vault", str(vault), env=cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "1 Foundations" in result.stdout and "3 Data" not in result.stdout
    assert "████████░░░░░░░░" in result.stdout  # 1 of 2 completed, on a 16-wide bar
    assert result.stdout.index("HTTP protocol") < result.stdout.index("Routing")  # topic order
    unknown = run_cli("progress", "--area", "nope", "--vault", str(vault), env=cli_env(tmp_path))
    assert unknown.returncode == 2 and "foundations" in unknown.stderr


def test_set_changes_only_the_keys_and_logs_an_event(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    path = vault / "01_patterns" / "caching.md"
    original = "---\r\n# mine\r\ntitle: 'Caching'\r\ntags: [a,  b]\r\nprogress: \"not-started\"  # hm\r\n---\r\n\r\n"
    original += "## Problem\r\n\r\nx\r\n"
    path.write_bytes(original.encode())
    result = run_cli("progress", "set", "caching", "completed", "--phase", "audit", "--vault", str(vault))
    assert result.returncode == 0, result.stderr
    assert "not-started → completed" in result.stdout
    expected = original.replace('"not-started"', '"completed"').replace("  # hm\r\n", "  # hm\r\nphase: audit\r\n")
    assert path.read_bytes() == expected.encode()
    (event,) = read_events(vault / "journal" / "progress.jsonl")
    assert {k: event[k] for k in ("event", "note", "from", "to", "phase_from", "phase")} == {
        "event": "progress", "note": "caching", "from": "not-started", "to": "completed",
        "phase_from": None, "phase": "audit",
    }  # fmt: skip


def test_set_refuses_invalid_front_matter_and_unknown_values(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    path = vault / "01_patterns" / "caching.md"
    broken = b"---\ntitle: Caching\ntags: [a\n---\nbody\n"
    path.write_bytes(broken)
    result = run_cli("progress", "set", "caching", "completed", "--vault", str(vault))
    assert result.returncode == 3 and "invalid" in result.stderr
    assert path.read_bytes() == broken
    assert not (vault / "journal" / "progress.jsonl").exists()
    bad = run_cli("progress", "set", "http", "done", "--vault", str(vault))
    assert bad.returncode == 2 and "completed" in bad.stderr


def test_set_on_the_starter_is_refused_with_the_init_hint(tmp_path: Path):
    result = run_cli("progress", "set", "caching", "completed", env=cli_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 3
    assert "backbrain init DIR --starter" in result.stderr


def test_history_from_the_journal_and_git(tmp_path: Path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    vault = learning_vault(tmp_path / "v")
    git = ["git", "-C", str(vault), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], check=True)
    assert run_cli("progress", "set", "sql", "in-progress", "--vault", str(vault)).returncode == 0
    subprocess.run([*git, "commit", "-q", "-am", "sql started"], check=True)
    result = run_cli("progress", "history", "--format", "json", "--vault", str(vault))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    changes = {(e["note"], e["old"], e["new"], e["source"].split()[0]) for e in payload["events"]}
    assert ("sql", "not-started", "in-progress", "journal") in changes
    assert ("sql", None, "in-progress", "git") in changes  # the commit that added the key
    assert ("http", None, "completed", "git") in changes  # the note's first commit
    last = payload["series"][-1]
    assert last["completed"] == 1 and last["in_progress"] == 2 and last["total"] == 10
    text = run_cli("progress", "history", "--vault", str(vault))
    assert "not-started → in-progress" in text.stdout and "Completed over time" in text.stdout


def test_git_log_parsing_and_series_replay(tmp_path: Path):
    log = (
        "\x00abc123 2024-01-02T10:00:00+00:00\n\ndiff --git a/roadmap/http.md b/roadmap/http.md\n"
        "--- a/roadmap/http.md\n+++ b/roadmap/http.md\n@@ -5 +5 @@\n-progress: not-started\n+progress: completed\n"
        "\x00def456 2024-01-01T10:00:00+00:00\n\ndiff --git a/x.md b/x.md\n--- /dev/null\n+++ b/gone/x.md\n"
        "@@ -0,0 +1 @@\n+progress: 'in-progress'  # note\n"
    )
    events = parse_git_log(log, {"roadmap/http.md": "http"})
    assert [(e.note, e.old, e.new, e.source) for e in events] == [
        ("http", "not-started", "completed", "git abc123"),
        ("x", None, "in-progress", "git def456"),
    ]
    vault = load_vault(learning_vault(tmp_path / "v"))
    day = dt.datetime(2024, 1, 2, 12, tzinfo=dt.UTC)
    history = [
        HistoryEvent(day, "sql", "not-started", "completed", "journal"),
        HistoryEvent(day + dt.timedelta(days=1), "sql", "completed", "in-progress", "journal"),
        HistoryEvent(day, "not-a-topic", None, "completed", "journal"),
    ]
    series = progress_series(vault, history, types=["topic"], today=dt.date(2024, 2, 1), tz=dt.UTC)
    assert [(p.day.isoformat(), p.completed, p.in_progress, p.total) for p in series] == [
        ("2024-01-02", 2, 1, 3),  # http (completed) and routing (in progress) have no recorded changes
        ("2024-01-03", 1, 2, 3),
        ("2024-02-01", 1, 1, 3),  # today: the front matter as it is now (sql has no progress key)
    ]


def test_torn_journal_lines_are_skipped(tmp_path: Path):
    journal = Journal(tmp_path / "journal")
    journal.append("progress.jsonl", "progress", {"note": "a", "from": "not-started", "to": "completed"})
    with open(journal.path("progress.jsonl"), "ab") as handle:
        handle.write(b'{"v":1,"ts":"2024-01-0')  # a crash in the middle of a write
    journal.append("progress.jsonl", "progress", {"note": "b", "from": "not-started", "to": "in-progress"})
    read = journal.read("progress.jsonl")
    assert [e["note"] for e in read.events] == ["a", "b"] and read.skipped == 1
