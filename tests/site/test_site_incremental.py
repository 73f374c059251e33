"""The build cache: after one note changes, only the pages that show it are rewritten."""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sitehelpers import builder, make_site_vault, page, texts

from backbrain.errors import RefusedError
from backbrain.site import SiteBuilder


def _snapshot(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    root = make_site_vault(tmp_path / "vault")
    out = tmp_path / "out"
    builder(root, out).build()
    return root, out


def test_second_build_without_changes_writes_nothing(built: tuple[Path, Path]) -> None:
    root, out = built
    before = _snapshot(out)
    report = builder(root, out).build()
    assert not report.full and report.rendered == 0 and report.written == [] and report.removed == []
    assert _snapshot(out) == before


def test_summary_change_rewrites_only_pages_that_show_it(built: tuple[Path, Path]) -> None:
    root, out = built
    before = _snapshot(out)
    _edit(root / "01_patterns/caching.md", "Keep hot values close.", "Keep hot values closer.")
    report = builder(root, out).build()
    assert sorted(report.written) == [
        "note/caching/index.html",  # its own page
        "patterns/index.html",  # the listing shows summaries
        "search-index.json",
        "tags/caching/index.html",  # tag pages show summaries
        "tags/perf/index.html",
    ]
    after = _snapshot(out)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == set(report.written)
    assert "Keep hot values closer." in page(out, "note/caching/index.html").css_first(".lead").text()


def test_title_change_rewrites_neighbours_panels_and_listings(built: tuple[Path, Path]) -> None:
    root, out = built
    _edit(root / "01_patterns/caching.md", "title: Caching", "title: Cache-aside caching")
    report = builder(root, out).build()
    written = set(report.written)
    assert {
        "note/caching/index.html",
        "note/cache-stampede/index.html",  # "Mitigated by" panel and backlink
        "note/url-shortener/index.html",  # "Uses" panel
        "note/scratch/index.html",  # its [[caching]] link shows the title
        "patterns/index.html", "index.html", "graph.json", "search-index.json",
    } <= written  # fmt: skip
    assert "note/use-valkey/index.html" not in written and "note/http/index.html" not in written
    panel = page(out, "note/cache-stampede/index.html").css_first('[data-relation="mitigated-by"]')
    assert "Cache-aside caching" in panel.text()


def test_deleted_note_removes_its_page_and_marks_links_broken(built: tuple[Path, Path]) -> None:
    root, out = built
    (root / "01_patterns/caching.md").unlink()
    report = builder(root, out).build()
    assert "note/caching/index.html" in report.removed
    assert not (out / "note/caching").exists()
    assert "caching" in texts(page(out, "note/scratch/index.html"), ".broken-link")


def test_clean_forces_a_full_build(built: tuple[Path, Path]) -> None:
    root, out = built
    report = builder(root, out).build(clean=True)
    assert report.full and report.rendered == report.pages


def test_in_memory_update_matches_a_clean_build(tmp_path: Path) -> None:
    """serve's incremental path must produce exactly the site a clean build produces."""
    root = make_site_vault(tmp_path / "vault")
    live = builder(root, tmp_path / "live")
    live.build()
    _edit(root / "04_failure-modes/cache-stampede.md", "title: Cache stampede", "title: Cache stampede (dogpile)")
    (root / "01_patterns/new-pattern.md").write_text(
        "---\ntitle: Jitter\ntype: pattern\nmitigates: [cache-stampede]\ntags: [fresh]\n---\n# Jitter\n\n[[caching]]\n"
    )
    (root / "roadmap/routing.md").unlink()
    report = live.update([root / "04_failure-modes/cache-stampede.md", root / "01_patterns/new-pattern.md",
                          root / "roadmap/routing.md"])  # fmt: skip
    assert not report.full and report.removed == ["note/routing/index.html"]
    assert report.rendered < report.pages
    assert "note/http/index.html" not in report.written and "note/use-valkey/index.html" not in report.written
    clean = builder(root, tmp_path / "clean")
    clean.build(clean=True)
    comparison = filecmp.dircmp(tmp_path / "live", tmp_path / "clean")
    _assert_same_tree(comparison)


def _assert_same_tree(comparison: filecmp.dircmp[str]) -> None:
    assert not comparison.left_only and not comparison.right_only, (comparison.left_only, comparison.right_only)
    mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right, comparison.common_files, shallow=False)[1:]
    assert not mismatch and not errors, (comparison.left, mismatch)
    for sub in comparison.subdirs.values():
        _assert_same_tree(sub)


def test_live_mode_shows_check_problems_instead_of_failing(tmp_path: Path) -> None:
    root = make_site_vault(tmp_path / "vault")
    live = builder(root, tmp_path / "out", live=True)
    live.build()
    path = root / "01_patterns/caching.md"
    path.write_text("---\ntitle: [unclosed\n---\n# Caching\n")
    report = live.update([path])
    assert "note/caching/index.html" in report.written
    problems = page(tmp_path / "out", "note/caching/index.html").css_first(".problems")
    assert problems is not None and "BB002" in problems.text() and "01_patterns/caching.md" in problems.text()


def test_a_failed_worker_share_is_rendered_by_the_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The forked worker fails (here: computing the search index): its pages are rendered here instead."""
    monkeypatch.setattr("backbrain.site.build.builder.PARALLEL_MIN_PAGES", 1)
    root = make_site_vault(tmp_path / "vault")
    builder(root, tmp_path / "one", workers=1).build()
    parent, real = os.getpid(), SiteBuilder._search_entries

    def fails_in_worker(self: SiteBuilder, model: Any) -> list[str]:
        if os.getpid() != parent:
            raise OSError("no space left in the worker")
        return real(self, model)

    monkeypatch.setattr(SiteBuilder, "_search_entries", fails_in_worker)
    report = builder(root, tmp_path / "two", workers=2).build()
    assert report.full
    _assert_same_tree(filecmp.dircmp(tmp_path / "one", tmp_path / "two"))


def test_parallel_full_build_equals_single_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("backbrain.site.build.builder.PARALLEL_MIN_PAGES", 1)
    root = make_site_vault(tmp_path / "vault")
    builder(root, tmp_path / "one", workers=1).build()
    report = builder(root, tmp_path / "two", workers=2).build()
    assert report.full
    _assert_same_tree(filecmp.dircmp(tmp_path / "one", tmp_path / "two"))
    assert (tmp_path / "two-cache.state.msgpack").is_file()  # written by the forked child, adopted after
    assert not list(tmp_path.glob(".two-cache.state.msgpack.*"))
    _edit(root / "scratch.md", "A plain note", "A plainer note")
    with monkeypatch.context() as patch:
        _no_disk_load(patch)
        report = builder(root, tmp_path / "two", workers=2).build()
    assert not report.full and "note/scratch/index.html" in report.written
    builder(root, tmp_path / "one", workers=1).build()
    _assert_same_tree(filecmp.dircmp(tmp_path / "one", tmp_path / "two"))


def test_refuses_output_folders_it_did_not_make(tmp_path: Path) -> None:
    root = make_site_vault(tmp_path / "vault")
    precious = tmp_path / "Documents"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(RefusedError):
        SiteBuilder(root, precious, tmp_path / "c.json")
    with pytest.raises(RefusedError):
        SiteBuilder(root, root, tmp_path / "c.json")
    with pytest.raises(RefusedError):
        SiteBuilder(root, root / "site", tmp_path / "c.json")
    SiteBuilder(root, root / "_site", tmp_path / "c.json").build()
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_a_corrupt_cache_means_a_full_build(built: tuple[Path, Path]) -> None:
    root, out = built
    (out.parent / f"{out.name}-cache.json").write_text("{not json")
    assert builder(root, out).build().full
    shutil.rmtree(out)
    assert builder(root, out).build().full


def _graph_view(vault: Any) -> dict[str, Any]:
    return {
        note_id: (
            vault.relations(note_id),
            [(b.source, b.line, b.context) for b in vault.backlinks(note_id)],
            sorted(vault.neighbours(note_id)),
            [(link.target, target.id if target else None) for link, target in vault.outgoing(vault.notes[note_id])],
        )
        for note_id in sorted(vault.notes)
    }


@pytest.mark.parametrize(
    ("old", "new", "quick"),
    [
        ("A hot key expires.", "A hot key expires; see [[url-shortener]] and [[scratch]].", True),
        ("Use [[request-coalescing|coalescing]] and [[caching#Solution]].", "Nothing links out now.", True),
        ("title: Cache stampede", "title: Cache dogpile", False),  # titles resolve links: full re-index
        ("lab: cache-stampede", "lab: cache-stampede\nmitigated-by: [caching]", False),
    ],
)
def test_quick_reindex_equals_a_fresh_load(tmp_path: Path, old: str, new: str, quick: bool) -> None:
    from backbrain.core.vault import load_vault
    from backbrain.site.build.vaultcache import refresh_vault

    root = make_site_vault(tmp_path / "vault")
    vault = load_vault(root)
    rel = "04_failure-modes/cache-stampede.md"
    _edit(root / rel, old, new)
    refreshed = refresh_vault(vault, {rel})
    assert (refreshed.vault.edges is vault.edges) == quick  # the quick path keeps the typed edges
    assert _graph_view(refreshed.vault) == _graph_view(load_vault(root))


def test_update_after_an_attachment_appears_and_a_lab_result_changes(tmp_path: Path) -> None:
    root = make_site_vault(tmp_path / "vault")
    out = tmp_path / "out"
    live = builder(root, out)
    live.build()
    assert "![[nope.png]]" in texts(page(out, "note/url-shortener/index.html"), ".broken-link")
    (root / "assets" / "nope.png").write_bytes(b"\x89PNG\r\n\x1a\nnew")
    report = live.update([root / "assets" / "nope.png"])
    assert "note/url-shortener/index.html" in report.written
    assert "![[nope.png]]" not in texts(page(out, "note/url-shortener/index.html"), ".broken-link")
    assert (out / "assets" / "assets" / "nope.png").read_bytes().endswith(b"new")
    result = root / "labs" / "cache-stampede" / "result.json"
    result.write_text(result.read_text().replace("840.5", "999.5"))
    report = live.update([result])
    assert report.written == ["note/cache-stampede/index.html"]
    assert "999.5" in page(out, "note/cache-stampede/index.html").css_first("section.lab").text()


# -- the state a build leaves for the next process (site/state.py) -----------------------------------------
def _no_disk_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the vault was loaded from disk although the saved state was usable")

    monkeypatch.setattr("backbrain.site.build.builder.load_vault", refuse)


def test_a_new_builder_resumes_from_the_saved_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step in a new SiteBuilder (a new process): parse only what changed, equal a clean build."""
    root = make_site_vault(tmp_path / "vault")
    out = tmp_path / "out"
    builder(root, out).build()
    assert (tmp_path / "out-cache.state.msgpack").is_file()
    steps = [  # a backlink that comes and goes again: pages rendered in between must be looked at again
        lambda: _edit(root / "scratch.md", "[[caching]].", "[[caching]] and [[url-shortener]]."),
        lambda: _edit(root / "01_patterns/caching.md", "title: Caching", "title: Caching layer"),
        lambda: _edit(root / "scratch.md", "[[caching]] and [[url-shortener]].", "[[caching]]."),
        lambda: (root / "01_patterns/request-coalescing.md").unlink(),
        lambda: (root / "notes").mkdir() or (root / "notes/new.md").write_text("# New\n\n[[URL shortener]]\n"),
    ]
    for index, step in enumerate(steps):
        step()
        with monkeypatch.context() as patch:
            _no_disk_load(patch)
            report = builder(root, out).build()
        assert not report.full and report.rendered < report.pages
        clean = tmp_path / f"clean-{index}"
        builder(root, clean).build(clean=True)
        _assert_same_tree(filecmp.dircmp(out, clean))
    backlinks = texts(page(out, "note/url-shortener/index.html"), ".backlinks li")
    assert any("New" in text for text in backlinks) and not any("Scratch" in text for text in backlinks)


def test_a_damaged_or_foreign_state_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_site_vault(tmp_path / "vault")
    out = tmp_path / "out"
    builder(root, out).build()
    state = tmp_path / "out-cache.state.msgpack"
    good = state.read_bytes()
    for index, damage in enumerate((b"", b"not a state file", good[: len(good) // 2])):
        state.write_bytes(damage)
        _edit(root / "scratch.md", "A plain note", f"A plain note {index}")
        report = builder(root, out).build()
        assert not report.full and "note/scratch/index.html" in report.written
        assert f"A plain note {index}" in page(out, "note/scratch/index.html").text()
        _edit(root / "scratch.md", f"A plain note {index}", "A plain note")
    monkeypatch.setattr("backbrain.site.build.state.SCHEMA", 999)  # another version of the format
    loads: list[int] = []
    real = __import__("backbrain.site.build.builder", fromlist=["load_vault"]).load_vault
    monkeypatch.setattr("backbrain.site.build.builder.load_vault", lambda *a, **k: loads.append(1) or real(*a, **k))
    builder(root, out).build()
    assert loads == [1]
    (tmp_path / "out-cache.delta.json").write_text('{"token": "no-such-base", "carried": []}')
    builder(root, out).build()
    assert loads == [1, 1]


def test_a_config_change_reloads_everything(tmp_path: Path) -> None:
    root = make_site_vault(tmp_path / "vault")
    out = tmp_path / "out"
    builder(root, out).build()
    config = root / "backbrain.toml"
    existing = config.read_text() if config.exists() else ""
    config.write_text(existing + '\n[site]\ntitle = "Renamed"\n')
    builder(root, out).build()
    clean = tmp_path / "clean"
    builder(root, clean).build(clean=True)
    _assert_same_tree(filecmp.dircmp(out, clean))
    assert "Renamed" in page(out, "index.html").text()


def test_an_output_folder_inside_the_vault_is_not_a_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_site_vault(tmp_path / "vault")
    out = root / "_site"
    SiteBuilder(root, out, tmp_path / "c.json", workers=1).build()
    SiteBuilder(root, out, tmp_path / "c.json", workers=1).build()  # its pages now count as attachments
    _edit(root / "scratch.md", "A plain note", "A plainer note")
    with monkeypatch.context() as patch:
        _no_disk_load(patch)
        report = SiteBuilder(root, out, tmp_path / "c.json", workers=1).build()
    assert sorted(report.written) == ["note/caching/index.html", "note/scratch/index.html", "search-index.json"]
