"""Nothing is dropped: every Markdown file the scan accepts is exactly one page at a unique, stable URL,
whatever check says about it, and `build` says so in its summary line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from byov_vaults import BUILDERS, EXPECTED_FILES, build
from conftest import run_cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from backbrain.site import SiteBuilder

SUMMARY = re.compile(r"^(\d+) notes found, (\d+) pages written\.$", re.MULTILINE)


def note_pages(out: Path) -> list[str]:
    return sorted(p.parent.name for p in (out / "note").glob("*/index.html"))


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_build_writes_one_page_per_markdown_file(tmp_path: Path, name: str) -> None:
    root = build(name, tmp_path / name)
    out = tmp_path / "out"
    result = run_cli("build", "--vault", str(root), "--out", str(out))
    assert result.returncode == 0, result.stderr
    found = SUMMARY.search(result.stdout)
    assert found is not None, result.stdout
    assert int(found.group(1)) == int(found.group(2)) == EXPECTED_FILES[name]
    assert len(note_pages(out)) == EXPECTED_FILES[name]


def test_files_declaring_the_same_id_each_get_a_page(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    for folder, words in (("a", "First copy"), ("b", "Second copy")):
        (root / folder).mkdir(parents=True)
        (root / folder / "x.md").write_text(f"---\nid: same\n---\n# {words}\n\n{words} text.\n", encoding="utf-8")
    check = run_cli("check", str(root), "--format", "json")
    assert '"BB301"' in check.stdout  # still an error...
    out = tmp_path / "out"
    report = SiteBuilder(root, out, tmp_path / "cache.json", workers=1).build()
    assert report.notes == report.note_pages == 2  # ...and still two pages
    pages = {slug: HTMLParser((out / "note" / slug / "index.html").read_text(encoding="utf-8")) for slug in
             note_pages(out)}  # fmt: skip
    titles = {slug: tree.css_first("#note-title").text() for slug, tree in pages.items()}
    assert titles == {"same": "First copy", "b-x": "Second copy"}


def test_page_urls_are_stable_across_builds(tmp_path: Path) -> None:
    root = build("obsidian", tmp_path / "v")
    first = tmp_path / "one"
    SiteBuilder(root, first, tmp_path / "c1.json", workers=1).build()
    (root / "de").mkdir()
    (root / "de" / "Home.md").write_text("# Hilfe\n\n[[Formulas]]\n", encoding="utf-8")
    second = tmp_path / "two"
    SiteBuilder(root, second, tmp_path / "c2.json", workers=1).build()
    assert set(note_pages(first)) <= set(note_pages(second))
    assert len(note_pages(second)) == len(note_pages(first)) + 1


def test_an_edit_to_a_duplicate_file_updates_its_own_page(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    for folder in ("a", "b"):
        (root / folder).mkdir(parents=True)
        (root / folder / "x.md").write_text(f"---\nid: same\n---\n# {folder}\n\nold {folder}\n", encoding="utf-8")
    out = tmp_path / "out"
    builder = SiteBuilder(root, out, tmp_path / "cache.json", workers=1, live=True)
    builder.build()
    (root / "b" / "x.md").write_text("---\nid: same\n---\n# b\n\nnew b\n", encoding="utf-8")
    builder.update([root / "b" / "x.md"])
    assert "new b" in (out / "note/b-x/index.html").read_text(encoding="utf-8")
