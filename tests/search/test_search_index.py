"""The index: build, incremental re-index by hash, deletions, rebuilds, cache location."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import note_text, pattern
from searchhelpers import make_search_vault, open_synced

from backbrain.core.location import starter_root
from backbrain.search.engine import search
from backbrain.search.store import SCHEMA_VERSION, SearchIndex, index_path


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


def graph_state(index: SearchIndex) -> dict[str, object]:
    """Everything the graph and the name tables hold, keyed by path rather than rowid."""
    conn = index.conn
    return {
        "edges": set(conn.execute("SELECT source, kind, target, via FROM edges")),
        "relations": dict(conn.execute("SELECT rel, relations FROM notes")),
        "fts": dict(conn.execute("SELECT n.rel, f.relations FROM fts f JOIN notes n ON n.rowid = f.rowid")),
        "lookup": dict(conn.execute("SELECT key, candidates FROM lookup")),
        "names": sorted(
            conn.execute("SELECT n.rel, m.pos, m.name, m.len, m.gram FROM names m JOIN notes n ON n.rowid = m.note")
        ),
        "terms": sorted(
            conn.execute("SELECT n.rel, t.term, t.word FROM name_terms t JOIN notes n ON n.rowid = t.note")
        ),
    }


def generation(index: SearchIndex) -> str | None:
    row = index.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return row[0] if row else None


def test_relinking_one_note_equals_a_full_build(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = open_synced(root)
    scratch, copy = "notes/scratch.md", "notes/bulkhead.md"
    bulkhead, coalescing = "01_patterns/bulkhead.md", "01_patterns/request-coalescing.md"
    steps: list[tuple[str, str | None, bool]] = [  # (file, new text or None to delete, only its edges re-resolved)
        (scratch, "# Scratch\n\nSee [[singleflight]] and [[Bulkhead]].\n", True),
        (bulkhead, note_text(pattern("Bulkhead", mitigates=["cache-stampede"])), True),
        (bulkhead, note_text(pattern("Bulkhead", tags=["isolation"])), True),
        (coalescing, note_text(pattern("Request coalescing", mitigates=["cache-stampede"])), False),  # alias gone
        (scratch, "# Scratch\n\nSee [[no-such-note]], [[scratch]] and [[singleflight]].\n", True),
        (copy, "# Copy\n\n[[cache-stampede]]\n", False),  # a new note, with a duplicate id
        (copy, "# Copy\n\n[[scratch]]\n", False),  # which note owns a duplicate id: only a full refresh knows
        (copy, None, False),
    ]
    for number, (rel, text, local) in enumerate(steps):
        before = generation(index)
        if text is None:
            (root / rel).unlink()
        else:
            (root / rel).write_text(text, encoding="utf-8")
        index.sync()
        assert (generation(index) == before) == local, number
        fresh = SearchIndex(root, tmp_path / f"fresh-{number}.sqlite")
        fresh.sync()
        assert graph_state(index) == graph_state(fresh), number
        fresh.close()
    relations = index.conn.execute("SELECT relations FROM notes WHERE id = 'cache-stampede'").fetchone()[0]
    assert relations == "Request coalescing"


def test_unchanged_files_are_decided_by_the_scan_signature(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    for path in root.rglob("*.md"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    index = open_synced(root)
    index.sync()
    signature = index.meta("scan_sig")
    assert signature
    index.conn.execute("UPDATE notes SET hash = 'x'")  # not looked at while the signature matches
    assert index.sync().changed is False and index.meta("scan_sig") == signature
    path = root / "01_patterns" / "bulkhead.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nWombat.\n", encoding="utf-8")  # in place: folder mtime kept
    report = index.sync()
    assert report.updated == 1 and index.meta("scan_sig") == ""  # racy: just written, so not sealed
    assert ids(index, "wombat") == ["bulkhead"]


def test_a_write_by_another_process_clears_the_signature(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    for path in root.rglob("*.md"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    first = open_synced(root)
    first.sync()
    assert first.meta("scan_sig")
    second = SearchIndex(root, first.path)
    with second.write() as conn:  # what any row-changing transaction does
        conn.execute("UPDATE notes SET mtime_ns = 5 WHERE id = 'bulkhead'")
        conn.execute("UPDATE meta SET value = '' WHERE key = 'scan_sig'")
    assert first.sync().rehashed == 1


def test_an_emptied_vault_is_noticed_even_with_a_cleared_signature(tmp_path: Path) -> None:
    root = make_search_vault(tmp_path)
    index = open_synced(root)
    with index.write() as conn:
        conn.execute("UPDATE meta SET value = '' WHERE key = 'scan_sig'")
    for path in root.rglob("*.md"):
        path.unlink()
    assert index.sync().removed == 5 and index.count() == 0
    assert index.meta("scan_sig") == "0 files\n"
