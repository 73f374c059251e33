"""Writes never follow a symlink out of the vault: journal/, labs/NAME/, .backbrain/ (the index
and the site), and note files, from the CLI and from the server's POST endpoints."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from hostile import assert_clean_failure, base_vault, cli, outside, snapshot

from backbrain.core.vault import load_vault
from backbrain.errors import RefusedError
from backbrain.fsutil import atomic_write_text


def test_progress_set_refuses_a_symlinked_journal(tmp_path: Path):
    away = outside(tmp_path)
    vault = base_vault(tmp_path / "v")
    (vault / "journal").symlink_to(away, target_is_directory=True)
    before, note = snapshot(away), (vault / "01_patterns/caching.md").read_bytes()
    result = cli("progress", "set", "caching", "completed", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 3, "journal", "is a symlink")
    assert snapshot(away) == before
    assert (vault / "01_patterns/caching.md").read_bytes() == note  # nothing half-done either


def test_progress_set_refuses_to_write_through_a_symlinked_note(tmp_path: Path):
    # A symlinked note file is loaded only when it points inside the vault; even then a write must
    # not go through it (it would change another file than the one named).
    vault = base_vault(tmp_path / "v")
    (vault / "01_patterns/alias.md").symlink_to(vault / "01_patterns/caching.md")
    before = snapshot(vault)
    result = cli("progress", "set", "alias", "completed", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 3, "alias.md", "is a symlink")
    after = snapshot(vault)
    assert {k: v for k, v in after.items() if not k.startswith(".backbrain")} == before


def test_new_notes_refuse_a_symlinked_type_folder(tmp_path: Path):
    away = outside(tmp_path)
    vault = base_vault(tmp_path / "v")
    (vault / "02_systems").symlink_to(away, target_is_directory=True)
    before = snapshot(away)
    result = cli("new", "system", "Chat service", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 3, "02_systems", "is a symlink")
    assert snapshot(away) == before


def test_a_symlinked_index_database_is_never_opened(tmp_path: Path):
    away = outside(tmp_path)
    other = away / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        conn.execute("CREATE TABLE precious (x)")
    vault = base_vault(tmp_path / "v")
    (vault / ".backbrain").mkdir()
    (vault / ".backbrain/index.sqlite").symlink_to(other)
    before = snapshot(away)
    result = cli("search", "caching", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 3, "index.sqlite", "is a symlink")
    assert snapshot(away) == before
    with sqlite3.connect(other) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"meta", "precious"}


def test_a_symlinked_state_folder_refuses_search_and_build(tmp_path: Path):
    away = outside(tmp_path)
    vault = base_vault(tmp_path / "v")
    (vault / ".backbrain").symlink_to(away, target_is_directory=True)
    before = snapshot(away)
    search = cli("search", "caching", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(search, 3, ".backbrain", "is a symlink")
    build = cli("build", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(build, 3, ".backbrain", "is a symlink")
    assert snapshot(away) == before


def test_a_symlinked_site_folder_is_not_replaced(tmp_path: Path):
    away = outside(tmp_path)
    vault = base_vault(tmp_path / "v")
    (vault / ".backbrain").mkdir()
    (vault / ".backbrain/site").symlink_to(away / "new-site", target_is_directory=True)  # a build would create it
    before = snapshot(away)
    result = cli("build", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 3, "site", "is a symlink")
    assert snapshot(away) == before
    assert (vault / ".backbrain/site").is_symlink()


def test_lab_outputs_refuse_a_symlinked_lab_folder(tmp_path: Path):
    away = outside(tmp_path)
    vault = base_vault(tmp_path / "v")
    (vault / "labs").mkdir()
    (vault / "labs/retry-storm").symlink_to(away, target_is_directory=True)
    before = snapshot(away)
    result = cli("lab", "run", "retry-storm", "-p", "trials=1", "--vault", str(vault), home=tmp_path)
    assert_clean_failure(result, 3, "retry-storm", "is a symlink")
    assert snapshot(away) == before


def test_review_journal_append_refuses_a_symlinked_file(tmp_path: Path):
    from backbrain.learn.journal import Journal

    away = outside(tmp_path)
    vault = base_vault(tmp_path / "v")
    (vault / "journal").mkdir()
    (vault / "journal/review.jsonl").symlink_to(away / "precious.txt")
    before = snapshot(away)
    try:
        Journal(vault / "journal").append("review.jsonl", "review", {"card": "x"})
    except RefusedError as exc:
        assert "symlink" in exc.message
    else:
        raise AssertionError("the append followed the symlink")
    assert snapshot(away) == before


def test_writes_outside_the_root_are_refused(tmp_path: Path):
    vault = base_vault(tmp_path / "v")
    for bad in (vault / ".." / "escape.md", tmp_path / "elsewhere.md"):
        try:
            atomic_write_text(bad, "x", root=vault)
        except RefusedError as exc:
            assert "not inside" in exc.message
        else:
            raise AssertionError(f"{bad} was written")
    assert not (tmp_path / "escape.md").exists() and not (tmp_path / "elsewhere.md").exists()


def test_the_servers_progress_post_refuses_a_symlinked_note(tmp_path: Path):
    from webtest import call

    from backbrain.web.app import SiteState, create_app
    from backbrain.web.learn import learn_routes

    vault = base_vault(tmp_path / "v")
    (vault / "01_patterns/theirs.md").symlink_to(vault / "01_patterns/caching.md")
    load_vault(vault)
    before = (vault / "01_patterns/caching.md").read_bytes()
    state = SiteState(site_dir=tmp_path / "site", vault_root=vault)
    app = create_app(state, [learn_routes])
    headers = {"origin": "http://127.0.0.1", "host": "127.0.0.1", "x-csrf-token": state.csrf.token}
    response = call(app, "POST", "/_learn/progress", json={"note": "theirs", "status": "completed"}, headers=headers)
    assert response.status_code == 409 and "symlink" in json.loads(response.text)["error"]
    assert (vault / "01_patterns/caching.md").read_bytes() == before
