"""Obsidian syntax in notes written elsewhere: `\\|` in table wikilinks, Markdown links to notes,
`%%comments%%` (never published or indexed), `^block` ids (hidden, anchors) and note embeds."""

from __future__ import annotations

import json
from pathlib import Path

from byov_vaults import obsidian_help
from conftest import run_cli
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from backbrain.core.note import Note, parse_note, strip_obsidian_comments
from backbrain.core.vault import load_vault
from backbrain.site import SiteBuilder

INTERNAL_LINKS = "note/en-linking-notes-and-files-internal-links/index.html"


def parse(text: str, rel: str = "en/Bases/Note.md") -> Note:
    return parse_note(Path(rel), rel, text.encode("utf-8"), "note")


def test_escaped_pipe_in_a_table_is_not_part_of_the_target() -> None:
    note = parse("| a | b |\n|---|---|\n| [[Bases syntax#Operators\\|ops]] | ![[chart.png\\|100]] |\n")
    link, image = note.links
    assert (link.target, link.anchor, link.label, link.line) == ("Bases syntax", "Operators", "ops", 3)
    assert (image.target, image.label, image.embed) == ("chart.png", "100", True)


def test_markdown_links_to_notes_are_links_and_web_links_are_not() -> None:
    note = parse(
        "See [the syntax](Bases%20syntax.md#Some%20heading), [up](../Other/Note.md) and\n"
        "[web](https://example.com/a.md), [here](#local), [pdf](file.pdf), [[Wiki]].\n"
    )
    found = [(link.target, link.anchor, link.label, link.markdown) for link in note.links]
    assert found == [
        ("Bases syntax.md", "Some heading", "the syntax", True),
        ("../Other/Note.md", None, "up", True),
        ("Wiki", None, None, False),
    ]


def test_comments_are_removed_outside_code_and_lines_are_kept() -> None:
    text = "a %%one [[Hidden]]%% b\n%%\ntwo\n%%\n`%%code%%` [[Shown]]\n```\nx %% y\n```\n"
    note = parse(text)
    assert [(link.target, link.line) for link in note.links] == [("Shown", 5)]
    assert "Hidden" not in note.body and "two" not in note.body
    assert "`%%code%%`" in note.body and "x %% y" in note.body
    assert note.body.count("\n") == text.count("\n")


def test_indented_code_keeps_its_percent_signs() -> None:
    assert strip_obsidian_comments("a\n\n    x %% y\n\nb %%c%% d\n") == "a\n\n    x %% y\n\nb  d\n"


def test_an_unclosed_comment_hides_the_rest_as_obsidian_does() -> None:
    assert strip_obsidian_comments("public\n%% private\nstill private\n") == "public\n\n\n"


def _site(tmp_path: Path) -> tuple[Path, Path]:
    root = obsidian_help(tmp_path / "vault")
    out = tmp_path / "out"
    SiteBuilder(root, out, tmp_path / "cache.json", workers=1).build()
    return root, out


def test_site_hides_block_ids_and_comments_and_sizes_images(tmp_path: Path) -> None:
    _, out = _site(tmp_path)
    page = (out / "note/en-bases-formulas/index.html").read_text(encoding="utf-8")
    tree = HTMLParser(page)
    body = tree.css_first(".note-body")
    assert body is not None
    assert "^intro" not in body.text() and tree.css_first('[id="^intro-en"]') is not None
    image = body.css_first("img")
    assert image is not None and image.attributes["width"] == "100"
    assert image.attributes["src"].endswith("assets/Attachments/chart.png")
    assert "\\" not in " ".join(a.attributes.get("href") or "" for a in body.css("a"))
    every_page = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    every_data = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.json"))
    for private in ("Translate this table", "Draft ideas", "Hidden target", "several lines"):
        assert private not in every_page and private not in every_data


def test_block_link_points_at_the_block_anchor(tmp_path: Path) -> None:
    _, out = _site(tmp_path)
    tree = HTMLParser((out / INTERNAL_LINKS).read_text(encoding="utf-8"))
    hrefs = [a.attributes.get("href") or "" for a in tree.css(".note-body a.wikilink")]
    assert "../../note/en-bases-formulas/#^intro-en" in hrefs


def test_embed_transcludes_the_section_and_a_self_embed_stays_a_link(tmp_path: Path) -> None:
    _, out = _site(tmp_path)
    tree = HTMLParser((out / INTERNAL_LINKS).read_text(encoding="utf-8"))
    embed = tree.css_first(".note-body .embed-note")
    assert embed is not None
    assert "Functions such as now() return values." in embed.text()
    assert "Use ==" not in embed.text()  # only the Functions section, not the Operators one
    self_embed = tree.css_first(".note-body a.embed")
    assert self_embed is not None and self_embed.text().startswith("↳ Internal links")


def test_embed_cycle_finishes_and_shows_each_note_once(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    root.mkdir()
    (root / "A.md").write_text("# A\n\nAlpha text.\n\n![[B]]\n", encoding="utf-8")
    (root / "B.md").write_text("# B\n\nBeta text.\n\n![[A]]\n", encoding="utf-8")
    out = tmp_path / "out"
    SiteBuilder(root, out, tmp_path / "cache.json", workers=1).build()
    page = (out / "note/a/index.html").read_text(encoding="utf-8")
    assert page.count("Beta text.") == 1 and page.count("Alpha text.") == 1
    assert HTMLParser(page).css_first(".embed-note a.embed") is not None  # the way back is a link


def test_editing_an_embedded_note_rebuilds_the_page_that_shows_it(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    root.mkdir()
    (root / "A.md").write_text("# A\n\n![[B#Part]]\n", encoding="utf-8")
    (root / "B.md").write_text("# B\n\n## Part\n\nFirst version.\n", encoding="utf-8")
    out = tmp_path / "out"
    builder = SiteBuilder(root, out, tmp_path / "cache.json", workers=1, live=True)
    builder.build()
    (root / "B.md").write_text("# B\n\n## Part\n\nSecond version.\n", encoding="utf-8")
    builder.update([root / "B.md"])
    assert "Second version." in (out / "note/a/index.html").read_text(encoding="utf-8")


def test_comments_are_not_searchable(tmp_path: Path) -> None:
    root = obsidian_help(tmp_path / "vault")
    assert load_vault(root).files  # the vault loads
    result = run_cli("search", "translate", "--vault", str(root), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout or "{}").get("results", []) == []


def test_block_ids_stay_out_of_search_snippets(tmp_path: Path) -> None:
    root = obsidian_help(tmp_path / "vault")
    result = run_cli("search", "formulas", "--vault", str(root), "--format", "json")
    snippets = " ".join(hit["snippet"] for hit in json.loads(result.stdout)["results"])
    assert "Formulas compute values" in snippets and "^intro" not in snippets
    _, out = _site(tmp_path / "site")
    assert "^intro" not in (out / "search-index.json").read_text(encoding="utf-8")


def test_block_ids_on_their_own_line_become_anchors(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    root.mkdir()
    text = "# N\n\n- one\n- two\n^list-id\n\n| a |\n|---|\n| b |\n\n^table-id\n\nPara\n^para-id\n"
    (root / "N.md").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    SiteBuilder(root, out, tmp_path / "cache.json", workers=1).build()
    body = HTMLParser((out / "note/n/index.html").read_text(encoding="utf-8")).css_first(".note-body")
    assert body is not None and "^" not in body.text()
    assert [s.attributes["id"] for s in body.css("span.block-id")] == ["^list-id", "^table-id", "^para-id"]
