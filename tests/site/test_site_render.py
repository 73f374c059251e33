"""Note rendering: hostile notes come out harmless; links, embeds and anchors resolve."""

from __future__ import annotations

from pathlib import Path

import pytest
from sitehelpers import HTMLParser, builder, make_site_vault, note, page

from backbrain.core.vault import load_vault
from backbrain.site.markdown import NoteRenderer, sanitize
from backbrain.site.urls import SiteUrls, safe_slug

HOSTILE = """# Evil

<script>alert(1)</script>
<img src="x.png" onerror="alert(2)">
<a href="javascript:alert(3)">click</a>
[md link](javascript:alert(4))
[entity link](jav&#x61;script:alert(5))
[spaced]( JaVaScRiPt:alert(6))
<iframe src="https://evil.example/"></iframe>
<div onclick="alert(7)" style="background:url(javascript:alert(8))">styled</div>
<svg onload="alert(9)"><circle r="1"/></svg>
<object data="x.swf"></object><embed src="x.swf">
<form action="https://evil.example/"><input name="q"></form>
<a href="data:text/html,<script>alert(10)</script>">data</a>
![img](javascript:alert(11))
<math><mi xlink:href="javascript:alert(12)">x</mi></math>
<base href="https://evil.example/">
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<style>body{display:none}</style>
<details open ontoggle="alert(13)"><summary>s</summary></details>

```html
<script>alert("in code is fine as text")</script>
```

> [!danger] <img src=x onerror=alert(14)>
> body
"""


def _assert_harmless(html: str) -> None:
    tree = HTMLParser(f"<div id='root'>{html}</div>")
    for tag in ("script", "iframe", "object", "embed", "form", "base", "meta", "style", "svg", "math"):
        assert not tree.css(tag), f"<{tag}> survived"
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), f"{name} survived on <{node.tag}>"
            assert name != "style", "style attribute survived"
            if name in ("href", "src", "xlink:href", "action", "data"):
                normalized = "".join((value or "").split()).lower()
                assert not normalized.startswith(("javascript:", "data:", "vbscript:")), f"{name}={value}"
    # A removed <script> or <style> goes with its content: none of it is left on the page as text.
    assert "alert(1)" not in tree.text() and "display:none" not in tree.text()


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    root = make_site_vault(base / "vault", {"evil.md": HOSTILE, "02_systems/evil-system.md": note(
        {"title": "<script>alert('title')</script>", "type": "system", "summary": '"><img src=x onerror=alert(1)>',
         "tags": ["<b>x</b>"], "aliases": ["javascript:alert(1)"]}, HOSTILE)})
    out = base / "out"
    builder(root, out).build()
    return out


def test_hostile_note_body_is_rendered_harmlessly(hostile_site: Path) -> None:
    html = (hostile_site / "note" / "evil" / "index.html").read_text()
    tree = HTMLParser(html)
    body = tree.css_first(".note-body").html
    _assert_harmless(body)
    assert "in code is fine as text" in tree.css_first(".note-body pre").text()
    assert tree.css_first(".note-body .callout-danger")


def test_hostile_front_matter_is_escaped_everywhere(hostile_site: Path) -> None:
    for path in hostile_site.rglob("*.html"):
        tree = page(hostile_site, str(path.relative_to(hostile_site)))
        for script in tree.css("script"):
            assert script.attributes.get("src", "").startswith(("../", "static/", "/")), f"{path}: inline script"
        for node in tree.css("*"):
            assert not any(k.startswith("on") for k in node.attributes), f"{path}: handler on <{node.tag}>"
            href = (node.attributes.get("href") or "").strip().lower()
            assert not href.startswith("javascript:"), f"{path}: javascript: link"
    system = page(hostile_site, "note/evil-system/index.html")
    assert system.css_first("h1#note-title").text() == "<script>alert('title')</script>"


def test_sanitize_is_the_last_word() -> None:
    _assert_harmless(sanitize('<p>ok</p><script>x</script><a href="javascript:x" onclick="y">a</a>'))
    assert sanitize('<a href="https://example.org/">x</a>').startswith('<a href="https://example.org/"')


def _render(tmp_path: Path, files: dict[str, str], note_id: str) -> str:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    vault = load_vault(tmp_path)
    return NoteRenderer(vault, SiteUrls(vault)).render(vault.notes[note_id], "../../").html


def test_links_resolve_by_id_alias_title_and_path(tmp_path: Path) -> None:
    html = _render(tmp_path, {
        "a.md": "# A\n\n[[b]] [[Bee Title]] [[the-bee]] [[sub/b.md|by path]] [[b#Some Heading|h]] [[missing]]\n"
                "[md](b.md) [ext](https://example.org) [[missing#x|label]]\n",
        "sub/b.md": "---\ntitle: Bee Title\naliases: [the-bee]\n---\n# Bee\n\n## Some Heading\n",
    }, "a")
    tree = HTMLParser(html)
    hrefs = [a.attributes["href"] for a in tree.css("a.wikilink")]
    assert hrefs == ["../../note/b/"] * 4 + ["../../note/b/#some-heading", "../../note/b/"]
    assert [a.text() for a in tree.css("a.wikilink")][:2] == ["Bee Title", "Bee Title"]
    assert [s.text() for s in tree.css(".broken-link")] == ["missing", "label"]
    assert tree.css_first('a[href="https://example.org"]').attributes["rel"] == "noopener noreferrer"


def test_duplicate_headings_get_unique_anchors(tmp_path: Path) -> None:
    html = _render(tmp_path, {"a.md": "# A\n\n## Notes\n\n## Notes\n\n### Why *it* matters\n"}, "a")
    ids = [h.attributes["id"] for h in HTMLParser(html).css("h2, h3")]
    assert ids == ["notes", "notes-2", "why-it-matters"]


def test_unsafe_ids_become_safe_folder_names() -> None:
    assert safe_slug("../../etc") == "etc"
    assert safe_slug("a/b") == "a-b"
    assert safe_slug("日本").startswith("x-")
    assert safe_slug("cache-stampede") == "cache-stampede"
