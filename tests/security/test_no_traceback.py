"""No traceback ever reaches a user: each input the hardening issue listed gets one clear message
naming the path or the value, through the real CLI entry point."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile import assert_clean_failure, base_vault, cli

SYSTEM = "---\ntitle: URL shortener\ntype: system\n---\n\n# URL shortener\n\n## Requirements\n\nShort links.\n"
DECISION_BODY = "\n".join(f"## {s}\n\nText.\n" for s in ("Context", "Options considered", "Decision", "Tradeoffs",
                                                          "Outcome"))  # fmt: skip


def test_accepting_a_latin1_note_names_the_file(tmp_path: Path):
    text = "---\ntitle: Caf\u00e9 choice\ntype: decision\nstatus: proposed\ndate: 2024-01-01\ndeciders: [me]\n---\n\n"
    latin1 = (text + "# Caf\u00e9\n\n" + DECISION_BODY).encode("latin-1")
    vault = base_vault(tmp_path / "v", {"03_decisions/cafe.md": latin1})
    result = cli("decision", "accept", "cafe", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 3, "cafe.md", "not UTF-8")


def test_building_into_a_path_under_a_file(tmp_path: Path):
    vault = base_vault(tmp_path / "v")
    result = cli("build", "--vault", str(vault), "--out", "/dev/null/site", home=tmp_path)
    assert_clean_failure(result, 3, "/dev/null", "Not a directory", "hint:")


@pytest.mark.parametrize("minutes", ["inf", "nan", "-1"])
def test_drill_minutes_must_be_a_real_duration(tmp_path: Path, minutes: str):
    vault = base_vault(tmp_path / "v", {"02_systems/url-shortener.md": SYSTEM})
    result = cli("drill", "--minutes", minutes, "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 2, "--minutes")


def test_a_deeply_nested_config_names_the_file(tmp_path: Path):
    vault = base_vault(tmp_path / "v", {"backbrain.toml": "a = " + "[" * 5000 + "]" * 5000 + "\n"})
    result = cli("check", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 2, "backbrain.toml", "nested too deeply")


def test_init_where_nothing_can_be_created(tmp_path: Path):
    result = cli("init", "/proc/self", home=tmp_path)
    assert_clean_failure(result, 3, "/proc/self", "hint:")


def test_a_fifo_where_the_journal_file_should_be(tmp_path: Path):
    vault = base_vault(tmp_path / "v")
    (vault / "journal").mkdir()
    os.mkfifo(vault / "journal/progress.jsonl")
    result = cli("progress", "set", "caching", "completed", "--vault", str(vault), home=tmp_path, timeout=30)
    assert_clean_failure(result, 3, "progress.jsonl", "Not a regular file")


def test_a_folder_where_a_note_should_be_created(tmp_path: Path):
    vault = base_vault(tmp_path / "v")
    (vault / "01_patterns/retries.md").mkdir()
    result = cli("new", "pattern", "Retries", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 3, "retries.md")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_folder(tmp_path: Path):
    vault = base_vault(tmp_path / "v")
    (vault / "01_patterns").chmod(0o500)
    try:
        result = cli("new", "pattern", "Retries", "--vault", str(vault), home=tmp_path)
    finally:
        (vault / "01_patterns").chmod(0o700)
    assert_clean_failure(result, 3, "01_patterns", "Permission denied")


def test_a_review_rating_of_true_is_refused(tmp_path: Path):
    from webtest import call

    from backbrain.web.app import SiteState, create_app
    from backbrain.web.learn import learn_routes

    vault = base_vault(tmp_path / "v")
    state = SiteState(site_dir=tmp_path / "site", vault_root=vault)
    app = create_app(state, [learn_routes])
    headers = {"origin": "http://127.0.0.1", "host": "127.0.0.1", "x-csrf-token": state.csrf.token}
    response = call(app, "POST", "/_learn/review", json={"card": "caching", "rating": True}, headers=headers)
    assert response.status_code == 400 and "rating" in response.text
    assert not (vault / "journal/review.jsonl").exists()
