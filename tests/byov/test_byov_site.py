"""A site for any vault: its own title, tagline and footer, no empty type sections, folders as sections
and a folder explorer."""

from __future__ import annotations

from pathlib import Path

from byov_vaults import folder_notes, obsidian_help, untyped
from conftest import run_cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from backbrain.site import SiteBuilder

SITE_CONFIG = '[site]\ntitle = "Field notes"\ntagline = "What I keep."\nfooter = "CC BY 4.0 · Ana"\n'


def built(root: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    SiteBuilder(root, out, tmp_path / "cache.json", workers=1).build()
    return out


def tree(out: Path, rel: str) -> HTMLParser:
    return HTMLParser((out / rel).read_text(encoding="utf-8"))


def texts(node: HTMLParser, selector: str) -> list[str]:
    return [n.text(strip=True) for n in node.css(selector)]


def test_untyped_vault_site_has_its_own_title_and_no_empty_sections(tmp_path: Path) -> None:
    root = untyped(tmp_path / "v")
    (root / "backbrain.toml").write_text(SITE_CONFIG, encoding="utf-8")
    out = built(root, tmp_path)
    home = tree(out, "index.html")
    assert home.css_first("title").text() == "Field notes"
    assert texts(home, ".hero h1") == ["Field notes"] and texts(home, ".hero .lead") == ["What I keep."]
    assert "CC BY 4.0 · Ana" in texts(home, ".site-footer .footer-text")
    assert "backend engineering" not in home.body.text()
    assert texts(home, "[data-type-label] .section-label") == []  # one type only: folders are the sections
    assert texts(home, ".site-nav a") == ["Notes", "Folders", "Tags", "Graph"]
    folders = {n.css_first(".section-label").text(): n.css_first(".count").text() for n in home.css("[data-folder]")}
    assert folders == {"Archive": "1", "Areas": "2", "Projects": "2", "Resources": "1"}
    for empty in ("patterns", "playbooks", "decisions", "failure-modes"):
        assert not (out / empty).exists()


def test_a_plain_vault_without_config_does_not_claim_the_starters_tagline(tmp_path: Path) -> None:
    home = tree(built(untyped(tmp_path / "v"), tmp_path), "index.html")
    assert home.css_first(".hero .lead") is None and "backend engineering" not in home.html


def test_folder_explorer_lists_every_note_in_its_folder(tmp_path: Path) -> None:
    out = built(untyped(tmp_path / "v"), tmp_path)
    page = tree(out, "folders/index.html")
    projects = page.css_first("details#folder-projects")
    assert projects is not None and "open" in projects.attributes
    drafts = projects.css_first("details#folder-projects-drafts")
    assert drafts is not None and "open" not in drafts.attributes
    assert texts(drafts, "a") == ["Draft post"]
    assert texts(page, ".explorer > .folder-items > li > a") == ["Welcome"]  # the root's own notes
    links = [a.attributes["href"] for a in page.css(".explorer a")]
    assert len(links) == 7 and all((out / "folders" / href / "index.html").resolve().is_file() for href in links)


def test_language_folders_are_sections_and_folder_notes_are_overviews(tmp_path: Path) -> None:
    home = tree(built(obsidian_help(tmp_path / "o"), tmp_path / "a"), "index.html")
    assert [n.text(strip=True) for n in home.css("[data-folder] .section-label")] == ["en", "fr"]
    out = built(folder_notes(tmp_path / "f"), tmp_path / "b")
    guides = tree(out, "folders/index.html").css_first("details#folder-guides")
    assert guides is not None
    assert texts(guides, ".folder-overview a")[0] == "Guides"  # its _index.md, listed first


def test_site_config_is_validated(tmp_path: Path) -> None:
    root = untyped(tmp_path / "v")
    (root / "backbrain.toml").write_text('[site]\ntitle = ""\n', encoding="utf-8")
    result = run_cli("build", "--vault", str(root), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "site.title" in result.stderr and "Traceback" not in result.stderr
    (root / "backbrain.toml").write_text('[site]\nfooter = 3\n', encoding="utf-8")
    result = run_cli("check", str(root))
    assert result.returncode == 2 and "site.footer" in result.stderr


def test_note_pages_have_a_folder_breadcrumb_into_the_explorer(tmp_path: Path) -> None:
    out = built(untyped(tmp_path / "v"), tmp_path)
    crumbs = tree(out, "note/draft-post/index.html").css(".breadcrumb a")
    assert [(a.text(), a.attributes["href"]) for a in crumbs] == [
        ("Projects", "../../folders/#folder-projects"), ("Drafts", "../../folders/#folder-projects-drafts")
    ]  # fmt: skip
    assert tree(out, "note/welcome/index.html").css_first(".breadcrumb") is None  # at the root: none


def test_an_incremental_build_updates_the_explorer_and_breadcrumbs(tmp_path: Path) -> None:
    root = untyped(tmp_path / "v")
    out = tmp_path / "out"
    builder = SiteBuilder(root, out, tmp_path / "cache.json", workers=1, live=True)
    builder.build()
    (root / "Projects" / "Ideas").mkdir()
    (root / "Projects" / "Ideas" / "Side project.md").write_text("# Side project\n\nLater.\n", encoding="utf-8")
    builder.update([root / "Projects" / "Ideas" / "Side project.md"])
    page = tree(out, "folders/index.html")
    ideas = page.css_first("details#folder-projects-ideas")
    assert ideas is not None and texts(ideas, "a") == ["Side project"]
    assert texts(tree(out, "index.html"), "[data-folder] .count") == ["1", "2", "3", "1"]
    crumbs = tree(out, "note/side-project/index.html").css(".breadcrumb a")
    assert [a.text() for a in crumbs] == ["Projects", "Ideas"]
