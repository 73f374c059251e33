"""The built pages, read back with selectolax: what a visitor sees on each kind of page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sitehelpers import builder, make_site_vault, page, texts


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("pages")
    root = make_site_vault(base / "vault")
    out = base / "out"
    report = builder(root, out).build()
    assert report.full and report.pages > 20
    return out


def test_home_has_start_here_flagship_focus_recent_and_sections(site: Path) -> None:
    home = page(site, "index.html")
    assert "Why caches fail" in texts(home, "#start-here + ul .card-title")
    assert "Plan for the miss." in home.css_first("#start-here + ul").text()  # a flagship's takeaway
    assert home.css_first("#flagship") is None  # its only flagship article is already shown above
    assert texts(home, ".focus-area h3") == ["Reliability"]
    sections = dict(s.rsplit(" ", 1) for s in texts(home, ".section-grid a"))
    assert sections["Patterns"] == "2" and sections["Decisions"] == "2" and sections["Roadmap"] == "2"
    recent = texts(home, ".recent a")
    # updated 2026-11-20 beats created 2026-01-02; the undated note falls back to its file's mtime (today)
    assert recent.index("Cache stampede") < recent.index("Caching") and "Scratch" in recent
    assert home.css_first("a.skip-link").attributes["href"] == "#main"
    assert home.css_first("main#main") and home.css_first("nav[aria-label]") and home.css_first("header")
    assert home.css_first("label[for=bb-search]")


def test_flagship_lists_only_articles_not_already_shown_under_start_here(tmp_path: Path) -> None:
    extra = {
        "articles/second.md": "---\ntitle: Second read\ntype: article\nflagship: true\ntakeaway: Read twice.\n---\n",
    }
    root = make_site_vault(tmp_path / "vault", extra)
    builder(root, tmp_path / "out").build()
    home = page(tmp_path / "out", "index.html")
    assert texts(home, "#start-here + ul .card-title") == ["Why caches fail"]
    assert texts(home, "#flagship + ul .card-title") == ["Second read"]
    assert "Read twice." in home.css_first("#flagship + ul").text()


def test_type_index_lists_every_note_with_its_summary(site: Path) -> None:
    patterns = page(site, "patterns/index.html")
    assert texts(patterns, ".note-list-title") == ["Caching", "Request coalescing"]
    assert "Keep hot values close." in texts(patterns, ".card-summary")
    decisions = page(site, "decisions/index.html")
    assert texts(decisions, ".badge-status") == ["superseded", "accepted"]
    assert not (site / "playbooks/index.html").exists()  # a type no note has gets no page (issue 11)
    assert "Playbooks" not in texts(patterns, ".site-nav a")


def test_note_page_panels_outline_backlinks_tags(site: Path) -> None:
    stampede = page(site, "note/cache-stampede/index.html")
    panels = {n.attributes["data-relation"]: texts(n, "li") for n in stampede.css(".relation-panel")}
    assert panels["mitigated-by"] == ["Caching", "Request coalescing"]
    assert panels["risked-by"] == ["URL shortener"]
    assert [t for t in texts(stampede, ".toc a")] == ["What it is", "Detection signals", "Mitigation strategies"]
    backlinks = {b.css_first("a").text(): texts(b, ".backlink-context") for b in stampede.css(".backlinks > ul > li")}
    assert backlinks["Caching"] == ["Use a cache in front of the origin, see Cache stampede for the risk."]
    assert "Why caches fail" in backlinks  # linked by alias "dogpile effect"
    assert texts(stampede, ".tags a") == ["#caching"]
    assert stampede.css_first("h1#note-title").text() == "Cache stampede"
    assert len(stampede.css(".note-body h1")) == 0  # the note's own H1 is the page title, not repeated
    caching = page(site, "note/caching/index.html")
    panels = {n.attributes["data-relation"]: texts(n, "li") for n in caching.css(".relation-panel")}
    assert panels["mitigates"] == ["Cache stampede"] and panels["used-by"] == ["URL shortener"]
    system = page(site, "note/url-shortener/index.html")
    panels = {n.attributes["data-relation"]: texts(n, "li") for n in system.css(".relation-panel")}
    assert panels["uses"] == ["Caching"] and panels["risks"] == ["Cache stampede"]
    assert panels["affected-by"] == ["Use Redis", "Use Valkey"]
    valkey = page(site, "note/use-valkey/index.html")
    panels = {n.attributes["data-relation"]: texts(n, "li") for n in valkey.css(".relation-panel")}
    assert panels["supersedes"] == ["Use Redis"] and panels["affects"] == ["URL shortener"]
    redis = page(site, "note/use-redis/index.html")
    assert {n.attributes["data-relation"]: texts(n, "li") for n in redis.css(".relation-panel")}["superseded-by"] == [
        "Use Valkey"
    ]


def test_wikilinks_anchors_broken_links_callouts_code_mermaid(site: Path) -> None:
    stampede = page(site, "note/cache-stampede/index.html")
    links = {a.text(): a.attributes["href"] for a in stampede.css(".note-body a.wikilink")}
    assert links["coalescing"] == "../../note/request-coalescing/"
    assert links["Caching › Solution"] == "../../note/caching/#solution"
    caching = page(site, "note/caching/index.html")
    assert caching.css_first("h2#solution")  # the anchor that [[caching#Solution]] points at exists
    callout = stampede.css_first("blockquote.callout-warning")
    assert callout.css_first(".callout-title").text() == "Watch the TTL"
    assert "Synchronized expiry" in callout.text()
    assert caching.css_first("pre.highlight code.language-python span")  # highlighted server-side
    system = page(site, "note/url-shortener/index.html")
    assert "flowchart LR" in system.css_first("pre.mermaid").text()
    broken = texts(system, ".broken-link")
    assert broken == ["![[nope.png]]", "no-such-note"]
    image = system.css_first(".note-body img")
    assert image.attributes["src"] == "../../assets/assets/diagram.png" and image.attributes["alt"]
    assert (site / "assets" / "assets" / "diagram.png").read_bytes().startswith(b"\x89PNG")
    assert not (site / "assets" / "journal").exists()  # only attachments that pages use are published


def test_neighbourhood_svg_is_clickable_and_coloured(site: Path) -> None:
    stampede = page(site, "note/cache-stampede/index.html")
    svg = stampede.css_first("svg.neighbourhood")
    hrefs = sorted(a.attributes["href"] for a in svg.css("a"))
    assert "../../note/caching/" in hrefs and "../../note/url-shortener/" in hrefs
    assert svg.attributes["role"] == "img" and svg.attributes["aria-label"]
    assert {c.attributes["fill"] for c in svg.css("a circle")} >= {"#2563eb", "#0d9488"}


def test_lab_plot_and_variant_table(site: Path) -> None:
    stampede = page(site, "note/cache-stampede/index.html")
    lab = stampede.css_first("section.lab")
    assert lab.css_first("img").attributes["src"] == "../../assets/labs/cache-stampede/plot.svg"
    assert lab.css_first("img").attributes["alt"].startswith("Plot of the cache-stampede lab")
    assert texts(lab, "thead th") == ["Variant", "origin_qps", "p99_ms"]
    rows = [[cell.text() for cell in row.css("th, td")] for row in lab.css("tbody tr")]
    assert rows == [["baseline", "5,000", "840.5"], ["coalescing", "12", "31.2"]]
    assert (site / "assets" / "labs" / "cache-stampede" / "plot.svg").is_file()


def test_tags_timeline_roadmap_graph_pages(site: Path) -> None:
    tags = dict(t.rsplit(" ", 1) for t in texts(page(site, "tags/index.html"), ".tag-cloud a"))
    assert tags["#caching"] == "3" and tags["#perf"] == "1"
    timeline = page(site, "timeline/index.html")
    assert texts(timeline, ".timeline-item time") == ["2026-06-01", "2026-01-10"]
    assert texts(timeline, ".chain li") == ["Use Redis", "Use Valkey"]
    assert "Superseded by Use Valkey" in timeline.css(".timeline-item")[1].text()
    roadmap = page(site, "roadmap/index.html")
    assert texts(roadmap, ".topic-list a") == ["HTTP", "Routing"]
    bar = roadmap.css_first("progress")
    assert bar.attributes["value"] == "1" and bar.attributes["max"] == "2"
    graph = json.loads((site / "graph.json").read_text())
    assert len(graph["nodes"]) == 10
    slugs = [n[0] for n in graph["nodes"]]
    pairs = {(slugs[a], slugs[b]) for a, b, _ in graph["links"]}
    assert ("caching", "cache-stampede") in pairs and ("url-shortener", "caching") in pairs
    assert page(site, "graph/index.html").css_first("#bb-graph").attributes["data-src"] == "../graph.json"


def test_tag_page_lists_tagged_notes(site: Path) -> None:
    titles = texts(page(site, "tags/caching/index.html"), ".card-title")
    assert titles == ["Cache stampede", "Caching", "Request coalescing"]


def test_search_index_fields(site: Path) -> None:
    data = json.loads((site / "search-index.json").read_text())
    assert data["settings"]["columns"][:2] == ["title", "aliases"]
    fields = data["fields"]  # named, so the link previews find title, type and summary
    assert [fields.index(f) for f in ("slug", "title", "type", "summary")] == [0, 2, 3, 4]
    entries = {e[1]: e for e in data["notes"]}
    stampede = entries["cache-stampede"]
    assert stampede[0] == "cache-stampede" and stampede[2] == "Cache stampede" and stampede[3] == "failure-mode"
    symptoms = stampede[6][data["settings"]["columns"].index("symptoms")].split()
    assert "thunder" in {t.split(":")[0] for t in symptoms}  # a symptom word from Detection signals, stemmed
    assert ["dogpile effect", "dogpil effect"] in stampede[7]  # an alias, with its stems for the phrase bonus


def test_404_page_and_static_files(site: Path) -> None:
    assert "Page not found" in page(site, "404.html").css_first("h1").text()
    for name in ("site.css", "site.js", "search.js", "theme.js", "graph.js", "highlight.css", "vendor/mermaid.min.js",
                 "vendor/force-graph.min.js", "vendor/mermaid.LICENSE", "vendor/force-graph.LICENSE"):
        assert (site / "static" / name).is_file(), name


def test_no_inline_scripts_or_handlers_in_any_page(site: Path) -> None:
    for path in site.rglob("*.html"):
        tree = page(site, str(path.relative_to(site)))
        for script in tree.css("script"):
            assert script.attributes.get("src"), f"inline script in {path}"
        for node in tree.css("*"):
            assert not any(name.startswith("on") for name in node.attributes), f"event handler in {path}"


def test_site_core_imports_no_web_or_cli_stack() -> None:
    code = (
        "import sys, backbrain.site, backbrain.site.build.builder, backbrain.site.model, backbrain.site.markdown; "
        "bad = [m for m in ('click', 'rich', 'starlette', 'uvicorn', 'httpx', 'backbrain.cli', 'backbrain.web') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_fast_backlink_contexts_match_the_vault_api(tmp_path: Path) -> None:
    from backbrain.core.vault import load_vault
    from backbrain.site.model import SiteModel

    vault = load_vault(make_site_vault(tmp_path / "vault"))
    model = SiteModel(vault)
    for note_id in vault.notes:
        expected = [(b.source, b.context) for b in vault.backlinks(note_id)]
        assert model.backlink_contexts(note_id) == expected
