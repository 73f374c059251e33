"""The index: build, incremental re-index by hash, deletions, rebuilds, discovery parity, cache location."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from searchhelpers import make_search_vault, open_synced

from backbrain import vault as vault_module
from backbrain.index import SCHEMA_VERSION, SearchIndex, index_path, locate_root, starter_root
from backbrain.search import documents
from backbrain.search.engine import search


def ids(index: SearchIndex, query: str, **filters: str) -> list[str]:
    return [hit.id for hit in search(index, query, **filters).hits]


def test_build_indexes_every_note_with_fields_and_graph(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = SearchIndex(root, index_path(root, read_only=False))
    report = index.sync()
    assert (report.added, report.updated, report.removed) == (5, 0, 0)
    assert index.path == root / ".backbrain" / "index.sqlite"
    assert index.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    edges = set(index.conn.execute("SELECT source, kind, target FROM edges"))
    assert ("request-coalescing", "mitigates", "cache-stampede") in edges
    assert ("scratch", "link", "bulkhead") in edges
    relations = index.conn.execute("SELECT relations FROM notes WHERE id = 'cache-stampede'").fetchone()[0]
    assert "singleflight" in relations  # the mitigating pattern's alias is searchable on the failure mode
    assert ids(index, "singleflight")[0] == "request-coalescing"
    assert index.sync().changed is False


def test_touch_without_change_is_rehashed_not_reparsed(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    for path in root.rglob("*.md"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # old enough for the stat to be trusted
    index = open_synced(root)
    assert index.sync().rehashed == 0
    os.utime(root / "01_patterns" / "bulkhead.md", ns=(2_000_000_000_000, 2_000_000_000_000))
    report = index.sync()
    assert (report.updated, report.rehashed) == (0, 1)
    assert index.sync().rehashed == 0


def test_a_file_changed_within_the_same_second_is_not_trusted_by_stat(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = open_synced(root)
    path = root / "01_patterns" / "bulkhead.md"
    stat = path.stat()
    text = path.read_text(encoding="utf-8").replace("Bulkhead", "Bulkhaad")  # same size, same mtime
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert index.sync().updated == 1


def test_changed_content_is_reindexed_and_searchable(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = open_synced(root)
    path = root / "01_patterns" / "bulkhead.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nQuokka isolation for tenants.\n", encoding="utf-8")
    report = index.sync()
    assert (report.added, report.updated) == (0, 1)
    assert ids(index, "quokka") == ["bulkhead"]


def test_renaming_a_note_refreshes_relation_text_of_its_partners(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = open_synced(root)
    path = root / "01_patterns" / "request-coalescing.md"
    path.write_text(path.read_text(encoding="utf-8").replace("singleflight", "wombatflight"), encoding="utf-8")
    index.sync()
    relations = index.conn.execute("SELECT relations FROM notes WHERE id = 'cache-stampede'").fetchone()[0]
    assert "wombatflight" in relations and "singleflight" not in relations


def test_deleted_files_leave_the_index(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = open_synced(root)
    (root / "01_patterns" / "bulkhead.md").unlink()
    report = index.sync()
    assert report.removed == 1
    assert "bulkhead" not in ids(index, "bulkhead isolation")
    assert not index.conn.execute("SELECT 1 FROM edges WHERE source = 'bulkhead' OR target = 'bulkhead'").fetchall()


def test_deleting_the_cache_folder_loses_nothing(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    first = ids(open_synced(root), "cache stampede")
    shutil.rmtree(root / ".backbrain")
    assert ids(open_synced(root), "cache stampede") == first


def test_corrupt_database_is_rebuilt_with_a_notice(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    open_synced(root).close()
    path = root / ".backbrain" / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    index = SearchIndex(root, path)
    report = index.sync()
    assert len(report.notices) == 1 and "unreadable" in report.notices[0] and "rebuilding" in report.notices[0]
    assert report.added == 5
    assert ids(index, "dogpile")[0] == "cache-stampede"


def test_schema_version_change_rebuilds_with_a_notice(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = open_synced(root)
    index.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 7}")
    index.close()
    index = SearchIndex(root, index_path(root, read_only=False))
    report = index.sync()
    assert report.notices == [
        f"Search index format changed (version {SCHEMA_VERSION + 7}, now {SCHEMA_VERSION}); rebuilding it."
    ]
    assert report.added == 5


def test_interrupted_graph_refresh_is_finished_next_time(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = open_synced(root)
    with index.write() as conn:
        conn.execute("DELETE FROM edges")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'graph_dirty'")
    index.sync()
    assert index.conn.execute("SELECT count(*) FROM edges").fetchone()[0] > 0


def test_scanner_matches_the_vault_loader(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    (root / ".gitignore").write_text("drafts/\n*.tmp.md\n", encoding="utf-8")
    for rel in ("drafts/a.md", "x.tmp.md", ".hidden/b.md", "node_modules/c.md", "deep/er/d.markdown", "e.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("# x\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f.md").write_text("# f\n", encoding="utf-8")
    (root / "linked").symlink_to(outside)
    expected = [rel for _, rel in vault_module.scan_files(root)[0]]
    assert [f.rel for f in documents.scan_notes(root)] == expected
    assert documents.IGNORED_DIRS == vault_module.IGNORED_DIRS
    assert documents.NOTE_SUFFIXES == vault_module.NOTE_SUFFIXES


def test_locate_root_matches_locate_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_search_vault(tmp_path)
    (root / "backbrain.toml").write_text("", encoding="utf-8")
    monkeypatch.delenv("BACKBRAIN_VAULT", raising=False)
    for explicit, cwd in ((None, root / "01_patterns"), (root, None), (None, tmp_path)):
        found = vault_module.locate_vault(explicit, cwd=cwd)
        assert locate_root(explicit, cwd=cwd) == (found.root, found.read_only)


def test_read_only_starter_indexes_into_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = index_path(starter_root(), read_only=True)
    assert path.parent == tmp_path / "cache" / "backbrain" / "index"
    other = index_path(tmp_path, read_only=True)
    assert path != other
    assert not (starter_root() / ".backbrain").exists()


def test_a_newer_file_written_by_another_connection_is_seen(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    first = open_synced(root)
    second = open_synced(root)
    (root / "notes" / "new.md").write_text("# Okapi\n\nOkapi notes.\n", encoding="utf-8")
    second.sync()
    assert ids(first, "okapi") == ["new"]  # the names cache follows another connection's commit


def test_unreadable_database_folder_falls_back_to_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = make_search_vault(tmp_path)
    (root / ".backbrain").write_text("a file where the folder should be", encoding="utf-8")
    path = index_path(root, read_only=False)
    assert path.parent == tmp_path / "cache" / "backbrain" / "index"
    with sqlite3.connect(path):
        pass
