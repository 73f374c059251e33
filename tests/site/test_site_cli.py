"""`backbrain build` through the real entry point, and the bundled starter published end to end."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from urllib.parse import SplitResult, unquote, urlsplit

import pytest
from sitehelpers import HTMLParser, make_site_vault, run_backbrain

from backbrain.core.vault import starter_root

Cli = Callable[..., CompletedProcess[str]]


@pytest.fixture(scope="module")
def starter_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter, built once for this module through the CLI (its cache goes to a temporary XDG folder)."""
    base = tmp_path_factory.mktemp("starter")
    out = base / "site"
    result = run_backbrain("build", "--vault", str(starter_root()), "--out", str(out),
                     env={"XDG_CACHE_HOME": str(base / "cache")})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "full build" in result.stdout
    return out


def test_every_internal_link_of_the_starter_site_resolves(starter_site: Path) -> None:
    pages = sorted(starter_site.rglob("*.html"))
    assert len(pages) > 100
    missing = []
    for page in pages:
        rel_page = page.relative_to(starter_site).as_posix()
        if rel_page == "404.html":
            continue  # rooted at site.base_url on purpose
        tree = HTMLParser(page.read_text(encoding="utf-8"))
        for node in tree.css("a[href], img[src], link[href], script[src]"):
            url = node.attributes.get("href") or node.attributes.get("src") or ""
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("#", "mailto:")) or not parts.path:
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel_page), unquote(parts.path)))
            path = starter_site / target
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file():
                missing.append(f"{rel_page} -> {url}")
            elif parts.fragment and "wikilink" in (node.attributes.get("class") or "") and not _has_anchor(path, parts):
                missing.append(f"{rel_page} -> {url} (no such anchor)")
    assert missing == []


def _has_anchor(path: Path, parts: SplitResult) -> bool:
    return HTMLParser(path.read_text(encoding="utf-8")).css_first(f'[id="{parts.fragment}"]') is not None


def test_starter_pages_render_diagrams_and_relations(starter_site: Path) -> None:
    system = HTMLParser((starter_site / "note" / "url-shortener" / "index.html").read_text())
    assert system.css_first("pre.mermaid")
    assert {n.attributes["data-relation"] for n in system.css(".relation-panel")} >= {"uses", "risks"}
    home = HTMLParser((starter_site / "index.html").read_text())
    assert home.css("#start-here + ul .card") and home.css(".focus-area")
    flagship = {card.text() for card in home.css("#flagship + ul .card-title")}
    assert not flagship & {card.text() for card in home.css("#start-here + ul .card-title")}


def test_second_build_reports_nothing_to_do(tmp_path: Path, cli: Cli) -> None:
    root = make_site_vault(tmp_path / "vault")
    first = cli("build", "--vault", str(root))
    assert first.returncode == 0 and "full build" in first.stdout
    assert (root / ".backbrain" / "site" / "index.html").is_file()  # the default output of a writable vault
    second = cli("build", "--vault", str(root))
    assert second.returncode == 0 and "0 rendered, 0 files written" in second.stdout
    clean = cli("build", "--vault", str(root), "--clean")
    assert "full build" in clean.stdout


def test_build_refuses_a_folder_it_did_not_make(tmp_path: Path, cli: Cli) -> None:
    root = make_site_vault(tmp_path / "vault")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    result = cli("build", "--vault", str(root), "--out", str(precious))
    assert result.returncode == 3 and "refusing to replace it" in result.stderr
    assert "Traceback" not in result.stderr and (precious / "keep.txt").read_text() == "mine"


def test_drafts_are_marked_on_their_page_and_in_their_type_listing(tmp_path: Path, cli: Cli) -> None:
    vault = tmp_path / "v"
    assert cli("init", str(vault)).returncode == 0
    cli("new", "pattern", "Bulkhead", "--vault", str(vault))
    finished = Path(cli("new", "pattern", "Retry", "--vault", str(vault)).stdout.strip())
    finished.write_text(finished.read_text().replace("status: draft\n", ""))
    out = tmp_path / "site"
    built = cli("build", "--vault", str(vault), "--out", str(out), env={"XDG_CACHE_HOME": str(tmp_path / "c")})
    assert built.returncode == 0, built.stderr
    draft_page = HTMLParser((out / "note" / "bulkhead" / "index.html").read_text())
    badge = draft_page.css_first(".note-header .badge-draft")
    assert badge is not None and badge.text() == "draft"
    assert HTMLParser((out / "note" / "retry" / "index.html").read_text()).css_first(".badge-draft") is None
    listing = HTMLParser((out / "patterns" / "index.html").read_text())
    marked = {li.css_first("a").text(): li.css_first(".badge-draft") is not None for li in listing.css(".note-list li")}
    assert marked == {"Bulkhead": True, "Retry": False}
