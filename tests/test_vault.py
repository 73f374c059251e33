"""Loading a vault: what is a note, what is skipped, how links and relations resolve."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import failure, pattern, run_cli, write_vault

from backbrain.core.vault import load_vault, locate_vault, starter_root


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
    atomic_write_text(fresh, "x", root=tmp_path)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~_umask()
    kept = tmp_path / "kept.md"
    kept.write_text("old")
    kept.chmod(0o640)
    atomic_write_text(kept, "new", root=tmp_path)
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


# -- re-indexing after changes (Vault.reindex, Vault.changes_on_disk) ---------------------------------
def _full_view(vault) -> dict:
    """Everything the graph answers, in order: a re-indexed vault must equal a freshly loaded one."""
    return {
        "files": [n.rel for n in vault.files],
        "notes": list(vault.notes),
        "attachments": vault.attachments,
        "targets": [
            [(link.target, t) for link, t in zip(n.links, vault.link_targets(n), strict=True)] for n in vault.files
        ],
        "edges": [(e.source, e.kind, e.target, e.declared_by, e.line) for e in vault.edges],
        "unresolved": [(u.note.rel, u.key, u.value, u.line) for u in vault.unresolved_relations],
        "relations": {i: vault.relations(i) for i in vault.notes},
        "backlinks": {i: [(b.source, b.line, b.context) for b in vault.backlinks(i)] for i in vault.notes},
        "incoming": {i: [(s.rel, link.line) for s, link in vault.incoming(i)] for i in vault.notes},
        "neighbours": {i: sorted(vault.neighbours(i)) for i in vault.notes},
        "resolve": {key: getattr(vault.resolve(key), "id", None) for key in _KEYS},
        "stamps": sorted(vault.stamps),
    }


_KEYS = ["caching", "Caching", "stampede", "Stampede", "dogpile", "coalescing", "Coalescing", "jitter", "Jitter",
         "01_patterns/caching.md", "scratch", "old-name"]  # fmt: skip


def _reindex_vault(tmp_path: Path) -> Path:
    return write_vault(
        tmp_path / "v",
        {
            "01_patterns/caching.md": pattern("Caching", mitigates=["stampede"], aliases=["cache-aside"]),
            "04_failure-modes/stampede.md": failure("Stampede", aliases=["dogpile"]),
            "01_patterns/coalescing.md": pattern("Coalescing", related=["caching", "jitter"]),
            "notes/scratch.md": "# Scratch\n\nSee [[Caching]], [[dogpile]], [[Jitter]] and ![[diagram.png]].\n"
            "- again [[caching|the cache]]\n",
        },
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, ns=(path.stat().st_mtime_ns - 10_000_000_000,) * 2)  # a stat change even on coarse clocks


CHANGES = {
    "edit text": lambda root: _write(root / "notes/scratch.md", "# Scratch\n\nOnly [[stampede]] now.\n"),
    "retitle": lambda root: _write(root / "01_patterns/caching.md", "---\ntitle: Cache aside\n---\n# Cache aside\n"),
    "add note": lambda root: _write(root / "01_patterns/jitter.md", "---\ntitle: Jitter\nmitigates: [stampede]\n---\n"),
    "remove note": lambda root: (root / "04_failure-modes/stampede.md").unlink(),
    "add attachment": lambda root: _write(root / "notes/diagram.png", "png"),
    "alias": lambda root: _write(
        root / "04_failure-modes/stampede.md", "---\ntitle: Stampede\naliases: [old-name]\n---\n"
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_reindex_equals_a_fresh_load(tmp_path: Path, change: str) -> None:
    root = _reindex_vault(tmp_path)
    vault = load_vault(root)
    before = _full_view(vault)
    CHANGES[change](root)
    changed = vault.changes_on_disk()
    assert changed, change
    again = vault.reindex(changed)
    assert _full_view(again) == _full_view(load_vault(root))
    assert again.changes_on_disk() == set()
    if change in ("edit text", "add attachment"):  # the usual edit shares the untouched notes
        assert vault.notes["caching"] is again.notes["caching"]
    assert _full_view(vault)["edges"] == before["edges"]  # the old vault keeps its graph


def test_reindex_clears_links_that_stopped_resolving(tmp_path: Path) -> None:
    root = _reindex_vault(tmp_path)
    vault = load_vault(root)
    scratch = vault.notes["scratch"]
    assert vault.link_targets(scratch)[:2] == ["caching", "stampede"]
    (root / "01_patterns/caching.md").unlink()
    again = vault.reindex(["01_patterns/caching.md"])
    assert again.notes["scratch"] is scratch  # not parsed again ...
    assert again.link_targets(scratch)[:2] == [None, "stampede"]  # ... but re-resolved
    assert vault.link_targets(scratch)[:2] == ["caching", "stampede"]  # the old vault is left as it was
    assert again.backlinks("caching") == [] and again.resolve("caching") is None


def test_reindex_accepts_absolute_paths_and_ignores_tool_folders(tmp_path: Path) -> None:
    root = _reindex_vault(tmp_path)
    vault = load_vault(root)
    _write(root / ".backbrain/site/x.md", "# not a note\n")
    _write(root / "notes/scratch.md", "# Scratch\n\nnew text [[caching]]\n")
    again = vault.reindex([root / "notes/scratch.md", root / ".backbrain/site/x.md", tmp_path / "elsewhere.md"])
    assert _full_view(again) == _full_view(load_vault(root))


def test_changes_on_disk_compares_content_when_the_stat_cannot_tell(tmp_path: Path) -> None:
    root = _reindex_vault(tmp_path)
    vault = load_vault(root)
    path = root / "notes/scratch.md"
    stamp = vault.stamps["notes/scratch.md"]
    assert stamp.racy  # just written: a same-tick edit would keep the stat
    text = path.read_text()
    path.write_text(text.replace("Scratch", "Scritch"))  # same size
    os.utime(path, ns=(stamp.mtime_ns, stamp.mtime_ns))  # and the same mtime
    assert vault.changes_on_disk() == {"notes/scratch.md"}
    path.write_text(text)
    os.utime(path, ns=(stamp.mtime_ns - 10**10,) * 2)  # touched back, content as parsed
    assert vault.changes_on_disk() == set()
    assert not vault.stamps["notes/scratch.md"].racy


def test_backlinks_split_each_source_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _reindex_vault(tmp_path)
    vault = load_vault(root)
    assert [(b.source, b.context) for b in vault.backlinks("caching")] == [
        ("scratch", "See [[Caching]], [[dogpile]], [[Jitter]] and ![[diagram.png]]."),
        ("scratch", "again [[caching|the cache]]"),
    ]
    calls = []
    original = str.splitlines
    monkeypatch.setattr(vault, "_lines", {})

    class Counting(str):
        def splitlines(self, *args, **kwargs):  # type: ignore[override]
            calls.append(1)
            return original(self, *args, **kwargs)

    vault.notes["scratch"].body = Counting(vault.notes["scratch"].body)
    contexts = [b.context for b in vault.backlinks("caching")] + [b.context for b in vault.backlinks("stampede")]
    assert "again [[caching|the cache]]" in contexts and len(calls) == 1


def test_a_frozen_heap_stays_frozen_through_gc_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    """serve and the language server freeze the loaded vault out of the collector; a later build or
    re-index inside gc_paused must not hand those objects back (nor walk them to find out)."""
    import gc

    from backbrain.core import vault as vault_module

    monkeypatch.setattr(vault_module, "_heap_frozen", False)
    try:
        vault_module.freeze_heap()
        frozen = gc.get_freeze_count()
        assert frozen > 0 and vault_module._heap_frozen
        with vault_module.gc_paused():
            kept = [[i] for i in range(1000)]
        assert gc.get_freeze_count() >= frozen and gc.isenabled() and kept
    finally:
        gc.unfreeze()
